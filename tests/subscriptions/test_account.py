"""The customer sees their subscriptions in Oscar's account pages and cancels one at the end
of its period (or keeps it after all); nobody else's subscriptions are theirs to touch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from oscar_orders_ext.models import Subscription

pytestmark = pytest.mark.django_db

URL = "oscar_orders_ext_account:subscriptions"


def test_the_customer_lists_cancels_and_keeps_their_subscription(
        subscribe: Callable[..., Subscription], customer: Any) -> None:
    sub = subscribe()
    client = Client()
    client.force_login(customer)
    page = client.get(reverse(URL))
    assert page.status_code == 200
    assert b"Coffee of the month" in page.content and b"renews on" in page.content
    client.post(reverse(URL), {"subscription": sub.pk, "action": "cancel_at_period_end"})
    sub.refresh_from_db()
    assert sub.cancel_at_period_end and sub.state == "active"
    assert sub.events.get(kind="cancel_at_period_end").data["by_customer"] is True
    assert b"ends on" in client.get(reverse(URL)).content
    client.post(reverse(URL), {"subscription": sub.pk, "action": "resume"})
    sub.refresh_from_db()
    assert not sub.cancel_at_period_end


def test_another_customer_cannot_touch_it(subscribe: Callable[..., Subscription]) -> None:
    sub = subscribe()
    other = get_user_model().objects.create_user(username="bob", email="bob@example.com",
                                                 password="pw")
    client = Client()
    client.force_login(other)
    assert b"Coffee of the month" not in client.get(reverse(URL)).content
    answer = client.post(reverse(URL), {"subscription": sub.pk, "action": "cancel"})
    assert answer.status_code == 404
    sub.refresh_from_db()
    assert sub.state == "active"


def test_guests_are_asked_to_sign_in() -> None:
    answer = Client().get(reverse(URL))
    assert answer.status_code == 302 and "login" in answer["Location"]


def test_the_account_menu_entry_links_the_page_and_marks_it_open(
        subscribe: Callable[..., Subscription], customer: Any) -> None:
    from django.template import engines

    # What a shop puts in its override of Oscar's account page (docs/subscriptions.md).
    shop_page = engines["django"].from_string(
        '{% extends "oscar/customer/baseaccountpage.html" %}{% block standard_tabs %}'
        '{{ block.super }}{% include "oscar_orders_ext/storefront/account_tab.html" %}'
        '{% endblock %}')
    client = Client()
    client.force_login(customer)
    response = client.get(reverse(URL))
    html = shop_page.render({"active_tab": response.context["active_tab"],
                             "page_title": "Subscriptions"}, request=response.wsgi_request)
    entry = html.split(f'href="{reverse(URL)}"')[1].split(">")[0]
    assert 'class="nav-link active"' in entry
    assert "Order History" in html  # Oscar's own entries stay
