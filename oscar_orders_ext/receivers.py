"""Signal receivers, connected in ``OrdersExtConfig.ready()``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_save
from django.utils import translation

from .conf import app_settings
from .constants import OrderType, PaymentStatus, TimelineKind
from .i18n import placement_language
from .middleware import current_user
from .models import (Customer, Funnel, Installment, OrderProcess, RenewalStatus,
                     SubscriptionRenewal)
from .payments import quotes as quote_payments
from .payments import service as payment_service
from .services.customer_summaries import (process_changed, refresh_after_commit,
                                          remember_contribution)
from .services.edits import set_order_type
from .services.customer_tags import (apply_after_commit, process_became_paid,
                                     rules_apply_on_placement)
from .services.customer_upkeep import queue_new_order_upkeep, upkeep_queued
from .services.oscar_status import is_mirroring
from .services.processes import (current_order_source, ensure_process, payment_method_of,
                                 sync_snapshot)
from .services.transitions import follow_oscar_status, starts_subscriptions
from .subscriptions import installments
from .subscriptions import service as subscriptions
from .webhooks import events as webhook_events
from .webhooks import service as webhook_service
from .webhooks.service import forget_active_endpoints
from .webhooks.service import emit as emit_webhook
from .webhooks.service import emit_for_order, emit_many, record_events


#: The order columns the process's snapshot and the customer directory are made of
#: (``services.processes.order_snapshot``, the buyer's email): a save changing none of them
#: (Oscar's own status change) needs no snapshot refresh and no recount.
SNAPSHOT_COLUMNS = ("number", "currency", "total_incl_tax", "guest_email", "user_id",
                    "billing_address_id", "shipping_address_id", "shipping_method",
                    "date_placed")
_LOADED = "_oscar_orders_ext_loaded"
_UNCHANGED = "_oscar_orders_ext_unchanged"


def _columns(instance: Any) -> tuple[Any, ...]:
    return tuple(instance.__dict__.get(name) for name in SNAPSHOT_COLUMNS)


def remember_loaded_order(sender: Any, instance: Any, **kwargs: Any) -> None:
    """``post_init`` of an order read from the database: note its snapshot columns, in
    memory (no query), so that saving it unchanged costs no query of ours."""
    if instance.pk is not None and not instance.get_deferred_fields() & set(SNAPSHOT_COLUMNS):
        instance.__dict__[_LOADED] = _columns(instance)


def snapshot_unchanged(instance: Any) -> bool:
    """Whether the order being saved keeps the snapshot columns it was read with (decided in
    ``pre_save``, which also takes the saved values as the new reference)."""
    return bool(instance.__dict__.get(_UNCHANGED))


def attach_process_to_new_order(sender: Any, instance: Any, created: bool, raw: bool = False,
                                **kwargs: Any) -> None:
    """Give every order saved for the first time its process (checkout, dashboard, APIs).

    Orders loaded raw from fixtures are skipped: their related rows may not exist yet; the
    ``orders_backfill`` command attaches them.
    """
    if raw:
        return
    if created:
        # Its lines, written next, say whether it is a subscription (mark_subscription_orders).
        subscriptions.watch_lines(instance)
        source = getattr(instance, "_oscar_orders_ext_source", "") or current_order_source()
        ensure_process(instance, source=source, language=placement_language(source), new=True)
    elif not is_mirroring(instance) and not snapshot_unchanged(instance):
        # A status mirror, or a save keeping the columns (Oscar's status change), changes
        # nothing the snapshot holds.
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
    if not app_settings.FOLLOW_OSCAR_STATUS or is_mirroring(order):
        return
    # The signal names no user: the operator is the one of the request (CurrentUserMiddleware).
    user = current_user()
    if webhook_service.subscribed(webhook_events.ORDER_STATE_CHANGED):
        # Oscar's status change has no transaction: the move and its deliveries get one, so
        # they commit together (without endpoints the move is one statement, atomic alone).
        with transaction.atomic(savepoint=False):
            follow_oscar_status(order, new_status, user=user)
    else:
        follow_oscar_status(order, new_status, user=user)


def create_default_funnel(sender: Any, **kwargs: Any) -> None:
    """After ``migrate``, make sure the shop has a default funnel."""
    using = kwargs.get("using", "default")
    if not Funnel.objects.using(using).exists():
        Funnel.create_from_workflow()


def record_confirmed_payment(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A gateway payment changed status (django-payments' ``status_changed``): write a
    confirmed one into Oscar's records, once however often the provider calls back."""
    payment_service.record_gateway_payment(instance)


