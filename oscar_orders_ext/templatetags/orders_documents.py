"""Template helpers for documents: ``{% shop_identity as shop %}`` (what invoices still
need, whether delivery notes have a sender) and ``{{ rate|tax_rate }}`` for printed tax rates.
(The order's documents and whether it has an open invoice come from the views:
``documents.service.order_documents``.)"""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from oscar_orders_ext.documents.identity import Identity, get_identity

register = template.Library()


@register.simple_tag
def shop_identity() -> Identity:
    """The identity documents print: ``missing_for_legal_documents`` (what invoices still
    need) and ``has_sender`` (whether delivery notes have a sender block)."""
    return get_identity()


@register.filter
def tax_rate(rate: Decimal | None) -> str:
    """A tax rate as printed: "22%", "5.5%" in the active language's format; a rate that
    cannot be told from the amounts (None) says so."""
    if rate is None:
        return _("Rate not known")
    return _("%(rate)s%%") % {"rate": number_format(rate)}
