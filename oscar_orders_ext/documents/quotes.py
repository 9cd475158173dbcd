"""The PDF of a price proposal (issue 21): one version of a quote, with the prices before and
proposed per line, shipping, totals, the shop's message and the validity date, laid out by the
documents machinery (``documents/quote.html`` in ``base.html``, the shared stylesheet) in the
order's language. It is rendered from the stored version, so an old version prints as it was
sent; it is not a legal document and is never stored.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from oscar_orders_ext.i18n import in_order_language
from oscar_orders_ext.models import Quote

from .identity import get_identity
from .rendering import Rendered
from .service import customer_name, orders_for_documents, render_fragments

KIND = "quote"


def quote_rows(quote: Quote) -> list[dict[str, Any]]:
    """The proposal's lines with prices as amounts and the line totals before and proposed."""
    rows = []
    for entry in quote.lines:
        old, new, quantity = Decimal(entry["old"]), Decimal(entry["new"]), int(entry["quantity"])
        rows.append({"title": entry["title"], "quantity": quantity, "old": old, "new": new,
                     "old_total": old * quantity, "total": new * quantity,
                     "changed": old != new})
    return rows


def quote_filename(quote: Quote, number: str) -> str:
    """The PDF's file name, e.g. ``price-proposal-100042-v2.pdf``."""
    return f"price-proposal-{number}-v{quote.version}.pdf"


def render_quote(quote: Quote) -> Rendered:
    """The PDF of proposal ``quote``, in its order's customer's language."""
    order = orders_for_documents([quote.order_id], lines=False).get()
    with in_order_language(order):
        context = {
            "kind": KIND, "order": order, "quote": quote, "shop": get_identity(),
            "rows": quote_rows(quote), "currency": quote.currency,
            "customer_name": customer_name(order), "customer_email": order.email,
            "billing_address": order.billing_address or order.shipping_address,
            "shipping_address": order.shipping_address,
        }
        title = _("Price proposal %(version)d for order %(number)s") % {
            "version": quote.version, "number": order.number}
        fragment = render_to_string(f"oscar_orders_ext/documents/{KIND}.html", context)
        return render_fragments(KIND, [fragment], title=title)


def quote_document(quote: Quote) -> tuple[str, bytes]:
    """(file name, PDF) of proposal ``quote``: what ``send_quote(document=...)`` attaches."""
    number = quote.order.number if hasattr(quote, "order") else str(quote.order_id)
    return quote_filename(quote, number), render_quote(quote).pdf
