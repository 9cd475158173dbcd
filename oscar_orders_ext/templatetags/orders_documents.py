"""Template helpers for documents: ``{% issued_documents order as documents %}`` for the
documents partial, ``{% shop_identity as shop %}``, ``{{ documents|has_open_invoice }}``, ``{{ rate|tax_rate }}`` for printed tax rates."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from oscar_orders_ext.constants import DocumentKind
from oscar_orders_ext.documents.identity import Identity, get_identity
from oscar_orders_ext.models import IssuedDocument

register = template.Library()


@register.simple_tag
def issued_documents(order: Any) -> list[IssuedDocument]:
    """The order's invoices and credit notes, newest first; invoices know what is left to
    credit (``credit_left``)."""
    documents = list(IssuedDocument.objects.filter(order_id=order.pk)
                     .select_related("credited", "issued_by"))
    credited: dict[int, Any] = {}
    for document in documents:
        if document.credited_id:
            credited[document.credited_id] = credited.get(document.credited_id, 0) + document.total
    for document in documents:
        if document.kind == DocumentKind.INVOICE:
            document.credit_left = document.total + credited.get(document.pk, 0)
    return documents


@register.simple_tag
def shop_identity() -> Identity:
    """The identity documents print: ``missing_for_legal_documents`` (what invoices still
    need) and ``has_sender`` (whether delivery notes have a sender block)."""
    return get_identity()


@register.filter
def has_open_invoice(documents: list[IssuedDocument]) -> bool:
    """Whether one of ``issued_documents``' invoices is not fully credited yet, so no new
    invoice can be issued (the service refuses it)."""
    return any(document.kind == DocumentKind.INVOICE and document.credit_left > 0
               for document in documents)


@register.filter
def tax_rate(rate: Decimal | None) -> str:
    """A tax rate as printed: "22%", "5.5%" in the active language's format; a rate that
    cannot be told from the amounts (None) says so."""
    if rate is None:
        return _("Rate not known")
    return _("%(rate)s%%") % {"rate": number_format(rate)}
