"""The shop's identity on documents: the dashboard-edited row, else the setting."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from oscar_orders_ext.conf import app_settings
from oscar_orders_ext.models import ShopIdentity


@dataclass(frozen=True)
class Identity:
    """What documents print about the shop; ``logo_url`` is fetched by the renderer."""

    name: str = ""
    address: str = ""
    vat_number: str = ""
    tax_code: str = ""
    email: str = ""
    phone: str = ""
    website: str = ""
    bank_details: str = ""
    footer: str = ""
    logo_url: str = ""


def get_identity() -> Identity:
    """The saved ``ShopIdentity`` row; without one, ``OSCAR_ORDERS_EXT_SHOP_IDENTITY``."""
    from .rendering import media_url, static_url

    row = ShopIdentity.objects.order_by("pk").first()
    names = {f.name for f in fields(Identity)} - {"logo_url"}
    if row is not None:
        values: dict[str, Any] = {name: getattr(row, name) for name in names}
        values["logo_url"] = media_url(row.logo.name) if row.logo else ""
        return Identity(**values)
    configured = dict(app_settings.SHOP_IDENTITY or {})
    values = {name: str(configured.get(name) or "") for name in names}
    logo = configured.get("logo") or ""
    values["logo_url"] = static_url(logo) if logo else ""
    return Identity(**values)


def save_identity(row: ShopIdentity) -> ShopIdentity:
    """Save the shop identity edited in a front end (validated by its form)."""
    row.save()
    return row
