"""What an accepted price proposal does about money (issue 21).

Once the customer accepts a proposal the order carries the approved prices (the quote service
re-priced it and the payment status followed). Then, after the commit (signal
``quote_accepted``): with an online payment method the customer is sent a payment link for the
amount now due, through :func:`~oscar_orders_ext.payments.service.send_payment_link` (the
link's email, its pay page, its expiry: nothing of it is repeated here); with an offline method
(cash, bank transfer, cash on delivery) no link is sent and an internal note tells the shop
what to collect. A lower price that leaves money to give back gets a note as well: refunds are
the shop's decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from oscar.core.loading import get_model

from oscar_orders_ext.conf import app_settings
from oscar_orders_ext.display import format_money
from oscar_orders_ext.exceptions import OrderWorkflowError
from oscar_orders_ext.models import OrderPayment, PaymentLink
from oscar_orders_ext.services.edits import add_note

from .service import balance, send_payment_link

Order = get_model("order", "Order")
Source = get_model("payment", "Source")


@dataclass(frozen=True)
class QuotePayment:
    """What accepting a proposal did about payment: ``outcome`` is "link" (sent), "offline"
    (the shop collects it, a note says so), "refund" (the shop owes money back, a note says
    so), "settled" (nothing due) or "off" (``QUOTE_PAYMENT_LINK`` is False)."""

    outcome: str
    link: PaymentLink | None = None
    note: str = ""


def offline_methods(order: Any) -> list[str]:
    """The names of the order's payment methods paid outside the gateways, when every method
    it has is one (``QUOTE_OFFLINE_PAYMENT_METHODS``); empty when it pays online or has no
    method yet (a "quote" order placed by hand)."""
    if OrderPayment.objects.filter(order_id=order.pk).exists():
        return []
    offline = {str(code).lower() for code in app_settings.QUOTE_OFFLINE_PAYMENT_METHODS or ()}
    types = [source.source_type for source in
             Source.objects.filter(order_id=order.pk).select_related("source_type")]
    if not types or any((kind.code or "").lower() not in offline for kind in types):
        return []
    return sorted({kind.name for kind in types})


def collect_accepted_quote(quote: Any) -> QuotePayment:
    """Ask for the amount an accepted proposal left due: a payment link for an online method,
    a note to the shop for an offline one or for money owed back."""
    order = Order.objects.get(pk=quote.order_id)  # as re-priced, not as the signal's copy
    due = balance(order).due
    if due < 0:
        return _noted("refund", order, _(
            "Price proposal %(version)d accepted: the new total is lower than what was paid; "
            "%(amount)s is due back to the customer.")
            % {"version": quote.version, "amount": format_money(-due, order.currency)})
    if due == 0:
        return QuotePayment("settled")
    offline = offline_methods(order)
    if offline:
        return _noted("offline", order, _(
            "Price proposal %(version)d accepted: %(amount)s is due, paid by %(method)s. No "
            "payment link was sent: collect the payment and mark it received.")
            % {"version": quote.version, "amount": format_money(due, order.currency),
               "method": ", ".join(offline)})
    if not app_settings.QUOTE_PAYMENT_LINK:
        return QuotePayment("off")
    try:
        link = send_payment_link(order, user=None, notify=True)
    except OrderWorkflowError as error:  # marked paid by hand, above the gateways' maximum
        return _noted("offline", order, _(
            "Price proposal %(version)d accepted: %(amount)s is due, but no payment link "
            "could be sent (%(reason)s).")
            % {"version": quote.version, "amount": format_money(due, order.currency),
               "reason": error.message})
    return QuotePayment("link", link=link)


def _noted(outcome: str, order: Any, text: str) -> QuotePayment:
    """Leave ``text`` as an internal note on the order (the shop's page and timeline)."""
    add_note(order, text, user=None)
    return QuotePayment(outcome, note=text)
