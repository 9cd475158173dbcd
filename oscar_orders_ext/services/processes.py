"""Companion rows: every Oscar order gets exactly one OrderProcess, however it was placed."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any, cast

from django.db import IntegrityError, connections, transaction
from django.db.models import Subquery
from django.db.models.signals import post_save, pre_save
from django.utils import timezone
from oscar.core.loading import get_model

from oscar_orders_ext.constants import (OrderType, PaymentStatus, StockEffect, StockStatus,
                                        TimelineKind)
from oscar_orders_ext.models import Funnel, OrderProcess, Stage, Tag, TimelineEntry
from oscar_orders_ext.workflow import get_workflow
from oscar_orders_ext.services.customer_summaries import sync_process_snapshot

Order = get_model("order", "Order")

# The source recorded on processes of orders created inside ``order_source()``: code that places
# orders through Oscar's OrderCreator cannot hand the post_save receiver anything else.
_CURRENT_SOURCE: ContextVar[str] = ContextVar("oscar_orders_ext_order_source", default="")


@contextmanager
def order_source(source: str) -> Iterator[None]:
    """Orders created in this block get ``source`` on their process ("manual", "phone")."""
    token = _CURRENT_SOURCE.set(source)
    try:
        yield
    finally:
        _CURRENT_SOURCE.reset(token)


def current_order_source() -> str:
    """The source set by the enclosing ``order_source()`` block, or ""."""
    return _CURRENT_SOURCE.get()


_STOCK_STATUS_AFTER: dict[str, str] = {
    StockEffect.CONSUME: StockStatus.CONSUMED,
    StockEffect.RELEASE: StockStatus.RELEASED,
    StockEffect.RESTOCK: StockStatus.RESTOCKED,
}


def stock_status_for_state(state: str) -> str:
    """Where stock presumably stands for an order already in ``state`` (backfill, imports)."""
    workflow = get_workflow()
    effect = workflow.get_stock_effects().get(state)
    if effect in _STOCK_STATUS_AFTER:
        return _STOCK_STATUS_AFTER[effect]
    # A final state without a stock effect (e.g. refunded): leave stock alone from now on.
    return StockStatus.UNTRACKED if workflow.get_state(state).final else StockStatus.ALLOCATED


def order_snapshot(order: Any) -> dict[str, Any]:
    """The order's list fields as the workspace stores them (see OrderProcess)."""
    address = order.billing_address or order.shipping_address
    user = order.user
    name = (address.name if address else "") or (user.get_full_name() if user else "")
    phone = order.shipping_address.phone_number if order.shipping_address else None
    return {
        "number": str(order.number),
        "currency": order.currency or "",
        "total": order.total_incl_tax or 0,
        "customer_name": name[:255],
        "customer_email": (order.email or "").strip().lower()[:254],
        "customer_phone": str(phone or "")[:64],
        "shipping_method": (order.shipping_method or "")[:128],
        "placed_at": order.date_placed or timezone.now(),
    }


def payment_method_of(order: Any) -> str:
    """The names of the order's Oscar payment sources ("Card, Gift card")."""
    return ", ".join(sorted({source.source_type.name for source in order.sources.all()}))[:128]


def sync_snapshot(order: Any) -> int:
    """Refresh the process's copy of the order's fields, and its customer's aggregates by
    the difference; returns rows updated (0 or 1)."""
    return sync_process_snapshot(order.pk, order_snapshot(order))


class StageLookup:
    """Finds the stage for (funnel, state) with one query per funnel, for bulk work."""

    def __init__(self) -> None:
        self._stages: dict[int, dict[str, Stage]] = {}

    def __call__(self, funnel: Funnel, state: str) -> Stage | None:
        if funnel.pk not in self._stages:
            stages: dict[str, Stage] = {}
            for stage in funnel.stages.order_by("-position", "-pk"):
                stages[stage.state] = stage  # the lowest position wins
            self._stages[funnel.pk] = stages
        return self._stages[funnel.pk].get(state)


