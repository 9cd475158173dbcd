"""Customer emails: what they link to must work from a mail client."""

from __future__ import annotations

import pytest
from django.core import mail

from oscar_orders_ext.services.notifications import send_order_confirmation, send_state_email

pytestmark = pytest.mark.django_db


def test_the_state_email_links_to_the_order_with_a_full_url(place_order):
    # It used to say "You can follow your order here: /accounts/orders/…/": no mail client
    # can open a bare path.
    order = place_order(guest_email="buyer@example.com")
    assert send_state_email(order.pk, "processing")
    body, html = mail.outbox[0].body, mail.outbox[0].alternatives[0][0]
    assert f"http://example.com/accounts/order-status/{order.number}/" in body
    assert 'href="http://example.com/accounts/order-status/' in html


def test_the_site_url_setting_overrides_the_sites_framework(place_order, settings):
    settings.OSCAR_ORDERS_EXT_SITE_URL = "https://shop.example.org/"
    order = place_order(guest_email="buyer@example.com")
    send_state_email(order.pk, "processing")
    send_order_confirmation(order)
    state_email, confirmation = mail.outbox
    assert "https://shop.example.org/accounts/order-status/" in state_email.body
    assert "shop.example.org/accounts/order-status/" in confirmation.body
