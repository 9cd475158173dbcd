"""Customer emails about state changes, rendered from an editable Oscar communication type."""

from __future__ import annotations

from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from oscar.core.loading import get_class, get_model

from .conf import app_settings
from .constants import TimelineKind
from .workflow import get_workflow

CommunicationEventType = get_model("communication", "CommunicationEventType")
OrderDispatcher = get_class("order.utils", "OrderDispatcher")
Order = get_model("order", "Order")


def notifies_by_default(process: Any, target_state: str) -> bool:
    """Whether a move of ``process`` to ``target_state`` emails the customer unless the
    operator says otherwise (the shop sends emails and the state asks for one)."""
    return bool(app_settings.NOTIFY_CUSTOMERS) and bool(
        process.workflow.get_state(target_state).notify_customer)


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
    from .selectors import buyer_notes
    from .services.logistics import tracking_links

    return {"tracking_links": tracking_links(order), "buyer_notes": buyer_notes(order)}


def send_state_email(order_id: int, state: str, note: str = "", actor_id: int | None = None
                     ) -> bool:
    """Email the customer that their order entered ``state``; True when a message was sent."""
    from .services.timeline import record

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
    from .services.timeline import record

    if not order.email:
        return False
    context = {"order": order, "lines": order.lines.all(), "user": order.user,
               "status_url": order_status_url(order)}
    dispatcher = OrderDispatcher()
    dispatcher.send_order_placed_email_for_user(order, context)
    record(order.pk, TimelineKind.EMAIL, actor=user,
           data={"code": dispatcher.ORDER_PLACED_EVENT_CODE, "to": order.email})
    return True