@dataclass
class ProcessSeed:
    """What to attach to one order in bulk; empty fields are derived as the signal would."""

    order: Any
    state: str | None = None
    funnel: Funnel | None = None
    stage: Stage | None = None
    order_type: str = OrderType.STANDARD
    payment_status: str = PaymentStatus.UNPAID
    operator: Any = None
    source: str = ""
    language: str = ""
    payment_method: str | None = None
    tags: Sequence[Tag] = field(default_factory=tuple)
    stock_status: str | None = None
    state_changed_at: datetime | None = None


def build_process(seed: ProcessSeed, *, default_funnel: Funnel | None,
                  stage_for: Callable[[Funnel, str], Stage | None]) -> OrderProcess:
    """An unsaved OrderProcess for ``seed`` with every derived field filled in (without a
    funnel and stage when neither the seed nor ``default_funnel`` names one: see
    ``_insert_new``)."""
    order = seed.order
    state = seed.state or get_workflow().state_for_oscar_status(order.status)
    funnel = seed.funnel or default_funnel
    if funnel is None:
        funnel_fields: dict[str, Any] = {}
    else:
        funnel_fields = {"funnel": funnel, "stage": seed.stage or stage_for(funnel, state)}
    snapshot = order_snapshot(order)
    placed_at = snapshot["placed_at"]
    payment_method = (seed.payment_method if seed.payment_method is not None
                      else payment_method_of(order))
    return OrderProcess(
        order=order, state=state, **funnel_fields,
        order_type=seed.order_type, payment_status=seed.payment_status,
        operator=seed.operator, source=seed.source, language=seed.language,
        payment_method=payment_method,
        stock_status=seed.stock_status or stock_status_for_state(state),
        state_changed_at=seed.state_changed_at or placed_at,
        last_activity_at=seed.state_changed_at or placed_at, **snapshot,
    )


def _insert_new(process: OrderProcess) -> bool:
    """Insert a new order's process in one statement, its funnel (the default one) and stage
    looked up inside the ``INSERT`` and returned by it: no lookup first, and nothing cached
    that a funnel edit in another process could leave stale. On PostgreSQL the same statement
    also writes the process's "created" timeline entry (True then; False: the caller writes
    it). ``save()``'s signals are sent as it would send them (receivers keep the customer
    directory, webhooks and subscriptions).
    """
    manager = OrderProcess._base_manager
    using = manager.db
    connection = connections[using]
    meta = OrderProcess._meta
    pre_save.send(sender=OrderProcess, instance=process, raw=False, using=using,
                  update_fields=None)
    statement = _insert_statement(using)
    if statement is None:  # no INSERT … RETURNING: Django's own, with the sub-selects
        with_entry = False
        cast(Any, process).funnel_id = Subquery(_default_funnel())
        cast(Any, process).stage_id = Subquery(_stage_of_default_funnel(process.state))
        fields = [f for f in meta.local_concrete_fields if f is not meta.auto_field]
        returned = [meta.pk, meta.get_field("funnel"), meta.get_field("stage")]
        row = manager._insert([process], fields=fields, returning_fields=returned,
                              using=using)[0]
    else:
        sql, fields, with_entry = statement
        params = [f.get_db_prep_save(f.pre_save(process, True), connection) for f in fields]
        params.append(process.state)  # the stage's state, in the sub-select
        if with_entry:
            entry = _creation_entry(process)
            params += [str(entry.kind), TimelineEntry._meta.get_field("created_at")
                       .get_db_prep_save(entry.created_at, connection), json.dumps(entry.data)]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
    process.pk, process.funnel_id, process.stage_id = row
    process._state.adding, process._state.db = False, using
    post_save.send(sender=OrderProcess, instance=process, created=True, update_fields=None,
                   raw=False, using=using)
    return with_entry


def _default_funnel() -> Any:
    """The default funnel's id, as a one-row query (``Funnel.objects.get_default``'s order)."""
    return Funnel.objects.order_by("-is_default", "position", "pk").values("pk")[:1]