def collect_accepted_quote(sender: Any, quote: Any, order: Any, user: Any = None,
                           **kwargs: Any) -> None:
    """A customer accepted a price proposal (after the commit): a payment link for what is now
    due, or a note to the shop (offline method, money owed back), in the shop's language."""
    with translation.override(settings.LANGUAGE_CODE):
        quote_payments.collect_accepted_quote(quote)


def reprice_subscriptions(sender: Any, items: list[dict[str, Any]], **kwargs: Any) -> None:
    """A price proposal was accepted (inside its transaction): subscriptions the order has
    started bill the accepted price from their next renewal."""
    for item in items:
        subscriptions.reprice_from_quote(item["quote"])


def settle_edited_order(sender: Any, process: Any, kind: str, user: Any = None,
                        **kwargs: Any) -> None:
    """The lines of an order changed: its payment status follows the new total (amount due
    or refund due shows on the order page)."""
    if kind == TimelineKind.EDIT:
        payment_service.resettle(process.order_id, user=user)


# --- The customer directory's aggregates (services.customer_summaries) ----------------------

def remember_order_columns(sender: Any, instance: Any, raw: bool = False,
                           **kwargs: Any) -> None:
    """Before an order is saved, decide whether the save changes its snapshot columns (the
    process's copy, and through it the customer directory, follow only then)."""
    if raw or instance.pk is None:
        return
    loaded, current = instance.__dict__.get(_LOADED), _columns(instance)
    instance.__dict__[_UNCHANGED] = loaded == current
    instance.__dict__[_LOADED] = current


def remember_process_contribution(sender: Any, instance: OrderProcess, **kwargs: Any) -> None:
    """``post_init`` of a process: note what it contributes to its customer (no query)."""
    remember_contribution(instance)


def count_process_change(sender: Any, instance: OrderProcess, raw: bool = False,
                         **kwargs: Any) -> None:
    """After a process is saved or deleted (placement, state, total, deletion of the order),
    apply its change to its customer's aggregates; a paid one may tag its customer."""
    if raw:
        return
    saved = kwargs.get("signal") is post_save
    # A new order's buyer is recounted (and tagged) on the worker when there is one.
    if not (saved and kwargs.get("created") and queue_new_order_upkeep(instance)):
        process_changed(instance, deleted=not saved, update_fields=kwargs.get("update_fields"))
    if (saved and saves_payment(kwargs.get("update_fields"))
            and process_became_paid(instance)):
        apply_after_commit([instance.order_id])


def recount_account_customer(sender: Any, instance: Any, raw: bool = False,
                             **kwargs: Any) -> None:
    """After an account is saved (a new customer, a changed name or email), recount it; a
    login, which saves only ``last_login``, changes nothing the directory shows."""
    update_fields = kwargs.get("update_fields")
    if raw or (update_fields is not None and set(update_fields) <= {"last_login"}):
        return
    # The row of the account's previous email too (a changed email moves the account).
    previous = Customer.objects.filter(user_id=instance.pk).values_list("email", flat=True)
    refresh_after_commit(instance.email, *previous, orders=False)


def tag_customer_of_placed_order(sender: Any, order: Any, **kwargs: Any) -> None:
    """Oscar's ``order_placed`` (checkout, manual orders, API packages): apply the customer tag
    rules to the order once committed, when they apply on placement."""
    if rules_apply_on_placement() and not upkeep_queued(order):
        apply_after_commit([order.pk])


# --- Webhooks: each service signal becomes an event (docs/webhooks.md) ----------------------

def webhook_order_created(sender: Any, instance: OrderProcess, created: bool, raw: bool = False,
                          **kwargs: Any) -> None:
    """``order.created``, recorded in the new order's transaction (committed with it; bulk
    imports record theirs through ``orders_imported``); no query while no endpoint listens."""
    if created and not raw:
        emit_webhook(webhook_events.ORDER_CREATED, instance)


