"""The customer directory in a real browser, in both skins: the merchant searches the
directory, opens a customer's profile, reads the loyalty summary and opens all their orders
in the workspace table."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from ..wagtail.conftest import FRONT_ENDS, with_wagtail_access
from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("namespace", FRONT_ENDS)
def test_directory_to_profile_to_all_orders(namespace: str, live_server: Any, page: Any,
                                            make_staff: Any, place_order: Any) -> None:
    with_wagtail_access(make_staff("clerk", ["view_orderprocess", "view_customer"]))
    mine = [place_order(quantity=1, guest_email="ines@example.com") for _ in range(2)]
    other = place_order(quantity=1, guest_email="otto@example.com")
    sign_in(page, live_server, "clerk")

    page.goto(live_server.url + reverse(f"{namespace}:orders-customer-list"))
    assert page.locator("#ooe-customers tbody tr[data-customer]").count() == 2
    page.fill("#id_q", "ines@")
    page.locator("#ooe-customer-filters button[type=submit]").click()
    page.wait_for_load_state()
    rows = page.locator("#ooe-customers tbody tr[data-customer]")
    assert rows.count() == 1

    rows.first.locator("a").first.click()
    page.wait_for_load_state()
    assert page.locator("#ooe-customer-email").inner_text() == "ines@example.com"
    assert page.locator("#ooe-loyalty-orders").inner_text() == "2"
    assert page.locator("#ooe-customer-orders tbody tr").count() == 2

    page.locator("#ooe-customer-all-orders").click()
    page.wait_for_load_state()
    table = page.locator("#ooe-table").inner_text()
    assert all(str(order.number) in table for order in mine)
    assert str(other.number) not in table
