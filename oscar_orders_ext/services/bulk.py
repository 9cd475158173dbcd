"""Bulk actions over many orders, refusals reported order by order.

Two ways to apply an action:

- per order (state changes, cancel, emails, payment links): each order in its own
  transaction through the service that owns the change (the transition service for moves);
- set-based (tags, operator, paid/unpaid): a batch of orders at once, their rows locked in
  one statement, changed in one ``UPDATE`` (or one insert/delete of tag links, the rows
  themselves left alone), their timeline entries written with it: on PostgreSQL in the same
  statement (``bulk_pg``), elsewhere with one ``bulk_create``. PostgreSQL's statement-level
  triggers keep the tallies right whatever the statement; the webhooks' deliveries are
  recorded in the batch's transaction (one insert), the tag rules and the
  ``orders_bulk_changed`` signal follow once each batch commits.

Ticked rows up to ``BULK_SYNC_LIMIT`` run in the request (:func:`run_bulk_action`); larger
selections and "every matching order" become a :class:`BulkJob` the worker runs
(:func:`start_bulk_job`, :func:`run_bulk_job`), with a progress page and the report.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db import connections as db_connections
from django.db.models import F
from django.http import QueryDict
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tasks import task

from oscar_orders_ext import selectors
from oscar_orders_ext.conf import app_settings
from oscar_orders_ext.constants import PaymentStatus, TimelineKind
from oscar_orders_ext.display import person_name
from oscar_orders_ext.exceptions import OrderWorkflowError
from oscar_orders_ext.i18n import starting_language
from oscar_orders_ext.models import BulkJob, OrderProcess, Tag, TimelineEntry, WebhookEndpoint
from oscar_orders_ext.signals import order_process_changed, orders_bulk_changed
from oscar_orders_ext.workflow import get_workflow

from . import bulk_pg, edits
from .customer_tags import apply_tag_rules, rules_apply_on_placement
from .jobs import run_claimed
from .notifications import send_order_confirmation
from .transitions import transition_order, transition_orders, will_notify

logger = logging.getLogger(__name__)

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


#: Per-order actions that features above the services add (payments' "send_payment_links"),
#: by name: :func:`register_action` fills it when their module loads.
REGISTERED_ACTIONS: dict[str, Action] = {}


def register_action(name: str, apply: Action) -> None:
    """Make ``name`` a per-order bulk action applying ``apply`` (used by features above)."""
    REGISTERED_ACTIONS[name] = apply


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
    if action in REGISTERED_ACTIONS:
        return REGISTERED_ACTIONS[action]
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
                    chunk_size: int = 500,
                    progress: Callable[[BulkReport, int], None] | None = None) -> BulkReport:
    """Apply ``apply`` to every process, each in its own transaction, reading them in chunks
    so memory stays flat; ``progress`` hears the report and the orders seen after each chunk."""
    report = BulkReport(action=action)
    seen = 0
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
        seen += len(chunk)
        if progress is not None:
            progress(report, seen)
    return report


def transition_of(action: str, transition: str = "") -> str:
    """The workflow transition a bulk ``action`` makes ("" for actions that are not moves):
    those run a batch at a time through :func:`run_transitions`."""
    if action == "cancel":
        return get_workflow().cancel_transition or ""
    return transition if action == "transition" else ""


def run_transitions(process_pks: Iterable[int], name: str, *, user: Any,
                    notify: bool | None = None, batch_size: int | None = None,
                    progress: Callable[[BulkReport, int], None] | None = None,
                    action: str = "transition") -> BulkReport:
    """Move the orders with the transition ``name``, a batch at a time through the
    transition service (:func:`~.transitions.transition_orders`), refusals order by order."""
    report = BulkReport(action=action)
    seen = 0
    for chunk in _chunks(process_pks, batch_size or app_settings.BULK_BATCH_SIZE):
        outcome = transition_orders(chunk, name, user=user, notify_customer=notify)
        report.done += len(outcome.moved)
        report.emailed += sum(result.notified for result in outcome.moved)
        report.refused.extend(Refusal(error.order_number or "", error.message)
                              for error in outcome.refused)
        seen += len(chunk)
        if progress is not None:
            progress(report, seen)
    return report


# --- Set-based actions --------------------------------------------------------------------------

#: Actions without per-order workflow effects, applied to a batch at once.
SET_BASED_ACTIONS = frozenset({"mark_paid", "mark_unpaid", "add_tag", "remove_tag",
                               "assign_operator"})

#: A set-based action on one batch of process ids, inside the batch's transaction: it locks
#: the rows, changes them, writes their timeline entries and returns the changed orders' ids
#: with the timeline data of each.
BatchAction = Callable[[list[int]], dict[int, dict[str, Any]]]


def _on_postgresql() -> bool:
    return connection.vendor == "postgresql"


def _locked(pks: list[int], *fields: str) -> list[tuple[Any, ...]]:
    """Lock the batch's process rows (one ``SELECT … FOR UPDATE``, in key order, the order
    every other writer locks in) and read ``pk``, ``order_id`` and ``fields``."""
    return list(OrderProcess.objects.select_for_update().filter(pk__in=pks).order_by("pk")
                .values_list("pk", "order_id", *fields))


def _touch(pks: list[int], now: Any, **changes: Any) -> None:
    """One ``UPDATE`` of the batch: the change, a new version, the last activity."""
    OrderProcess.objects.filter(pk__in=pks).update(
        version=F("version") + 1, last_activity_at=now, **changes)


def _record(changes: dict[int, dict[str, Any]], kind: str, actor: Any, now: Any) -> None:
    """The batch's timeline entries in one ``bulk_create`` (the ORM path)."""
    TimelineEntry.objects.bulk_create(
        TimelineEntry(order_id=order_id, kind=kind, actor=actor, data=data, created_at=now)
        for order_id, data in changes.items())


