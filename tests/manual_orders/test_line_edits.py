"""Editing the lines of placed orders: totals, stock, timeline, locks, permissions."""

from __future__ import annotations

from decimal import Decimal

import pytest
from oscar.core.loading import get_model

from oscar_orders_ext.exceptions import LineEditError, OrderConflict, TransitionPermissionDenied
from oscar_orders_ext.models import OrderProcess, TimelineEntry
from oscar_orders_ext.services.line_edits import apply_line_edit, plan_line_edit
from oscar_orders_ext.services.transitions import transition_order

from ..conftest import stock_of

Order = get_model("order", "Order")

pytestmark = pytest.mark.django_db


def fresh(order):
    return Order.objects.get(pk=order.pk)


def test_changing_a_quantity_recalculates_totals_and_allocations(manual_order, product, clerk):
    order = manual_order(quantity=2)  # 2 × 10.00 + 4.00 shipping
    line = order.lines.get()
    apply_line_edit(order, {line.pk: 5}, user=clerk)
    order = fresh(order)
    line.refresh_from_db()
    assert line.quantity == 5 and line.line_price_incl_tax == Decimal("50.00")
    assert line.num_allocated == 5
    assert order.total_incl_tax == Decimal("54.00") and order.shipping_incl_tax == Decimal("4.00")
    assert stock_of(product) == (10, 5)
    process = OrderProcess.objects.get(order=order)
    assert process.total == Decimal("54.00") and process.version == 2
    entry = TimelineEntry.objects.get(order=order, kind="edit")
    assert entry.actor == clerk
    assert entry.summary == "Lines changed: Espresso cup 2 → 5 (total 24.00 → 54.00)"


def test_adding_and_removing_lines(manual_order, product, mug, clerk):
    order = manual_order(quantity=2)
    cups = order.lines.get()
    apply_line_edit(order, {}, {mug.pk: 2}, user=clerk)
    order = fresh(order)
    assert order.total_incl_tax == Decimal("74.00")
    assert stock_of(mug) == (5, 2)
    mugs = order.lines.get(product=mug)
    assert mugs.num_allocated == 2 and mugs.unit_price_incl_tax == Decimal("25.00")
    assert mugs.prices.get().quantity == 2

    apply_line_edit(order, {cups.pk: 0}, user=clerk, expected_version=2)
    order = fresh(order)
    assert list(order.lines.values_list("title", flat=True)) == ["Stoneware mug"]
    assert order.total_incl_tax == Decimal("54.00")
    assert stock_of(product) == (10, 0)
    summaries = [e.summary for e in TimelineEntry.objects.filter(order=order, kind="edit")]
    assert "Lines changed: removed Espresso cup (total 74.00 → 54.00)" in summaries
    assert "Lines changed: added 2 × Stoneware mug (total 24.00 → 74.00)" in summaries


def test_adding_a_product_already_in_the_order_raises_its_line(manual_order, product, clerk):
    order = manual_order(quantity=2)
    apply_line_edit(order, {}, {product.pk: 1}, user=clerk)
    assert fresh(order).lines.get().quantity == 3 and stock_of(product) == (10, 3)


def test_a_discounted_line_keeps_its_unit_discount(product, mug, mug_offer, customer, country,
                                                   clerk):
    from oscar_orders_ext.services import manual_orders as service

    from .conftest import billing

    basket = service.start_draft(customer)
    service.add_product(basket, mug.pk, 2)
    order = service.place_manual_order(service.ManualOrder(
        basket_id=basket.pk, customer=customer, billing_address=billing(country),
        payment_method="cash"), user=clerk)
    line = order.lines.get()
    assert line.line_price_incl_tax == Decimal("45.00")  # 10% off
    apply_line_edit(order, {line.pk: 3}, user=clerk)
    line.refresh_from_db()
    assert line.line_price_incl_tax == Decimal("67.50")
    assert line.line_price_before_discounts_incl_tax == Decimal("75.00")