def _stage_of_default_funnel(state: str) -> Any:
    """The first stage of the default funnel holding ``state``, as a one-row query."""
    return (Stage.objects.filter(funnel_id=Subquery(_default_funnel()), state=state)
            .order_by("position", "pk").values("pk")[:1])


#: ``_insert_new``'s statement per database alias: (SQL, the fields whose values it takes,
#: whether it writes the "created" entry too), or None where an ``INSERT`` cannot return
#: columns. Made once: Django compiling the two sub-selects cost about a millisecond an order.
_INSERT_STATEMENTS: dict[str, tuple[str, list[Any], bool] | None] = {}
#: Stands for the state in the compiled stage sub-select (its one parameter).
_STATE_PARAMETER = "ooe-state"


def _insert_statement(using: str) -> tuple[str, list[Any], bool] | None:
    """The statement inserting a new process (with its "created" entry on PostgreSQL), made
    from Django's own compilation of the sub-selects; parameters: the fields' values, the
    state, then on PostgreSQL the entry's kind, time and data."""
    if using in _INSERT_STATEMENTS:
        return _INSERT_STATEMENTS[using]
    connection = connections[using]
    statement = None
    meta = OrderProcess._meta
    fields = [f for f in meta.local_concrete_fields if f is not meta.auto_field
              and f.attname not in {"funnel_id", "stage_id"}]
    funnel_sql, funnel_params = _default_funnel().query.get_compiler(using).as_sql()
    stage_sql, stage_params = (_stage_of_default_funnel(_STATE_PARAMETER).query
                               .get_compiler(using).as_sql())
    plain = not any(hasattr(field, "get_placeholder") for field in fields)
    if (connection.features.can_return_columns_from_insert and plain and not funnel_params
            and list(stage_params) == [_STATE_PARAMETER]):
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in [*fields, meta.get_field("funnel"),
                                                      meta.get_field("stage")])
        values = ", ".join(["%s"] * len(fields))
        insert = (f"INSERT INTO {quote(meta.db_table)} ({columns}) "
                  f"VALUES ({values}, ({funnel_sql}), ({stage_sql}))")
        column = {f.name: f.column for f in meta.concrete_fields}
        returned = ", ".join(quote(column[name]) for name in ("id", "funnel", "stage"))
        with_entry = connection.vendor == "postgresql"
        if with_entry:  # one data-modifying WITH: the process, then its entry
            order = quote(column["order"])
            entries = TimelineEntry._meta
            entry_column = {f.name: f.column for f in entries.concrete_fields}
            entry_columns = ", ".join(quote(entry_column[name]) for name in (
                "order", "kind", "created_at", "data", "note"))
            sql = (f"WITH process AS ({insert} RETURNING {returned}, {order}), "
                   f"entry AS (INSERT INTO {quote(entries.db_table)} ({entry_columns}) "
                   f"SELECT {order}, %s, %s, %s::jsonb, '' FROM process) "
                   f"SELECT {returned} FROM process")
        else:
            sql = f"{insert} RETURNING {returned}"
        statement = (sql, fields, with_entry)
    _INSERT_STATEMENTS[using] = statement
    return statement


_funnel_known_to_exist = False


def _ensure_a_funnel_exists() -> None:
    """Make sure the default funnel ``_insert_new`` reads exists, once per process: a shop
    with no funnel (all deleted by hand) gets one created from the workflow instead of a
    checkout failing on a NULL funnel."""
    global _funnel_known_to_exist
    if not _funnel_known_to_exist:
        Funnel.objects.get_default()
        _funnel_known_to_exist = True


def forget_funnel_check(**kwargs: Any) -> None:
    """Ask again after a funnel is deleted (connected to ``post_delete`` of ``Funnel``)."""
    global _funnel_known_to_exist
    _funnel_known_to_exist = False


def _creation_entry(process: OrderProcess) -> TimelineEntry:
    return TimelineEntry(order_id=process.order_id, kind=TimelineKind.CREATED,
                         created_at=process.placed_at,
                         data={"state": process.state, "source": process.source})