def _payment_batch(status: str, kind: str, actor: Any) -> BatchAction:
    def apply(pks: list[int]) -> dict[int, dict[str, Any]]:
        now = timezone.now()
        if _on_postgresql():
            bulk_pg.lock(pks)
            previous = bulk_pg.set_field(pks, "payment_status", status, kind=kind,
                                         actor=getattr(actor, "pk", None), now=now)
            return {order_id: {"from": was, "to": status} for order_id, was in previous.items()}
        rows = [row for row in _locked(pks, "payment_status") if row[2] != status]
        _touch([pk for pk, _order, _previous in rows], now, payment_status=status)
        changes = {order_id: {"from": was, "to": status} for _pk, order_id, was in rows}
        _record(changes, kind, actor, now)
        return changes
    return apply


def _tag_batch(tag: Tag, add: bool, kind: str, actor: Any) -> BatchAction:
    """Tag links only: the process rows keep their version and last activity (a tag is no
    field a form saves over someone else's change; docs/architecture.md, "Bulk actions")."""
    links = OrderProcess.tags.through
    data: dict[str, Any] = {"added": [tag.name] if add else [],
                            "removed": [] if add else [tag.name]}

    def apply(pks: list[int]) -> dict[int, dict[str, Any]]:
        now = timezone.now()
        if _on_postgresql():
            bulk_pg.lock(pks)
            return dict.fromkeys(bulk_pg.change_tag(pks, tag.pk, add, kind=kind,
                                                    actor=getattr(actor, "pk", None), now=now,
                                                    data=data), data)
        rows = _locked(pks)
        tagged = set(links.objects.filter(tag_id=tag.pk, orderprocess_id__in=pks)
                     .values_list("orderprocess_id", flat=True))
        changed = [(pk, order_id) for pk, order_id in rows if (pk in tagged) != add]
        changed_pks = [pk for pk, _order in changed]
        if add:
            links.objects.bulk_create([links(orderprocess_id=pk, tag_id=tag.pk)
                                       for pk in changed_pks])
        else:
            links.objects.filter(tag_id=tag.pk, orderprocess_id__in=changed_pks).delete()
        changes = dict.fromkeys((order_id for _pk, order_id in changed), data)
        _record(changes, kind, actor, now)
        return changes
    return apply


def _operator_names(user_ids: Iterable[int]) -> dict[int, str]:
    return {user.pk: person_name(user)
            for user in get_user_model().objects.filter(pk__in=set(user_ids))}


