"""Row locking and optimistic-concurrency checks shared by every service.

One global lock order keeps concurrent operators from deadlocking: first the one order's
process row (``locked_process``), then the order row, then the stock records the move touches,
all at once and by primary key (``lock_stock_records``), then the tallies (their triggers
upsert in key order). Oscar's stock calls (``EventHandler``, ``StockRecord.allocate``…) update
stock records line by line, in the order's line order: locked up front, they wait for nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import transaction
from oscar.core.loading import get_model

from oscar_orders_ext.exceptions import OrderConflict
from oscar_orders_ext.models import OrderProcess

from .processes import ensure_process

OrderLike = Any  # an Oscar Order, an OrderProcess, or an order's primary key

StockRecord = get_model("partner", "StockRecord")


def order_pk(order: OrderLike) -> int:
    """The primary key of the Oscar order behind ``order``."""
    if isinstance(order, OrderProcess):
        return order.order_id
    pk: Any = getattr(order, "pk", order)  # an Order, or an id (an int or its text)
    return int(pk)


@contextmanager
def locked_process(order: OrderLike, *, expected_version: int | None = None
                   ) -> Iterator[OrderProcess]:
    """Open a transaction holding the order's process row locked (``SELECT … FOR UPDATE``).

    With ``expected_version``, refuse with :class:`OrderConflict` when someone else changed the
    order since the caller read it. Concurrent callers queue on the lock, so the second one
    sees the first one's result instead of overwriting it.
    """
    with transaction.atomic():
        pk = order_pk(order)
        # Lock first, then read: a row joined to a locked one (``FOR UPDATE OF self``) is read
        # as it was when the statement started, so an order another operator changed while
        # this one waited would come back stale (its Oscar status among others).
        locking = OrderProcess.objects.select_for_update().filter(order_id=pk)
        process_pk = locking.values_list("pk", flat=True).first()
        if process_pk is None:
            ensure_process(pk)
            process_pk = locking.values_list("pk", flat=True).get()
        process = OrderProcess.objects.select_related("order", "funnel", "stage").get(
            pk=process_pk)
        if expected_version is not None and process.version != int(expected_version):
            raise OrderConflict(order_number=process.order.number)
        yield process


def lock_stock_records(pks: Iterable[int | None]) -> None:
    """Lock these stock records (``SELECT … FOR UPDATE``) in primary-key order, in one query.

    Call it inside the transaction, before anything updates one of them: two transactions
    touching the same records in different orders then queue instead of deadlocking.
    """
    wanted = sorted({pk for pk in pks if pk is not None})
    if wanted:
        list(StockRecord.objects.select_for_update().filter(pk__in=wanted).order_by("pk")
             .values_list("pk", flat=True))
