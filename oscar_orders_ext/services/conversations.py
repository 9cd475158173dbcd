"""The order's conversation with the customer: messages both ways, unread counts, links.

Staff write from the order page, customers from their account's order page or, as guests,
through a signed link in the email (:func:`conversation_token`). Each message emails the other
side after commit (``send_message_email_task``). Messages only add, like notes, so they take
no version and never conflict with an operator's open form; the unread counters on the process
row are updated under its lock. The first staff message on an order still in the workflow's
initial state moves it on (``OSCAR_ORDERS_EXT_CHAT_FIRST_MESSAGE_STATE``) through the
transition service, with that service's rules.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import mail, signing
from django.db import transaction
from django.db.models import F
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tasks import task
from oscar.core.loading import get_class, get_model

from oscar_orders_ext.conf import app_settings
from oscar_orders_ext.constants import TimelineKind
from oscar_orders_ext.exceptions import (ConversationLinkError, ConversationLinkExpired,
                                         OrderWorkflowError)
from oscar_orders_ext.i18n import in_order_language
from oscar_orders_ext.models import MessageSide, OrderMessage, OrderProcess
from oscar_orders_ext.permissions import OPERATIONS
from oscar_orders_ext.signals import order_message_posted
from oscar_orders_ext.workflow import get_workflow

from .edits import check_permission
from .locking import OrderLike, locked_process, order_pk
from .notifications import absolute_url
from .timeline import record
from .transitions import TransitionResult, starts_subscriptions, transition_to_state

CommunicationEventType = get_model("communication", "CommunicationEventType")
OrderDispatcher = get_class("order.utils", "OrderDispatcher")
Order = get_model("order", "Order")

#: Namespace of the customer's conversation pages (``oscar_orders_ext.storefront.chat_urls``).
STOREFRONT_NAMESPACE = "oscar_orders_ext_chat"
_SALT = "oscar_orders_ext.conversation"


@dataclass
class PostedMessage:
    """What posting a staff message did."""

    message: OrderMessage
    #: The move the first staff message made (None when the state was left alone).
    transition: TransitionResult | None = None
    #: Why the first message could not move the order (the transition service's refusal).
    refusal: str = ""


#: The attachments accepted, by the first bytes of their content (never by name or by the
#: browser's word): the content type they are served with.
ATTACHMENT_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def check_attachment(upload: Any) -> str:
    """The content type of an uploaded image or PDF; refused when too large or of another
    kind, whatever its name says."""
    limit = int(app_settings.MESSAGE_ATTACHMENT_MAX_BYTES)
    if not limit:
        raise OrderWorkflowError(_("This shop does not accept attachments."))
    if upload.size > limit:
        raise OrderWorkflowError(
            _("An attachment can be at most %(limit)s (this one is %(size)s).")
            % {"limit": filesizeformat(limit), "size": filesizeformat(upload.size)})
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    for signature, content_type in ATTACHMENT_SIGNATURES:
        if head.startswith(signature):
            return content_type
    raise OrderWorkflowError(_("Attach an image (JPEG, PNG or GIF) or a PDF file."))


def _clean(body: str, *, attachment: Any = None) -> str:
    body = (body or "").strip()
    if not body and attachment is None:
        raise OrderWorkflowError(_("A message cannot be empty."))
    limit = int(app_settings.MESSAGE_MAX_LENGTH)
    if len(body) > limit:
        raise OrderWorkflowError(
            _("A message can be at most %(limit)d characters long (this one has %(length)d).")
            % {"limit": limit, "length": len(body)})
    return body


def add_message(process: OrderProcess, side: str, body: str, author: Any,
                attachment: Any = None, *, announce: bool = True) -> OrderMessage:
    """Store one message and count it unread for the other side; the caller holds the
    process row locked (``locked_process``) and has checked who writes and the attachment
    (:func:`check_attachment`). ``announce`` False: the caller calls
    :func:`announce_message` once the rest of its change (a move) is made."""
    message = OrderMessage(order_id=process.order_id, side=side, body=body, author=author)
    if attachment is not None:
        message.attachment_type = check_attachment(attachment)
        message.attachment_name = os.path.basename(attachment.name or "")[:255] or "file"
        message.attachment.save(message.attachment_name, attachment, save=False)
    message.save()
    counter = "customer_unread" if side == MessageSide.STAFF else "staff_unread"
    OrderProcess.objects.filter(pk=process.pk).update(
        **{counter: F(counter) + 1, "last_activity_at": message.created_at})
    transaction.on_commit(lambda: send_message_email_task.enqueue(message.pk))
    if announce:
        announce_message(message)
    return message


def announce_message(message: OrderMessage) -> None:
    """Send ``order_message_posted`` (its ``in_transaction`` twin now: the webhook's payload
    tells the order as the change leaves it)."""
    order_message_posted.send_on_commit(sender=OrderMessage, message=message,
                                        order_id=message.order_id)


def post_staff_message(order: OrderLike, body: str, *, user: Any = None,
                       attachment: Any = None) -> PostedMessage:
    """Write to the customer of ``order`` (with an optional image or PDF); refused without
    the order-edit permission."""
    check_permission(user, OPERATIONS["edit-order"])
    body = _clean(body, attachment=attachment)
    if attachment is not None:
        check_attachment(attachment)  # before anything is locked or stored
    with locked_process(order) as process:
        first = not OrderMessage.objects.filter(order_id=process.order_id,
                                                side=MessageSide.STAFF).exists()
        message = add_message(process, MessageSide.STAFF, body, user, attachment,
                              announce=False)
        posted = PostedMessage(message)
        target = app_settings.CHAT_FIRST_MESSAGE_STATE
        workflow = get_workflow()
        # A subscription order is not confirmed by a chat: that move would start billing
        # the customer (docs/conversations.md); the operator confirms it deliberately.
        if (first and target and process.state == workflow.initial_state
                and workflow.has_state(target)
                and not starts_subscriptions(process, process.state, target)):
            try:
                # A savepoint: a refused move rolls back alone and the message stays.
                with transaction.atomic():
                    posted.transition = transition_to_state(process.order, target, user=user)
            except OrderWorkflowError as error:
                posted.refusal = error.message
        announce_message(message)  # after the move: the event tells the order's new state
        return posted


def post_customer_message(order: OrderLike, body: str, *, user: Any = None,
                          attachment: Any = None) -> OrderMessage:
    """Write to the shop as the customer of ``order`` (the caller has checked who they are:
    the order's own user, or the holder of a signed link)."""
    body = _clean(body, attachment=attachment)
    if attachment is not None:
        check_attachment(attachment)
    with locked_process(order) as process:
        return add_message(process, MessageSide.CUSTOMER, body,
                           user if getattr(user, "is_authenticated", False) else None,
                           attachment)


def mark_read(order: OrderLike, *, by: str) -> int:
    """Mark the other side's messages read by ``by`` (a :class:`MessageSide`); how many were
    unread. Costs one query when nothing is unread, none when ``order`` is a process just
    read showing nothing unread (the order page)."""
    counter = "staff_unread" if by == MessageSide.STAFF else "customer_unread"
    other = MessageSide.CUSTOMER if by == MessageSide.STAFF else MessageSide.STAFF
    if isinstance(order, OrderProcess) and not getattr(order, counter):
        return 0
    if not OrderProcess.objects.filter(order_id=order_pk(order),
                                       **{f"{counter}__gt": 0}).exists():
        return 0
    with locked_process(order) as process:
        count = OrderMessage.objects.filter(order_id=process.order_id, side=other,
                                            read_at__isnull=True).update(read_at=timezone.now())
        OrderProcess.objects.filter(pk=process.pk).update(**{counter: 0})
        return count


# --- Signed links for guests ---------------------------------------------------------------

def conversation_token(order: Any) -> str:
    """A signed, dated token naming ``order``: the guest's key to its conversation."""
    return signing.TimestampSigner(salt=_SALT).sign_object({"o": order.pk, "n": order.number})


def order_for_token(token: str) -> Any:
    """The order a conversation token names; refused when forged, altered or expired."""
    signer = signing.TimestampSigner(salt=_SALT)
    try:
        data = signer.unsign_object(
            token, max_age=timedelta(days=int(app_settings.CHAT_LINK_MAX_AGE_DAYS)))
    except signing.SignatureExpired:
        raise ConversationLinkExpired() from None
    except signing.BadSignature:
        raise ConversationLinkError() from None
    try:
        return Order.objects.get(pk=data["o"], number=data["n"])
    except (Order.DoesNotExist, KeyError, TypeError):
        raise ConversationLinkError() from None


def customer_conversation_path(order: Any) -> str:
    """Where the customer reads the conversation: their account's page for orders of a user,
    a signed link for guests ("" where the shop does not mount the pages)."""
    try:
        if order.user_id:
            return reverse(f"{STOREFRONT_NAMESPACE}:account-chat",
                           kwargs={"number": order.number})
        return reverse(f"{STOREFRONT_NAMESPACE}:guest-chat",
                       kwargs={"token": conversation_token(order)})
    except NoReverseMatch:
        return ""


def staff_conversation_path(order: Any) -> str:
    """The order page in the workspace, for the staff email ("" when not mounted)."""
    for namespace in ("oscar_orders_ext_dashboard", "oscar_orders_ext_wagtail"):
        try:
            return reverse(f"{namespace}:orders-workspace-order",
                           kwargs={"number": order.number})
        except NoReverseMatch:
            continue
    return ""


# --- Emails --------------------------------------------------------------------------------

def _email_customer(message: OrderMessage) -> bool:
    order = message.order
    if not order.email:
        return False
    code = app_settings.MESSAGE_EMAIL_EVENT_CODE
    CommunicationEventType.objects.get_or_create(
        code=code, defaults={"name": str(gettext_lazy("New message about your order")),
                             "category": CommunicationEventType.ORDER_RELATED})
    context = {"order": order, "message": message,
               "conversation_url": absolute_url(customer_conversation_path(order))}
    with in_order_language(order):
        messages = CommunicationEventType.objects.get_and_render(code, context)
        if not messages.get("subject"):
            return False
        OrderDispatcher().dispatch_order_messages(order, messages, code,
                                                  attachments=_attachments(message))
    record(order.pk, TimelineKind.EMAIL, data={"code": code, "to": order.email})
    return True


def _attachments(message: OrderMessage) -> list[tuple[str, bytes, str]] | None:
    """The message's file for the customer's email (a price proposal's PDF, a photo)."""
    if not message.attachment:
        return None
    with message.attachment.open("rb") as handle:
        return [(message.attachment_name, handle.read(), message.attachment_type)]


def _email_staff(message: OrderMessage) -> bool:
    order = message.order
    operator = getattr(getattr(order, "process", None), "operator", None)
    recipient = (operator.email if operator is not None and operator.email
                 else app_settings.STAFF_MESSAGE_EMAIL)
    if not recipient:
        return False
    context = {"order": order, "message": message,
               "order_url": absolute_url(staff_conversation_path(order))}
    # The shop's language: the active one is the writing customer's when the task runs in
    # their request, the worker's on a worker; neither is the staff's.
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("oscar_orders_ext/emails/staff_message_subject.txt",
                                   context).strip()
        body = render_to_string("oscar_orders_ext/emails/staff_message_body.txt", context)
    mail.send_mail(subject, body, None, [recipient])
    return True


def send_message_email(message_id: int) -> bool:
    """Tell the other side of a new message by email; True when one was sent."""
    message = (OrderMessage.objects.select_related("order", "order__user",
                                                   "order__process__operator")
               .filter(pk=message_id).first())
    if message is None:
        return False
    if message.side == MessageSide.STAFF:
        return _email_customer(message)
    return _email_staff(message)


@task()
def send_message_email_task(message_id: int) -> bool:
    """Send the email of one new message."""
    return send_message_email(message_id)