def _operator_batch(operator: Any, kind: str, actor: Any) -> BatchAction:
    target = operator.pk if operator is not None else None
    to_name = person_name(operator)

    def apply(pks: list[int]) -> dict[int, dict[str, Any]]:
        now = timezone.now()
        if _on_postgresql():
            bulk_pg.lock(pks)
            names = _operator_names(
                OrderProcess.objects.filter(pk__in=pks, operator__isnull=False)
                .values_list("operator_id", flat=True).distinct())
            previous = bulk_pg.set_field(
                pks, "operator_id", target, kind=kind, actor=getattr(actor, "pk", None),
                now=now, names={str(pk): name for pk, name in names.items()}, to_name=to_name)
            return {order_id: {"from": was, "to": to_name} for order_id, was in previous.items()}
        rows = [row for row in _locked(pks, "operator_id") if row[2] != target]
        names = _operator_names(operator_id for _pk, _order, operator_id in rows if operator_id)
        _touch([pk for pk, _order, _previous in rows], now, operator_id=target)
        changes = {order_id: {"from": names.get(operator_id, ""), "to": to_name}
                   for _pk, order_id, operator_id in rows}
        _record(changes, kind, actor, now)
        return changes
    return apply


_KINDS = {"mark_paid": TimelineKind.PAYMENT, "mark_unpaid": TimelineKind.PAYMENT,
          "add_tag": TimelineKind.TAGS, "remove_tag": TimelineKind.TAGS,
          "assign_operator": TimelineKind.OPERATOR}


def set_based_action(action: str, *, user: Any, tag: Tag | None = None, operator: Any = None
                     ) -> tuple[str, BatchAction]:
    """The timeline kind and the batch function of a set-based ``action``; refuses (for every
    order at once) a user without the permission to edit orders or an operator who is not
    staff, as the per-order services do."""
    edits.check_permission(user)
    # Who the timeline names: a signed-in user; the system (None) otherwise.
    actor = user if getattr(user, "is_authenticated", False) else None
    if action in {"mark_paid", "mark_unpaid"}:
        status = PaymentStatus.PAID if action == "mark_paid" else PaymentStatus.UNPAID
        return _KINDS[action], _payment_batch(status, _KINDS[action], actor)
    if action in {"add_tag", "remove_tag"} and tag is not None:
        return _KINDS[action], _tag_batch(tag, action == "add_tag", _KINDS[action], actor)
    if action == "assign_operator":
        if operator is not None and not operator.is_staff:
            raise OrderWorkflowError(_("Only staff members can be assigned to orders."))
        return _KINDS[action], _operator_batch(operator, _KINDS[action], actor)
    raise OrderWorkflowError(_("Choose an action and what it applies."))


def _announce_batch(kind: str, changes: dict[int, dict[str, Any]], user: Any) -> None:
    """Inside the batch's transaction: the per-order ``order_process_changed`` the webhooks
    (and any shop receiver) listen to, as the per-order services send it, only while an
    endpoint listens (a shop without webhooks pays nothing per order). Its
    ``in_transaction`` twin gets the whole batch at once, so the webhooks record every
    delivery of the batch in one ``INSERT`` committed with the change."""
    if not WebhookEndpoint.objects.filter(is_active=True).exists():
        return
    order_process_changed.send_many_on_commit(OrderProcess, [
        {"process": process, "order": process.order, "kind": kind, "user": user,
         "data": changes[process.order_id]}
        for process in OrderProcess.objects.filter(order_id__in=list(changes))
        .select_related("order").order_by("pk")])


def _after_batch(kind: str, changes: dict[int, dict[str, Any]], user: Any) -> None:
    """What follows a committed batch: ``orders_bulk_changed``, the customer tag rules of
    newly paid orders."""
    order_ids = list(changes)
    orders_bulk_changed.send(sender=OrderProcess, kind=kind, order_ids=order_ids, user=user,
                             changes=changes)
    if kind == TimelineKind.PAYMENT and not rules_apply_on_placement():
        paid = [order_id for order_id, data in changes.items()
                if data["to"] == PaymentStatus.PAID]
        if paid:
            apply_tag_rules(paid, paid_only=True)


def _apply_batch(apply: BatchAction, chunk: list[int], kind: str,
                 user: Any) -> dict[int, dict[str, Any]]:
    """One batch in its own transaction: changed, its timeline written, webhooks recorded."""
    with transaction.atomic():
        changes = apply(chunk)
        if changes:
            _announce_batch(kind, changes, user)
    return changes


