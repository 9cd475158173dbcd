"""Carriers, shipments (full and partial), tracking links, and "tracking before shipping"."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from oscar.core.loading import get_model

from oscar_orders_ext.exceptions import ConditionNotMet, OrderConflict
from oscar_orders_ext.models import Carrier, OrderProcess, Shipment, TimelineEntry
from oscar_orders_ext.services import edits
from oscar_orders_ext.services.logistics import ShipmentError, record_shipment, tracking_links
from oscar_orders_ext.services.transitions import bulk_transition, transition_order

from ..factories import opened_form
from .conftest import carrier_url, page_url, version_of

pytestmark = pytest.mark.django_db

ShippingEvent = get_model("order", "ShippingEvent")
ShippingEventQuantity = get_model("order", "ShippingEventQuantity")


@pytest.fixture
def dhl(db: Any) -> Carrier:
    return Carrier.objects.create(name="DHL",
                                  tracking_url_template="https://dhl.example/track?id={code}")


def shipment_form(page: Any) -> Any:
    page = opened_form(page, "shipment_form", "tracking_code")
    return page.forms[next(i for i, f in page.forms.items() if "tracking_code" in f.fields)]


def line_field(order: Any) -> str:
    return f"line_{order.lines.get().pk}"


def test_a_full_shipment_is_an_oscar_shipping_event(django_app, editor, order, dhl):
    form = shipment_form(django_app.get(page_url(order), user=editor))
    assert form[line_field(order)].value == "2"  # everything left, by default
    form["carrier"] = str(dhl.pk)
    form["tracking_code"] = "JD 0001"
    page = form.submit().follow()
    event = ShippingEvent.objects.get(order=order)
    assert event.event_type.name == "Shipped"
    assert [(q.line_id, q.quantity) for q in event.line_quantities.all()] == [
        (order.lines.get().pk, 2)]
    link = page.pyquery(".ooe-tracking-link")
    assert link.text() == "JD 0001"
    assert link.attr("href") == "https://dhl.example/track?id=JD%200001"
    assert page.pyquery(".ooe-all-shipped") and not page.pyquery("#ooe-shipment-form")
    assert page.pyquery(".ooe-line-shipped").text() == "2"
    entry = TimelineEntry.objects.get(order=order, kind="shipment")
    assert entry.summary == "Shipped 2 items with DHL (tracking code JD 0001)"
    assert entry.actor == editor


def test_partial_shipments_add_up(django_app, editor, order):
    form = shipment_form(django_app.get(page_url(order), user=editor))
    form["carrier_name"] = "Bike courier"
    form[line_field(order)] = "1"
    page = form.submit().follow()
    assert page.pyquery(".ooe-line-shipped").text() == "1"
    assert "Partial shipment: 1 item with Bike courier" in page.pyquery("#ooe-timeline").text()
    form = shipment_form(page)
    assert form[line_field(order)].value == "1"  # what is left
    form["carrier_name"] = "Bike courier"
    form[line_field(order)] = "2"  # more than is left
    page = form.submit(status=400)
    assert "less than or equal to 1" in page.pyquery(".invalid-feedback").text()
    assert ShippingEventQuantity.objects.filter(event__order=order).count() == 1
    with pytest.raises(ShipmentError, match="Only 1 of"):
        record_shipment(order, carrier_name="X", lines={order.lines.get(): 2}, user=editor)
    record_shipment(order, carrier_name="X", user=editor)  # the rest
    assert sum(ShippingEventQuantity.objects.filter(event__order=order)
               .values_list("quantity", flat=True)) == 2
    with pytest.raises(ShipmentError, match="already been shipped"):
        record_shipment(order, carrier_name="X", user=editor)


def test_shipments_of_several_lines(editor, place_order, product):
    from oscar.test import factories

    basket = factories.create_basket(empty=True)
    basket.add_product(product, 3)
    basket.add_product(factories.create_product(price=5, num_in_stock=9), 4)
    order = factories.create_order(basket=basket)
    cups, other = order.lines.order_by("pk")
    record_shipment(order, carrier_name="UPS", tracking_code="1Z", lines={cups: 3, other: 1},
                    user=editor)
    quantities = dict(ShippingEventQuantity.objects.filter(event__order=order)
                      .values_list("line_id", "quantity"))
    assert quantities == {cups.pk: 3, other.pk: 1}
    with pytest.raises(ShipmentError, match="not part of this order"):
        record_shipment(order, carrier_name="UPS", lines={999999: 1}, user=editor)


def test_bad_shipment_input_is_refused(raw_app, editor, order):
    url = page_url(order, "shipment")
    field = line_field(order)
    page = raw_app.post(url, {"version": version_of(order), "carrier": "99999",
                              field: "1"}, user=editor, status=400)
    assert "Select a valid choice" in page.pyquery(".invalid-feedback").text()
    page = raw_app.post(url, {"version": version_of(order), field: "1"}, user=editor,
                        status=400)
    assert "Choose a carrier" in page.pyquery(".alert-danger").text()
    page = raw_app.post(url, {"version": version_of(order), "carrier_name": "X", field: "0"},
                        user=editor, status=400)
    assert "at least one item" in page.pyquery(".alert-danger").text()
    page = raw_app.post(url, {"version": version_of(order), "carrier_name": "X",
                              field: "-1"}, user=editor, status=400)
    assert not ShippingEvent.objects.filter(order=order).exists()


def test_a_stale_shipment_form_records_nothing(django_app, editor, operator, order):
    form = shipment_form(django_app.get(page_url(order), user=editor))
    edits.add_note(order, "meanwhile", user=operator)
    form["carrier_name"] = "DHL"
    page = form.submit(status=409)
    assert "Someone else changed this order" in page.pyquery(".alert-danger").text()
    assert not ShippingEvent.objects.filter(order=order).exists()
    assert shipment_form(page)["carrier_name"].value == "DHL"  # kept for a second try
    with pytest.raises(OrderConflict):
        record_shipment(order, carrier_name="DHL", user=editor, expected_version=1)


def test_a_viewer_cannot_record_shipments(raw_app, viewer, order):
    raw_app.post(page_url(order, "shipment"), {"version": version_of(order),
                                               "carrier_name": "DHL"},
                 user=viewer, status=403)
    assert not ShippingEvent.objects.filter(order=order).exists()


def test_the_shipping_email_has_the_tracking_link_and_buyer_notes(
        order, editor, dhl, django_capture_on_commit_callbacks):
    record_shipment(order, carrier=dhl, tracking_code="JD42", user=editor)
    edits.add_note(order, "We added a free sample.", user=editor, for_customer=True)
    edits.add_note(order, "Customer is grumpy", user=editor)  # internal
    with django_capture_on_commit_callbacks(execute=True):
        transition_order(order, "ship", user=editor)
    message = mail.outbox[0]
    assert "https://dhl.example/track?id=JD42" in message.body
    assert "We added a free sample." in message.body
    assert "grumpy" not in message.body
    html = message.alternatives[0][0]
    assert 'href="https://dhl.example/track?id=JD42"' in html and "free sample" in html
    assert tracking_links(order)[0].url == "https://dhl.example/track?id=JD42"


# --- Tracking required before shipping --------------------------------------------------------

@pytest.fixture
def tracking_required(settings: Any) -> None:
    settings.OSCAR_ORDERS_EXT_REQUIRE_TRACKING_TO_SHIP = True


def test_the_setting_blocks_ship_until_a_tracking_code_exists(tracking_required, order, editor):
    with pytest.raises(ConditionNotMet, match="tracking code before shipping"):
        transition_order(order, "ship", user=editor)
    [outcome] = bulk_transition([order], "ship", user=editor)
    assert not outcome.ok and "tracking code" in outcome.message
    record_shipment(order, carrier_name="Courier", user=editor)  # no code: still blocked
    with pytest.raises(ConditionNotMet):
        transition_order(order, "ship", user=editor)
    assert OrderProcess.objects.get(order=order).state == "new"


def test_with_a_tracking_code_the_order_ships(tracking_required, order, editor):
    record_shipment(order, carrier_name="Courier", tracking_code="C-1",
                    lines={order.lines.get(): 1}, user=editor)
    transition_order(order, "ship", user=editor)
    assert OrderProcess.objects.get(order=order).state == "shipped"


def test_the_page_explains_why_ship_is_off(tracking_required, django_app, editor, order):
    page = django_app.get(page_url(order), user=editor)
    ship = page.pyquery(".ooe-transition[data-transition='ship']")
    assert "tracking code before shipping" in ship.find(".ooe-refusal").text()
    assert not ship.find("form")


def test_without_the_setting_ship_needs_no_tracking(order, editor):
    transition_order(order, "ship", user=editor)
    assert OrderProcess.objects.get(order=order).state == "shipped"


# --- Carriers ---------------------------------------------------------------------------------

def test_a_manager_adds_edits_and_deletes_carriers(django_app, manager):
    page = django_app.get(carrier_url("orders-carrier-create"), user=manager)
    form = page.forms["ooe-carrier-form"]
    form["name"] = "PostNL"
    form["tracking_url_template"] = "https://postnl.example/t/{code}"
    page = form.submit().follow()
    assert "PostNL" in page.pyquery("#ooe-carriers").text()
    carrier = Carrier.objects.get(name="PostNL")
    form = django_app.get(carrier_url("orders-carrier-update", pk=carrier.pk),
                          user=manager).forms["ooe-carrier-form"]
    form["is_active"] = False
    form.submit().follow()
    carrier.refresh_from_db()
    assert not carrier.is_active
    page = django_app.get(carrier_url("orders-carrier-delete", pk=carrier.pk), user=manager)
    page.forms["ooe-carrier-delete"].submit().follow()
    assert not Carrier.objects.filter(pk=carrier.pk).exists()


def test_the_shipment_form_links_to_the_carriers_for_those_who_manage_them(django_app, manager,
                                                                         editor, order):
    link = opened_form(django_app.get(page_url(order), user=manager), "shipment_form").pyquery(
        "#ooe-manage-carriers")
    assert link.attr("href") == carrier_url("orders-carrier-list")
    assert not opened_form(django_app.get(page_url(order), user=editor), "shipment_form").pyquery(
        "#ooe-manage-carriers")


def test_a_bad_tracking_template_is_refused(django_app, manager):
    form = django_app.get(carrier_url("orders-carrier-create"),
                          user=manager).forms["ooe-carrier-form"]
    form["name"] = "Bad"
    form["tracking_url_template"] = "https://bad.example/track"
    page = form.submit(status=200)
    assert "{code}" in page.pyquery(".invalid-feedback").text()
    form["tracking_url_template"] = "javascript:alert(1)//{code}"
    page = form.submit(status=200)
    assert "https://" in page.pyquery(".invalid-feedback").text()
    assert not Carrier.objects.filter(name="Bad").exists()


def test_a_used_carrier_is_kept(raw_app, manager, order, dhl):
    record_shipment(order, carrier=dhl, tracking_code="1", user=manager)
    page = raw_app.post(carrier_url("orders-carrier-delete", pk=dhl.pk), user=manager).follow()
    assert "deactivate it instead" in page.pyquery(".alert-danger").text()
    assert Carrier.objects.filter(pk=dhl.pk).exists()
    assert Shipment.objects.get().carrier == dhl


def test_carriers_need_their_permission(django_app, raw_app, editor, dhl):
    django_app.get(carrier_url("orders-carrier-list"), user=editor, status=403)
    raw_app.post(carrier_url("orders-carrier-delete", pk=dhl.pk), user=editor, status=403)
    assert Carrier.objects.filter(pk=dhl.pk).exists()


def test_inactive_carriers_are_not_offered(django_app, editor, order, dhl):
    Carrier.objects.create(name="Old post", is_active=False)
    form = shipment_form(django_app.get(page_url(order), user=editor))
    labels = [label for _value, _selected, label in form["carrier"].options]
    assert "DHL" in labels and "Old post" not in labels


def test_the_carriers_page_is_in_the_menu_for_managers(django_app, manager, viewer):
    assert carrier_url("orders-carrier-list") in django_app.get("/dashboard/", user=manager)
    assert carrier_url("orders-carrier-list") not in django_app.get("/dashboard/",
                                                                    user=viewer)


# --- Links into the page ----------------------------------------------------------------------

def test_table_rows_and_cards_open_the_order_page(django_app, viewer, order):
    table = django_app.get("/dashboard/workspace/", user=viewer)
    assert page_url(order) in table.text
    board = django_app.get("/dashboard/workspace/kanban/", user=viewer)
    assert page_url(order) in board.text


def test_shops_can_show_tracking_and_buyer_notes_on_customer_pages(order, editor, dhl):
    from django.template import Context, Template

    record_shipment(order, carrier=dhl, tracking_code="JD7", user=editor)
    edits.add_note(order, "Gift wrapped", user=editor, for_customer=True)
    edits.add_note(order, "internal only", user=editor)
    html = Template(
        "{% load orders_workspace %}{% order_buyer_info order as info %}"
        "{% for link in info.tracking_links %}{{ link.url }}|{% endfor %}"
        "{% for note in info.buyer_notes %}{{ note.message }}|{% endfor %}"
    ).render(Context({"order": order}))
    assert html == "https://dhl.example/track?id=JD7|Gift wrapped|"


def test_customers_see_tracking_links_and_buyer_notes_never_internal_ones(order, editor):
    from django.template.loader import render_to_string

    from oscar_orders_ext.models import Carrier
    from oscar_orders_ext.services.edits import add_note

    gls = Carrier.objects.create(name="GLS", tracking_url_template="https://gls.example/{code}")
    record_shipment(order, carrier=gls, tracking_code="ZX-1", user=editor)
    add_note(order, "Your parcel leaves on Monday.", user=editor, for_customer=True)
    add_note(order, "Customer was rude on the phone.", user=editor)
    html = render_to_string("oscar_orders_ext/customer/order_buyer_info.html", {"order": order})
    assert 'href="https://gls.example/ZX-1"' in html
    assert "Your parcel leaves on Monday." in html
    assert "rude" not in html


# --- Shipping in the same step ------------------------------------------------------------------

def test_shipping_every_item_marks_the_order_shipped_in_the_same_step(
        django_app, editor, order, dhl, django_capture_on_commit_callbacks):
    # Recording a shipment of every item used to leave the order "New"/"In preparation" (and
    # its stock allocated) until someone also clicked Ship.
    form = shipment_form(django_app.get(page_url(order), user=editor))
    assert form["mark_shipped"].checked and form["notify"].checked  # the workflow's defaults
    form["carrier"] = str(dhl.pk)
    form["tracking_code"] = "JD 0002"
    with django_capture_on_commit_callbacks(execute=True):
        page = form.submit().follow()
    assert OrderProcess.objects.get(order=order).state == "shipped"
    assert "is now “Shipped”" in page.text
    assert [m.to for m in mail.outbox] == [["ann@example.com"]]
    assert TimelineEntry.objects.filter(order=order, kind="state").exists()


def test_the_operator_can_ship_without_telling_the_customer(django_app, editor, order,
                                                            django_capture_on_commit_callbacks):
    form = shipment_form(django_app.get(page_url(order), user=editor))
    form["carrier_name"] = "Van"
    form["notify"] = False
    with django_capture_on_commit_callbacks(execute=True):
        form.submit().follow()
    assert OrderProcess.objects.get(order=order).state == "shipped"
    assert mail.outbox == []


def test_a_partial_shipment_keeps_the_state_and_says_why(django_app, editor, order):
    form = shipment_form(django_app.get(page_url(order), user=editor))
    form["carrier_name"] = "Van"
    form[line_field(order)] = "1"
    page = form.submit().follow()
    assert "Items are left to ship" in page.text
    assert OrderProcess.objects.get(order=order).state == "new"


def test_unticked_the_shipment_is_only_recorded(django_app, editor, order):
    form = shipment_form(django_app.get(page_url(order), user=editor))
    form["carrier_name"] = "Van"
    form["mark_shipped"] = False
    form.submit().follow()
    assert OrderProcess.objects.get(order=order).state == "new"
    assert ShippingEvent.objects.filter(order=order).count() == 1
