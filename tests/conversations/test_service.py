"""The conversation service: messages both ways, unread counts, the first staff message's
move, emails with links, signed links for guests."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail, signing
from django.test import override_settings
from django.utils import translation

from oscar_orders_ext.constants import OrderType
from oscar_orders_ext.exceptions import (ConversationLinkError, ConversationLinkExpired,
                                         OrderWorkflowError)
from oscar_orders_ext.models import MessageSide, OrderMessage, OrderProcess
from oscar_orders_ext.selectors import order_messages
from oscar_orders_ext.services import conversations

pytestmark = pytest.mark.django_db(transaction=False)


def process_of(order: Any) -> OrderProcess:
    return OrderProcess.objects.get(order=order)


def test_staff_message_counts_unread_for_the_customer_and_emails_a_signed_link(
        guest_order: Any, clerk: Any, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        posted = conversations.post_staff_message(guest_order, "  Your cups ship Monday.  ",
                                                  user=clerk)
    assert posted.message.body == "Your cups ship Monday."
    assert posted.message.side == MessageSide.STAFF
    process = process_of(guest_order)
    assert (process.customer_unread, process.staff_unread) == (1, 0)
    [email] = mail.outbox
    assert email.to == ["guest@example.com"]
    assert str(guest_order.number) in email.subject
    assert "Your cups ship Monday." in email.body
    token = email.body.split("/chat/")[1].split("/")[0]
    assert conversations.order_for_token(token) == guest_order


def test_first_staff_message_moves_a_new_order_into_preparation_once(
        guest_order: Any, clerk: Any) -> None:
    posted = conversations.post_staff_message(guest_order, "We are on it.", user=clerk)
    assert posted.transition is not None
    assert process_of(guest_order).state == "processing"
    again = conversations.post_staff_message(guest_order, "Still on it.", user=clerk)
    assert again.transition is None
    assert process_of(guest_order).state == "processing"


def test_the_first_message_does_not_confirm_a_subscription_order(guest_order: Any,
                                                                clerk: Any) -> None:
    # Confirming a subscription order starts billing the customer: a chat must not do it.
    OrderProcess.objects.filter(order=guest_order).update(order_type=OrderType.SUBSCRIPTION)
    posted = conversations.post_staff_message(guest_order, "Buongiorno!", user=clerk)
    assert posted.transition is None and not posted.refusal
    assert process_of(guest_order).state == "new"
    assert process_of(guest_order).customer_unread == 1


@override_settings(OSCAR_ORDERS_EXT_CHAT_FIRST_MESSAGE_STATE=None)
def test_the_setting_turns_the_move_off(guest_order: Any, clerk: Any) -> None:
    conversations.post_staff_message(guest_order, "Hello", user=clerk)
    assert process_of(guest_order).state == "new"


def test_a_refused_move_keeps_the_message(guest_order: Any, make_staff: Any) -> None:
    writer = make_staff("writer", ["view_orderprocess", "change_orderprocess"])
    posted = conversations.post_staff_message(guest_order, "Hello", user=writer)
    assert posted.refusal
    assert process_of(guest_order).state == "new"
    assert OrderMessage.objects.filter(order=guest_order).count() == 1


def test_staff_without_the_edit_permission_cannot_write(guest_order: Any, viewer: Any) -> None:
    with pytest.raises(OrderWorkflowError):
        conversations.post_staff_message(guest_order, "Hello", user=viewer)
    assert not OrderMessage.objects.exists()


@pytest.mark.parametrize("body", ["", "   \n "])
def test_an_empty_message_is_refused(guest_order: Any, clerk: Any, body: str) -> None:
    with pytest.raises(OrderWorkflowError, match="empty"):
        conversations.post_customer_message(guest_order, body)
    assert process_of(guest_order).staff_unread == 0


@override_settings(OSCAR_ORDERS_EXT_MESSAGE_MAX_LENGTH=10)
def test_a_too_long_message_is_refused_with_its_length(guest_order: Any) -> None:
    with pytest.raises(OrderWorkflowError, match="11"):
        conversations.post_customer_message(guest_order, "x" * 11)


@override_settings(OSCAR_ORDERS_EXT_STAFF_MESSAGE_EMAIL="shop@example.com")
def test_customer_message_counts_unread_for_staff_and_emails_the_shop(
        customer_order: Any, customer: Any, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        conversations.post_customer_message(customer_order, "Can you gift-wrap?",
                                            user=customer)
    assert process_of(customer_order).staff_unread == 1
    [email] = mail.outbox
    assert email.to == ["shop@example.com"]
    assert "Can you gift-wrap?" in email.body
    assert f"/orders/{customer_order.number}/" in email.body


def test_the_operator_gets_the_customer_message(
        customer_order: Any, clerk: Any, django_capture_on_commit_callbacks: Any) -> None:
    OrderProcess.objects.filter(order=customer_order).update(operator=clerk)
    with django_capture_on_commit_callbacks(execute=True):
        conversations.post_customer_message(customer_order, "Hi")
    assert [email.to for email in mail.outbox] == [["clerk@example.com"]]


@override_settings(OSCAR_ORDERS_EXT_STAFF_MESSAGE_EMAIL="shop@example.com")
def test_the_shop_reads_a_french_customers_message_in_its_own_language(
        customer_order: Any, django_capture_on_commit_callbacks: Any) -> None:
    # Inline tasks run in the customer's request: the email must not follow their language.
    with translation.override("fr"), django_capture_on_commit_callbacks(execute=True):
        conversations.post_customer_message(customer_order, "Bonjour")
    [email] = mail.outbox
    assert email.subject == f"Order {customer_order.number}: the customer wrote"


def test_reading_clears_the_count_of_one_side_only(customer_order: Any, clerk: Any) -> None:
    conversations.post_customer_message(customer_order, "One")
    conversations.post_customer_message(customer_order, "Two")
    conversations.post_staff_message(customer_order, "Answer", user=clerk)
    assert conversations.mark_read(customer_order, by=MessageSide.STAFF) == 2
    process = process_of(customer_order)
    assert (process.staff_unread, process.customer_unread) == (0, 1)
    assert conversations.mark_read(customer_order, by=MessageSide.STAFF) == 0
    assert [m.read_at is not None for m in order_messages(customer_order)] == [
        True, True, False]


def test_a_forged_or_altered_token_is_refused(guest_order: Any, customer_order: Any) -> None:
    token = conversations.conversation_token(guest_order)
    with pytest.raises(ConversationLinkError):
        conversations.order_for_token(token[:-2] + "xx")
    forged = signing.TimestampSigner(salt="another").sign_object(
        {"o": customer_order.pk, "n": customer_order.number})
    with pytest.raises(ConversationLinkError):
        conversations.order_for_token(forged)


def test_an_expired_token_is_refused(guest_order: Any) -> None:
    token = conversations.conversation_token(guest_order)
    with override_settings(OSCAR_ORDERS_EXT_CHAT_LINK_MAX_AGE_DAYS=-1), \
            pytest.raises(ConversationLinkExpired):
        conversations.order_for_token(token)
