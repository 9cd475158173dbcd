"""Bulk actions over many orders: each order in its own transaction, refusals reported."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from oscar_orders_ext.constants import PaymentStatus
from oscar_orders_ext.exceptions import OrderWorkflowError
from oscar_orders_ext.models import OrderProcess, Tag
from oscar_orders_ext.workflow import get_workflow

from . import edits
from .notifications import send_order_confirmation
from .transitions import transition_order, will_notify

Action = Callable[[OrderProcess, Any], object]


@dataclass
class Refusal:
    order_number: str
    message: str


@dataclass
class BulkReport:
    """How many orders an action changed and why the others were refused."""

    action: str
    done: int = 0
    refused: list[Refusal] = field(default_factory=list)
    #: Customers emailed about the change (state changes that notify).
    emailed: int = 0


def _transition(name: str, notify: bool | None = None) -> Action:
    return lambda process, user: transition_order(process, name, user=user,
                                                  notify_customer=notify)


def customers_to_email(processes: Iterable[OrderProcess], transition: str,
                       notify: bool | None = None) -> int:
    """How many customers a bulk ``transition`` would email (the confirmation says it)."""
    count = 0
    for process in processes:
        target = next((t.target for t in process.get_all_state_transitions()
                       if t.name == transition and t.source in {process.state, "*", "+"}),
                      None)
        if target is not None and will_notify(process, str(target), notify):
            count += 1
    return count


def _payment(status: str) -> Action:
    return lambda process, user: edits.set_payment_status(process, status, user=user)


def _resend_confirmation(process: OrderProcess, user: Any) -> None:
    if not send_order_confirmation(process.order, user=user):
        raise OrderWorkflowError(_("The order has no email address."))


def _cancel_action() -> dict[str, tuple[Any, Action]]:
    """The bulk "Cancel": the workflow's cancel move; nothing when it declares none."""
    name = get_workflow().cancel_transition
    return {"cancel": (gettext_lazy("Cancel"), _transition(name))} if name else {}


#: Actions without a parameter; the front ends list these in their bulk menu. The workflow is
#: fixed at start-up (it is mixed into OrderProcess), so its cancel move is read once.
SIMPLE_ACTIONS: dict[str, tuple[Any, Action]] = {
    "mark_paid": (gettext_lazy("Mark paid"), _payment(PaymentStatus.PAID)),
    "mark_unpaid": (gettext_lazy("Mark unpaid"), _payment(PaymentStatus.UNPAID)),
    **_cancel_action(),
    "resend_confirmation": (gettext_lazy("Resend order confirmation"), _resend_confirmation),
}


def resolve_action(action: str, *, transition: str = "", tag: Tag | None = None,
                   operator: Any = None, notify: bool | None = None) -> Action:
    """The function that applies ``action`` (with its parameter) to one order; ``notify``
    (state changes) tells the customers or not, None following each state's default."""
    # The workflow's own cancel move (a shop's may be named otherwise, or be absent).
    cancel = get_workflow().cancel_transition
    if action == "cancel" and cancel:
        return _transition(cancel, notify)
    if action in SIMPLE_ACTIONS:
        return SIMPLE_ACTIONS[action][1]
    if action == "transition" and transition:
        return _transition(transition, notify)
    if action == "add_tag" and tag is not None:
        return lambda process, user: edits.add_tags(process, [tag], user=user)
    if action == "remove_tag" and tag is not None:
        return lambda process, user: edits.remove_tags(process, [tag], user=user)
    if action == "assign_operator":
        return lambda process, user: edits.assign_operator(process, operator, user=user)
    raise OrderWorkflowError(_("Choose an action and what it applies."))


def _chunks(pks: Iterable[int], size: int) -> Iterator[list[int]]:
    iterator = iter(pks)
    while chunk := list(islice(iterator, size)):
        yield chunk


def run_bulk_action(process_pks: Iterable[int], action: str, apply: Action, *, user: Any,
                    chunk_size: int = 500) -> BulkReport:
    """Apply ``apply`` to every process, reading them in chunks so memory stays flat."""
    report = BulkReport(action=action)
    for chunk in _chunks(process_pks, chunk_size):
        for process in OrderProcess.objects.filter(pk__in=chunk).order_by("pk"):
            try:
                with transaction.atomic():
                    outcome = apply(process, user)
            except OrderWorkflowError as error:
                report.refused.append(Refusal(process.number or str(process.order_id),
                                              error.message))
            else:
                report.done += 1
                report.emailed += bool(getattr(outcome, "notified", False))
    return report
