from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_init, post_migrate, post_save, pre_save
from django.utils.translation import gettext_lazy as _


#: Every receiver the app connects: (signal, receiver, connect's keyword arguments).
CONNECTED: list[tuple[Any, Any, dict[str, Any]]] = []


def _connect(signal: Any, receiver: Any, **kwargs: Any) -> None:
    signal.connect(receiver, **kwargs)
    if not any(known is signal and known_kwargs == kwargs for known, _r, known_kwargs in CONNECTED):
        CONNECTED.append((signal, receiver, kwargs))


@contextmanager
def receivers_disconnected() -> Iterator[None]:
    """Oscar without the app's receivers while the block runs (benchmarks and tests measure
    what they cost Oscar's own paths)."""
    for signal, _receiver, kwargs in CONNECTED:
        signal.disconnect(sender=kwargs.get("sender"), dispatch_uid=kwargs.get("dispatch_uid"))
    try:
        yield
    finally:
        for signal, receiver, kwargs in CONNECTED:
            signal.connect(receiver, **kwargs)


class OrdersExtConfig(AppConfig):
    """The core app: models, workflow, services. Front ends are separate apps."""

    name = "oscar_orders_ext"
    label = "oscar_orders_ext"
    verbose_name = _("Order workspace")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from oscar.apps.order.signals import order_placed, order_status_changed
        from oscar.core.loading import get_model

        from . import checks, receivers  # noqa: F401  (checks register themselves)
        from .models import OrderProcess
        from .signals import order_process_changed, order_state_changed, quote_accepted

        order_model = get_model("order", "Order")
        _connect(post_save, receivers.attach_process_to_new_order, sender=order_model,
                          dispatch_uid="oscar_orders_ext.attach_process")
        _connect(post_save, receivers.record_payment_method,
                          sender=get_model("payment", "Source"),
                          dispatch_uid="oscar_orders_ext.payment_method")
        # Oscar sends this with sender=<the order instance>, so it cannot be filtered by class.
        _connect(order_status_changed, receivers.follow_status_changed_elsewhere,
                                     dispatch_uid="oscar_orders_ext.follow_status")
        from payments.signals import status_changed

        _connect(status_changed, receivers.record_confirmed_payment,
                               sender=get_model("oscar_orders_ext", "OrderPayment"),
                               dispatch_uid="oscar_orders_ext.record_payment")

        _connect(order_process_changed, receivers.settle_edited_order,
                                      dispatch_uid="oscar_orders_ext.settle_edited_order")
        # An accepted price proposal asks for the amount due (payment link or a note).
        _connect(quote_accepted, receivers.collect_accepted_quote,
                               dispatch_uid="oscar_orders_ext.collect_accepted_quote")
        # ... and the subscriptions the order started bill that price from then on.
        _connect(quote_accepted.in_transaction, receivers.reprice_subscriptions,
                 dispatch_uid="oscar_orders_ext.reprice_subscriptions")
        # The customer directory's aggregates follow orders, processes and accounts.
        from django.contrib.auth import get_user_model


        _connect(post_init, receivers.remember_loaded_order, sender=order_model,
                          dispatch_uid="oscar_orders_ext.loaded_order")
        _connect(pre_save, receivers.remember_order_columns, sender=order_model,
                         dispatch_uid="oscar_orders_ext.customer_email")
        _connect(post_init, receivers.remember_process_contribution, sender=OrderProcess,
                          dispatch_uid="oscar_orders_ext.customer_contribution")
        _connect(post_save, receivers.count_process_change, sender=OrderProcess,
                          dispatch_uid="oscar_orders_ext.customer_process")
        _connect(post_delete, receivers.count_process_change, sender=OrderProcess,
                            dispatch_uid="oscar_orders_ext.customer_process_deleted")
        _connect(post_save, receivers.recount_account_customer, sender=get_user_model(),
                          dispatch_uid="oscar_orders_ext.customer_account")
        _connect(order_placed, receivers.tag_customer_of_placed_order,
                             dispatch_uid="oscar_orders_ext.customer_tags")
        # Webhook events (oscar_orders_ext.webhooks), from the services' signals.
        _connect(post_save, receivers.webhook_order_created, sender=OrderProcess,
                          dispatch_uid="oscar_orders_ext.webhook_created")
        for model_signal in (post_save, post_delete):
            _connect(model_signal, receivers.endpoint_changed, sender=get_model(
                "oscar_orders_ext", "WebhookEndpoint"),
                dispatch_uid=f"oscar_orders_ext.webhook_endpoint_{model_signal is post_save}")
        # Recorded inside the change's transaction (the signals' in_transaction twins), so
        # the deliveries commit with it: nothing for a rollback, nothing lost after a commit.
        _connect(order_state_changed.in_transaction, receivers.webhook_state_changed,
                 dispatch_uid="oscar_orders_ext.webhook_state")
        _connect(order_process_changed.in_transaction, receivers.webhook_process_changed,
                 dispatch_uid="oscar_orders_ext.webhook_changed")
        from . import signals as ext_signals

        _connect(ext_signals.order_message_posted.in_transaction,
                 receivers.webhook_message_posted,
                 dispatch_uid="oscar_orders_ext.webhook_message")
        for signal, receiver in (
                (ext_signals.quote_sent, receivers.webhook_quote_sent),
                (ext_signals.quote_accepted, receivers.webhook_quote_accepted),
                (ext_signals.quote_rejected, receivers.webhook_quote_rejected),
                (ext_signals.quote_withdrawn, receivers.webhook_quote_withdrawn)):
            _connect(signal.in_transaction, receiver,
                     dispatch_uid=f"oscar_orders_ext.{receiver.__name__}")
        _connect(ext_signals.orders_imported.in_transaction, receivers.webhook_orders_imported,
                 dispatch_uid="oscar_orders_ext.webhook_imported")
        # Subscriptions (docs/subscriptions.md): started inside the confirming move's
        # transaction (django-fsm's post_transition runs in the transition service's lock).
        from django_fsm.signals import post_transition
        _connect(post_transition, receivers.start_subscriptions_on_confirmation,
                                sender=OrderProcess,
                                dispatch_uid="oscar_orders_ext.subscriptions_start")
        _connect(order_placed, receivers.mark_subscription_orders,
                             dispatch_uid="oscar_orders_ext.subscription_type")
        _connect(post_save, receivers.note_order_line, sender=get_model("order", "Line"),
                 dispatch_uid="oscar_orders_ext.subscription_lines")
        for model_signal in (post_save, post_delete):
            _connect(model_signal, receivers.plan_products_changed, sender=get_model(
                "oscar_orders_ext", "ProductPlan"),
                dispatch_uid=f"oscar_orders_ext.plan_products_{model_signal is post_save}")
        _connect(post_save, receivers.settle_paid_renewal, sender=OrderProcess,
                          dispatch_uid="oscar_orders_ext.renewal_paid")
        _connect(post_save, receivers.settle_installments, sender=OrderProcess,
                          dispatch_uid="oscar_orders_ext.installments_paid")
        # A set-based bulk "mark paid" saves no process: its batches settle the same way.
        _connect(ext_signals.orders_bulk_changed, receivers.settle_bulk_payments,
                 sender=OrderProcess, dispatch_uid="oscar_orders_ext.bulk_payments")
        _connect(post_migrate, receivers.create_default_funnel, sender=self,
                             dispatch_uid="oscar_orders_ext.default_funnel")
        from .services.processes import forget_funnel_check

        _connect(post_delete, forget_funnel_check, sender=get_model("oscar_orders_ext", "Funnel"),
                 dispatch_uid="oscar_orders_ext.funnel_deleted")
