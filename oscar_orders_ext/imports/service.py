"""Importing orders: the dry run (``plan_import``) and the commit (``commit_import``).

``plan_import`` reads the file and says what would happen without writing anything (see
``planning``); ``commit_import`` writes the whole file in one transaction, or nothing (see
``writing`` and, on PostgreSQL, ``pgcopy``).
"""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction
from django.utils.translation import gettext as _

from oscar_orders_ext import selectors
from oscar_orders_ext.conf import app_settings
from oscar_orders_ext.services.customer_summaries import count_new_orders
from oscar_orders_ext.services.customer_tags import apply_to_new_orders
from oscar_orders_ext.signals import orders_imported

from .pgcopy import CopyOrderWriter
from .planning import (ImportCounts, ImportPlan, ImportRefused, Lookups, chunks, format_for,
                       paused_gc, plan_import, read_orders)
from .writing import BATCH_SIZE, ImportResult, OrderWriter, Progress, apply_updates

__all__ = ["ImportCounts", "ImportPlan", "ImportRefused", "ImportResult", "commit_import",
           "format_for", "plan_import", "read_orders", "writer_class"]


def commit_import(plan: ImportPlan, *, user: Any = None,
                  progress: Progress | None = None) -> ImportResult:
    """Write every new order of the plan in one transaction; refuse plans with row errors.

    Our own export (round trip) applies its changes per order instead: see apply_updates.
    """
    if plan.errors:
        raise ImportRefused(
            _("The file has %(count)d row errors; fix them and import it again. "
              "Nothing was imported.") % {"count": len(plan.errors)})
    if plan.reader.edits_orders:
        return apply_updates(plan, user=user, progress=progress)
    result = ImportResult()
    with paused_gc(), transaction.atomic():
        lookups = Lookups.load(plan.reader, plan.orders)
        new_orders = [order for order in plan.orders if order.number not in lookups.imported]
        result.orders_already_imported = len(plan.orders) - len(new_orders)
        writer = writer_class()(plan, lookups, user=user)
        for batch in chunks(new_orders, writer.batch_size or BATCH_SIZE):
            writer.write(batch)
            if progress is not None:
                progress(writer.orders_created)
        result.orders_created = writer.orders_created
        result.lines_created = writer.lines_created
        result.order_ids = writer.order_ids
        result.customers_created = writer.customers.created
        result.customers_updated = writer.customers.updated
        transaction.on_commit(selectors.forget_listed_values)
        # Bulk writes send no signals: the new orders join their customers' aggregates here.
        order_ids = list(writer.order_ids)
        count_new_orders(order_ids)
        # And for webhooks (order.created, in bulk): receivers.webhook_orders_imported.
        transaction.on_commit(lambda: orders_imported.send(sender=None, order_ids=order_ids,
                                                           user=user))
        apply_to_new_orders(order_ids)
    return result


def writer_class() -> type[OrderWriter]:
    """The COPY writer on PostgreSQL (unless IMPORT_USE_COPY is off), else the ORM writer."""
    if connection.vendor == "postgresql" and app_settings.IMPORT_USE_COPY:
        return CopyOrderWriter
    return OrderWriter

