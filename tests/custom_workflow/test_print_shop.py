"""A custom workflow from a shop's own code works end to end: migrate, default funnel,
checkout, moves with its conditions and permissions, stock, Oscar status, backfill, Kanban."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from oscar.test import factories

from oscar_orders_ext.exceptions import (ConditionNotMet, TransitionNotAllowed,
                                         TransitionPermissionDenied)
from oscar_orders_ext.models import Funnel, OrderProcess
from oscar_orders_ext.services.transitions import (available_transitions, move_to_stage,
                                                   transition_order)
from oscar_orders_ext.workflow import get_workflow

from ..conftest import check_migrations_complete, stock_of
from .workflow import PrintShopWorkflow

pytestmark = pytest.mark.django_db


def test_the_setting_swaps_the_workflow():
    assert get_workflow() is PrintShopWorkflow
    assert issubclass(OrderProcess, PrintShopWorkflow)
    call_command("check", fail_level="WARNING")
    # States are plain strings: swapping the workflow needs no migration.
    check_migrations_complete()


def test_the_default_funnel_has_the_shops_stages():
    stages = Funnel.objects.get_default().stages.values_list("name", "state")
    assert list(stages) == [
        ("Briefed", "briefed"), ("Proof sent", "proofing"), ("Proof approved", "approved"),
        ("On the press", "printing"), ("Dispatched", "dispatched"), ("Scrapped", "scrapped")]


def test_a_job_goes_from_brief_to_dispatch(place_order, product, make_staff):
    order = place_order(quantity=3, shipping_address=factories.ShippingAddressFactory())
    designer = make_staff("designer", ["change_order_state"])
    printer = make_staff("printer", [])
    printer.groups.add(Group.objects.create(name="Printers"))

    assert OrderProcess.objects.get(order=order).state == "briefed"
    transition_order(order, "send_proof", user=designer)
    transition_order(order, "approve", user=designer)
    with pytest.raises(TransitionPermissionDenied):
        transition_order(order, "print", user=designer)
    transition_order(order, "print", user=printer)
    assert stock_of(product) == (10, 3)
    transition_order(order, "dispatch", user=printer)

    process = OrderProcess.objects.get(order=order)
    assert (process.state, process.stage.name) == ("dispatched", "Dispatched")
    assert stock_of(product) == (7, 0)
    order.refresh_from_db()
    assert order.status == "Dispatched"


def test_the_shops_condition_explains_a_refusal(place_order):
    order = place_order()
    for name in ("send_proof", "approve", "print"):
        transition_order(order, name)
    with pytest.raises(ConditionNotMet, match="shipping address"):
        transition_order(order, "dispatch")


def test_default_transitions_do_not_exist_here(place_order):
    order = place_order()
    with pytest.raises(TransitionNotAllowed, match="not an action"):
        transition_order(order, "ship")
    assert {o.name for o in available_transitions(OrderProcess.objects.get(order=order))} == {
        "send_proof", "scrap"}


def test_scrapping_releases_stock_and_mirrors_oscars_cancelled(place_order, product):
    order = place_order(quantity=2)
    transition_order(order, "scrap")
    assert stock_of(product) == (10, 0)
    order.refresh_from_db()
    assert order.status == "Cancelled"


def test_kanban_drop_uses_the_shops_transitions(place_order):
    order = place_order()
    stages = Funnel.objects.get_default().stages
    move_to_stage(order, stages.get(state="proofing"))
    with pytest.raises(TransitionNotAllowed):
        move_to_stage(order, stages.get(state="dispatched"))
    assert OrderProcess.objects.get(order=order).state == "proofing"


def test_backfill_maps_statuses_with_the_shops_aliases():
    orders = [factories.create_order(status=s) for s in ("Pending", "Being processed",
                                                         "Complete", "Unheard of")]
    OrderProcess.objects.all().delete()
    call_command("orders_backfill", stdout=io.StringIO())
    assert [OrderProcess.objects.get(order=o).state for o in orders] == [
        "briefed", "printing", "dispatched", "briefed"]


def test_the_forked_order_app_is_in_use(place_order):
    order = place_order()
    assert type(order).__module__ == "tests.custom_workflow.order.models"
    order.sales_channel = "fair"
    order.save()
    assert OrderProcess.objects.get(order=order).order.sales_channel == "fair"
