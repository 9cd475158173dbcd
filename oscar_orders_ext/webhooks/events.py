"""The events webhooks carry and their payloads: a stable schema with a version.

Every payload is ``{"type": …, "version": 1, "timestamp": …, "data": {"order": …, …}}``;
``docs/webhooks.md`` documents each field. Adding a field keeps the version; removing or
changing one raises it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from oscar_orders_ext.display import person_name
from oscar_orders_ext.models import OrderMessage, OrderProcess, Quote

#: The payload schema's version.
PAYLOAD_VERSION = 1

ORDER_CREATED = "order.created"
ORDER_STATE_CHANGED = "order.state_changed"
ORDER_PAID = "order.paid"
ORDER_REFUNDED = "order.refunded"
ORDER_PAYMENT_STATUS_CHANGED = "order.payment_status_changed"
ORDER_TAGS_CHANGED = "order.tags_changed"
ORDER_NOTE_ADDED = "order.note_added"
ORDER_OPERATOR_CHANGED = "order.operator_changed"
ORDER_MESSAGE = "order.message"
QUOTE_SENT = "quote.sent"
QUOTE_ACCEPTED = "quote.accepted"
QUOTE_REJECTED = "quote.rejected"
QUOTE_WITHDRAWN = "quote.withdrawn"

# Subscriptions (docs/subscriptions.md): ``data`` also holds ``subscription``; ``order`` is
# the order that started it.
SUBSCRIPTION_CREATED = "subscription.created"
SUBSCRIPTION_RENEWED = "subscription.renewed"
SUBSCRIPTION_STATE_CHANGED = "subscription.state_changed"
SUBSCRIPTION_PLAN_CHANGED = "subscription.plan_changed"

#: Every event an endpoint can subscribe to.
EVENTS: tuple[str, ...] = (
    ORDER_CREATED, ORDER_STATE_CHANGED, ORDER_PAID, ORDER_REFUNDED,
    ORDER_PAYMENT_STATUS_CHANGED, ORDER_TAGS_CHANGED, ORDER_NOTE_ADDED, ORDER_OPERATOR_CHANGED,
    ORDER_MESSAGE, QUOTE_SENT, QUOTE_ACCEPTED, QUOTE_REJECTED, QUOTE_WITHDRAWN,
    SUBSCRIPTION_CREATED, SUBSCRIPTION_RENEWED, SUBSCRIPTION_STATE_CHANGED,
    SUBSCRIPTION_PLAN_CHANGED,
)


def order_data(process: OrderProcess, tags: Iterable[str] | None = None) -> dict[str, Any]:
    """The order as every payload describes it (``tags``: its tag names when in hand, else
    read)."""
    return {
        "number": process.number,
        "state": process.state,
        "payment_status": process.payment_status,
        "order_type": process.order_type,
        "currency": process.currency,
        "total": str(process.total),
        "customer_email": process.customer_email,
        "customer_name": process.customer_name,
        "placed_at": process.placed_at.isoformat(),
        "tags": sorted(tags if tags is not None else (tag.name for tag in process.tags.all())),
        "version": process.version,
    }


def message_data(message: OrderMessage) -> dict[str, Any]:
    """A conversation message as ``order.message`` describes it."""
    return {
        "id": message.pk,
        "side": message.side,
        "body": message.body,
        "author": (person_name(message.author) or None) if message.author_id else None,
        "created_at": message.created_at.isoformat(),
        "attachment": ({"name": message.attachment_name, "content_type": message.attachment_type}
                       if message.attachment else None),
    }


def quote_data(quote: Quote) -> dict[str, Any]:
    """A price proposal as the ``quote.*`` events describe it (amounts incl. tax)."""
    return {
        "id": quote.pk,
        "version": quote.version,
        "status": quote.status,
        "currency": quote.currency,
        "total": str(quote.total),
        "old_total": str(quote.old_total),
        "shipping": str(quote.shipping),
        "old_shipping": str(quote.old_shipping),
        "valid_until": quote.valid_until.isoformat(),
        "message": quote.message,
        "lines": [{"line_id": entry["line"], "title": entry["title"],
                   "quantity": entry["quantity"], "old_unit_price": entry["old"],
                   "new_unit_price": entry["new"]} for entry in quote.lines],
        "created_at": quote.created_at.isoformat(),
        "decided_at": quote.decided_at.isoformat() if quote.decided_at else None,
    }


def payload(event: str, process: OrderProcess, *, order_tags: Iterable[str] | None = None,
            **extra: Any) -> dict[str, Any]:
    """The body of ``event`` about ``process``, with event-specific fields in ``data``
    (``order_tags``: the order's tag names, when the caller has them or fills them in)."""
    return {"type": event, "version": PAYLOAD_VERSION,
            "timestamp": timezone.now().isoformat(),
            "data": {"order": order_data(process, order_tags), **extra}}
