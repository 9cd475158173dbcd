"""Changes to an order's process other than state moves: payment, operator, tags, funnel,
order type and notes. Each locks the row, checks the version, records the timeline and sends
``order_process_changed`` after commit."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from oscar.core.loading import get_model

from oscar_orders_ext import permissions
from oscar_orders_ext.constants import CUSTOMER_NOTE_TYPE, OrderType, PaymentStatus, TimelineKind
from oscar_orders_ext.display import person_name
from oscar_orders_ext.exceptions import OrderWorkflowError, TransitionPermissionDenied
from oscar_orders_ext.models import Funnel, OrderProcess, Tag
from oscar_orders_ext.signals import order_process_changed
from oscar_orders_ext.workflow import get_workflow

from .locking import OrderLike, locked_process
from .timeline import record

OrderNote = get_model("order", "OrderNote")

CHANGE_PERMISSION = permissions.OPERATIONS["edit-order"]

Change = Callable[[OrderProcess], dict[str, Any] | None]


def check_permission(user: Any, permission: str = CHANGE_PERMISSION) -> None:
    """Refuse a user without ``permission``; ``None`` is the system and may do anything."""
    if user is not None and not user.has_perm(permission):
        raise TransitionPermissionDenied()


def edit_process(order: OrderLike, kind: str, change: Change, *, user: Any = None,
                 note: str = "", expected_version: int | None = None,
                 permission: str = CHANGE_PERMISSION) -> OrderProcess:
    """Run ``change`` on the locked process; it returns the timeline data, or None if nothing
    changed (then nothing is written)."""
    check_permission(user, permission)
    with locked_process(order, expected_version=expected_version) as process:
        data = change(process)
        if data is None:
            return process
        process.version += 1
        process.last_activity_at = timezone.now()
        process.save()
        record(process.order_id, kind, actor=user, note=note, data=data,
               at=process.last_activity_at)
        order_process_changed.send_on_commit(sender=OrderProcess, process=process,
                                             order=process.order, kind=kind, user=user,
                                             data=data)
        return process


def _set_choice(order: OrderLike, field: str, value: str, kind: str, *,
                choices: type[PaymentStatus] | type[OrderType], what: str, user: Any,
                note: str = "", expected_version: int | None) -> OrderProcess:
    if value not in choices.values:
        raise OrderWorkflowError(_("“%(value)s” is not a valid %(what)s.")
                                 % {"value": value, "what": what})

    def change(process: OrderProcess) -> dict[str, Any] | None:
        previous = getattr(process, field)
        if previous == value:
            return None
        setattr(process, field, value)
        return {"from": previous, "to": value}

    return edit_process(order, kind, change, user=user, note=note,
                        expected_version=expected_version)


def set_payment_status(order: OrderLike, status: str, *, user: Any = None, note: str = "",
                       expected_version: int | None = None) -> OrderProcess:
    """Mark the order paid, unpaid, partially refunded or refunded."""
    return _set_choice(order, "payment_status", status, TimelineKind.PAYMENT,
                       choices=PaymentStatus, what=_("payment status"), user=user, note=note,
                       expected_version=expected_version)


def set_order_type(order: OrderLike, order_type: str, *, user: Any = None,
                   expected_version: int | None = None) -> OrderProcess:
    """Change the order type (standard, subscription, installment, quote)."""
    return _set_choice(order, "order_type", order_type, TimelineKind.ORDER_TYPE,
                       choices=OrderType, what=_("order type"), user=user,
                       expected_version=expected_version)


def assign_operator(order: OrderLike, operator: Any, *, user: Any = None,
                    expected_version: int | None = None) -> OrderProcess:
    """Make ``operator`` (a staff user, or None) responsible for the order."""
    if operator is not None and not operator.is_staff:
        raise OrderWorkflowError(_("Only staff members can be assigned to orders."))

    def change(process: OrderProcess) -> dict[str, Any] | None:
        if process.operator_id == (operator.pk if operator else None):
            return None
        previous = process.operator
        process.operator = operator
        return {"from": person_name(previous), "to": person_name(operator)}

    return edit_process(order, TimelineKind.OPERATOR, change, user=user,
                        expected_version=expected_version)


def _change_tags(order: OrderLike, *, user: Any, expected_version: int | None,
                 compute: Callable[[set[int]], set[int]]) -> OrderProcess:
    def change(process: OrderProcess) -> dict[str, Any] | None:
        current = set(process.tags.values_list("pk", flat=True))
        wanted = compute(current)
        if wanted == current:
            return None
        added, removed = wanted - current, current - wanted
        process.tags.add(*added)
        process.tags.remove(*removed)
        names = dict(Tag.objects.filter(pk__in=added | removed).values_list("pk", "name"))
        return {"added": sorted(names[pk] for pk in added),
                "removed": sorted(names[pk] for pk in removed)}

    return edit_process(order, TimelineKind.TAGS, change, user=user,
                        expected_version=expected_version)


def set_tags(order: OrderLike, tags: Iterable[Tag], *, user: Any = None,
             expected_version: int | None = None, shown: set[int] | None = None
             ) -> OrderProcess:
    """Replace the order's tags; with ``shown`` (the tag ids a form showed), apply only what
    was ticked or unticked there, keeping tags changed meanwhile by others."""
    wanted = {tag.pk for tag in tags}
    if shown is None:
        return _change_tags(order, user=user, expected_version=expected_version,
                            compute=lambda current: wanted)
    added, removed = wanted - shown, shown - wanted
    return _change_tags(order, user=user, expected_version=expected_version,
                        compute=lambda current: (current - removed) | added)


def add_tags(order: OrderLike, tags: Iterable[Tag], *, user: Any = None) -> OrderProcess:
    """Add tags, keeping the ones the order has."""
    extra = {tag.pk for tag in tags}
    return _change_tags(order, user=user, expected_version=None,
                        compute=lambda current: current | extra)


def remove_tags(order: OrderLike, tags: Iterable[Tag], *, user: Any = None) -> OrderProcess:
    """Remove tags from the order."""
    gone = {tag.pk for tag in tags}
    return _change_tags(order, user=user, expected_version=None,
                        compute=lambda current: current - gone)


def move_to_funnel(order: OrderLike, funnel: Funnel, *, user: Any = None,
                   expected_version: int | None = None) -> OrderProcess:
    """Put the order into another funnel, on the stage that holds its state.

    Refused when the funnel has no stage for the order's state: the order would show on no
    board at all.
    """

    def change(process: OrderProcess) -> dict[str, Any] | None:
        if process.funnel_id == funnel.pk:
            return None
        stage = funnel.stage_for_state(process.state)
        if stage is None:
            raise OrderWorkflowError(_(
                "“%(funnel)s” has no stage for the state “%(state)s”: the order would show on "
                "no board. Add such a stage to the funnel, or choose another funnel.")
                % {"funnel": funnel.display_name,
                   "state": get_workflow().get_state(process.state).label})
        previous = process.funnel
        process.funnel = funnel
        process.stage = stage
        return {"from": previous.name, "to": funnel.name}

    return edit_process(order, TimelineKind.STAGE, change, user=user,
                        expected_version=expected_version)


def add_note(order: OrderLike, message: str, *, user: Any = None, for_customer: bool = False
             ) -> Any:
    """Add a note to the order as an Oscar ``OrderNote``; ``for_customer`` notes reach the buyer.
    """
    message = (message or "").strip()
    if not message:
        raise OrderWorkflowError(_("A note cannot be empty."))
    created: dict[str, Any] = {}

    def change(process: OrderProcess) -> dict[str, Any]:
        note_type = CUSTOMER_NOTE_TYPE if for_customer else OrderNote.INFO
        created["note"] = OrderNote.objects.create(
            order=process.order, user=user if user is not None else None,
            note_type=note_type, message=message)
        return {"note_id": created["note"].pk, "for_customer": for_customer}

    edit_process(order, TimelineKind.NOTE, change, user=user, note=message)
    return created["note"]
