"""Signal receivers, connected in ``OrdersExtConfig.ready()``."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save

from .conf import app_settings
from .i18n import placement_language
from .middleware import current_user
from .models import Funnel, OrderProcess
from .services.customer_summaries import refresh_after_commit
from .services.customer_tags import (apply_after_commit, process_became_paid,
                                     rules_apply_on_placement)
from .services.oscar_status import is_mirroring
from .services.processes import (current_order_source, ensure_process, payment_method_of,
                                 sync_snapshot)
from .services.transitions import follow_oscar_status


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


# --- The customer directory's aggregates (services.customer_summaries) ----------------------

def remember_order_email(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    """Before an order is saved, note the email its process holds: if the save changes the
    buyer, the previous customer is recounted too."""
    if raw or instance.pk is None or is_mirroring(instance):
        return  # a status mirror changes no buyer (and the process's save recounts)
    update_fields = kwargs.get("update_fields")
    if update_fields is not None and not {"guest_email", "user", "user_id"} & set(update_fields):
        return
    instance._oscar_orders_ext_previous_email = (
        OrderProcess.objects.filter(order_id=instance.pk)
        .values_list("customer_email", flat=True).first())


def recount_order_customers(sender: Any, instance: Any, raw: bool = False,
                            **kwargs: Any) -> None:
    """After an order is saved, recount its customer (and a previous one) once committed."""
    if raw or is_mirroring(instance):
        return
    refresh_after_commit(instance.email,
                         getattr(instance, "_oscar_orders_ext_previous_email", None))


def recount_process_customer(sender: Any, instance: OrderProcess, raw: bool = False,
                             **kwargs: Any) -> None:
    """After a process is saved or deleted (state, total, deletion of the order), recount its
    customer once committed."""
    if not raw:
        refresh_after_commit(instance.customer_email)
        if kwargs.get("signal") is post_save and process_became_paid(instance):
            apply_after_commit([instance.order_id])


def recount_account_customer(sender: Any, instance: Any, raw: bool = False,
                             **kwargs: Any) -> None:
    """After an account is saved (a new customer, a changed name or email), recount it."""
    if not raw:
        refresh_after_commit(instance.email)


def tag_customer_of_placed_order(sender: Any, order: Any, **kwargs: Any) -> None:
    """Oscar's ``order_placed`` (checkout, manual orders, API packages): apply the customer tag
    rules to the order once committed, when they apply on placement."""
    if rules_apply_on_placement():
        apply_after_commit([order.pk])
