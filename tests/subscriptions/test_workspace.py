"""Subscriptions and installments in the workspace's own pages, in both front ends: the
Kanban card of a renewal order says what it renews; an order is split into installments from
its page (first due date, interval) and each installment shows its status and payment link;
the table's column says what installment orders owe; a plan's prices, currencies and products
are edited in the skins."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from oscar_orders_ext.constants import OrderType
from oscar_orders_ext.models import Installment, OrderProcess, Plan, ProductPlan, Subscription
from oscar_orders_ext.selectors import installments_due_texts
from oscar_orders_ext.subscriptions import installments

from .conftest import MANAGER, make_plan
from .test_pages import SKINS, client_for

pytestmark = pytest.mark.django_db

PAYMENTS = ["view_orderprocess", "send_payment_link", "record_payment"]


@pytest.fixture(params=SKINS)
def skin(request: Any) -> str:
    return str(request.param)


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 9, tzinfo=ZoneInfo("UTC"))


def test_kanban_cards_say_renewal_of_and_subscription(
        skin: str, subscribe: Callable[..., Subscription], tick: Any,
        make_staff: Callable[..., Any]) -> None:
    with time_machine.travel(at(date(2026, 1, 10)), tick=False):
        sub = subscribe()
    with time_machine.travel(at(date(2026, 2, 10)), tick=False):
        tick()
    renewal = sub.renewals.get()
    client = client_for(make_staff("board", MANAGER))
    with time_machine.travel(at(date(2026, 2, 10)), tick=False):
        board = client.get(reverse(f"{skin}:orders-workspace-kanban-default"), follow=True)
    html = board.content.decode()
    assert board.status_code == 200
    assert f"Renewal of subscription #{sub.pk} (period 2)" in html
    card = html.split(f'data-number="{sub.order.number}"')[1].split("</article>")[0]
    assert "ooe-type-badge" in card and "Subscription" in card
    assert f'data-number="{renewal.order.number}"' in html


def test_an_order_is_split_from_its_page_with_links_shown(
        skin: str, place_order: Callable[..., Any], make_staff: Callable[..., Any],
        django_capture_on_commit_callbacks: Any) -> None:
    order = place_order(quantity=3, guest_email="guest@example.com")
    client = client_for(make_staff("cashier", PAYMENTS))
    page_url = reverse(f"{skin}:orders-workspace-order", kwargs={"number": order.number})
    split_url = reverse(f"{skin}:orders-workspace-order-installments",
                        kwargs={"number": order.number})
    with time_machine.travel(at(date(2026, 1, 31)), tick=False):
        page = client.get(page_url).content.decode()
        assert 'id="ooe-installment-box"' in page
        refused = client.post(split_url, {"count": "1", "first_due": "2026-01-31",
                                          "every": "1", "unit": "month"})
        assert refused.status_code == 400
        assert not Installment.objects.filter(order=order).exists()
        past = client.post(split_url, {"count": "3", "first_due": "2026-01-01",
                                       "every": "1", "unit": "month"})
        assert past.status_code == 400 and "cannot be due in the past" in past.content.decode()
        with django_capture_on_commit_callbacks(execute=True):
            done = client.post(split_url, {"count": "3", "first_due": "2026-01-31",
                                           "every": "2", "unit": "week"})
        assert done.status_code == 302
        rows = list(Installment.objects.filter(order=order).order_by("number"))
        assert [(r.amount, r.due_on) for r in rows] == [
            (Decimal("10.00"), date(2026, 1, 31)), (Decimal("10.00"), date(2026, 2, 14)),
            (Decimal("10.00"), date(2026, 2, 28))]
        assert OrderProcess.objects.get(order=order).order_type == OrderType.INSTALLMENT
        page = client.get(page_url).content.decode()
    assert page.count('class="ooe-installment"') == 3
    assert page.count("ooe-installment-link") == 1  # the first is due: its link was sent
    assert "ooe-installment-box" not in page  # split once


def test_the_table_column_says_what_installments_owe(
        skin: str, place_order: Callable[..., Any], make_staff: Callable[..., Any],
        committed: Any) -> None:
    order = place_order(quantity=3, guest_email="guest@example.com")
    with time_machine.travel(at(date(2026, 1, 31)), tick=False):
        committed(installments.split_order, order, 3)
    client = client_for(make_staff("cashier", PAYMENTS))
    with time_machine.travel(at(date(2026, 3, 2)), tick=False):
        committed(installments.send_due_links)
        table = client.get(reverse(f"{skin}:orders-workspace"), {
            "order_type": "installment", "columns": "number,installments_due"})
    html = table.content.decode()
    assert str(order.number) in html
    assert "ooe-installments-due" in html
    assert "€20.00 due (2 overdue)" in html  # 31 January and 28 February, unpaid


def test_installment_texts_before_during_and_after(place_order: Callable[..., Any],
                                                   committed: Any) -> None:
    order = place_order(quantity=3, guest_email="guest@example.com")
    with time_machine.travel(at(date(2026, 1, 31)), tick=False):
        committed(installments.split_order, order, 3, first_due=date(2026, 2, 5))
        assert installments_due_texts([order.pk])[order.pk].startswith("Next: ")
    with time_machine.travel(at(date(2026, 2, 5)), tick=False):
        assert installments_due_texts([order.pk])[order.pk].endswith(" due")
    Installment.objects.filter(order=order).update(status="paid")
    assert installments_due_texts([order.pk]) == {order.pk: "Paid"}


def test_the_merchant_edits_a_plans_prices_currencies_and_products(
        skin: str, plan: Plan, plan_product: Any, product: Any, manager: Any) -> None:
    product.upc, plan_product.upc = "CUP-1", "CLUB-1"
    product.save()
    plan_product.save()
    client = client_for(manager)
    plans = client.get(reverse(f"{skin}:orders-plan-list")).content.decode()
    edit_url = reverse(f"{skin}:orders-plan-update", kwargs={"pk": plan.pk})
    assert edit_url in plans
    assert client.get(edit_url).status_code == 200
    response = client.post(edit_url, {
        "name": "Coffee club", "interval_count": "1", "interval_unit": "month",
        "periods": "", "trial_days": "0", "is_active": "on",
        "products": product.upc, "amount_EUR": "12.50", "setup_fee_EUR": "3.00",
        "new_currency": "chf", "new_amount": "13.00", "new_setup_fee": ""})
    assert response.status_code == 302, response.content.decode()[:3000]
    prices = {p.currency: (p.amount, p.setup_fee) for p in plan.prices.all()}
    assert prices == {"EUR": (Decimal("12.50"), Decimal("3.00")),
                      "CHF": (Decimal("13.00"), Decimal("0.00"))}
    assert list(ProductPlan.objects.filter(plan=plan).values_list("product_id", flat=True)) \
        == [product.pk]  # the club coffee, left out, is no longer sold on a plan
    removed = client.post(edit_url, {
        "name": "Coffee club", "interval_count": "1", "interval_unit": "month",
        "trial_days": "0", "products": product.upc, "amount_EUR": "12.50",
        "setup_fee_EUR": "3.00", "amount_CHF": "13.00", "setup_fee_CHF": "0",
        "remove_CHF": "on"})
    assert removed.status_code == 302
    assert list(plan.prices.values_list("currency", flat=True)) == ["EUR"]
    assert not Plan.objects.get(pk=plan.pk).is_active


def test_a_plan_edit_keeps_running_subscriptions_dates_and_refuses_bad_input(
        skin: str, subscribe: Callable[..., Subscription], plan: Plan, manager: Any) -> None:
    sub = subscribe()
    client = client_for(manager)
    edit_url = reverse(f"{skin}:orders-plan-update", kwargs={"pk": plan.pk})
    base = {"name": "Coffee club", "interval_count": "1", "interval_unit": "month",
            "trial_days": "0", "products": "", "amount_EUR": "10.00", "setup_fee_EUR": "0"}
    weekly = client.post(edit_url, {**base, "interval_unit": "week"})
    assert weekly.status_code == 400 and "cannot change" in weekly.content.decode()
    assert Plan.objects.get(pk=plan.pk).interval_unit == "month"
    no_price = client.post(edit_url, {**base, "remove_EUR": "on"})
    assert no_price.status_code == 400
    assert plan.prices.count() == 1
    unknown = client.post(edit_url, {**base, "products": "NOPE-1"})
    assert unknown.status_code == 400 and "NOPE-1" in unknown.content.decode()
    raised = client.post(edit_url, {**base, "amount_EUR": "20.00"})
    assert raised.status_code == 302
    sub.refresh_from_db()
    assert sub.amount == Decimal("10.00")  # running subscriptions keep their price
    other = make_plan("Other")
    assert client.post(reverse(f"{skin}:orders-plan-update", kwargs={"pk": other.pk}),
                       {**base, "name": "Other"}).status_code == 302


def test_plan_edits_need_the_permission(skin: str, plan: Plan,
                                        make_staff: Callable[..., Any]) -> None:
    viewer = client_for(make_staff("viewer", ["view_orderprocess", "view_subscription"]))
    response = viewer.get(reverse(f"{skin}:orders-plan-update", kwargs={"pk": plan.pk}))
    assert response.status_code in {302, 403}

