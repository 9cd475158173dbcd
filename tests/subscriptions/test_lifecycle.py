"""A customer's subscription from the confirmed order to its renewals, with a frozen clock:
creation on confirm, calendar-correct periods (month ends, DST), dunning, trials, fixed terms."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.test import override_settings
from oscar.test import factories

from oscar_orders_ext.constants import OrderType, PaymentStatus
from oscar_orders_ext.models import (OrderProcess, PaymentLink, PaymentLinkStatus, RenewalStatus,
                                     Subscription, SubscriptionRenewal)
from oscar_orders_ext.services.bulk import run_set_based, set_based_action
from oscar_orders_ext.services.transitions import transition_order
from oscar_orders_ext.subscriptions import service

from .conftest import make_plan

pytestmark = pytest.mark.django_db

UTC = ZoneInfo("UTC")


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def test_confirming_an_order_with_a_plan_product_starts_one_subscription(
        subscribe: Callable[..., Subscription], customer: Any) -> None:
    with time_machine.travel(at(date(2026, 1, 31)), tick=False):
        sub = subscribe()
    assert sub.state == "active"
    assert (sub.user, sub.email, sub.customer_name) == (customer, "anna@example.com",
                                                         "Anna Rossi")
    assert sub.amount == Decimal("10.00") and sub.currency == "EUR"
    assert sub.periods_billed == 1  # the order paid the first month
    assert sub.next_renewal_on == date(2026, 2, 28)
    assert OrderProcess.objects.get(order=sub.order).order_type == OrderType.SUBSCRIPTION
    assert [event.kind for event in sub.events.all()] == ["created"]
    # Going through "confirm" again (after a hold) creates nothing more.
    transition_order(sub.order, "hold")
    transition_order(sub.order, "confirm")
    assert Subscription.objects.filter(order=sub.order).count() == 1


def test_an_order_without_plan_products_starts_none(place_order: Callable[..., Any]) -> None:
    order = place_order()
    transition_order(order, "confirm")
    assert not Subscription.objects.exists()
    assert OrderProcess.objects.get(order=order).order_type == OrderType.STANDARD


def test_a_cancelled_order_starts_nothing(plan_product: Any, customer: Any) -> None:
    basket = factories.create_basket(empty=True)
    basket.add_product(plan_product, 1)
    order = factories.create_order(basket=basket, user=customer)
    transition_order(order, "cancel")
    assert not Subscription.objects.exists()


def test_a_year_of_monthly_renewals_falls_on_month_ends(
        tick: Any, pay: Any, subscribe: Callable[..., Subscription]) -> None:
    with time_machine.travel(at(date(2026, 1, 31)), tick=False) as clock:
        sub = subscribe()
        day = date(2026, 1, 31)
        while day < date(2027, 1, 31):
            day += timedelta(days=1)
            clock.move_to(at(day))
            tick()
            for renewal in SubscriptionRenewal.objects.filter(status=RenewalStatus.PENDING):
                pay(renewal)
    dues = list(SubscriptionRenewal.objects.order_by("period").values_list("due_on", flat=True))
    assert dues == [date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30), date(2026, 5, 31),
                    date(2026, 6, 30), date(2026, 7, 31), date(2026, 8, 31), date(2026, 9, 30),
                    date(2026, 10, 31), date(2026, 11, 30), date(2026, 12, 31),
                    date(2027, 1, 31)]
    sub.refresh_from_db()
    assert sub.state == "active" and sub.periods_billed == 13
    assert sub.next_renewal_on == date(2027, 2, 28)
    renewals = SubscriptionRenewal.objects.select_related("order__process")
    assert all(r.status == RenewalStatus.PAID for r in renewals)
    # Each renewal is an Oscar order of the plan's price with its own workflow row.
    first = renewals.get(period=1)
    assert first.order.total_incl_tax == Decimal("10.00")
    assert first.order.lines.get().title == "Coffee of the month"
    assert first.order.process.order_type == OrderType.SUBSCRIPTION
    assert first.order.process.source == "subscription"
    assert first.order.process.payment_status == PaymentStatus.PAID


def test_a_leap_year_renews_on_29_february_and_a_yearly_plan_keeps_its_day(
        tick: Any, pay: Any, subscribe: Callable[..., Subscription]) -> None:
    with time_machine.travel(at(date(2028, 1, 31)), tick=False) as clock:
        sub = subscribe()
        for day, billed in ((date(2028, 2, 28), 0), (date(2028, 2, 29), 1),
                            (date(2028, 3, 30), 0), (date(2028, 3, 31), 1)):
            clock.move_to(at(day))
            assert tick()[0] == billed, day
            for renewal in SubscriptionRenewal.objects.filter(status=RenewalStatus.PENDING):
                pay(renewal)
    sub.refresh_from_db()
    assert sub.next_renewal_on == date(2028, 4, 30)
    yearly = make_plan("Yearly", unit="year")
    # Counted from the anchor, a year from 29 February is 28 February, then 29 again.
    assert [yearly.period_start(date(2028, 2, 29), k) for k in range(1, 5)] == [
        date(2029, 2, 28), date(2030, 2, 28), date(2031, 2, 28), date(2032, 2, 29)]


@override_settings(TIME_ZONE="Europe/Rome")
def test_renewals_follow_the_shops_calendar_across_a_dst_change(
        tick: Any, pay: Any, subscribe: Callable[..., Subscription]) -> None:
    rome = ZoneInfo("Europe/Rome")
    with time_machine.travel(datetime(2026, 3, 1, 10, tzinfo=rome), tick=False) as clock:
        plan = make_plan("Weekly", unit="week")
        product = factories.create_product(title="Weekly box", price=Decimal("10.00"),
                                           num_in_stock=100)
        plan.products.create(product=product)
        sub = subscribe(product)
        assert [sub.plan.period_start(sub.anchor, k) for k in range(1, 5)] == [
            date(2026, 3, 8), date(2026, 3, 15), date(2026, 3, 22), date(2026, 3, 29)]
        for week in (8, 15, 22):
            clock.move_to(datetime(2026, 3, week, 0, 5, tzinfo=rome))
            tick()[0]
            pay(SubscriptionRenewal.objects.get(status=RenewalStatus.PENDING))
        # Clocks go forward on 29 March at 02:00; in UTC it is still the 28th at 00:05.
        clock.move_to(datetime(2026, 3, 28, 23, 55, tzinfo=rome))
        assert tick()[0] == 0
        clock.move_to(datetime(2026, 3, 29, 0, 5, tzinfo=rome))
        assert tick()[0] == 1
    sub.refresh_from_db()
    assert sub.next_renewal_on == date(2026, 4, 5)


def test_an_unpaid_renewal_makes_the_subscription_past_due_then_inactive(
        tick: Any, pay: Any, subscribe: Callable[..., Subscription]) -> None:
    with time_machine.travel(at(date(2026, 1, 10)), tick=False) as clock:
        sub = subscribe()
        clock.move_to(at(date(2026, 2, 10)))
        tick()
        renewal = SubscriptionRenewal.objects.get()
        link = PaymentLink.objects.get(order=renewal.order)
        assert link.amount == Decimal("10.00") and link.sent_to == "anna@example.com"
        assert any(link.get_absolute_url() in message.body for message in mail.outbox)
        sub.refresh_from_db()
        assert sub.state == "active"  # due today: not late yet

        clock.move_to(at(date(2026, 2, 11)))
        tick()
        sub.refresh_from_db()
        assert sub.state == "past_due"
        assert PaymentLink.objects.filter(order=renewal.order).count() == 2  # a fresh link
        for day, reminders in ((date(2026, 2, 13), 2), (date(2026, 2, 17), 3)):
            clock.move_to(at(day))
            tick()
            renewal.refresh_from_db()
            assert renewal.reminders == reminders
        clock.move_to(at(date(2026, 2, 24)))
        tick()
    sub.refresh_from_db()
    renewal.refresh_from_db()
    assert sub.state == "inactive" and sub.end_reason == "unpaid"
    assert sub.next_renewal_on is None
    assert renewal.status == RenewalStatus.FAILED
    assert [e.data.get("to") for e in sub.events.filter(kind="state")] == [
        "inactive", "past_due"]


def test_a_late_payment_brings_a_past_due_subscription_back(
        tick: Any, pay: Any, subscribe: Callable[..., Subscription]) -> None:
    with time_machine.travel(at(date(2026, 1, 10)), tick=False) as clock:
        sub = subscribe()
        clock.move_to(at(date(2026, 2, 10)))
        tick()[0]
        clock.move_to(at(date(2026, 2, 12)))
        tick()[1]
        sub.refresh_from_db()
        assert sub.state == "past_due"
        pay(SubscriptionRenewal.objects.get())
    sub.refresh_from_db()
    assert sub.state == "active"
    assert SubscriptionRenewal.objects.get().status == RenewalStatus.PAID
    assert not PaymentLink.objects.filter(status=PaymentLinkStatus.ACTIVE).exists()


def test_an_early_payment_stops_the_reminders(
        tick: Any, pay: Any, subscribe: Callable[..., Subscription]) -> None:
    with time_machine.travel(at(date(2026, 1, 10)), tick=False) as clock:
        sub = subscribe()
        clock.move_to(at(date(2026, 2, 10)))
        tick()[0]
        pay(SubscriptionRenewal.objects.get())
        clock.move_to(at(date(2026, 3, 1)))
        assert tick()[1] == 0
    sub.refresh_from_db()
    assert sub.state == "active"


def test_the_tick_run_twice_bills_a_period_once(
        tick: Any, pay: Any, subscribe: Callable[..., Subscription]) -> None:
    with time_machine.travel(at(date(2026, 1, 10)), tick=False) as clock:
        sub = subscribe()
        clock.move_to(at(date(2026, 2, 10)))
        assert tick() == (1, 0)
        assert tick() == (0, 0)
        tick()
    assert SubscriptionRenewal.objects.filter(subscription=sub).count() == 1


def test_a_tick_that_was_down_bills_every_missed_period(
        tick: Any, pay: Any, subscribe: Callable[..., Subscription]) -> None:
    with time_machine.travel(at(date(2026, 1, 10)), tick=False) as clock:
        sub = subscribe()
        clock.move_to(at(date(2026, 4, 11)))
        assert tick()[0] == 3
    assert sorted(SubscriptionRenewal.objects.values_list("period", flat=True)) == [1, 2, 3]
    sub.refresh_from_db()
    assert sub.next_renewal_on == date(2026, 5, 10)


def test_a_trial_starts_scheduled_and_the_first_renewal_starts_it(
        tick: Any, pay: Any, subscribe: Callable[..., Subscription], plan: Any) -> None:
    plan.trial_days = 14
    plan.save()
    with time_machine.travel(at(date(2026, 1, 1)), tick=False) as clock:
        sub = subscribe()
        assert sub.state == "scheduled" and sub.periods_billed == 0
        assert sub.next_renewal_on == date(2026, 1, 15)
        clock.move_to(at(date(2026, 1, 15)))
        assert tick()[0] == 1
    sub.refresh_from_db()
    assert sub.state == "active"
    assert SubscriptionRenewal.objects.get().period == 0
    assert sub.next_renewal_on == date(2026, 2, 15)


def test_a_plan_of_three_periods_ends_after_the_third(
        tick: Any, pay: Any, subscribe: Callable[..., Subscription], plan: Any) -> None:
    plan.periods = 3
    plan.save()
    with time_machine.travel(at(date(2026, 1, 10)), tick=False) as clock:
        sub = subscribe()
        for month in (2, 3, 4):
            clock.move_to(at(date(2026, month, 10)))
            tick()[0]
            for renewal in SubscriptionRenewal.objects.filter(status=RenewalStatus.PENDING):
                pay(renewal)
    sub.refresh_from_db()
    assert SubscriptionRenewal.objects.count() == 2
    assert sub.state == "inactive" and sub.end_reason == "ended"


def test_a_renewal_costs_the_same_queries_however_many_are_due(
        subscribe: Callable[..., Subscription], tick: Any) -> None:
    def queries_for(count: int, day: date) -> int:
        Subscription.objects.update(next_renewal_on=None)  # only the new ones are due
        with time_machine.travel(at(day - timedelta(days=31)), tick=False):
            for _ in range(count):
                subscribe()
        with time_machine.travel(at(day), tick=False), \
                CaptureQueriesContext(connection) as captured:
            assert service.renew_due(on=day) == count
        return len(captured)

    one, two, three = (queries_for(n, date(2026, 3 + n, 1)) for n in (1, 2, 3))
    assert three - two == two - one > 0


def test_a_renewal_speaks_the_language_of_the_first_order(
        tick: Any, subscribe: Callable[..., Subscription], mailoutbox: Any) -> None:
    with time_machine.travel(at(date(2026, 1, 10)), tick=False) as clock:
        sub = subscribe()
        OrderProcess.objects.filter(order_id=sub.order_id).update(language="it")
        clock.move_to(at(date(2026, 2, 10)))
        mailoutbox.clear()
        tick()
    renewal = sub.renewals.get()
    assert OrderProcess.objects.get(order_id=renewal.order_id).language == "it"
    assert [m.subject for m in mailoutbox] == [
        f"Pagamento del tuo ordine {renewal.order.number}"]


def test_a_bulk_mark_paid_brings_a_past_due_subscription_back(
        tick: Any, subscribe: Callable[..., Subscription]) -> None:
    """The set-based "mark paid" saves no process, yet settles the renewal as a save would."""
    with time_machine.travel(at(date(2026, 1, 10)), tick=False) as clock:
        sub = subscribe()
        clock.move_to(at(date(2026, 2, 10)))
        tick()
        clock.move_to(at(date(2026, 2, 12)))
        tick()
        sub.refresh_from_db()
        assert sub.state == "past_due"
        renewal = SubscriptionRenewal.objects.get()
        pks = list(OrderProcess.objects.filter(order_id=renewal.order_id)
                   .values_list("pk", flat=True))
        kind, batch = set_based_action("mark_paid", user=None)
        assert run_set_based(pks, "mark_paid", batch, kind=kind, user=None).done == 1
    sub.refresh_from_db()
    renewal.refresh_from_db()
    assert sub.state == "active"
    assert renewal.status == RenewalStatus.PAID
    assert sub.events.filter(kind="paid").count() == 1