def ensure_process(order: Any, *, source: str = "", language: str = "",
                   new: bool = False) -> OrderProcess:
    """The order's process, created (with its timeline entry) if it does not exist yet;
    ``language`` is the customer's (see ``i18n.placement_language``). ``new`` says the order
    was just inserted in the current transaction (its ``post_save``): nobody else can have
    attached a process or a payment source to it yet, so nothing is looked up first."""
    if not isinstance(order, Order):
        order = Order.objects.get(pk=order)
    if new:  # checkout: the process and its entry, one statement on PostgreSQL (_insert_new)
        _ensure_a_funnel_exists()
        process = build_process(ProcessSeed(order=order, source=source, language=language,
                                            payment_method=""),
                                default_funnel=None, stage_for=StageLookup())
        if not _insert_new(process):
            _creation_entry(process).save()
        return process
    existing = OrderProcess.objects.filter(order=order).first()
    if existing:
        return existing
    process = build_process(ProcessSeed(order=order, source=source, language=language),
                            default_funnel=Funnel.objects.get_default(), stage_for=StageLookup())
    try:
        with transaction.atomic():
            process.save()
            _creation_entry(process).save()
    except IntegrityError:  # another request attached it first
        return OrderProcess.objects.get(order=order)
    return process


def bulk_attach_processes(seeds: Iterable[ProcessSeed], *, batch_size: int = 2000,
                          orders_loaded: bool = False) -> int:
    """Create processes, tag links and creation entries for many orders at once.

    The orders must be saved and have no process yet. Returns how many were attached.
    ``orders_loaded`` says the seeds' orders already carry their user and addresses (and
    the seeds their payment method), so they are not read back (imports).
    """
    default_funnel = Funnel.objects.get_default()
    stage_for = StageLookup()
    through = OrderProcess.tags.through
    iterator = iter(seeds)
    attached = 0
    while batch := list(islice(iterator, batch_size)):
        # One query for the batch's users, addresses and payment sources, not one per order.
        with_details = Order.objects.select_related(
            "user", "billing_address", "shipping_address").prefetch_related("sources__source_type")
        if not orders_loaded:
            loaded = with_details.in_bulk([seed.order.pk for seed in batch])
            for seed in batch:
                seed.order = loaded[seed.order.pk]
        processes = [build_process(seed, default_funnel=default_funnel, stage_for=stage_for)
                     for seed in batch]
        with transaction.atomic():
            OrderProcess.objects.bulk_create(processes, batch_size=batch_size)
            TimelineEntry.objects.bulk_create(
                [_creation_entry(process) for process in processes], batch_size=batch_size)
            if any(seed.tags for seed in batch):
                saved = OrderProcess.objects.filter(
                    order_id__in=[p.order_id for p in processes]).values_list("order_id", "pk")
                pk_by_order = dict(saved)
                through.objects.bulk_create(
                    [through(orderprocess_id=pk_by_order[seed.order.pk], tag_id=tag.pk)
                     for seed in batch for tag in seed.tags],
                    batch_size=batch_size, ignore_conflicts=True)
        attached += len(processes)
    return attached


@dataclass
class BackfillResult:
    created: int
    existing: int


def backfill_processes(*, batch_size: int = 2000,
                       progress: Callable[[int], None] | None = None) -> BackfillResult:
    """Attach a process to every order that has none, deriving state from Oscar's status."""
    missing = Order.objects.filter(process__isnull=True).order_by("pk")
    existing = OrderProcess.objects.count()
    created = 0
    last_pk = 0
    while True:
        batch = list(missing.filter(pk__gt=last_pk)[:batch_size])
        if not batch:
            break
        last_pk = batch[-1].pk
        created += bulk_attach_processes((ProcessSeed(order=o, source="backfill") for o in batch),
                                         batch_size=batch_size)
        if progress:
            progress(created)
    return BackfillResult(created=created, existing=existing)
