"""The shop's identity on documents: the dashboard-edited row, else the setting."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from django.utils.translation import gettext as _

from oscar_orders_ext.conf import app_settings
from oscar_orders_ext.models import ShopIdentity

from .rendering import media_url, static_url


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

    def missing_for_legal_documents(self) -> list[str]:
        """What an invoice or credit note needs and the identity lacks: the seller's name,
        address and VAT number or tax code (labels; empty when complete)."""
        missing = []
        if not self.name.strip():
            missing.append(_("name"))
        if not self.address.strip():
            missing.append(_("address"))
        if not (self.vat_number.strip() or self.tax_code.strip()):
            missing.append(_("VAT number or tax code"))
        return missing

    @property
    def has_sender(self) -> bool:
        """Whether documents have a sender block to print (a name or an address)."""
        return bool(self.name.strip() or self.address.strip())


def get_identity() -> Identity:
    """The saved ``ShopIdentity`` row; without one, ``OSCAR_ORDERS_EXT_SHOP_IDENTITY``."""
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
