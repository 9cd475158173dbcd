"""Price proposals: sent by the shop, accepted or rejected by the customer once; re-quotes,
withdrawals and expiry refuse the old versions; an accepted proposal re-prices the order."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from oscar_orders_ext import tick
from oscar_orders_ext.exceptions import OrderWorkflowError, QuoteError
from oscar_orders_ext.models import MessageSide, OrderMessage, OrderProcess, Quote, QuoteStatus
from oscar_orders_ext.services import quotes
from oscar_orders_ext.signals import quote_accepted

pytestmark = pytest.mark.django_db

QUOTER = ["view_orderprocess", "change_orderprocess", "change_order_state", "edit_order_lines"]


@pytest.fixture
def quoter(make_staff: Any) -> Any:
    return make_staff("quoter", QUOTER)


def propose(order: Any, user: Any, price: str = "8.00", shipping: str | None = "2.00",
            **kwargs: Any) -> Quote:
    line = order.lines.get()
    return quotes.send_quote(order, unit_prices={line.pk: Decimal(price)},
                             shipping=Decimal(shipping) if shipping is not None else None,
                             user=user, **kwargs)


def test_a_proposal_awaits_the_customer_and_tells_them(guest_order: Any, quoter: Any) -> None:
    quote = propose(guest_order, quoter, message="Bulk discount for you.")
    process = OrderProcess.objects.get(order=guest_order)
    assert process.state == "awaiting_customer"
    assert process.customer_unread == 1
    assert (quote.version, quote.status, quote.total) == (1, QuoteStatus.SENT, Decimal("18.00"))
    assert quote.lines[0]["old"] == "10.00" and quote.lines[0]["new"] == "8.00"
    [message] = OrderMessage.objects.filter(order=guest_order)
    assert message.body.startswith("Bulk discount for you.")
    assert "Price proposal 1" in message.body


def test_accepting_reprices_the_order_and_returns_it_to_the_inbox(
        guest_order: Any, quoter: Any, django_capture_on_commit_callbacks: Any) -> None:
    received = []
    quote_accepted.connect(lambda **kw: received.append(kw["quote"].pk), weak=False,
                           dispatch_uid="test-quote")
    try:
        quote = propose(guest_order, quoter)
        with django_capture_on_commit_callbacks(execute=True):
            quotes.decide_quote(quote.pk, accept=True)
    finally:
        quote_accepted.disconnect(dispatch_uid="test-quote")
    assert received == [quote.pk]
    guest_order.refresh_from_db()
    line = guest_order.lines.get()
    assert line.unit_price_incl_tax == Decimal("8.00")
    assert line.line_price_incl_tax == Decimal("16.00")
    assert guest_order.shipping_incl_tax == Decimal("2.00")
    assert guest_order.total_incl_tax == Decimal("18.00")
    process = OrderProcess.objects.get(order=guest_order)
    assert process.state == "processing"
    assert process.staff_unread == 1
    assert process.total == Decimal("18.00")
    answer = OrderMessage.objects.filter(order=guest_order, side=MessageSide.CUSTOMER).get()
    assert "I accept price proposal 1" in answer.body
    assert Quote.objects.get(pk=quote.pk).status == QuoteStatus.ACCEPTED


def test_accepting_twice_changes_nothing(guest_order: Any, quoter: Any) -> None:
    quote = propose(guest_order, quoter)
    quotes.decide_quote(quote.pk, accept=True)
    with pytest.raises(QuoteError):
        quotes.decide_quote(quote.pk, accept=True)
    with pytest.raises(QuoteError):
        quotes.decide_quote(quote.pk, accept=False)
    assert OrderMessage.objects.filter(side=MessageSide.CUSTOMER).count() == 1


def test_a_new_proposal_supersedes_the_old_one_which_refuses(
        guest_order: Any, quoter: Any) -> None:
    first = propose(guest_order, quoter, price="8.00")
    second = propose(guest_order, quoter, price="9.00")
    assert second.version == 2
    assert Quote.objects.get(pk=first.pk).status == QuoteStatus.SUPERSEDED
    with pytest.raises(QuoteError):
        quotes.decide_quote(first.pk, accept=True)
    guest_order.refresh_from_db()
    assert guest_order.total_incl_tax == Decimal("20.00")  # unchanged
    quotes.decide_quote(second.pk, accept=True)
    guest_order.refresh_from_db()
    assert guest_order.lines.get().unit_price_incl_tax == Decimal("9.00")


def test_a_withdrawn_proposal_refuses(guest_order: Any, quoter: Any) -> None:
    quote = propose(guest_order, quoter)
    quotes.withdraw_quote(quote, user=quoter)
    with pytest.raises(QuoteError):
        quotes.decide_quote(quote.pk, accept=True)
    assert "withdrawn" in OrderMessage.objects.filter(order=guest_order).last().body
    # Nothing waits for the customer any more: the order leaves "awaiting customer response".
    assert OrderProcess.objects.get(order=guest_order).state == "processing"


def test_an_expired_proposal_cannot_be_accepted_and_the_tick_expires_it(
        guest_order: Any, quoter: Any) -> None:
    quote = propose(guest_order, quoter)
    Quote.objects.filter(pk=quote.pk).update(
        valid_until=timezone.localdate() - timedelta(days=1))
    with pytest.raises(QuoteError, match="expired"):
        quotes.decide_quote(quote.pk, accept=True)
    assert tick.expire_quotes() == 1
    assert Quote.objects.get(pk=quote.pk).status == QuoteStatus.EXPIRED
    with pytest.raises(QuoteError):
        quotes.decide_quote(quote.pk, accept=True)


def test_rejecting_keeps_the_prices_and_tells_the_shop(guest_order: Any, quoter: Any) -> None:
    quote = propose(guest_order, quoter)
    quotes.decide_quote(quote.pk, accept=False)
    guest_order.refresh_from_db()
    assert guest_order.total_incl_tax == Decimal("20.00")
    process = OrderProcess.objects.get(order=guest_order)
    assert process.staff_unread == 1
    # The customer answered: no longer "awaiting customer response", back to the shop.
    assert process.state == "processing"
    assert Quote.objects.get(pk=quote.pk).status == QuoteStatus.REJECTED


def test_the_setting_leaves_a_rejected_order_where_it_is(guest_order: Any, quoter: Any,
                                                         settings: Any) -> None:
    settings.OSCAR_ORDERS_EXT_QUOTE_REJECTED_STATE = None
    quote = propose(guest_order, quoter)
    quotes.decide_quote(quote.pk, accept=False)
    assert OrderProcess.objects.get(order=guest_order).state == "awaiting_customer"


def test_bad_proposals_are_refused_and_nothing_is_written(
        guest_order: Any, quoter: Any, clerk: Any) -> None:
    with pytest.raises(QuoteError, match="negative"):
        propose(guest_order, quoter, price="-1")
    with pytest.raises(QuoteError, match="today"):
        propose(guest_order, quoter, valid_until=timezone.localdate() - timedelta(days=1))
    with pytest.raises(OrderWorkflowError):
        propose(guest_order, clerk)  # no line-edit permission
    assert not Quote.objects.exists() and not OrderMessage.objects.exists()
    assert OrderProcess.objects.get(order=guest_order).state == "new"


def test_a_manual_quote_order_records_no_payment_and_takes_a_proposal(
        product: Any, quoter: Any, make_staff: Any) -> None:
    from django.contrib.auth import get_user_model
    from oscar.core.loading import get_model
    from oscar.test import factories

    from oscar_orders_ext.services import manual_orders
    from oscar_orders_ext.services.manual_orders import ManualOrder, ShippingChoice

    clerk = make_staff("phone-clerk", ["create_manual_order"])
    customer = get_user_model().objects.create_user(username="bob", email="bob@example.com",
                                                    password="pw")
    country = factories.CountryFactory(iso_3166_1_a2="GB", printable_name="United Kingdom")
    basket = manual_orders.start_draft(customer)
    manual_orders.add_product(basket, product.pk, 3)
    order = manual_orders.place_manual_order(ManualOrder(
        basket_id=basket.pk, customer=customer, order_type="quote",
        billing_address={"first_name": "Bob", "last_name": "B", "line1": "1 Road",
                         "line4": "London", "postcode": "N1 9GU", "country": country},
        shipping=ShippingChoice("manual", Decimal("0.00"), Decimal("0.00"))), user=clerk)
    process = OrderProcess.objects.get(order=order)
    assert process.order_type == "quote"
    assert not get_model("payment", "Source").objects.filter(order=order).exists()
    quote = propose(order, quoter, price="9.00", shipping="5.00")
    quotes.decide_quote(quote.pk, accept=True, user=customer)
    order.refresh_from_db()
    assert order.total_incl_tax == Decimal("32.00")  # 3 × 9.00 + 5.00