def set_based_connections(wanted: int | None = None) -> int:
    """How many batches of a set-based action run at once, each on its own connection:
    ``wanted`` (``BULK_SET_CONNECTIONS``) on PostgreSQL outside a transaction, else one (a
    caller's transaction must hold every batch, and SQLite writes one at a time)."""
    if not _on_postgresql() or connection.in_atomic_block:
        return 1
    return max(1, app_settings.BULK_SET_CONNECTIONS if wanted is None else wanted)


def _batches_in_threads(apply: BatchAction, chunks: Iterator[list[int]], kind: str, user: Any,
                        threads: int) -> Iterator[tuple[list[int], dict[int, dict[str, Any]]]]:
    """Run the batches on ``threads`` threads, each with its own connection; yield each
    committed batch (its ids, its changes) as it ends. The batches lock disjoint rows in key
    order and the tally triggers upsert in key order, so they cannot deadlock each other."""
    pending: Iterator[list[int]] = chunks
    lock, results = threading.Lock(), queue.Queue[tuple[Any, ...]]()
    stop = threading.Event()
    language = translation.get_language()

    def work() -> None:
        try:
            with translation.override(language):
                while not stop.is_set():
                    with lock:
                        chunk = next(pending, None)
                    if chunk is None:
                        break
                    results.put(("batch", chunk, _apply_batch(apply, chunk, kind, user)))
        except BaseException as error:  # handed to the caller, who raises it
            stop.set()
            results.put(("error", error))
        finally:
            db_connections.close_all()  # this thread's own connection
            results.put(("end",))

    workers = [threading.Thread(target=work, name=f"bulk-{n}", daemon=True)
               for n in range(threads)]
    for worker in workers:
        worker.start()
    ended, error = 0, None
    try:
        while ended < threads:
            item = results.get()
            if item[0] == "end":
                ended += 1
            elif item[0] == "error":
                error = error or item[1]
            else:  # committed, even after another batch failed: what follows it still runs
                yield item[1], item[2]
    finally:
        stop.set()
        for worker in workers:
            worker.join()
    if error is not None:
        raise error


def run_set_based(process_pks: Iterable[int], action: str, apply: BatchAction, *, kind: str,
                  user: Any, batch_size: int | None = None, connections: int | None = None,
                  progress: Callable[[BulkReport, int], None] | None = None) -> BulkReport:
    """Apply a set-based action batch by batch, each batch in one transaction: its rows
    locked, changed and its timeline entries written in a handful of statements. On
    PostgreSQL ``connections`` (``BULK_SET_CONNECTIONS``) batches run at once, each on its
    own connection; what follows a batch (signals, tag rules, progress) runs here."""
    report = BulkReport(action=action)
    seen = 0
    # PostgreSQL takes the ids as one array parameter; the ORM path binds an IN list.
    size = batch_size or (app_settings.BULK_SET_BATCH_SIZE if _on_postgresql()
                          else app_settings.BULK_BATCH_SIZE)
    threads = set_based_connections(connections)
    chunks = _chunks(process_pks, size)
    batches = (_batches_in_threads(apply, chunks, kind, user, threads) if threads > 1
               else ((chunk, _apply_batch(apply, chunk, kind, user)) for chunk in chunks))
    for chunk, changes in batches:
        report.done += len(changes)
        seen += len(chunk)
        if changes:
            _after_batch(kind, changes, user)
        if progress is not None:
            progress(report, seen)
    return report


# --- Bulk actions on the worker -----------------------------------------------------------------

def runs_inline(select_all: bool, selected: list[int]) -> bool:
    """Whether a bulk action runs in the request: ticked rows up to ``BULK_SYNC_LIMIT`` (a page
    of the table); "every matching order" and larger selections run on the worker."""
    return not select_all and len(selected) <= app_settings.BULK_SYNC_LIMIT


def start_bulk_job(user: Any, *, action: str, label: str = "", transition: str = "",
                   tag: Tag | None = None, operator: Any = None, notify: bool | None = None,
                   query: str = "", select_all: bool = False,
                   selected: Iterable[int] = ()) -> BulkJob:
    """Record a bulk action for the worker and enqueue it after commit; nothing is counted or
    read here, so the request answers at once whatever the number of orders."""
    chosen = list(selected)
    params: dict[str, Any] = {
        "action": action, "transition": transition, "tag": tag.pk if tag else None,
        "operator": operator.pk if operator is not None else None, "notify": notify,
        "query": query, "select_all": select_all, "selected": chosen}
    job = BulkJob.objects.create(user=user, params=params, label=label,
                                 total=0 if select_all else len(chosen),
                                 language=starting_language())
    transaction.on_commit(lambda: run_bulk_task.enqueue(job.pk))
    return job


