"""What a subscription bills is what the customer agreed to: the price of a proposal they
accepted (before the order was confirmed, or after it started), not the plan's list price;
and its renewal orders speak the first order's language, as checkout would have."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import translation
from oscar.test import factories

from oscar_orders_ext.models import OrderProcess, Subscription
from oscar_orders_ext.services import quotes
from oscar_orders_ext.subscriptions.reads import describe_event

from ..conversations.test_quotes import QUOTER

pytestmark = pytest.mark.django_db

D = Decimal
UTC = ZoneInfo("UTC")


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 9, tzinfo=UTC)


@pytest.fixture
def plan_order(plan_product: Any, customer: Any) -> Any:
    """The customer's order of one plan product (10.00 a month), not confirmed yet."""
    basket = factories.create_basket(empty=True)
    basket.add_product(plan_product, 1)
    return factories.create_order(basket=basket, user=customer)


def propose_and_accept(order: Any, unit_price: str, quoter: Any, committed: Any) -> None:
    line = order.lines.get()
    quote = quotes.send_quote(order, unit_prices={line.pk: D(unit_price)}, user=quoter)
    committed(quotes.decide_quote, quote.pk, accept=True, user=order.user)


def test_a_proposal_accepted_before_the_start_is_the_price_of_every_renewal(
        plan_order: Any, make_staff: Callable[..., Any], committed: Any, tick: Any) -> None:
    with time_machine.travel(at(date(2026, 3, 2)), tick=False):
        propose_and_accept(plan_order, "8.00", make_staff("quoter", QUOTER), committed)
    # Accepting moved the order on to "in preparation": its confirmation, which starts it.
    sub = Subscription.objects.get(order=plan_order)
    assert sub.amount == D("8.00")  # the plan says 10.00
    with time_machine.travel(at(date(2026, 4, 2)), tick=False):
        assert tick() == (1, 0)
    assert sub.renewals.get().order.total_incl_tax == D("8.00")


def test_a_proposal_accepted_after_the_start_bills_its_price_from_the_next_renewal(
        subscribe: Callable[..., Subscription], make_staff: Callable[..., Any],
        committed: Any, tick: Any) -> None:
    with time_machine.travel(at(date(2026, 3, 2)), tick=False):
        sub = subscribe()
        assert sub.amount == D("10.00")
        propose_and_accept(sub.order, "7.50", make_staff("quoter", QUOTER), committed)
    sub.refresh_from_db()
    assert sub.amount == D("7.50")
    event = sub.events.get(kind="price")
    assert describe_event(event) == ("Price proposal 1 accepted: each period now costs "
                                     "€7.50 (was €10.00).")
    with translation.override("it"):
        assert describe_event(event) == ("Proposta di prezzo 1 accettata: ogni periodo ora "
                                         "costa 7,50\xa0€ (prima 10,00\xa0€).")
    with time_machine.travel(at(date(2026, 4, 2)), tick=False):
        assert tick() == (1, 0)
    assert sub.renewals.get().order.total_incl_tax == D("7.50")


def test_a_rejected_proposal_changes_nothing(
        subscribe: Callable[..., Subscription], make_staff: Callable[..., Any],
        committed: Any) -> None:
    sub = subscribe()
    line = sub.order.lines.get()
    quote = quotes.send_quote(sub.order, unit_prices={line.pk: D("7.50")},
                              user=make_staff("quoter", QUOTER))
    committed(quotes.decide_quote, quote.pk, accept=False, user=sub.order.user)
    sub.refresh_from_db()
    assert sub.amount == D("10.00")
    assert not sub.events.filter(kind="price").exists()


def test_a_renewal_order_is_placed_in_the_first_orders_language(
        subscribe: Callable[..., Subscription], tick: Any) -> None:
    with time_machine.travel(at(date(2026, 3, 2)), tick=False):
        sub = subscribe()
    OrderProcess.objects.filter(order=sub.order).update(language="it")
    with time_machine.travel(at(date(2026, 4, 2)), tick=False), translation.override("en"):
        tick()
    renewal = sub.renewals.get().order
    # Oscar stores the shipping method's name as text: checkout stores it in the customer's
    # language, and so does the tick (Oscar's own Italian).
    assert renewal.shipping_method == "Spedizione non richiesta"
    assert OrderProcess.objects.get(order=renewal).language == "it"
