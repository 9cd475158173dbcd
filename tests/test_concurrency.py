"""Two operators move the same order at the same moment (PostgreSQL: real row locks)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections
from django_fsm.signals import pre_transition
from oscar.core.loading import get_model

from oscar_orders_ext.constants import TimelineKind
from oscar_orders_ext.exceptions import OrderConflict, OrderWorkflowError, TransitionNotAllowed
from oscar_orders_ext.models import OrderProcess, TimelineEntry
from oscar_orders_ext.services.transitions import transition_order

from .conftest import stock_of

OrderStatusChange = get_model("order", "OrderStatusChange")

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls in parallel threads, each on its own connection; return result or error.

    The first thread to reach the state machine pauses inside its transaction, so the other
    is certain to arrive while the row is locked.
    """
    results: list[Any] = [None] * len(calls)
    start = threading.Barrier(len(calls))
    paused = threading.Event()

    def slow_first_move(sender: Any, **kwargs: Any) -> None:
        if not paused.is_set():
            paused.set()
            time.sleep(0.5)

    def run(index: int) -> None:
        try:
            start.wait()
            results[index] = calls[index]()
        except OrderWorkflowError as error:
            results[index] = error
        finally:
            connections.close_all()

    pre_transition.connect(slow_first_move)
    try:
        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        pre_transition.disconnect(slow_first_move)
    return results


def test_two_operators_ship_the_same_order_one_wins(place_order, product, operator):
    assert connection.vendor == "postgresql"
    order = place_order(quantity=2)
    transition_order(order, "confirm")
    seen = OrderProcess.objects.get(order=order).version

    results = race([
        lambda: transition_order(order.pk, "ship", user=operator, expected_version=seen),
        lambda: transition_order(order.pk, "ship", user=operator, expected_version=seen),
    ])

    wins = [r for r in results if not isinstance(r, Exception)]
    conflicts = [r for r in results if isinstance(r, OrderConflict)]
    assert (len(wins), len(conflicts)) == (1, 1), results
    assert "Someone else changed" in conflicts[0].message
    assert OrderProcess.objects.get(order=order).state == "shipped"
    assert stock_of(product) == (8, 0)  # consumed once, not twice
    assert TimelineEntry.objects.filter(order=order, kind=TimelineKind.STOCK).count() == 1
    assert TimelineEntry.objects.filter(order=order, kind=TimelineKind.STATE,
                                        data__to="shipped").count() == 1
    assert OrderStatusChange.objects.filter(order=order, new_status="Shipped").count() == 1


def test_without_a_version_the_second_move_sees_the_first(place_order, product, operator):
    order = place_order(quantity=2)

    results = race([
        lambda: transition_order(order.pk, "cancel", user=operator),
        lambda: transition_order(order.pk, "ship", user=operator),
    ])

    refused = [r for r in results if isinstance(r, TransitionNotAllowed)]
    assert len(refused) == 1, results
    state = OrderProcess.objects.get(order=order).state
    assert state in {"cancelled", "shipped"}
    assert stock_of(product) == ((10, 0) if state == "cancelled" else (8, 0))
    assert TimelineEntry.objects.filter(order=order, kind=TimelineKind.STATE).count() == 1
