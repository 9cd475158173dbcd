"""The operator sends a price proposal from the order page, the customer accepts it in their
account, and the operator sees the unread badge on the order's Kanban card."""

from __future__ import annotations

import os
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from oscar_orders_ext.models import Funnel, PaymentLink

from ..conversations.test_quotes import QUOTER
from ..wagtail.conftest import FRONT_ENDS, with_wagtail_access
from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("namespace", FRONT_ENDS)
def test_customer_accepts_a_proposal_and_the_operator_sees_the_badge(
        live_server: Any, page: Any, browser: Any, make_staff: Any, place_order: Any,
        namespace: str) -> None:
    customer = get_user_model().objects.create_user(username="carla",
                                                    email="carla@example.com", password="pw")
    order = place_order(user=customer)
    with_wagtail_access(make_staff("quoter", QUOTER))
    sign_in(page, live_server, "quoter")
    page.goto(live_server.url + reverse(f"{namespace}:orders-workspace-order",
                                        kwargs={"number": order.number}))
    page.click("#ooe-quote-form-box summary")
    page.fill(f"#id_price_{order.lines.get().pk}", "8.00")
    page.fill("#id_message", "A better price for you")
    page.click("#ooe-quote-form button[type=submit]")
    page.wait_for_selector(".ooe-quote[data-version='1'][data-status='sent']")
    if os.environ.get("OOE_SCREENSHOTS"):  # for a person to look at the page
        page.locator("#ooe-chat").screenshot(
            path=os.path.join(os.environ["OOE_SCREENSHOTS"], "order_chat.png"))

    # The customer, logged in to the shop, in a browser of their own.
    client = Client()
    client.force_login(customer)
    shopper = browser.new_context()
    shopper.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value,
                          "url": live_server.url}])
    customer_page = shopper.new_page()
    customer_page.goto(live_server.url + reverse("oscar_orders_ext_chat:account-chat",
                                                 kwargs={"number": order.number}))
    assert "A better price for you" in customer_page.inner_text("#ooe-customer-quote")
    assert customer_page.locator(
        ".ooe-customer-quote-version[data-version='1']").get_attribute("data-outcome") == "sent"
    if os.environ.get("OOE_SCREENSHOTS"):
        customer_page.screenshot(path=os.path.join(os.environ["OOE_SCREENSHOTS"],
                                                   "customer_quote.png"), full_page=True)
    customer_page.click("#ooe-quote-accept button")
    customer_page.wait_for_selector("text=you accepted the price proposal")
    # No payment method yet: on to the pay page of the approved amount (payments/quotes.py).
    assert PaymentLink.objects.get(order=order).get_absolute_url() in customer_page.url
    shopper.close()
    order.refresh_from_db()
    assert order.total_incl_tax == Decimal("16.00") + order.shipping_incl_tax

    page.goto(live_server.url + reverse(f"{namespace}:orders-workspace-kanban",
                                        kwargs={"funnel": Funnel.objects.get_default().slug}))
    badge = page.locator(f".ooe-card[data-order='{order.pk}'] .ooe-unread-badge")
    assert badge.inner_text() == "1"
