"""An operator takes a phone order in the cart editor, in Oscar's dashboard or in Wagtail's
admin (the same view and script, each front end's markup); the live totals are what gets
saved."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from oscar.core.loading import get_model

from oscar_orders_ext.models import OrderProcess

from ..manual_orders.conftest import (MANUAL_ORDER_PERMISSIONS, country, customer,  # noqa: F401
                                      mug, mug_offer, voucher)
from ..wagtail.conftest import FRONT_ENDS, with_wagtail_access
from .conftest import sign_in

Order = get_model("order", "Order")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def settled(page: Any, action: Any) -> None:
    """Do ``action`` and wait until the cart editor has the server's answer on screen."""
    with page.expect_response(lambda r: r.request.method == "POST" and "/orders/new/" in r.url):
        action()
    page.wait_for_selector("#ooe-cart-form[aria-busy=false]")


def pick(page: Any, search: str, text: str, result: str) -> None:
    page.fill(search, text)
    page.locator(f"{result} button").first.wait_for()


@pytest.mark.parametrize("namespace", FRONT_ENDS)
def test_live_totals_equal_the_saved_orders_totals(live_server, page, make_staff, product,
                                                   mug, mug_offer, voucher, customer, country,
                                                   namespace):
    with_wagtail_access(make_staff("phone-clerk", MANUAL_ORDER_PERMISSIONS))
    sign_in(page, live_server, "phone-clerk")
    page.goto(live_server.url + reverse(f"{namespace}:orders-workspace-order-create"))

    pick(page, "#ooe-customer-search", "lovelace", "[data-picker=customer] [data-picker-results]")
    settled(page, lambda: page.locator("[data-picker=customer] [data-picker-results] button")
            .first.click())
    assert "ada@example.com" in page.inner_text("[data-customer-chosen]")
    assert page.input_value("[name=billing-first_name]") == "Ada"

    results = "[data-picker=product] [data-picker-results]"
    pick(page, "#ooe-product-search", "espresso", results)
    settled(page, lambda: page.locator(f"{results} button").first.click())
    pick(page, "#ooe-product-search", "MUG", results)
    settled(page, lambda: page.locator(f"{results} button").first.click())
    assert page.locator(".ooe-cart-lines tbody tr[data-line]").count() == 2

    cups = page.locator("tr[data-line]", has_text="Espresso cup").locator("input[type=number]")
    cups.fill("3")
    settled(page, lambda: cups.dispatch_event("change"))
    page.fill("#ooe-voucher-code", "save5")
    settled(page, lambda: page.click("button[value=voucher]"))
    assert "Voucher “SAVE5” applied." in page.inner_text(".ooe-cart-message")

    settled(page, lambda: page.select_option("#ooe-shipping-method", "manual"))
    page.fill("#ooe-charge-excl", "4.50")
    settled(page, lambda: page.locator("#ooe-charge-excl").dispatch_event("change"))

    def live(name: str) -> str:
        return page.get_attribute(f"[data-total={name}]", "data-value")

    # 3 × 10.00 + 25.00 − 2.50 (10% off the mug) − 5.00 (voucher) + 4.50 shipping
    assert (live("discount"), live("total_incl_tax")) == ("7.50", "52.00")
    shown = {name: live(name) for name in ("total_incl_tax", "total_excl_tax",
                                           "shipping_incl_tax", "tax")}

    for name, value in {"line1": "12 St James's Square", "line4": "London",
                        "postcode": "SW1Y 4JH"}.items():
        page.fill(f"[name=billing-{name}]", value)
    page.select_option("[name=billing-country]", str(country.pk))
    page.select_option("[name=payment_method]", "card")
    with page.expect_navigation():
        page.click("#ooe-place-order")

    order = Order.objects.get()
    assert page.url == live_server.url + reverse(f"{namespace}:orders-workspace-order",
                                                 kwargs={"number": order.number})
    assert f"Order {order.number} placed." in page.inner_text("body")
    assert order.user == customer
    assert str(order.total_incl_tax) == shown["total_incl_tax"]
    assert str(order.total_excl_tax) == shown["total_excl_tax"]
    assert str(order.shipping_incl_tax) == shown["shipping_incl_tax"]
    assert str(order.total_incl_tax - order.total_excl_tax) == shown["tax"]
    assert order.total_incl_tax == Decimal("52.00")
    assert OrderProcess.objects.get(order=order).source == "manual"


@pytest.mark.wagtail
def test_wagtail_shipping_charges_sit_beside_their_labels(live_server, page, make_staff,
                                                          product):
    with_wagtail_access(make_staff("phone-clerk", MANUAL_ORDER_PERMISSIONS))
    sign_in(page, live_server, "phone-clerk")
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(live_server.url + reverse("oscar_orders_ext_wagtail:orders-workspace-order-create"))
    assert page.locator("#ooe-shipping-method").count() == 0  # no shipping before a cart
    results = "[data-picker=product] [data-picker-results]"
    pick(page, "#ooe-product-search", "espresso", results)
    settled(page, lambda: page.locator(f"{results} button").first.click())

    for field in ("ooe-charge-excl", "ooe-charge-incl"):
        label = page.locator(f"label[for={field}]").bounding_box()
        field_box = page.locator(f"#{field}").bounding_box()
        label_middle = label["y"] + label["height"] / 2
        assert field_box["y"] <= label_middle <= field_box["y"] + field_box["height"], field
        assert field_box["x"] > label["x"], field