def endpoint_changed(sender: Any, **kwargs: Any) -> None:
    """A webhook endpoint was saved or deleted: ask the database again whether any is active."""
    forget_active_endpoints()


def webhook_state_changed(sender: Any, items: list[dict[str, Any]], **kwargs: Any) -> None:
    """``order.state_changed``, recorded in the move's transaction (``in_transaction`` of
    ``order_state_changed``; a batch of moves at once). One read of the cached endpoints,
    in ``record_events``; no query while none listens."""
    record_events([(webhook_events.ORDER_STATE_CHANGED, item["process"],
                    {"transition": item["transition"], "source": item["source"],
                     "target": item["target"]}) for item in items])


#: Timeline kinds of ``order_process_changed`` that are webhook events.
_CHANGE_EVENTS: dict[str, str] = {
    TimelineKind.TAGS: webhook_events.ORDER_TAGS_CHANGED,
    TimelineKind.NOTE: webhook_events.ORDER_NOTE_ADDED,
    TimelineKind.OPERATOR: webhook_events.ORDER_OPERATOR_CHANGED,
    TimelineKind.PAYMENT: webhook_events.ORDER_PAYMENT_STATUS_CHANGED,
}
#: Payment statuses that send one more event after ``order.payment_status_changed``.
_PAYMENT_FOLLOW_UPS: dict[str, str] = {PaymentStatus.PAID: webhook_events.ORDER_PAID,
                                       PaymentStatus.REFUNDED: webhook_events.ORDER_REFUNDED}


def webhook_process_changed(sender: Any, items: list[dict[str, Any]], **kwargs: Any) -> None:
    """Tags, notes (for the buyer or internal), operator and payment status changes, recorded
    in the change's transaction (a bulk batch at once); a change to paid or refunded also
    sends ``order.paid`` / ``order.refunded``."""
    recorded: list[webhook_service.Event] = []
    for item in items:
        event = _CHANGE_EVENTS.get(item["kind"])
        if event is None:
            continue
        change = dict(item.get("data") or {})
        change.pop("note_id", None)
        recorded.append((event, item["process"], {"change": change}))
        follow_up = (_PAYMENT_FOLLOW_UPS.get(str(change.get("to")))
                     if item["kind"] == TimelineKind.PAYMENT else None)
        if follow_up:
            recorded.append((follow_up, item["process"], {}))
    if recorded:
        record_events(recorded)


def webhook_message_posted(sender: Any, items: list[dict[str, Any]], **kwargs: Any) -> None:
    """``order.message``: a message of the order's conversation, from either side."""
    for item in items:
        emit_for_order(webhook_events.ORDER_MESSAGE, item["order_id"],
                       message=webhook_events.message_data(item["message"]))


def _webhook_quote(event: str) -> Any:
    def receiver(sender: Any, items: list[dict[str, Any]], **kwargs: Any) -> None:
        for item in items:
            emit_for_order(event, item["order"].pk,
                           quote=webhook_events.quote_data(item["quote"]))
    receiver.__name__ = "webhook_" + event.replace(".", "_")
    receiver.__doc__ = f"``{event}`` with the price proposal, in its transaction."
    return receiver


webhook_quote_sent = _webhook_quote(webhook_events.QUOTE_SENT)
webhook_quote_accepted = _webhook_quote(webhook_events.QUOTE_ACCEPTED)
webhook_quote_rejected = _webhook_quote(webhook_events.QUOTE_REJECTED)
webhook_quote_withdrawn = _webhook_quote(webhook_events.QUOTE_WITHDRAWN)


def webhook_orders_imported(sender: Any, items: list[dict[str, Any]], **kwargs: Any) -> None:
    """``order.created`` for every order an import wrote, in bulk, in the import's
    transaction (the ids not copied: an import's are an array of a million)."""
    for item in items:
        emit_many(webhook_events.ORDER_CREATED, item["order_ids"])
# --- Subscriptions (docs/subscriptions.md) ----------------------------------------------------