@pytest.mark.parametrize("quantities, additions, message", [
    ({"LINE": -1}, {}, "cannot be negative"),
    ({"LINE": "lots"}, {}, "not a quantity"),
    ({999999: 1}, {}, "not part of order"),
    ({}, {999999: 1}, "no such product"),
    ({"LINE": 0}, {}, "at least one line"),
])
def test_bad_edits_are_refused_and_nothing_changes(manual_order, product, clerk, quantities,
                                                   additions, message):
    order = manual_order(quantity=2)
    line = order.lines.get()
    quantities = {line.pk if key == "LINE" else key: value for key, value in quantities.items()}
    with pytest.raises(LineEditError, match=message):
        apply_line_edit(order, quantities, additions, user=clerk)
    assert fresh(order).total_incl_tax == Decimal("24.00")
    assert stock_of(product) == (10, 2)
    assert OrderProcess.objects.get(order=order).version == 1


def test_more_than_is_in_stock_is_refused(manual_order, product, clerk):
    order = manual_order(quantity=2)
    with pytest.raises(LineEditError, match="Only 8 more of “Espresso cup” are available"):
        apply_line_edit(order, {order.lines.get().pk: 11}, user=clerk)
    assert stock_of(product) == (10, 2)


def test_a_stale_version_is_a_conflict_and_nothing_is_saved(manual_order, product, clerk):
    order = manual_order(quantity=2)
    line = order.lines.get()
    transition_order(order, "confirm", user=clerk)  # someone else moved it: version 2
    with pytest.raises(OrderConflict):
        apply_line_edit(order, {line.pk: 3}, user=clerk, expected_version=1)
    line.refresh_from_db()
    assert line.quantity == 2 and stock_of(product) == (10, 2)
    assert not TimelineEntry.objects.filter(order=order, kind="edit").exists()


def test_shipped_orders_are_locked_without_the_permission(manual_order, product, clerk,
                                                          make_staff):
    order = manual_order(quantity=2)
    transition_order(order, "ship", user=clerk)
    assert stock_of(product) == (8, 0)
    line = order.lines.get()
    with pytest.raises(TransitionPermissionDenied, match="is “Shipped”"):
        apply_line_edit(order, {line.pk: 3}, user=clerk)

    supervisor = make_staff("supervisor", ["edit_order_lines", "edit_shipped_order_lines"])
    apply_line_edit(order, {line.pk: 3}, user=supervisor)  # one more cup went in the parcel
    assert stock_of(product) == (7, 0)
    apply_line_edit(order, {line.pk: 1}, user=supervisor)  # two came back
    assert stock_of(product) == (9, 0)
    assert fresh(order).total_incl_tax == Decimal("14.00")


def test_released_stock_does_not_move(manual_order, product, clerk, make_staff):
    order = manual_order(quantity=2)
    transition_order(order, "cancel")
    assert stock_of(product) == (10, 0)
    supervisor = make_staff("supervisor", ["edit_order_lines", "edit_shipped_order_lines"])
    apply_line_edit(order, {order.lines.get().pk: 4}, user=supervisor)
    assert stock_of(product) == (10, 0)


def test_editing_lines_needs_the_permission(manual_order, viewer):
    order = manual_order(quantity=2)
    with pytest.raises(TransitionPermissionDenied):
        apply_line_edit(order, {order.lines.get().pk: 3}, user=viewer)


def test_planning_writes_nothing(manual_order, mug):
    order = manual_order(quantity=2)
    plan = plan_line_edit(order, {order.lines.get().pk: 3}, {mug.pk: 1})
    assert plan.totals()["total_incl_tax"] == "59.00"
    assert [line.status for line in plan.lines] == ["changed", "added"]
    assert fresh(order).total_incl_tax == Decimal("24.00") and order.lines.count() == 1


def test_workflow_says_which_states_lock_lines():
    from oscar_orders_ext.workflow import DefaultWorkflow, State, Workflow

    assert DefaultWorkflow.lines_locked("shipped") and DefaultWorkflow.lines_locked("cancelled")
    assert not DefaultWorkflow.lines_locked("processing")

    class Plain(Workflow):
        states = (State("open", "Open"), State("sent", "Sent"), State("done", "Done", final=True))
        initial_state = "open"
        stock_effects = {"sent": "consume"}

    assert Plain.lines_locked("sent") and Plain.lines_locked("done")
    assert not Plain.lines_locked("open")
