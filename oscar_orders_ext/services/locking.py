"""Row locking and optimistic-concurrency checks shared by every service."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import transaction

from oscar_orders_ext.exceptions import OrderConflict
from oscar_orders_ext.models import OrderProcess

from .processes import ensure_process

OrderLike = Any  # an Oscar Order, an OrderProcess, or an order's primary key


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
        queryset = OrderProcess.objects.select_for_update(of=("self",)).select_related(
            "order", "funnel", "stage")
        process = queryset.filter(order_id=pk).first()
        if process is None:
            ensure_process(pk)
            process = queryset.get(order_id=pk)
        if expected_version is not None and process.version != int(expected_version):
            raise OrderConflict(order_number=process.order.number)
        yield process
