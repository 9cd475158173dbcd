"""The customer's side on Oscar's storefront: their account's conversation page, and the
signed link guests get by email (forged or altered: 404; expired: said so, 410)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import override_settings
from django.urls import reverse

from oscar_orders_ext.models import MessageSide, OrderMessage, OrderProcess
from oscar_orders_ext.services import conversations

pytestmark = pytest.mark.django_db

NS = "oscar_orders_ext_chat"


def account_page(order: Any) -> str:
    return reverse(f"{NS}:account-chat", kwargs={"number": order.number})


def guest_page(order: Any) -> str:
    return reverse(f"{NS}:guest-chat", kwargs={"token": conversations.conversation_token(order)})


@override_settings(OSCAR_ORDERS_EXT_STAFF_MESSAGE_EMAIL="shop@example.com")
def test_customer_reads_the_shops_message_and_answers_from_their_account(
        django_app: Any, customer: Any, customer_order: Any, clerk: Any,
        django_capture_on_commit_callbacks: Any) -> None:
    conversations.post_staff_message(customer_order, "Which colour would you like?",
                                     user=clerk)
    mail.outbox.clear()
    page = django_app.get(account_page(customer_order), user=customer)
    assert "Which colour would you like?" in page.pyquery("#ooe-customer-chat").text()
    assert OrderProcess.objects.get(order=customer_order).customer_unread == 0
    form = page.forms["ooe-customer-chat-form"]
    form["body"] = "Blue, please."
    with django_capture_on_commit_callbacks(execute=True):
        page = form.submit().follow()
    assert "Your message was sent to the shop." in page.text
    assert [m.body for m in OrderMessage.objects.filter(side=MessageSide.CUSTOMER)] == [
        "Blue, please."]
    assert OrderProcess.objects.get(order=customer_order).staff_unread == 1
    assert [email.to for email in mail.outbox] == [["shop@example.com"]]


def test_another_customers_order_answers_404(
        django_app: Any, customer_order: Any, guest_order: Any) -> None:
    other = get_user_model().objects.create_user(username="mallory", password="pw")
    django_app.get(account_page(customer_order), user=other, status=404)
    django_app.get(account_page(guest_order), user=other, status=404)
    django_app.post(account_page(customer_order), {"body": "hi"}, user=other, status=404,
                    expect_errors=True)
    assert not OrderMessage.objects.exists()


def test_the_account_page_asks_anonymous_visitors_to_log_in(
        django_app: Any, customer_order: Any) -> None:
    response = django_app.get(account_page(customer_order), status=302)
    assert "login" in response.location


def test_a_guest_answers_through_the_signed_link(
        django_app: Any, guest_order: Any, clerk: Any) -> None:
    conversations.post_staff_message(guest_order, "Your parcel is late, sorry.", user=clerk)
    page = django_app.get(guest_page(guest_order))
    assert "Your parcel is late, sorry." in page.text
    form = page.forms["ooe-customer-chat-form"]
    form["body"] = "No problem."
    form.submit().follow()
    assert OrderMessage.objects.filter(order=guest_order, side=MessageSide.CUSTOMER,
                                       author=None).count() == 1


def test_an_empty_answer_is_refused_and_nothing_is_lost(
        django_app: Any, guest_order: Any) -> None:
    page = django_app.get(guest_page(guest_order))
    form = page.forms["ooe-customer-chat-form"]
    form["body"] = "  "
    page = form.submit(status=400)
    assert page.pyquery(".invalid-feedback")
    assert not OrderMessage.objects.exists()


def test_a_tampered_link_answers_404(django_app: Any, guest_order: Any,
                                     customer_order: Any) -> None:
    token = conversations.conversation_token(guest_order)
    payload, rest = token.split(":", 1)
    # Another order's payload under this order's signature.
    other = conversations.conversation_token(customer_order).split(":", 1)[0]
    for bad in (token[:-3] + "abc", f"{other}:{rest}", "nonsense"):
        django_app.get(reverse(f"{NS}:guest-chat", kwargs={"token": bad}), status=404)
        django_app.post(reverse(f"{NS}:guest-chat", kwargs={"token": bad}), {"body": "x"},
                        status=404, expect_errors=True)
    assert not OrderMessage.objects.exists()


def test_an_expired_link_says_so(django_app: Any, guest_order: Any) -> None:
    link = guest_page(guest_order)
    with override_settings(OSCAR_ORDERS_EXT_CHAT_LINK_MAX_AGE_DAYS=-1):
        page = django_app.get(link, status=410)
    assert page.pyquery(".ooe-link-expired").text().startswith("This link has expired.")
