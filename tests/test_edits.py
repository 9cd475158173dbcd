"""Payment status, operator, tags, funnel, order type and notes: each change is recorded on
the timeline with who made it, and refused cleanly when it should be."""

from __future__ import annotations

from typing import Any

import pytest
from oscar.core.loading import get_model

from oscar_orders_ext.constants import OrderType, PaymentStatus, TimelineKind
from oscar_orders_ext.exceptions import (OrderConflict, OrderWorkflowError,
                                         TransitionPermissionDenied)
from oscar_orders_ext.models import Funnel, OrderProcess, Tag, TimelineEntry
from oscar_orders_ext.services import edits
from oscar_orders_ext.signals import order_process_changed

OrderNote = get_model("order", "OrderNote")

pytestmark = pytest.mark.django_db


def entries(order: Any, kind: str) -> list[TimelineEntry]:
    return list(TimelineEntry.objects.filter(order=order, kind=kind).order_by("pk"))


def test_marking_paid_is_recorded_once(place_order, operator):
    order = place_order()
    edits.set_payment_status(order, PaymentStatus.PAID, user=operator, note="bank transfer")
    edits.set_payment_status(order, PaymentStatus.PAID, user=operator)  # no change: no entry

    assert OrderProcess.objects.get(order=order).payment_status == PaymentStatus.PAID
    [entry] = entries(order, TimelineKind.PAYMENT)
    assert (entry.actor, entry.note, entry.data) == (
        operator, "bank transfer", {"from": "unpaid", "to": "paid"})
    assert entry.summary == "Payment status changed from “Unpaid” to “Paid”"


def test_an_unknown_payment_status_is_refused(place_order):
    order = place_order()
    with pytest.raises(OrderWorkflowError, match="not a valid payment status"):
        edits.set_payment_status(order, "maybe")
    assert entries(order, TimelineKind.PAYMENT) == []


def test_tags_are_added_removed_and_replaced(place_order, operator):
    order = place_order()
    vip, gift, fragile = (Tag.objects.create(name=n) for n in ("VIP", "Gift", "Fragile"))

    edits.add_tags(order, [vip, gift], user=operator)
    edits.remove_tags(order, [gift], user=operator)
    edits.set_tags(order, [fragile, vip], user=operator)

    assert set(OrderProcess.objects.get(order=order).tags.all()) == {vip, fragile}
    assert [e.summary for e in entries(order, TimelineKind.TAGS)] == [
        "Tags added: Gift, VIP", "Tags removed: Gift", "Tags added: Fragile"]


def test_only_staff_can_be_the_operator(place_order, operator, django_user_model):
    order = place_order()
    customer = django_user_model.objects.create_user(username="buyer", password="x")
    with pytest.raises(OrderWorkflowError, match="staff"):
        edits.assign_operator(order, customer)

    edits.assign_operator(order, operator, user=operator)

    assert OrderProcess.objects.get(order=order).operator == operator
    assert entries(order, TimelineKind.OPERATOR)[0].summary == "Assigned to operator"


def test_moving_to_another_funnel_keeps_the_state_and_finds_the_stage(place_order):
    order = place_order()
    wholesale = Funnel.create_from_workflow("Wholesale", is_default=False)
    edits.move_to_funnel(order, wholesale)
    process = OrderProcess.objects.get(order=order)
    assert (process.funnel, process.stage.funnel, process.state) == (wholesale, wholesale, "new")


def test_order_type_changes(place_order):
    order = place_order()
    edits.set_order_type(order, OrderType.QUOTE)
    assert OrderProcess.objects.get(order=order).order_type == "quote"
    with pytest.raises(OrderWorkflowError):
        edits.set_order_type(order, "barter")


def test_notes_use_oscars_order_notes(place_order, operator):
    order = place_order()
    internal = edits.add_note(order, "Customer called about delivery", user=operator)
    public = edits.add_note(order, "We gift-wrapped it", user=operator, for_customer=True)

    assert list(OrderNote.objects.filter(order=order).order_by("pk")) == [internal, public]
    assert [e.summary for e in entries(order, TimelineKind.NOTE)] == [
        "Internal note", "Note for the customer"]
    with pytest.raises(OrderWorkflowError, match="empty"):
        edits.add_note(order, "   ")


def test_edits_need_the_change_permission(place_order, make_staff):
    order = place_order()
    viewer = make_staff("viewer", ["view_orderprocess"])
    with pytest.raises(TransitionPermissionDenied):
        edits.set_payment_status(order, PaymentStatus.PAID, user=viewer)
    assert OrderProcess.objects.get(order=order).payment_status == PaymentStatus.UNPAID


def test_an_edit_from_a_stale_form_is_a_conflict(place_order, operator):
    order = place_order()
    seen = OrderProcess.objects.get(order=order).version
    edits.set_payment_status(order, PaymentStatus.PAID, user=operator, expected_version=seen)
    with pytest.raises(OrderConflict):
        edits.set_payment_status(order, PaymentStatus.UNPAID, user=operator,
                                 expected_version=seen)
    assert OrderProcess.objects.get(order=order).payment_status == PaymentStatus.PAID


def test_listeners_hear_of_edits_after_commit(place_order, django_capture_on_commit_callbacks):
    order = place_order()
    heard: list[str] = []

    def listener(sender: Any, kind: str, **kwargs: Any) -> None:
        heard.append(kind)

    order_process_changed.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            edits.set_payment_status(order, PaymentStatus.PAID)
            assert heard == []
    finally:
        order_process_changed.disconnect(listener)
    assert heard == ["payment"]


def test_a_funnel_without_a_stage_for_the_state_is_refused(place_order):
    order = place_order()
    empty = Funnel.objects.create(name="Empty", slug="empty")
    with pytest.raises(OrderWorkflowError, match="“Empty” has no stage for the state “New”"):
        edits.move_to_funnel(order, empty)
    assert OrderProcess.objects.get(order=order).funnel == Funnel.objects.get_default()
