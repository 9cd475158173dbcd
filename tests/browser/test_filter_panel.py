"""The table's filter panel is fetched on first opening and filters like the one drawn with
the page, in a real browser."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from ..dashboard.conftest import WORKSPACE_EDITOR
from ..factories import bulk_orders
from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_opening_the_panel_fetches_it_and_its_filters_apply(live_server, page, make_staff):
    bulk_orders(2, prefix="UNPAID")
    bulk_orders(1, prefix="PAID", payment_status="paid", state="processing")
    make_staff("panel-operator", WORKSPACE_EDITOR)
    sign_in(page, live_server, "panel-operator")
    table = live_server.url + reverse("oscar_orders_ext_dashboard:orders-workspace")
    page.goto(f"{table}?state=processing")
    assert page.locator("#ooe-more-filters select").count() == 0

    with page.expect_response(lambda r: "filters=panel" in r.url):
        page.click(".ooe-filters-toggle")
    payment = page.locator("#ooe-more-filters select[name=payment_status]")
    payment.wait_for()
    assert page.locator("#ooe-more-filters select[name=state]").evaluate(
        "select => Array.from(select.selectedOptions).map(o => o.value)") == ["processing"]
    assert page.locator(".ooe-kept-filter").count() == 0  # the panel's fields carry them now

    payment.select_option("paid")
    page.click("#ooe-more-filters button[type=submit]")
    page.wait_for_load_state()
    assert "payment_status=paid" in page.url and "state=processing" in page.url
    numbers = page.locator("td.ooe-cell-number").all_inner_texts()
    assert [number.strip() for number in numbers] == ["PAID00000"]
    assert page.locator(".ooe-chip").count() == 2  # the state and the payment filters


def test_changing_the_page_size_keeps_every_value_of_a_filter(live_server, page, make_staff):
    bulk_orders(1, prefix="NEW")
    bulk_orders(1, prefix="PREP", state="processing")
    make_staff("page-size-operator", WORKSPACE_EDITOR)
    sign_in(page, live_server, "page-size-operator")
    table = live_server.url + reverse("oscar_orders_ext_dashboard:orders-workspace")
    page.goto(f"{table}?state=new&state=processing")

    with page.expect_navigation():
        page.select_option("#ooe-page-size", "50")
    assert "state=new" in page.url and "state=processing" in page.url
    numbers = page.locator("td.ooe-cell-number").all_inner_texts()
    assert sorted(number.strip() for number in numbers) == ["NEW00000", "PREP00000"]
