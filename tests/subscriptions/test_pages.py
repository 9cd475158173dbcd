"""The merchant's subscription pages in both front ends: the list with its four filters,
counts and search; a subscription's page with its renewals, payments and timeline; changing
the plan, cancelling and resuming from it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from oscar_orders_ext.models import Plan, Subscription
from oscar_orders_ext.subscriptions import service

from ..conftest import wagtail_installed
from .conftest import make_plan

pytestmark = pytest.mark.django_db

SKINS = ["oscar_orders_ext_dashboard"] + (
    ["oscar_orders_ext_wagtail"] if wagtail_installed() else [])


@pytest.fixture(params=SKINS)
def skin(request: Any) -> str:
    return str(request.param)


def client_for(user: Any) -> Client:
    user.user_permissions.add(Permission.objects.get(codename="access_admin")) \
        if wagtail_installed() else None
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def three(subscribe: Callable[..., Subscription], tick: Any) -> list[Subscription]:
    """Three subscriptions from 10 January 2026: one active with a renewal, one past due,
    one cancelled."""
    with time_machine.travel(datetime(2026, 1, 10, 9, tzinfo=ZoneInfo("UTC")), tick=False):
        subs = [subscribe() for _ in range(3)]
    with time_machine.travel(datetime(2026, 2, 12, 9, tzinfo=ZoneInfo("UTC")), tick=False):
        tick()  # three renewals, all unpaid two days later: past due
    service.cancel(subs[2])
    Subscription.objects.filter(pk=subs[0].pk).update(state="active")
    return subs


def test_the_list_has_a_tab_per_state_with_counts_and_filters(
        skin: str, three: list[Subscription], manager: Any) -> None:
    client = client_for(manager)
    url = reverse(f"{skin}:orders-subscription-list")
    page = client.get(url)
    assert page.status_code == 200
    assert "Subscriptions" in page.content.decode().split("<title>")[1].split("</title>")[0]
    counts = {tab.code: tab.count for tab in page.context["tabs"]}
    assert counts == {"": 3, "active": 1, "scheduled": 0, "past_due": 1, "inactive": 1}
    past_due = client.get(url, {"state": "past_due"})
    assert [s.pk for s in past_due.context["subscriptions"]] == [three[1].pk]
    assert b"Past due" in past_due.content


def test_the_list_searches_customer_product_and_order_number(
        skin: str, three: list[Subscription], manager: Any, subscribe: Any) -> None:
    client = client_for(manager)
    url = reverse(f"{skin}:orders-subscription-list")
    assert len(client.get(url, {"q": "anna@"}).context["subscriptions"]) == 3
    found = client.get(url, {"q": three[1].order.number}).context["subscriptions"]
    assert [s.pk for s in found] == [three[1].pk]
    assert not client.get(url, {"q": "nobody"}).context["subscriptions"]


def test_the_page_shows_plan_next_renewal_renewals_and_timeline(
        skin: str, three: list[Subscription], manager: Any) -> None:
    sub = three[1]
    page = client_for(manager).get(reverse(f"{skin}:orders-subscription-detail",
                                           kwargs={"pk": sub.pk}))
    assert page.status_code == 200
    html = page.content.decode()
    renewal = sub.renewals.get()
    assert renewal.order.number in html
    assert "Coffee club" in html and "Anna Rossi" in html
    assert 'id="ooe-next-renewal"' in html
    assert "Past due" in html and "Payment reminder 1 sent" in html
    assert 'id="ooe-change-plan"' in html
    # The timeline numbers the period as the renewals table does (the order paid period 1).
    assert f"Period 2 billed: order {renewal.order.number}." in html
    assert '<tr data-period="1">\n                    <td>2</td>' in html


def test_the_merchant_changes_plan_cancels_at_period_end_and_resumes(
        skin: str, subscribe: Callable[..., Subscription], manager: Any) -> None:
    sub = subscribe()
    premium = make_plan("Premium", amount="20.00")
    client = client_for(manager)
    action = reverse(f"{skin}:orders-subscription-action", kwargs={"pk": sub.pk})
    answer = client.post(action, {"action": "change_plan", "plan": premium.pk,
                                  "proration": "none", "version": sub.version})
    assert answer.status_code == 302
    sub.refresh_from_db()
    assert sub.next_plan == premium
    client.post(action, {"action": "cancel_at_period_end"})
    sub.refresh_from_db()
    assert sub.cancel_at_period_end
    page = client.get(reverse(f"{skin}:orders-subscription-detail", kwargs={"pk": sub.pk}))
    assert b'value="resume"' in page.content
    client.post(action, {"action": "resume"})
    sub.refresh_from_db()
    assert not sub.cancel_at_period_end
    client.post(action, {"action": "cancel"})
    sub.refresh_from_db()
    assert sub.state == "inactive"


def test_a_stale_page_changes_nothing(skin: str, subscribe: Callable[..., Subscription],
                                      manager: Any) -> None:
    sub = subscribe()
    service.cancel(sub, at_period_end=True)
    answer = client_for(manager).post(
        reverse(f"{skin}:orders-subscription-action", kwargs={"pk": sub.pk}),
        {"action": "cancel", "version": sub.version}, follow=True)
    sub.refresh_from_db()
    assert sub.state == "active"
    assert "changed meanwhile" in answer.content.decode()


def test_viewers_see_no_change_buttons_and_cannot_post(
        skin: str, subscribe: Callable[..., Subscription], make_staff: Any) -> None:
    sub = subscribe()
    viewer = make_staff("looker", ["view_orderprocess", "view_subscription"])
    client = client_for(viewer)
    page = client.get(reverse(f"{skin}:orders-subscription-detail", kwargs={"pk": sub.pk}))
    assert page.status_code == 200 and b'id="ooe-change-plan"' not in page.content
    answer = client.post(reverse(f"{skin}:orders-subscription-action", kwargs={"pk": sub.pk}),
                         {"action": "cancel"})
    assert answer.status_code in {302, 403}
    sub.refresh_from_db()
    assert sub.state == "active"


def test_the_merchant_creates_a_plan_and_sells_a_product_on_it(
        skin: str, manager: Any, product: Any) -> None:
    product.upc = "CUP-UPC-1"
    product.save()
    client = client_for(manager)
    url = reverse(f"{skin}:orders-plan-list")
    data = {"name": "Quarterly", "interval_count": 3, "interval_unit": "month", "periods": "",
            "trial_days": 7, "currency": "EUR", "amount": "27.00", "setup_fee": "5.00",
            "products": product.upc}
    assert client.post(url, data).status_code == 302
    plan = Plan.objects.get(name="Quarterly")
    assert (plan.interval_count, plan.interval_unit, plan.periods, plan.trial_days) == (
        3, "month", None, 7)
    assert plan.price_for("EUR").setup_fee == Decimal("5.00")
    assert product.subscription_plan.plan == plan
    page = client.get(url)
    assert b"Quarterly" in page.content


def test_an_unknown_product_is_a_clear_error_and_saves_nothing(skin: str, manager: Any) -> None:
    answer = client_for(manager).post(reverse(f"{skin}:orders-plan-list"), {
        "name": "Broken", "interval_count": 1, "interval_unit": "month", "trial_days": 0,
        "currency": "EUR", "amount": "10.00", "setup_fee": "0", "products": "NOPE-1"})
    assert answer.status_code == 400 and b"NOPE-1" in answer.content
    assert not Plan.objects.filter(name="Broken").exists()


def test_renewal_orders_say_what_they_renew_on_the_order_page_and_in_the_table(
        skin: str, three: list[Subscription], manager: Any) -> None:
    renewal = three[1].renewals.get()
    client = client_for(manager)
    page = client.get(reverse(f"{skin}:orders-workspace-order",
                              kwargs={"number": renewal.order.number}))
    html = page.content.decode()
    assert page.status_code == 200
    assert f"subscription #{three[1].pk} (period 2)" in html
    first = client.get(reverse(f"{skin}:orders-workspace-order",
                               kwargs={"number": three[1].order.number})).content.decode()
    assert "ooe-started-subscription" in first
    table = client.get(reverse(f"{skin}:orders-workspace"),
                       {"order_type": "subscription", "columns": "number,order_type"})
    assert f"Renewal of subscription #{three[1].pk} (period 2)" in table.content.decode()
