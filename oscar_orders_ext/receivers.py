"""Signal receivers, connected in ``OrdersExtConfig.ready()``."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from .conf import app_settings
from .constants import PaymentStatus, TimelineKind
from .i18n import placement_language
from .middleware import current_user
from .models import Funnel, OrderProcess, WebhookEndpoint
from .services.oscar_status import is_mirroring
from .services.processes import (current_order_source, ensure_process, payment_method_of,
                                 sync_snapshot)
from .services.transitions import follow_oscar_status
from .webhooks import events as webhook_events
from .webhooks.service import emit as emit_webhook


def attach_process_to_new_order(sender: Any, instance: Any, created: bool, raw: bool = False,
                                **kwargs: Any) -> None:
    """Give every order saved for the first time its process (checkout, dashboard, APIs).

    Orders loaded raw from fixtures are skipped: their related rows may not exist yet; the
    ``orders_backfill`` command attaches them.
    """
    if raw:
        return
    if created:
        source = getattr(instance, "_oscar_orders_ext_source", "") or current_order_source()
        ensure_process(instance, source=source, language=placement_language(source))
    elif not is_mirroring(instance):  # a status mirror changes nothing the snapshot holds
        sync_snapshot(instance)


def record_payment_method(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    """Keep the workspace's payment method column in step with Oscar's payment sources."""
    if raw:
        return
    OrderProcess.objects.filter(order_id=instance.order_id).update(
        payment_method=payment_method_of(instance.order))


def follow_status_changed_elsewhere(sender: Any, order: Any, old_status: str, new_status: str,
                                    **kwargs: Any) -> None:
    """When Oscar's own dashboard (or any code) sets a status, let the workflow state follow."""
    if app_settings.FOLLOW_OSCAR_STATUS and not is_mirroring(order):
        # The signal names no user: the operator is the one of the request (CurrentUserMiddleware).
        follow_oscar_status(order, new_status, user=current_user())


def create_default_funnel(sender: Any, **kwargs: Any) -> None:
    """After ``migrate``, make sure the shop has a default funnel."""
    using = kwargs.get("using", "default")
    if not Funnel.objects.using(using).exists():
        Funnel.create_from_workflow()


# --- Webhooks: each service signal becomes an event (docs/webhooks.md) ----------------------

def webhook_order_created(sender: Any, instance: OrderProcess, created: bool, raw: bool = False,
                          **kwargs: Any) -> None:
    """``order.created`` once the new order's transaction commits (bulk imports send none);
    nothing is scheduled while no endpoint listens."""
    if created and not raw and WebhookEndpoint.objects.filter(is_active=True).exists():
        transaction.on_commit(lambda: emit_webhook(webhook_events.ORDER_CREATED, instance))


def webhook_state_changed(sender: Any, process: OrderProcess, transition: str, source: str,
                          target: str, **kwargs: Any) -> None:
    """``order.state_changed`` (sent after commit by the transition service)."""
    emit_webhook(webhook_events.ORDER_STATE_CHANGED, process, transition=transition,
                 source=source, target=target)


#: Timeline kinds of ``order_process_changed`` that are webhook events.
_CHANGE_EVENTS: dict[str, str] = {
    TimelineKind.TAGS: webhook_events.ORDER_TAGS_CHANGED,
    TimelineKind.NOTE: webhook_events.ORDER_NOTE_ADDED,
    TimelineKind.OPERATOR: webhook_events.ORDER_OPERATOR_CHANGED,
    TimelineKind.PAYMENT: webhook_events.ORDER_PAYMENT_STATUS_CHANGED,
}


def webhook_process_changed(sender: Any, process: OrderProcess, kind: str, data: Any = None,
                            **kwargs: Any) -> None:
    """Tags, notes (for the buyer or internal), operator and payment status changes; a
    change to paid or refunded also sends ``order.paid`` / ``order.refunded``."""
    event = _CHANGE_EVENTS.get(kind)
    if event is None:
        return
    change = dict(data or {})
    change.pop("note_id", None)
    emit_webhook(event, process, change=change)
    if kind == TimelineKind.PAYMENT:
        follow_ups: dict[str, str] = {PaymentStatus.PAID: webhook_events.ORDER_PAID,
                                      PaymentStatus.REFUNDED: webhook_events.ORDER_REFUNDED}
        follow_up = follow_ups.get(str(change.get("to")))
        if follow_up:
            emit_webhook(follow_up, process)
