"""The transition service: every default move, its stock effect, the Oscar status mirror,
history, signals and emails, and every way a move is refused without writing anything."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from oscar.apps.order.signals import order_status_changed
from oscar.core.loading import get_model

from oscar_orders_ext.constants import PaymentStatus, StockStatus, TimelineKind
from oscar_orders_ext.exceptions import (ConditionNotMet, OrderConflict, TransitionNotAllowed,
                                         TransitionPermissionDenied)
from oscar_orders_ext.models import Funnel, OrderProcess, TimelineEntry
from oscar_orders_ext.services import edits
from oscar_orders_ext.services.transitions import (available_transitions, bulk_transition,
                                                   move_to_stage, transition_order)
from oscar_orders_ext.signals import order_state_changed

from .conftest import stock_of

OrderStatusChange = get_model("order", "OrderStatusChange")

pytestmark = pytest.mark.django_db


def process_of(order: Any) -> OrderProcess:
    return OrderProcess.objects.get(order=order)


def walk(order: Any, *names: str) -> None:
    for name in names:
        transition_order(order, name)


def test_a_placed_order_lands_in_the_inbox_with_its_stock_allocated(place_order, product):
    order = place_order(quantity=2)

    process = process_of(order)
    assert process.state == "new"
    assert process.funnel == Funnel.objects.get_default()
    assert process.stage.state == "new"
    assert process.stock_status == StockStatus.ALLOCATED
    assert stock_of(product) == (10, 2)
    assert TimelineEntry.objects.filter(order=order, kind=TimelineKind.CREATED).count() == 1


# (moves before, the move, state after, (in stock, allocated) after, Oscar status after)
DEFAULT_MOVES = [
    ([], "confirm", "processing", (10, 2), "Being processed"),
    ([], "request_payment", "awaiting_payment", (10, 2), "Awaiting payment"),
    ([], "hold", "on_hold", (10, 2), "On hold"),
    ([], "await_customer", "awaiting_customer", (10, 2), "Awaiting customer"),
    (["confirm"], "ship", "shipped", (8, 0), "Shipped"),
    ([], "ship", "shipped", (8, 0), "Shipped"),
    (["confirm"], "complete", "completed", (8, 0), "Complete"),
    (["confirm", "ship"], "complete", "completed", (8, 0), "Complete"),
    ([], "cancel", "cancelled", (10, 0), "Cancelled"),
    (["confirm"], "cancel", "cancelled", (10, 0), "Cancelled"),
    ([], "reject", "rejected", (10, 0), "Rejected"),
    (["confirm", "ship"], "mark_returned", "returned", (10, 0), "Returned"),
    (["confirm", "complete"], "mark_returned", "returned", (10, 0), "Returned"),
    ([], "flag_error", "error", (10, 2), "Error"),
    (["flag_error"], "confirm", "processing", (10, 2), "Being processed"),
    (["hold"], "confirm", "processing", (10, 2), "Being processed"),
    (["cancel"], "reopen", "new", (10, 2), "Pending"),
    (["reject"], "reopen", "new", (10, 2), "Pending"),
]


@pytest.mark.parametrize(("before", "move", "state", "stock", "oscar_status"), DEFAULT_MOVES,
                         ids=[f"{'>'.join(b) or 'new'}>{m}" for b, m, *_ in DEFAULT_MOVES])
def test_every_default_move(place_order, product, make_staff, before, move, state, stock,
                            oscar_status):
    operator = make_staff("manager", ["change_order_state", "cancel_order", "reopen_order"])
    order = place_order(quantity=2)
    walk(order, *before)
    version = process_of(order).version

    result = transition_order(order, move, user=operator, note="checked by phone")

    process = process_of(order)
    assert (result.target, process.state) == (state, state)
    assert process.stage.state == state
    assert process.version == version + 1
    assert stock_of(product) == stock
    order.refresh_from_db()
    assert order.status == oscar_status
    entry = TimelineEntry.objects.filter(order=order, kind=TimelineKind.STATE).first()
    assert entry.actor == operator
    assert entry.note == "checked by phone"
    assert entry.data["to"] == state and entry.data["transition"] == move


def test_refund_needs_a_payment_and_marks_the_money_returned(place_order, operator, make_staff):
    order = place_order()
    walk(order, "confirm", "ship")
    with pytest.raises(ConditionNotMet, match="paid"):
        transition_order(order, "refund")
    edits.set_payment_status(order, PaymentStatus.PAID)

    accountant = make_staff("accountant", ["refund_order"])
    with pytest.raises(TransitionPermissionDenied):
        transition_order(order, "refund", user=operator)
    transition_order(order, "refund", user=accountant)

    process = process_of(order)
    assert process.state == "refunded"
    assert process.payment_status == PaymentStatus.REFUNDED


def test_stock_moves_exactly_once_however_the_order_travels(place_order, product):
    order = place_order(quantity=3)
    walk(order, "cancel", "reopen", "cancel", "reopen", "confirm", "ship", "complete")
    assert stock_of(product) == (7, 0)
    walk(order, "mark_returned")
    assert stock_of(product) == (10, 0)
    stock_entries = TimelineEntry.objects.filter(order=order, kind=TimelineKind.STOCK)
    assert [e.data["effect"] for e in stock_entries.order_by("pk")] == [
        "release", "allocate", "release", "allocate", "consume", "restock"]


def test_stock_effects_can_be_switched_off(place_order, product, settings):
    settings.OSCAR_ORDERS_EXT_STOCK_EFFECTS = {}
    order = place_order(quantity=2)
    walk(order, "ship")
    assert stock_of(product) == (10, 2)


def unchanged_snapshot(order: Any) -> tuple[Any, ...]:
    order.refresh_from_db()
    process = process_of(order)
    return (process.state, process.version, process.stage_id, order.status,
            TimelineEntry.objects.filter(order=order).count(),
            OrderStatusChange.objects.filter(order=order).count())


def test_a_move_the_state_machine_refuses_changes_nothing(place_order, product, operator):
    order = place_order()
    walk(order, "confirm", "complete")
    before, stock = unchanged_snapshot(order), stock_of(product)

    with pytest.raises(TransitionNotAllowed, match="Completed"):
        transition_order(order, "ship", user=operator)

    assert unchanged_snapshot(order) == before
    assert stock_of(product) == stock


@pytest.mark.parametrize("name", ["delete", "save", "refresh_from_db", "__class__", ""])
def test_names_that_are_not_transitions_are_refused(place_order, name):
    order = place_order()
    before = unchanged_snapshot(order)
    with pytest.raises(TransitionNotAllowed, match="not an action"):
        transition_order(order, name)
    assert unchanged_snapshot(order) == before


def test_a_user_without_the_permission_cannot_move_or_see_the_move(place_order, make_staff):
    order = place_order()
    clerk = make_staff("clerk", ["view_orderprocess", "change_order_state"])
    before = unchanged_snapshot(order)

    with pytest.raises(TransitionPermissionDenied, match="Cancel"):
        transition_order(order, "cancel", user=clerk)

    assert unchanged_snapshot(order) == before
    names = {option.name for option in available_transitions(process_of(order), clerk)}
    assert "cancel" not in names and "confirm" in names


def test_a_failed_condition_says_why(place_order):
    order = place_order()
    order.lines.all().delete()
    with pytest.raises(ConditionNotMet, match="no lines"):
        transition_order(order, "ship")
    assert process_of(order).state == "new"


def test_a_stale_version_is_a_conflict(place_order, operator):
    order = place_order()
    seen = process_of(order).version
    transition_order(order, "confirm", user=operator, expected_version=seen)
    before = unchanged_snapshot(order)

    with pytest.raises(OrderConflict, match="Someone else changed"):
        transition_order(order, "hold", user=operator, expected_version=seen)

    assert unchanged_snapshot(order) == before


def test_oscar_sees_every_move(place_order):
    order = place_order()
    received: list[tuple[str, str]] = []

    def listener(sender: Any, order: Any, old_status: str, new_status: str, **kw: Any) -> None:
        received.append((old_status, new_status))

    order_status_changed.connect(listener)
    try:
        walk(order, "confirm", "ship")  # "Shipped" is not in the test shop's Oscar pipeline
    finally:
        order_status_changed.disconnect(listener)

    assert received == [("Pending", "Being processed"), ("Being processed", "Shipped")]
    changes = OrderStatusChange.objects.filter(order=order).order_by("pk")
    assert [(c.old_status, c.new_status) for c in changes] == received


def test_mirroring_can_be_switched_off(place_order, settings):
    settings.OSCAR_ORDERS_EXT_MIRROR_OSCAR_STATUS = False
    order = place_order()
    walk(order, "confirm")
    order.refresh_from_db()
    assert order.status == "Pending"


def test_listeners_hear_of_a_move_only_after_commit(place_order, operator,
                                                    django_capture_on_commit_callbacks):
    order = place_order()
    heard: list[dict[str, Any]] = []

    def listener(sender: Any, **kwargs: Any) -> None:
        heard.append(kwargs)

    order_state_changed.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            transition_order(order, "confirm", user=operator, note="ok")
            assert heard == []
    finally:
        order_state_changed.disconnect(listener)

    assert len(heard) == 1
    assert (heard[0]["source"], heard[0]["target"], heard[0]["user"]) == (
        "new", "processing", operator)


def test_shipping_emails_the_customer_with_the_message_but_not_the_internal_note(
        place_order, django_capture_on_commit_callbacks):
    order = place_order(guest_email="buyer@example.com")
    walk(order, "confirm")
    assert mail.outbox == []

    with django_capture_on_commit_callbacks(execute=True):
        transition_order(order, "ship", note="INTERNAL: fragile, double box",
                         customer_message="Your parcel left our warehouse today.")

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["buyer@example.com"]
    assert str(order.number) in message.subject and "Shipped" in message.subject
    assert "Your parcel left our warehouse today." in message.body
    assert "INTERNAL" not in message.body
    assert TimelineEntry.objects.filter(order=order, kind=TimelineKind.EMAIL).count() == 1


def test_the_operator_decides_whether_the_customer_is_told(place_order,
                                                           django_capture_on_commit_callbacks):
    order = place_order(guest_email="buyer@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        transition_order(order, "confirm", notify_customer=True)
        transition_order(order, "ship", notify_customer=False)
    assert [m.subject for m in mail.outbox] == [f"Your order {order.number}: In preparation"]


def test_a_kanban_drop_finds_the_transition_to_the_stage(place_order, operator):
    order = place_order()
    funnel = Funnel.objects.get_default()
    walk(order, "confirm")

    result = move_to_stage(order, funnel.stages.get(state="shipped"), user=operator)

    assert (result.transition, process_of(order).state) == ("ship", "shipped")


def test_a_kanban_drop_the_workflow_forbids_is_refused(place_order, operator):
    order = place_order()
    funnel = Funnel.objects.get_default()
    with pytest.raises(TransitionNotAllowed, match="cannot go from"):
        move_to_stage(order, funnel.stages.get(state="refunded"), user=operator)
    other = Funnel.create_from_workflow("Wholesale", is_default=False)
    with pytest.raises(TransitionNotAllowed, match="another funnel"):
        move_to_stage(order, other.stages.get(state="processing"), user=operator)
    assert process_of(order).state == "new"


def test_stages_sharing_a_state_move_without_a_transition(place_order, operator):
    order = place_order()
    funnel = Funnel.objects.get_default()
    triage = funnel.stages.create(name="Triage", state="new", position=99)

    result = move_to_stage(order, triage, user=operator)

    process = process_of(order)
    assert (process.state, process.stage) == ("new", triage)
    assert result.transition == ""
    assert TimelineEntry.objects.filter(order=order, kind=TimelineKind.STAGE).exists()


def test_bulk_moves_report_each_refusal(place_order, operator):
    shippable, cancelled = place_order(), place_order()
    walk(cancelled, "cancel")

    outcomes = bulk_transition([shippable, cancelled], "ship", user=operator)

    assert [(o.order_number, o.ok) for o in outcomes] == [
        (str(shippable.number), True), (str(cancelled.number), False)]
    assert "Cancelled" in outcomes[1].message
    assert process_of(shippable).state == "shipped"
    assert process_of(cancelled).state == "cancelled"


def test_a_move_without_stock_effect_costs_a_fixed_number_of_queries(
        place_order, operator, django_assert_max_num_queries):
    order = place_order()
    operator.get_all_permissions()  # the permission cache is per request, not per move
    # lock, read after the lock (services/locking.py), stage, process update, order update,
    # status change, timeline, 2 savepoint queries
    with django_assert_max_num_queries(9):
        transition_order(order, "confirm", user=operator)