def start_subscriptions_on_confirmation(sender: Any, instance: OrderProcess, name: str,
                                        source: str, target: str, **kwargs: Any) -> None:
    """An order entering ``SUBSCRIPTION_CONFIRMED_STATE`` through the transition service
    starts a subscription per plan line, in the same transaction as the move. Only orders
    marked as subscriptions at placement are read: other moves cost no query."""
    if starts_subscriptions(instance, source, target):
        subscriptions.create_for_order(instance.order)


def mark_subscription_orders(sender: Any, order: Any, **kwargs: Any) -> None:
    """An order placed with a product sold on a plan is of type subscription."""
    if subscriptions.may_have_plan_lines(order) and subscriptions.plan_lines(order):
        set_order_type(order, OrderType.SUBSCRIPTION)


def note_order_line(sender: Any, instance: Any, created: bool, raw: bool = False,
                    **kwargs: Any) -> None:
    """A line written for an order being placed: note its product on the order, in memory,
    so that ``mark_subscription_orders`` needs no query for a basket without a plan."""
    if created and not raw and type(instance).order.is_cached(instance):
        subscriptions.note_line(instance.order, instance.product_id)


def plan_products_changed(sender: Any, **kwargs: Any) -> None:
    """A product's plan was saved or deleted: ask the database again which products have one
    (now, and once committed, in case another request cached the old set meanwhile)."""
    subscriptions.forget_plan_products()
    transaction.on_commit(subscriptions.forget_plan_products)


#: Saves naming none of these fields (a bulk move saves only its own) change no payment.
PAYMENT_FIELDS = frozenset({"payment_status", "amount_paid", "amount_refunded", "order_type"})


def saves_payment(update_fields: Any) -> bool:
    """Whether a save with these ``update_fields`` (None: every field) may change what the
    customer paid."""
    return update_fields is None or bool(PAYMENT_FIELDS & set(update_fields))


def settle_paid_renewal(sender: Any, instance: OrderProcess, raw: bool = False,
                        **kwargs: Any) -> None:
    """A subscription order saved as paid (a link paid, a payment marked): once committed,
    its renewal is paid and its subscription active again (nothing for other orders)."""
    if (not raw and saves_payment(kwargs.get("update_fields"))
            and instance.order_type == OrderType.SUBSCRIPTION
            and instance.payment_status == PaymentStatus.PAID):
        order_id = instance.order_id
        transaction.on_commit(lambda: subscriptions.settle_renewal(order_id))


def settle_installments(sender: Any, instance: OrderProcess, raw: bool = False,
                        **kwargs: Any) -> None:
    """An installment order's payments changed: once committed, its installments follow
    (oldest first, as far as the payments cover them)."""
    if (not raw and saves_payment(kwargs.get("update_fields"))
            and instance.order_type == OrderType.INSTALLMENT
            and instance.payment_status != PaymentStatus.UNPAID):
        order_id = instance.order_id
        transaction.on_commit(lambda: installments.settle(order_id))


def settle_bulk_payments(sender: Any, kind: str, changes: dict[int, dict[str, Any]],
                         **kwargs: Any) -> None:
    """A set-based "mark paid" (or unpaid) batch, committed: what a save of each order would
    settle (``settle_paid_renewal``, ``settle_installments``). The shop's unpaid renewals and
    open installments are few beside a batch of 10,000 orders: two queries read them, and
    only the batch's orders among them are settled."""
    if kind != TimelineKind.PAYMENT or not changes:
        return
    paid = {order_id for order_id, data in changes.items()
            if data.get("to") == PaymentStatus.PAID}
    not_unpaid = {order_id for order_id, data in changes.items()
                  if data.get("to") != PaymentStatus.UNPAID}
    if paid:
        for order_id in sorted(paid.intersection(SubscriptionRenewal.objects.filter(
                order__process__order_type=OrderType.SUBSCRIPTION)
                .exclude(status=RenewalStatus.PAID).values_list("order_id", flat=True))):
            subscriptions.settle_renewal(order_id)
    if not_unpaid:
        for order_id in sorted(not_unpaid.intersection(Installment.objects.filter(
                status__in=installments.OPEN, order__process__order_type=OrderType.INSTALLMENT)
                .values_list("order_id", flat=True))):
            installments.settle(order_id)
