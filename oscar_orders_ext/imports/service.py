"""Importing orders: the dry run (``plan_import``) and the commit (``commit_import``).

``plan_import`` reads the file and says what would happen without writing anything (see
``planning``); ``commit_import`` writes the whole file in one transaction, or nothing (see
``writing`` and, on PostgreSQL, ``pgcopy``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Max, Min, Sum
from django.utils.translation import gettext as _

from oscar_orders_ext import selectors
from oscar_orders_ext.conf import app_settings
from oscar_orders_ext.services.customer_summaries import (CHUNK, Delta, apply_deltas,
                                                          counted_orders)
from oscar_orders_ext.services.customer_tags import apply_to_new_orders
from oscar_orders_ext.signals import orders_imported

from .pgcopy import CopyOrderWriter
from .planning import (ImportCancelled, ImportCounts, ImportPlan, ImportRefused, Lookups,
                       chunks, forget_queries, format_for, paused_gc, plan_import, read_orders,
                       resumed_gc, value_chunks)
from .staging import CustomerTally
from .writing import BATCH_SIZE, ImportResult, OrderWriter, Progress, apply_updates

__all__ = ["ImportCancelled", "ImportCounts", "ImportPlan", "ImportRefused", "ImportResult",
           "commit_import", "format_for", "plan_import", "read_orders", "writer_class"]


def commit_import(plan: ImportPlan, *, user: Any = None, progress: Progress | None = None,
                  cancelled: Callable[[], bool] | None = None) -> ImportResult:
    """Write every new order of the plan in one transaction; refuse plans with row errors.

    ``cancelled`` is asked between batches; when it answers yes the transaction is rolled
    back (``ImportCancelled``): nothing is written. Our own export (round trip) applies its
    changes per order instead: see apply_updates.
    """
    if plan.errors:
        raise ImportRefused(
            _("The file has %(count)d row errors; fix them and import it again. "
              "Nothing was imported.") % {"count": len(plan.errors)})
    if plan.reader.edits_orders:
        return apply_updates(plan, user=user, progress=progress)
    result = ImportResult()
    tally = CustomerTally()
    try:
        with paused_gc(), transaction.atomic():
            _commit_batches(plan, result, tally, user, progress, cancelled)
    finally:
        tally.close()
    return result


def _commit_batches(plan: ImportPlan, result: ImportResult, tally: CustomerTally, user: Any,
                    progress: Progress | None, cancelled: Callable[[], bool] | None) -> None:
    """The body of ``commit_import``'s transaction."""
    writer: OrderWriter | None = None
    # Batch by batch, streamed from the dry run's spool: what exists is looked up per batch
    # (orders imported meanwhile are skipped; customers created by earlier batches are found
    # in the database), and what each batch adds to its customers is summed on disk, so
    # memory stays flat whatever the file's size.
    size = writer_class().batch_size or BATCH_SIZE
    for batch in chunks(plan.orders, size):
        if cancelled is not None and cancelled():
            raise ImportCancelled(_("The import was cancelled. Nothing was imported."))
        lookups = Lookups.load(plan.reader, batch)
        if writer is None:
            writer = writer_class()(plan, lookups, user=user)
        else:
            writer.use_lookups(lookups)
        new_orders = [order for order in batch if order.number not in lookups.imported]
        result.orders_already_imported += len(batch) - len(new_orders)
        if new_orders:
            written = len(writer.order_ids)
            writer.write(new_orders)
            tally_customers(tally, writer.order_ids[written:])
        if progress is not None:
            progress(writer.orders_created)
        forget_queries()
    if writer is None:
        writer = writer_class()(plan, Lookups.empty(), user=user)
    if cancelled is not None and cancelled():
        raise ImportCancelled(_("The import was cancelled. Nothing was imported."))
    result.orders_created = writer.orders_created
    result.lines_created = writer.lines_created
    result.order_ids = writer.order_ids
    result.customers_created = writer.customers.created
    result.customers_updated = writer.customers.updated
    transaction.on_commit(selectors.forget_listed_values)
    # Bulk writes send no signals: the new orders join their customers' aggregates here. The
    # collector runs meanwhile: a customer's row and its account refer to each other (a
    # one-to-one), and 300,000 such pairs were kept until the end (+60 MB at 100,000 orders).
    with resumed_gc():
        apply_tally(tally)
    # And for webhooks (order.created, in bulk, recorded in this transaction):
    # receivers.webhook_orders_imported. The ids are an array (8 bytes each), handed on
    # without copies.
    order_ids = writer.order_ids
    orders_imported.send_on_commit(sender=None, order_ids=order_ids, user=user)
    apply_to_new_orders(order_ids)


def tally_customers(tally: CustomerTally, order_ids: Sequence[int]) -> None:
    """Add what these new orders bring to their customers to the tally (what
    ``count_new_orders`` sums, a batch at a time)."""
    for chunk in value_chunks(order_ids, "bigint"):
        rows = (counted_orders().filter(order_id__in=chunk)
                .values_list("customer_email", "currency")
                .annotate(count=Count("id"), total=Sum("total"), first=Min("placed_at"),
                          last=Max("placed_at")).order_by())
        tally.add(row for row in rows if row[0])


def apply_tally(tally: CustomerTally) -> None:
    """Apply the tally to the customers' rows, CHUNK customers at a time (in email order, as
    ``apply_deltas`` locks them)."""
    deltas: dict[str, Delta] = {}
    for email, rows in tally.customers():
        delta = deltas[email] = Delta()
        for currency, count, total, first, last in rows:
            delta.add(currency, count, total, first, last)
        if len(deltas) >= CHUNK:
            apply_deltas(deltas)
            deltas = {}
            forget_queries()
    if deltas:
        apply_deltas(deltas)


def writer_class() -> type[OrderWriter]:
    """The COPY writer on PostgreSQL (unless IMPORT_USE_COPY is off), else the ORM writer."""
    if connection.vendor == "postgresql" and app_settings.IMPORT_USE_COPY:
        return CopyOrderWriter
    return OrderWriter

