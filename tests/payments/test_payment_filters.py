"""The table's money filters: amount due (due, partly paid, fully paid, refund owed) and the
payment link (sent, expired), in the shared filter, both skins and the API."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from oscar_orders_ext.constants import PaymentStatus
from oscar_orders_ext.models import OrderProcess
from oscar_orders_ext.payments import service
from oscar_orders_ext.selectors import OrderFilter
from oscar_orders_ext.services.edits import set_payment_status
from oscar_orders_ext.services.line_edits import apply_line_edit

from ..api.test_api import Api

pytestmark = pytest.mark.django_db


@pytest.fixture
def orders(place_order: Any, django_capture_on_commit_callbacks: Any) -> dict[str, Any]:
    """One order in each money situation."""
    made = {name: place_order(quantity=2, guest_email=f"{name}@example.com")
            for name in ("unpaid", "partly", "paid", "refunded_part", "owed", "by_hand",
                         "link_sent", "link_expired", "link_renewed")}
    service.record_offline_payment(made["partly"], "5.00", "Cash")
    for name in ("paid", "refunded_part", "owed"):
        service.record_offline_payment(made[name], made[name].total_incl_tax, "Bank transfer")
    service.refund(made["refunded_part"], amount="3.00", notify=False)
    line = made["owed"].lines.get()
    with django_capture_on_commit_callbacks(execute=True):
        apply_line_edit(made["owed"], {line.pk: 1})  # paid two cups, keeps one
    set_payment_status(made["by_hand"], PaymentStatus.PAID)  # the status only
    service.send_payment_link(made["link_expired"], notify=False)
    service.send_payment_link(made["link_renewed"], notify=False)
    service.expire_payment_links(timezone.now() + timedelta(days=30))
    service.send_payment_link(made["link_renewed"], notify=False)  # a new link after expiry
    service.send_payment_link(made["link_sent"], notify=False)
    return made


def numbers(data: dict[str, str]) -> set[str]:
    order_filter = OrderFilter(data, queryset=OrderProcess.objects.all())
    assert order_filter.is_valid(), order_filter.errors
    return set(order_filter.qs.values_list("number", flat=True))


def named(orders: dict[str, Any], *names: str) -> set[str]:
    return {str(orders[name].number) for name in names}


def test_amount_due_filter(orders: dict[str, Any]) -> None:
    unpaid_like = ("unpaid", "link_sent", "link_expired", "link_renewed")
    assert numbers({"amount_due": "due"}) == named(orders, "partly", *unpaid_like)
    assert numbers({"amount_due": "partly"}) == named(orders, "partly")
    # A refund of part of a paid order leaves nothing due: it stays fully paid.
    assert numbers({"amount_due": "paid"}) == named(orders, "paid", "refunded_part", "by_hand")
    assert numbers({"amount_due": "owed"}) == named(orders, "owed")
    process = OrderProcess.objects.get(order=orders["refunded_part"])
    assert process.amount_due == 0 and process.amount_refunded == Decimal("3.00")
    assert service.balance(orders["refunded_part"]).due == 0


def test_payment_link_filter(orders: dict[str, Any]) -> None:
    assert numbers({"payment_link": "sent"}) == named(orders, "link_sent", "link_renewed")
    assert numbers({"payment_link": "expired"}) == named(orders, "link_expired")
    assert numbers({"payment_link": "sent", "amount_due": "due"}) == named(
        orders, "link_sent", "link_renewed")
    assert not OrderFilter({"payment_link": "lost"}, queryset=OrderProcess.objects.all()
                           ).is_valid()


@pytest.mark.parametrize("namespace", [
    "oscar_orders_ext_dashboard", pytest.param("oscar_orders_ext_wagtail", marks=pytest.mark.wagtail)])
def test_both_skins_offer_and_apply_the_money_filters(django_app: Any, viewer: Any,
                                                      orders: dict[str, Any], namespace: str,
                                                      make_staff: Any) -> None:
    user = viewer
    if namespace.endswith("wagtail"):
        user = make_staff("wagtail_viewer", ["view_orderprocess"])
        user.is_superuser = True
        user.save()
    url = reverse(f"{namespace}:orders-workspace")
    panel = django_app.get(url + "?filters=panel", user=user)
    assert "Refund due to the customer" in panel.text and "Payment link expired" in panel.text
    page = django_app.get(url + "?amount_due=owed", user=user)
    assert str(orders["owed"].number) in page.text
    assert str(orders["unpaid"].number) not in page.text
    page = django_app.get(url + "?payment_link=expired", user=user)
    assert str(orders["link_expired"].number) in page.text
    assert str(orders["link_sent"].number) not in page.text


def test_the_api_filters_alike(orders: dict[str, Any], viewer: Any) -> None:
    api = Api(viewer)
    body = api.get("/staff/orders", amount_due="partly").json()
    assert [item["number"] for item in body["items"]] == [str(orders["partly"].number)]
    body = api.get("/staff/orders", payment_link="sent").json()
    assert {item["number"] for item in body["items"]} == named(orders, "link_sent",
                                                               "link_renewed")
    assert api.get("/staff/orders", amount_due="nonsense").status_code == 400
