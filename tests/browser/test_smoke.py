"""The browser harness works: a staff member signs in and finds an order's workflow state."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_signs_in_and_sees_the_order_state_in_the_admin(live_server, page, place_order):
    order = place_order()
    get_user_model().objects.create_superuser("boss", "boss@example.com", "secret-pw")

    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", "secret-pw")
    page.click("input[type=submit]")
    page.goto(f"{live_server.url}/admin/oscar_orders_ext/orderprocess/")

    row = page.locator("#result_list tbody tr").first
    assert str(order.number) in row.inner_text()
    assert "New" in row.inner_text()