def job_selection(job: BulkJob) -> list[int]:
    """The process ids a job acts on, in key order: the ticked ones the user may still see, or
    every order matching the filter now; a filter with bad input selects nothing (refused)."""
    params, visible = job.params, selectors.visible_processes(job.user)
    if not params.get("select_all"):
        return list(visible.filter(pk__in=params.get("selected") or []).order_by("pk")
                    .values_list("pk", flat=True))
    data = QueryDict(params.get("query") or "", mutable=True)
    for name in ("page", "page_size", "sort", "view", "filters", "columns"):
        data.pop(name, None)
    order_filter = selectors.OrderFilter(data, request=None, queryset=visible)
    if not order_filter.is_valid():
        form = order_filter.form
        errors = "; ".join(f"{form.fields[name].label}: {error}" if name in form.fields
                           else str(error)
                           for name, errors in form.errors.items() for error in errors)
        raise OrderWorkflowError(_("The filter is not valid: %(errors)s") % {"errors": errors})
    return list(order_filter.qs.order_by("pk").values_list("pk", flat=True))


def _job_action(job: BulkJob) -> tuple[str, BatchAction | None, Action | None]:
    """(timeline kind, batch function, None) of a set-based job, ("", None, per-order
    function) of the others."""
    params = job.params
    tag = Tag.objects.filter(pk=params["tag"]).first() if params.get("tag") else None
    if params.get("tag") and tag is None:
        raise OrderWorkflowError(_("The tag was deleted."))
    operator = (get_user_model().objects.filter(pk=params["operator"]).first()
                if params.get("operator") else None)
    action = params["action"]
    if action in SET_BASED_ACTIONS:
        kind, batch = set_based_action(action, user=job.user, tag=tag, operator=operator)
        return kind, batch, None
    return "", None, resolve_action(action, transition=params.get("transition") or "",
                                    tag=tag, operator=operator, notify=params.get("notify"))


def run_bulk_job(job_id: int) -> BulkJob:
    """Run a bulk job, batch by batch, reporting progress and refusals on the job as it goes."""
    job = BulkJob.objects.select_related("user").get(pk=job_id)
    stored = app_settings.BULK_REFUSALS_STORED

    def progress(report: BulkReport, seen: int) -> None:
        refusals = [{"number": refusal.order_number, "message": refusal.message}
                    for refusal in report.refused[:stored]]
        BulkJob.objects.filter(pk=job.pk).update(
            done=seen, changed=report.done, emailed=report.emailed,
            refused=len(report.refused), refusals=refusals, heartbeat_at=timezone.now())

    try:
        pks = job_selection(job)
        job.total = len(pks)
        BulkJob.objects.filter(pk=job.pk).update(status=BulkJob.Status.RUNNING,
                                                 total=job.total)
        kind, batch, apply = _job_action(job)
        move = transition_of(job.params["action"], job.params.get("transition") or "")
        if move:
            run_transitions(pks, move, user=job.user, notify=job.params.get("notify"),
                            progress=progress, action=job.params["action"])
        elif batch is not None:
            run_set_based(pks, job.params["action"], batch, kind=kind, user=job.user,
                          progress=progress)
        else:
            assert apply is not None
            run_bulk_action(pks, job.params["action"], apply, user=job.user,
                            chunk_size=app_settings.BULK_BATCH_SIZE, progress=progress)
    except OrderWorkflowError as error:  # refused as a whole (permission, bad filter…)
        BulkJob.objects.filter(pk=job.pk).update(
            status=BulkJob.Status.FAILED, error=error.message, finished_at=timezone.now())
    except Exception as error:  # the job page must say it failed, whatever happened
        BulkJob.objects.filter(pk=job.pk).update(
            status=BulkJob.Status.FAILED, error=str(error), finished_at=timezone.now())
        raise
    else:
        BulkJob.objects.filter(pk=job.pk).update(status=BulkJob.Status.DONE,
                                                 finished_at=timezone.now())
    job.refresh_from_db()
    return job


@task()
def run_bulk_task(job_id: int) -> None:
    """Run a bulk action on the worker."""
    run_claimed(BulkJob, job_id, "bulk", run_bulk_job)
