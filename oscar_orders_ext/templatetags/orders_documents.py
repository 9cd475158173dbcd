"""Template helpers for the documents partial: ``{% issued_documents order as documents %}``."""

from __future__ import annotations

from typing import Any

from django import template

from oscar_orders_ext.constants import DocumentKind
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
