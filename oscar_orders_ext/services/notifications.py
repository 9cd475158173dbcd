"""Customer emails about orders, rendered from editable Oscar communication types.

The state-change email runs as a django-tasks task (``send_state_email_task``), enqueued by
the transition service after commit.
"""

from __future__ import annotations

from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django_tasks import task
from oscar.core.loading import get_class, get_model

from oscar_orders_ext.conf import app_settings
from oscar_orders_ext.constants import TimelineKind
from oscar_orders_ext.selectors import buyer_notes, tracking_links
from oscar_orders_ext.workflow import get_workflow

from .timeline import record

CommunicationEventType = get_model("communication", "CommunicationEventType")
OrderDispatcher = get_class("order.utils", "OrderDispatcher")
Order = get_model("order", "Order")


def order_status_url(order: Any) -> str:
    """Path of the customer's own page for this order."""
    try:
        if order.user_id:
            return reverse("customer:order", kwargs={"order_number": order.number})
        return reverse("customer:anon-order", kwargs={"order_number": order.number,
                                                      "hash": order.verification_hash()})
    except NoReverseMatch:
        return ""


def order_email_context(order: Any) -> dict[str, Any]:
    """What every customer email about an order may show: ``tracking_links`` (carrier, code,
    url) of its parcels and ``buyer_notes`` (the notes operators wrote for the buyer)."""
    return {"tracking_links": tracking_links(order), "buyer_notes": buyer_notes(order)}


def send_state_email(order_id: int, state: str, note: str = "", actor_id: int | None = None
                     ) -> bool:
    """Email the customer that their order entered ``state``; True when a message was sent."""
    order = Order.objects.select_related("user").get(pk=order_id)
    code = app_settings.STATE_EMAIL_EVENT_CODE
    CommunicationEventType.objects.get_or_create(
        code=code, defaults={"name": str(_("Order state changed")),
                             "category": CommunicationEventType.ORDER_RELATED})
    context = {"order": order, "state": get_workflow().get_state(state), "note": note,
               "lines": order.lines.all(), "status_url": order_status_url(order),
               **order_email_context(order)}
    messages = CommunicationEventType.objects.get_and_render(code, context)
    recipient = order.email
    if not recipient or not messages.get("subject"):
        return False
    OrderDispatcher().dispatch_order_messages(order, messages, code)
    record(order.pk, TimelineKind.EMAIL, data={"code": code, "state": state, "to": recipient})
    return True


def send_order_confirmation(order: Any, *, user: Any = None) -> bool:
    """Send Oscar's own order confirmation (``ORDER_PLACED``); False without an email."""
    if not order.email:
        return False
    context = {"order": order, "lines": order.lines.all(), "user": order.user,
               "status_url": order_status_url(order)}
    dispatcher = OrderDispatcher()
    dispatcher.send_order_placed_email_for_user(order, context)
    record(order.pk, TimelineKind.EMAIL, actor=user,
           data={"code": dispatcher.ORDER_PLACED_EVENT_CODE, "to": order.email})
    return True


@task()
def send_state_email_task(order_id: int, state: str, note: str = "") -> bool:
    """Send the state-change email of one order."""
    return send_state_email(order_id, state, note)
