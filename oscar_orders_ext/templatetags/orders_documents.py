"""Template helpers for documents: ``{{ rate|tax_rate }}`` for printed tax rates. (The order's
documents and whether it has an open invoice come from the views:
``documents.service.order_documents``.)"""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _


register = template.Library()


@register.filter
def tax_rate(rate: Decimal | None) -> str:
    """A tax rate as printed: "22%", "5.5%" in the active language's format; a rate that
    cannot be told from the amounts (None) says so."""
    if rate is None:
        return _("Rate not known")
    return _("%(rate)s%%") % {"rate": number_format(rate)}
