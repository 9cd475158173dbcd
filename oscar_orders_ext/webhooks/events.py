"""The events webhooks carry and their payloads: a stable schema with a version.

Every payload is ``{"type": …, "version": 1, "timestamp": …, "data": {"order": …, …}}``;
``docs/webhooks.md`` documents each field. Adding a field keeps the version; removing or
changing one raises it.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from oscar_orders_ext.models import OrderProcess

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
    SUBSCRIPTION_CREATED, SUBSCRIPTION_RENEWED, SUBSCRIPTION_STATE_CHANGED,
    SUBSCRIPTION_PLAN_CHANGED,
)


def order_data(process: OrderProcess) -> dict[str, Any]:
    """The order as every payload describes it."""
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
        "tags": sorted(process.tags.values_list("name", flat=True)),
        "version": process.version,
    }


def payload(event: str, process: OrderProcess, **extra: Any) -> dict[str, Any]:
    """The body of ``event`` about ``process``, with event-specific fields in ``data``."""
    return {"type": event, "version": PAYLOAD_VERSION,
            "timestamp": timezone.now().isoformat(),
            "data": {"order": order_data(process), **extra}}
