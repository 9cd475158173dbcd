"""Bulk state changes a batch at a time (issue 18): the same rules and effects as moving each
order alone (refusals order by order, Oscar's status and its line cascade, the timeline, the
signal and the emails after commit), in a number of queries that does not grow with the batch."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from oscar.core.loading import get_model

from oscar_orders_ext.constants import TimelineKind
from oscar_orders_ext.models import OrderProcess, TimelineEntry
from oscar_orders_ext.services.bulk import run_transitions
from oscar_orders_ext.services.transitions import transition_order, transition_orders
from oscar_orders_ext.signals import order_state_changed

from .conftest import stock_of

pytestmark = pytest.mark.django_db

Order = get_model("order", "Order")
Line = get_model("order", "Line")
OrderStatusChange = get_model("order", "OrderStatusChange")


def processes_of(orders: list[Any]) -> list[OrderProcess]:
    return list(OrderProcess.objects.filter(order__in=orders).order_by("pk"))


def test_a_batch_confirms_each_order_and_refuses_the_cancelled_one_by_name(
        place_order, editor, django_capture_on_commit_callbacks):
    orders = [place_order(quantity=1, guest_email=f"buyer{i}@example.com") for i in range(3)]
    transition_order(orders[2], "cancel", notify_customer=False)
    versions = {p.order_id: p.version for p in processes_of(orders)}
    heard: list[str] = []

    def listen(sender: Any, process: Any, source: str, target: str, **kwargs: Any) -> None:
        heard.append(f"{process.order.number}:{source}->{target}")

    order_state_changed.connect(listen)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            outcome = transition_orders([p.pk for p in processes_of(orders)], "confirm",
                                        user=editor, note="batch", notify_customer=True)
    finally:
        order_state_changed.disconnect(listen)
    assert [result.process.order_id for result in outcome.moved] == [o.pk for o in orders[:2]]
    [refusal] = outcome.refused
    assert refusal.order_number == str(orders[2].number) and "cannot be moved" in refusal.message
    for order in orders[:2]:
        process = OrderProcess.objects.select_related("stage", "order").get(order=order)
        assert (process.state, process.stage.state, process.version) == (
            "processing", "processing", versions[order.pk] + 1)
        # Oscar's status is mirrored as set_status() would: the status and its change row.
        assert process.order.status == "Being processed"
        assert OrderStatusChange.objects.filter(order=order, old_status="Pending",
                                                new_status="Being processed").count() == 1
        entry = TimelineEntry.objects.get(order=order, kind=TimelineKind.STATE)
        assert (entry.actor, entry.note, entry.data["from"], entry.data["to"]) == (
            editor, "batch", "new", "processing")
    assert sorted(heard) == sorted(f"{o.number}:new->processing" for o in orders[:2])
    # The cancelled order is untouched.
    assert OrderProcess.objects.get(order=orders[2]).state == "cancelled"
    assert sorted(message.to[0] for message in mail.outbox) == ["buyer0@example.com",
                                                               "buyer1@example.com"]


def test_a_batch_follows_oscars_line_cascade(place_order, monkeypatch):
    monkeypatch.setattr(Order, "cascade", {"Being processed": "Being made"})
    monkeypatch.setattr(Line, "pipeline", {"Pending": ("Being made",), "Being made": ()})
    orders = [place_order(quantity=1) for _ in range(2)]
    Line.objects.filter(order__in=orders).update(status="Pending")
    transition_orders([p.pk for p in processes_of(orders)], "confirm", notify_customer=False)
    assert set(Line.objects.filter(order__in=orders).values_list("status", flat=True)) == {
        "Being made"}


def test_the_queries_of_a_batch_do_not_grow_with_its_orders(place_order):
    small = processes_of([place_order(quantity=1) for _ in range(2)])
    large = processes_of([place_order(quantity=1) for _ in range(6)])
    counts = []
    for batch in (small, large):
        with CaptureQueriesContext(connection) as queries:
            outcome = transition_orders([p.pk for p in batch], "confirm",
                                        notify_customer=False)
        assert len(outcome.moved) == len(batch)
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_a_move_with_a_stock_effect_takes_the_one_order_path(place_order, product):
    orders = [place_order(quantity=2) for _ in range(2)]
    assert stock_of(product) == (10, 4)
    report = run_transitions([p.pk for p in processes_of(orders)], "cancel", user=None,
                             notify=False, batch_size=10, action="cancel")
    assert (report.done, report.refused) == (2, [])
    assert stock_of(product) == (10, 0)  # both allocations released, once each
    assert TimelineEntry.objects.filter(order__in=orders, kind=TimelineKind.STOCK).count() == 2


def test_run_transitions_reports_refusals_order_by_order(place_order):
    orders = [place_order(quantity=1) for _ in range(3)]
    transition_order(orders[1], "cancel", notify_customer=False)
    report = run_transitions([p.pk for p in processes_of(orders)], "confirm", user=None,
                             batch_size=2)
    assert report.done == 2
    assert [refusal.order_number for refusal in report.refused] == [str(orders[1].number)]
