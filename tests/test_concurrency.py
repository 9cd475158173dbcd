"""Two operators move the same order at the same moment (PostgreSQL: real row locks)."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, connections
from django_fsm.signals import pre_transition
from oscar.core.loading import get_model
from oscar.test import factories

from oscar_orders_ext.constants import TimelineKind
from oscar_orders_ext.exceptions import OrderConflict, OrderWorkflowError, TransitionNotAllowed
from oscar_orders_ext.models import OrderProcess, TimelineEntry
from oscar_orders_ext.services.line_edits import apply_line_edit
from oscar_orders_ext.services.transitions import transition_order
from oscar_orders_ext.workflow import get_workflow

from .conftest import stock_of
from .test_tally import live, tallied

Order = get_model("order", "Order")
OrderStatusChange = get_model("order", "OrderStatusChange")
StockRecord = get_model("partner", "StockRecord")

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


# --- the soak: several operators moving orders that share products, in different orders ------

SOAK_THREADS, SOAK_MOVES, SOAK_ORDERS, SOAK_PRODUCTS = 4, 30, 12, 4
SOAK_MOVE_NAMES = ("confirm", "ship", "complete", "cancel", "reopen", "mark_returned", "hold")
#: What each effect does to (num_in_stock, num_allocated) per unit, timeline entries included.
EFFECT_DELTAS = {"allocate": (0, 1), "allocated": (0, 1), "release": (0, -1),
                 "released": (0, -1), "consume": (-1, -1), "consumed": (-1, 0),
                 "restock": (1, 0), "restocked": (1, 0)}


def _soak_orders(products: list[Any], rng: random.Random) -> list[Any]:
    """Orders of three of the products each, added to the basket in a shuffled order."""
    orders = []
    for _index in range(SOAK_ORDERS):
        basket = factories.create_basket(empty=True)
        for product in rng.sample(products, 3):
            basket.add_product(product, rng.randint(1, 3))
        orders.append(factories.create_order(basket=basket))
    return orders


def _expected_stock(start: dict[int, tuple[int, int]], first_entry: int) -> dict[int, tuple]:
    """The stock records' (in stock, allocated) the timeline since ``first_entry`` implies."""
    expected = {pk: list(levels) for pk, levels in start.items()}
    for entry in TimelineEntry.objects.filter(pk__gte=first_entry).order_by("pk"):
        if entry.kind == TimelineKind.STOCK:
            changes = [(entry.data["effect"], line) for line in entry.data["lines"]]
        elif entry.kind == TimelineKind.EDIT:
            changes = [(line["effect"], line) for line in entry.data.get("stock", [])]
        else:
            continue
        for effect, line in changes:
            in_stock, allocated = EFFECT_DELTAS[effect]
            levels = expected[line["stockrecord"]]
            # Consuming after allocating "allocated" (a line edit on a shipped order) nets out.
            levels[0] += in_stock * line["quantity"]
            levels[1] += allocated * line["quantity"]
    return {pk: tuple(levels) for pk, levels in expected.items()}


def test_operators_moving_orders_that_share_products_never_deadlock(operator):
    """Threads × random moves (and line edits) over orders whose lines hold the same products
    in different orders: every failure is a clear refusal or conflict, never a database error,
    and stock, timeline, tallies and Oscar's status changes agree at the end."""
    rng = random.Random(15)
    products = [factories.create_product(title=f"Soak {index}", price=Decimal("5.00"),
                                         num_in_stock=10_000, partner_sku=f"SOAK-{index}")
                for index in range(SOAK_PRODUCTS)]
    orders = _soak_orders(products, rng)
    records = {record.pk: record for record in StockRecord.objects.filter(
        product__in=products)}
    start = {pk: (record.num_in_stock, record.num_allocated or 0)
             for pk, record in records.items()}
    first_entry = (TimelineEntry.objects.order_by("-pk").values_list("pk", flat=True).first()
                   or 0) + 1
    first_status_change = (OrderStatusChange.objects.order_by("-pk").values_list(
        "pk", flat=True).first() or 0) + 1
    line_ids = {order.pk: list(order.lines.values_list("pk", flat=True)) for order in orders}
    errors: list[BaseException] = []
    refusals: list[OrderWorkflowError] = []
    start_line = threading.Barrier(SOAK_THREADS)

    def operate(seed: int) -> None:
        moves = random.Random(seed)
        try:
            start_line.wait()
            for _move in range(SOAK_MOVES):
                order = moves.choice(orders)
                try:
                    if moves.random() < 0.25:
                        lines = line_ids[order.pk]
                        apply_line_edit(order.pk, {moves.choice(lines): moves.randint(1, 4)})
                    else:
                        transition_order(order.pk, moves.choice(SOAK_MOVE_NAMES))
                except OrderWorkflowError as refusal:
                    refusals.append(refusal)
        except BaseException as error:  # a database error: the test fails with it
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=operate, args=(seed,)) for seed in range(SOAK_THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)

    assert errors == [], errors
    assert all(refusal.message for refusal in refusals)
    current = {record.pk: (record.num_in_stock, record.num_allocated or 0)
               for record in StockRecord.objects.filter(pk__in=records)}
    assert current == _expected_stock(start, first_entry)
    assert tallied() == live()
    workflow = get_workflow()

    def status_of(state: str) -> str:
        return workflow.get_state(state).get_oscar_status()

    for order in Order.objects.filter(pk__in=[order.pk for order in orders]):
        # Every move that changed Oscar's status left one OrderStatusChange, in step.
        moves = [(status_of(entry.data["from"]), status_of(entry.data["to"]))
                 for entry in TimelineEntry.objects.filter(
                     order=order, kind=TimelineKind.STATE, pk__gte=first_entry).order_by("pk")]
        changes = OrderStatusChange.objects.filter(order=order, pk__gte=first_status_change)
        assert [(change.old_status, change.new_status) for change in changes.order_by("pk")] \
            == [move for move in moves if move[0] != move[1]], order.number
        last = changes.order_by("-pk").first()
        if last is not None:
            assert last.new_status == order.status
