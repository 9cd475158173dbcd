"""A plan's setup fee is charged once, on the order that starts the subscription: Oscar's
checkout shows it in the basket totals and on the preview, the order stores it as one of
Oscar's surcharges (shown on the workspace's order page), renewals never charge it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from oscar.core.loading import get_class, get_model
from oscar.test import factories

from oscar_orders_ext.models import PlanPrice, Subscription
from oscar_orders_ext.services import manual_orders as manual
from oscar_orders_ext.services.transitions import transition_order
from oscar_orders_ext.subscriptions.surcharges import SurchargeApplicator

from ..customers.test_price_lists import checkout, country_it  # noqa: F401 (a fixture)
from ..dashboard.conftest import ws_url
from ..manual_orders.conftest import MANUAL_ORDER_PERMISSIONS
from .test_pages import client_for

Order = get_model("order", "Order")

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def with_fee(plan_product: Any) -> Any:
    """The plan product's plan asks a setup fee of 5.00 EUR."""
    PlanPrice.objects.filter(plan__products__product=plan_product).update(
        setup_fee=Decimal("5.00"))
    return plan_product


def test_oscar_loads_the_applicator_adding_setup_fees(db: Any) -> None:
    assert get_class("checkout.applicator", "SurchargeApplicator") is SurchargeApplicator


def test_the_first_order_pays_the_setup_fee_and_renewals_do_not(
        with_fee: Any, customer: Any, country_it: Any, tick: Any,  # noqa: F811
        make_staff: Callable[..., Any]) -> None:
    client = Client()
    client.force_login(customer)
    client.post(f"/basket/add/{with_fee.pk}/", {"quantity": 1})
    basket_page = client.get("/basket/").content.decode()
    assert "Setup fee" in basket_page
    with time_machine.travel(datetime(2026, 1, 10, 9, tzinfo=ZoneInfo("UTC")), tick=False):
        order = checkout(client, with_fee, 0)  # the cup is already in the basket
        assert [(s.code, s.incl_tax) for s in order.surcharges.all()] == [
            ("setup-fee", Decimal("5.00"))]
        assert order.total_incl_tax == (Decimal("15.00") + order.shipping_incl_tax)
        transition_order(order, "confirm")
    subscription = Subscription.objects.get(order=order)
    assert subscription.amount == Decimal("10.00")
    with time_machine.travel(datetime(2026, 2, 10, 9, tzinfo=ZoneInfo("UTC")), tick=False):
        tick()
    renewal = subscription.renewals.get().order
    assert renewal.total_incl_tax == Decimal("10.00")
    assert not renewal.surcharges.exists()
    staff = make_staff("fees", ["view_orderprocess"])
    page = client_for(staff).get(reverse("oscar_orders_ext_dashboard:orders-workspace-order",
                                         kwargs={"number": order.number})).content.decode()
    assert 'data-code="setup-fee"' in page


def test_no_fee_no_surcharge(plan_product: Any, product: Any, customer: Any,
                             country_it: Any) -> None:  # noqa: F811
    client = Client()
    client.force_login(customer)
    order = checkout(client, plan_product, 1)
    assert not order.surcharges.exists()
    basket = factories.create_basket(empty=True)
    basket.add_product(product, 1)
    assert SurchargeApplicator().get_applicable_surcharges(basket) is None


def test_a_manual_order_of_a_plan_product_pays_the_setup_fee_too(
        django_app: Any, with_fee: Any, customer: Any, country_it: Any,  # noqa: F811
        make_staff: Callable[..., Any]) -> None:
    clerk = make_staff("clerk", MANUAL_ORDER_PERMISSIONS)
    form = django_app.get(ws_url("orders-workspace-order-create"),
                          user=clerk).forms["ooe-cart-form"]
    form["sku"] = "CLUB-1"
    form["quantity"] = "1"
    form = form.submit("action", value="add").forms["ooe-cart-form"]
    form["shipping_method"] = "manual"
    form["shipping_charge_excl_tax"] = "0.00"
    page = form.submit("action", value="update")
    fee = page.pyquery('[data-surcharge="setup-fee"]')
    assert "Setup fee" in fee.text()
    assert fee.find("td").attr("data-value") == "5.00"
    assert page.pyquery("[data-total=total_incl_tax]").attr("data-value") == "15.00"

    form = page.forms["ooe-cart-form"]
    form["customer"] = customer.pk
    for name, value in {"first_name": "Anna", "last_name": "Rossi", "line1": "Via Roma 1",
                        "line4": "Milano", "postcode": "20100"}.items():
        form[f"billing-{name}"] = value
    form["billing-country"] = country_it.pk
    form["payment_method"] = "card"
    form.submit("action", value="place", status=302)
    order = Order.objects.get(user=customer)
    assert [(s.code, s.incl_tax) for s in order.surcharges.all()] == [
        ("setup-fee", Decimal("5.00"))]
    assert order.total_incl_tax == Decimal("15.00")
    assert order.sources.get().amount_allocated == Decimal("15.00")


def test_a_manual_order_without_plan_products_has_no_surcharge(
        with_fee: Any, product: Any, customer: Any) -> None:
    basket = manual.start_draft(customer)
    manual.add_product(basket, product.pk, 1)
    priced = manual.quote(basket, customer, manual.ShippingChoice())
    assert priced.surcharges is None
    assert priced.totals()["surcharges_incl_tax"] == "0.00"
