"""Oscar's own dashboard and code keep working beside the workspace."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from oscar.core.loading import get_model

from oscar_orders_ext.constants import TimelineKind
from oscar_orders_ext.models import OrderProcess, TimelineEntry

from .conftest import check_migrations_complete, stock_of

pytestmark = pytest.mark.django_db


def test_a_status_set_in_oscar_moves_the_workflow_state_and_the_stock(place_order, product):
    order = place_order(quantity=2)

    order.set_status("Cancelled")  # what Oscar's dashboard "change status" does

    process = OrderProcess.objects.get(order=order)
    assert process.state == "cancelled"
    assert process.stage.state == "cancelled"
    assert stock_of(product) == (10, 0)
    entry = TimelineEntry.objects.get(order=order, kind=TimelineKind.OSCAR_STATUS)
    assert (entry.data["from"], entry.data["to"]) == ("new", "cancelled")


def test_following_oscar_can_be_switched_off(place_order, settings):
    settings.OSCAR_ORDERS_EXT_FOLLOW_OSCAR_STATUS = False
    order = place_order()
    order.set_status("Being processed")
    assert OrderProcess.objects.get(order=order).state == "new"


def test_deleting_an_order_removes_its_workspace_rows(place_order):
    order = place_order()
    order.delete()
    assert not OrderProcess.objects.exists()
    assert not TimelineEntry.objects.exists()


def test_migrations_are_complete():
    check_migrations_complete()


def test_system_checks_pass():
    call_command("check", fail_level="WARNING")


def test_oscar_order_model_is_untouched():
    Order = get_model("order", "Order")
    assert Order._meta.app_label == "order"
    assert not hasattr(Order, "state")


def test_a_status_changed_in_oscars_dashboard_names_the_operator(django_app, place_order,
                                                                 django_user_model):
    # Our timeline used to say "system" for a change an operator made by hand there.
    from django.urls import reverse

    admin = django_user_model.objects.create_superuser("boss", "boss@example.com", "pw")
    order = place_order()
    page = django_app.get(reverse("dashboard:order-detail", kwargs={"number": order.number}),
                          user=admin)
    form = next(f for f in page.forms.values()
                if f.fields.get("order_action", [None])[0] is not None
                and f["order_action"].value == "change_order_status")
    form["new_status"] = "Cancelled"
    form.submit().follow()
    entry = TimelineEntry.objects.get(order=order, kind=TimelineKind.OSCAR_STATUS)
    assert entry.actor == admin
    assert OrderProcess.objects.get(order=order).state == "cancelled"


def test_a_status_set_by_a_script_is_still_the_systems(place_order):
    order = place_order()
    order.set_status("Cancelled")
    assert TimelineEntry.objects.get(order=order, kind=TimelineKind.OSCAR_STATUS).actor is None
