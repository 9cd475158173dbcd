"""An order paid in installments: split into N payments with due dates, each with its link;
the tick sends links as they fall due, marks late ones overdue and reminds; payments made
late or early settle them oldest first, and the order's payment status follows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from oscar_orders_ext.constants import OrderType, PaymentStatus
from oscar_orders_ext.exceptions import OrderWorkflowError
from oscar_orders_ext.models import Installment, OrderProcess, PaymentLink, PaymentLinkStatus
from oscar_orders_ext.subscriptions import installments

pytestmark = pytest.mark.django_db


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 9, tzinfo=ZoneInfo("UTC"))


@pytest.fixture
def order(place_order: Callable[..., Any]) -> Any:
    """An unpaid order of 3 cups: 30.00 with free shipping."""
    order = place_order(quantity=3, guest_email="guest@example.com")
    assert order.total_incl_tax == Decimal("30.00")
    return order


def statuses(order: Any) -> list[str]:
    return list(Installment.objects.filter(order=order).order_by("number")
                .values_list("status", flat=True))


def test_split_into_three_monthly_installments_with_the_first_link_sent(
        order: Any, committed: Any) -> None:
    with time_machine.travel(at(date(2026, 1, 31)), tick=False):
        rows = committed(installments.split_order, order, 3)
    assert [(r.number, r.amount, r.due_on) for r in rows] == [
        (1, Decimal("10.00"), date(2026, 1, 31)), (2, Decimal("10.00"), date(2026, 2, 28)),
        (3, Decimal("10.00"), date(2026, 3, 31))]
    assert OrderProcess.objects.get(order=order).order_type == OrderType.INSTALLMENT
    link = PaymentLink.objects.get(order=order)
    assert link.amount == Decimal("10.00") and link.sent_to == "guest@example.com"
    assert Installment.objects.get(number=1).link == link


def test_odd_cents_go_to_the_first_installment() -> None:
    assert installments.split_amount(Decimal("100.00"), 3) == [
        Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]


def test_a_late_installment_turns_overdue_and_its_reminder_asks_for_both(
        order: Any, committed: Any) -> None:
    with time_machine.travel(at(date(2026, 1, 31)), tick=False) as clock:
        committed(installments.split_order, order, 3)
        clock.move_to(at(date(2026, 2, 28)))
        assert committed(installments.send_due_links) == 1
        assert statuses(order) == ["overdue", "due", "due"]
        link = PaymentLink.objects.get(order=order, status=PaymentLinkStatus.ACTIVE)
        assert link.amount == Decimal("20.00")  # the late first and the second
        assert committed(installments.send_due_links) == 0  # no second email the same day
        # Paid late: both settle, the order is partly paid.
        committed(installments.payments.record_offline_payment, order, Decimal("20.00"), "Card")
    assert statuses(order) == ["paid", "paid", "due"]
    assert OrderProcess.objects.get(order=order).payment_status == PaymentStatus.PARTIALLY_PAID


def test_paying_everything_early_settles_every_installment(order: Any,
                                                           committed: Any) -> None:
    with time_machine.travel(at(date(2026, 1, 31)), tick=False) as clock:
        committed(installments.split_order, order, 3)
        committed(installments.payments.record_offline_payment, order, Decimal("30.00"), "Card")
        assert statuses(order) == ["paid", "paid", "paid"]
        clock.move_to(at(date(2026, 3, 31)))
        assert committed(installments.send_due_links) == 0
    assert OrderProcess.objects.get(order=order).payment_status == PaymentStatus.PAID


def test_an_order_is_split_once_and_only_with_something_to_pay(order: Any,
                                                               committed: Any) -> None:
    with pytest.raises(OrderWorkflowError, match="between 2 and 48"):
        installments.split_order(order, 1)
    committed(installments.split_order, order, 2)
    with pytest.raises(OrderWorkflowError, match="already paid in installments"):
        installments.split_order(order, 3)
    assert Installment.objects.filter(order=order).count() == 2
