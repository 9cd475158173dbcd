"""On the order page, "Copy billing details" puts the billing details on the clipboard."""

from __future__ import annotations

import os
from typing import Any

import pytest
from oscar.test import factories

from ..order_page.conftest import ORDER_MANAGER, page_url
from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_copy_billing_details(live_server: Any, page: Any, make_staff: Any,
                              place_order: Any) -> None:
    country = factories.CountryFactory(iso_3166_1_a2="GB", printable_name="United Kingdom")
    billing = factories.BillingAddressFactory(
        country=country, first_name="Ann", last_name="Buyer", line1="1 Bill Street",
        line2="", line4="London", postcode="N1 9GU")
    order = place_order(guest_email="ann@example.com", billing_address=billing)
    make_staff("copier", ORDER_MANAGER)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"],
                                   origin=live_server.url)
    sign_in(page, live_server, "copier")
    page.goto(live_server.url + page_url(order))
    if os.environ.get("OOE_SCREENSHOTS"):  # for a person to look at the page
        page.screenshot(path=os.path.join(os.environ["OOE_SCREENSHOTS"], "order_page.png"),
                        full_page=True)
    button = page.locator("#ooe-customer .ooe-copy")
    button.click()
    page.wait_for_selector(".ooe-copy.ooe-copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.splitlines() == ["Ann Buyer", "1 Bill Street", "London", "N1 9GU",
                                   "United Kingdom", "ann@example.com"]
    assert button.inner_text() == "Copied"


def test_a_closed_form_is_fetched_when_opened(live_server: Any, page: Any, make_staff: Any,
                                              place_order: Any) -> None:
    factories.CountryFactory(iso_3166_1_a2="GB", printable_name="United Kingdom")
    order = place_order(guest_email="ann@example.com")
    make_staff("opener", ORDER_MANAGER)
    sign_in(page, live_server, "opener")
    page.goto(live_server.url + page_url(order))
    assert not page.locator("#ooe-customer-form form").count()
    page.locator("#ooe-customer-form summary").click()
    page.wait_for_selector("#ooe-customer-form select[name='billing-country']")
    assert not page.locator("#ooe-customer-form .ooe-lazy-placeholder").count()
    # Closed and opened again: fetched once.
    page.locator("#ooe-customer-form summary").click()
    page.locator("#ooe-customer-form summary").click()
    assert page.locator("#ooe-customer-form form").count() == 1
