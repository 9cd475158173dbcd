"""The order table in Wagtail's admin, in a real browser: the header search refreshes the
results in place and the bulk bar keeps working on the refreshed rows."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from oscar_orders_ext.models import OrderProcess

from ..dashboard.conftest import WORKSPACE_EDITOR
from ..factories import bulk_orders
from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def operator_page(live_server: Any, page: Any, make_staff: Any) -> Any:
    user = make_staff("cms-operator", WORKSPACE_EDITOR)
    user.user_permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin",
                                                     codename="access_admin"))
    sign_in(page, live_server, "cms-operator")
    return page


def test_searching_refreshes_the_rows_in_place_and_bulk_actions_still_work(
        live_server, operator_page):
    page = operator_page
    bulk_orders(3, prefix="E")
    bulk_orders(2, prefix="K")
    page.goto(live_server.url + reverse("oscar_orders_ext_wagtail:orders-workspace"))
    assert page.locator("#ooe-table tbody tr[data-process]").count() == 5
    page.evaluate("window.__same_document = true")

    with page.expect_response(lambda r: "/cms/orders/results/" in r.url):
        page.locator("form[data-search-form] input[name=q]").fill("K0")
    page.locator("#ooe-table tbody tr[data-process]").nth(1).wait_for()
    page.wait_for_function(
        "document.querySelectorAll('#ooe-table tbody tr[data-process]').length === 2")
    assert page.evaluate("window.__same_document") is True  # no full page load
    assert "q=K0" in page.url  # the address bar follows, so a reload keeps the search
    assert page.locator(".ooe-totals strong").inner_text().startswith("2 ")

    # The refreshed bulk bar is wired up: "select all on this page", then mark them paid.
    page.locator(".ooe-select-page").check()
    assert page.locator(".ooe-select:checked").count() == 2
    page.select_option("#ooe-bulk-action", "mark_paid")
    page.locator("button[name=apply][value=selected]").click()
    page.wait_for_url("**/cms/orders/**")
    page.wait_for_load_state("networkidle")  # nothing left in flight when the test ends
    paid = OrderProcess.objects.filter(payment_status="paid")
    assert sorted(p.number for p in paid) == ["K00000", "K00001"]
