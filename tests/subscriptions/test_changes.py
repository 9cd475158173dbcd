"""The merchant changes a subscription: a new plan under each proration policy, cancelling now
or at the end of the period, resuming; refused without the permission."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import IntegrityError

from oscar_orders_ext.exceptions import OrderWorkflowError, TransitionPermissionDenied
from oscar_orders_ext.models import PaymentLink, Subscription, SubscriptionRenewal
from oscar_orders_ext.payments import service as payments
from oscar_orders_ext.subscriptions import service

from .conftest import make_plan

pytestmark = pytest.mark.django_db


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 9, tzinfo=ZoneInfo("UTC"))


@pytest.fixture
def started(subscribe: Callable[..., Subscription]) -> Subscription:
    """A monthly subscription at 10.00 started on 10 January 2026 (period to 10 February)."""
    with time_machine.travel(at(date(2026, 1, 10)), tick=False):
        return subscribe()


def renew_on(day: date, tick: Callable[[], Any]) -> SubscriptionRenewal:
    with time_machine.travel(at(day), tick=False):
        tick()
    return SubscriptionRenewal.objects.latest("period")


def test_no_proration_switches_the_plan_at_the_next_renewal(
        started: Subscription, manager: Any, tick: Any) -> None:
    premium = make_plan("Premium", amount="20.00")
    with time_machine.travel(at(date(2026, 1, 25)), tick=False):
        change = service.change_plan(started, premium, user=manager, policy="none")
    assert change.difference == 0
    started.refresh_from_db()
    assert started.plan.name == "Coffee club" and started.next_plan == premium
    renewal = renew_on(date(2026, 2, 10), tick)
    started.refresh_from_db()
    assert started.plan == premium and started.next_plan is None
    assert renewal.amount == Decimal("20.00")
    assert renewal.order.total_incl_tax == Decimal("20.00")


def test_proration_at_next_renewal_adds_the_unused_share_of_the_difference(
        started: Subscription, manager: Any, tick: Any) -> None:
    premium = make_plan("Premium", amount="20.00")
    with time_machine.travel(at(date(2026, 1, 25)), tick=False):
        change = service.change_plan(started, premium, user=manager, policy="next_renewal")
    # 16 of the period's 31 days are left: 10.00 × 16 / 31.
    assert change.difference == Decimal("5.16")
    started.refresh_from_db()
    assert started.plan == premium and started.adjustment == Decimal("5.16")
    renewal = renew_on(date(2026, 2, 10), tick)
    assert renewal.amount == Decimal("25.16")
    started.refresh_from_db()
    assert started.adjustment == 0
    assert renew_on(date(2026, 3, 10), tick).amount == Decimal("20.00")


def test_proration_now_charges_an_upgrade_by_a_payment_link(
        started: Subscription, manager: Any) -> None:
    premium = make_plan("Premium", amount="20.00")
    with time_machine.travel(at(date(2026, 1, 25)), tick=False):
        change = service.change_plan(started, premium, user=manager, policy="now")
    assert change.difference == Decimal("5.16")
    assert change.order.total_incl_tax == Decimal("5.16")
    link = PaymentLink.objects.get(order=change.order)
    assert link.amount == Decimal("5.16")


def test_proration_now_refunds_a_downgrade_on_the_paid_order(
        started: Subscription, manager: Any) -> None:
    payments.record_offline_payment(started.order, started.order.total_incl_tax, "Card")
    basic = make_plan("Basic", amount="5.00")
    with time_machine.travel(at(date(2026, 1, 25)), tick=False):
        change = service.change_plan(started, basic, user=manager, policy="now")
    assert change.difference == Decimal("-2.58")
    assert payments.balance(started.order).refunded == Decimal("2.58")
    started.refresh_from_db()
    assert started.amount == Decimal("5.00")


def test_a_plan_without_a_price_in_the_currency_is_refused(started: Subscription,
                                                            manager: Any) -> None:
    dollars = make_plan("Dollar plan")
    dollars.prices.update(currency="USD")
    with pytest.raises(OrderWorkflowError, match="no price in EUR"):
        service.change_plan(started, dollars, user=manager)
    started.refresh_from_db()
    assert started.plan.name == "Coffee club"


def test_cancel_now_stops_every_renewal(started: Subscription, manager: Any,
                                        tick: Any) -> None:
    service.cancel(started, user=manager)
    started.refresh_from_db()
    assert started.state == "inactive" and started.end_reason == "cancelled"
    with time_machine.travel(at(date(2026, 3, 1)), tick=False):
        assert tick() == (0, 0)
    assert not SubscriptionRenewal.objects.exists()


def test_cancel_at_period_end_runs_to_the_end_then_stops(
        started: Subscription, manager: Any, tick: Any) -> None:
    service.cancel(started, at_period_end=True, user=manager)
    started.refresh_from_db()
    assert started.state == "active" and started.cancel_at_period_end
    with time_machine.travel(at(date(2026, 2, 10)), tick=False):
        assert tick() == (0, 0)
    started.refresh_from_db()
    assert started.state == "inactive" and started.end_reason == "cancelled"
    assert not SubscriptionRenewal.objects.exists()


def test_resume_undoes_a_cancellation_at_period_end(
        started: Subscription, manager: Any, tick: Any) -> None:
    service.cancel(started, at_period_end=True, user=manager)
    service.resume(started, user=manager)
    renewal = renew_on(date(2026, 2, 10), tick)
    assert renewal.period == 1
    started.refresh_from_db()
    assert started.state == "active"
    assert [e.kind for e in started.events.order_by("pk")] == [
        "created", "cancel_at_period_end", "resumed", "renewal"]
    with pytest.raises(OrderWorkflowError):
        service.resume(started, user=manager)  # nothing to resume


def test_staff_without_the_permission_cannot_change_subscriptions(
        started: Subscription, make_staff: Any) -> None:
    viewer = make_staff("looker", ["view_orderprocess", "view_subscription"])
    with pytest.raises(TransitionPermissionDenied):
        service.cancel(started, user=viewer)
    with pytest.raises(TransitionPermissionDenied):
        service.cancel(started, at_period_end=True, user=viewer)
    started.refresh_from_db()
    assert started.state == "active" and not started.cancel_at_period_end


def test_a_period_cannot_be_billed_twice(started: Subscription) -> None:
    SubscriptionRenewal.objects.create(subscription=started, period=1, due_on=date(2026, 2, 10),
                                       amount=Decimal("10.00"), currency="EUR")
    with pytest.raises(IntegrityError):
        SubscriptionRenewal.objects.create(subscription=started, period=1,
                                           due_on=date(2026, 2, 10), amount=Decimal("10.00"),
                                           currency="EUR")
