"""Every action of the order page: what it changes, who may do it, and bad or stale input."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from oscar.core.loading import get_model
from oscar.test import factories

from oscar_orders_ext.constants import CUSTOMER_NOTE_TYPE, PaymentStatus
from oscar_orders_ext.models import Funnel, OrderProcess, Tag, TimelineEntry
from oscar_orders_ext.services import edits

from ..factories import opened_form
from .conftest import page_url, version_of

pytestmark = pytest.mark.django_db

OrderNote = get_model("order", "OrderNote")


def process_of(order: Any) -> OrderProcess:
    return OrderProcess.objects.get(order=order)


def errors(page: Any) -> str:
    return page.pyquery(".alert-danger, .invalid-feedback").text()


# --- Transitions ------------------------------------------------------------------------------

def test_a_transition_button_moves_the_order_with_its_note(
        django_app, editor, order, django_capture_on_commit_callbacks):
    page = django_app.get(page_url(order), user=editor)
    form = page.forms[next(i for i, f in page.forms.items()
                           if f.fields.get("transition", [None])[0]
                           and f["transition"].value == "confirm")]
    form["note"] = "stock checked"
    assert not form["notify"].checked  # "In preparation" does not email by default
    with django_capture_on_commit_callbacks(execute=True):
        page = form.submit().follow()
    assert "is now “In preparation”" in page.text
    assert process_of(order).state == "processing"
    entry = TimelineEntry.objects.filter(order=order, kind="state").get()
    assert entry.note == "stock checked" and entry.actor == editor
    assert not mail.outbox  # confirming does not email by default


def test_notify_checkbox_sends_the_email_with_the_customer_message(
        raw_app, editor, order, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        raw_app.post(page_url(order, "transition"),
                     {"transition": "confirm", "version": version_of(order), "notify": "on",
                      "customer_message": "We are packing it."}, user=editor).follow()
    assert len(mail.outbox) == 1
    assert "We are packing it." in mail.outbox[0].body
    assert mail.outbox[0].to == ["ann@example.com"]


def test_unticking_notify_keeps_a_notifying_state_quiet(
        raw_app, editor, order, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        raw_app.post(page_url(order, "transition"),
                     {"transition": "reject", "version": version_of(order)},
                     user=editor).follow()
    assert process_of(order).state == "rejected" and callbacks  # the move did commit
    assert not mail.outbox


def test_a_viewer_cannot_move_an_order(raw_app, viewer, order):
    raw_app.post(page_url(order, "transition"),
                    {"transition": "confirm", "version": version_of(order)},
                    user=viewer, status=403)
    assert process_of(order).state == "new"


def test_a_move_the_user_may_not_make_is_refused_with_a_message(raw_app, make_staff,
                                                               order):
    mover = make_staff("mover", ["view_orderprocess", "change_order_state"])
    page = raw_app.post(page_url(order, "transition"),
                           {"transition": "cancel", "version": version_of(order)},
                           user=mover).follow()
    assert "do not have permission" in errors(page)
    assert process_of(order).state == "new"


def test_a_move_not_allowed_from_the_state_is_refused(raw_app, editor, order):
    page = raw_app.post(page_url(order, "transition"),
                           {"transition": "refund", "version": version_of(order)},
                           user=editor).follow()
    assert "cannot be moved" in errors(page)
    assert process_of(order).state == "new"


def test_a_stale_transition_form_is_refused(raw_app, editor, operator, order):
    stale = version_of(order)
    edits.set_payment_status(order, PaymentStatus.PAID, user=operator)
    page = raw_app.post(page_url(order, "transition"),
                           {"transition": "confirm", "version": stale}, user=editor).follow()
    assert "Someone else changed this order" in errors(page)
    assert process_of(order).state == "new"


def test_a_tampered_transition_form_is_a_clear_error(raw_app, editor, order):
    page = raw_app.post(page_url(order, "transition"), {"transition": "confirm",
                                                           "version": "x"},
                           user=editor).follow()
    assert "reload the page" in errors(page)
    assert process_of(order).state == "new"


def test_posts_need_a_csrf_token(django_app, editor, order):
    django_app.post(page_url(order, "transition"),
                    {"transition": "confirm", "version": version_of(order)},
                    user=editor, status=403)
    assert process_of(order).state == "new"


# --- Payment, type, operator, funnel, tags ----------------------------------------------------

def workflow_form(page: Any) -> Any:
    page = opened_form(page, "workflow_form", "payment_status")
    return page.forms[next(i for i, f in page.forms.items() if "payment_status" in f.fields)]


def test_the_workflow_form_saves_every_field_at_once(django_app, editor, order):
    vip = Tag.objects.create(name="VIP")
    other = Funnel.create_from_workflow("Wholesale", is_default=False)
    page = django_app.get(page_url(order), user=editor)
    form = workflow_form(page)
    form["payment_status"] = "paid"
    form["order_type"] = "quote"
    form["operator"] = str(editor.pk)
    form["funnel"] = str(other.pk)
    form["tags"] = [str(vip.pk)]
    form.submit().follow()
    process = process_of(order)
    assert (process.payment_status, process.order_type, process.operator, process.funnel) == (
        "paid", "quote", editor, other)
    assert list(process.tags.all()) == [vip]
    assert process.stage.funnel == other
    kinds = set(TimelineEntry.objects.filter(order=order).values_list("kind", flat=True))
    assert {"payment", "order_type", "operator", "stage", "tags"} <= kinds


def test_a_stale_workflow_form_changes_nothing(django_app, editor, operator, order):
    page = django_app.get(page_url(order), user=editor)
    form = workflow_form(page)
    edits.set_order_type(order, "subscription", user=operator)  # someone else, meanwhile
    form["payment_status"] = "paid"
    page = form.submit(status=409)
    assert "Someone else changed this order" in errors(page)
    process = process_of(order)
    assert process.payment_status == "unpaid" and process.order_type == "subscription"
    # The operator's choice is still in the form, now against the current order: save again.
    form = workflow_form(page)
    assert form["payment_status"].value == "paid"
    assert form["version"].value == str(process.version)
    form.submit().follow()
    assert process_of(order).payment_status == "paid"


def test_a_bulk_tag_change_made_meanwhile_survives_the_form(django_app, editor, operator,
                                                             order):
    vip, late = Tag.objects.create(name="VIP"), Tag.objects.create(name="Late")
    page = django_app.get(page_url(order), user=editor)
    form = workflow_form(page)
    # A bulk "add tag" meanwhile: set-based, it takes no version (docs/architecture.md).
    process = process_of(order)
    process.tags.add(late)
    form["tags"] = [str(vip.pk)]  # the operator ticks VIP only
    form.submit().follow()
    assert set(process_of(order).tags.values_list("name", flat=True)) == {"VIP", "Late"}


def test_a_bad_choice_is_a_form_error(raw_app, editor, order):
    page = raw_app.post(page_url(order, "workflow"),
                           {"version": version_of(order), "payment_status": "stolen",
                            "order_type": "standard",
                            "funnel": Funnel.objects.get_default().pk},
                           user=editor, status=400)
    assert "Select a valid choice" in errors(page)
    assert process_of(order).payment_status == "unpaid"


def test_a_viewer_cannot_edit_the_workflow_fields(raw_app, viewer, order):
    raw_app.post(page_url(order, "workflow"), {"version": 1}, user=viewer, status=403)


def test_a_refused_field_rolls_back_the_others(editor, order):
    from oscar_orders_ext.exceptions import OrderWorkflowError
    from oscar_orders_ext.services.order_details import update_workflow_fields

    outsider = type(editor).objects.create_user(username="notstaff")
    with pytest.raises(OrderWorkflowError):
        update_workflow_fields(order, user=editor, expected_version=version_of(order),
                               payment_status="paid", operator=outsider)
    assert process_of(order).payment_status == "unpaid"


# --- Buyer details and addresses --------------------------------------------------------------

def customer_form(page: Any) -> Any:
    page = opened_form(page, "customer_form", "billing-line1")
    return page.forms[next(i for i, f in page.forms.items() if "billing-line1" in f.fields)]


def test_buyer_details_and_addresses_are_saved(django_app, manager, order):
    form = customer_form(django_app.get(page_url(order), user=manager))
    form["email"] = "ann.new@example.com"
    form["billing-line1"] = "10 New Street"
    form["shipping-phone_number"] = "+442079460001"
    form.submit().follow()
    order.refresh_from_db()
    assert order.guest_email == "ann.new@example.com"
    assert order.billing_address.line1 == "10 New Street"
    assert str(order.shipping_address.phone_number) == "+442079460001"
    process = process_of(order)
    assert process.customer_email == "ann.new@example.com"  # the workspace snapshot follows
    assert process.customer_phone == "+442079460001"
    entry = TimelineEntry.objects.get(order=order, kind="edit")
    assert set(entry.data["changed"]) == {"email", "billing_address.line1",
                                          "shipping_address.phone_number"}
    assert "billing address (line1)" in entry.summary and entry.actor == manager


def test_shipping_same_as_billing_copies_the_billing_address(django_app, manager, order):
    form = customer_form(django_app.get(page_url(order), user=manager))
    form["billing-line1"] = "10 New Street"
    form["shipping_same_as_billing"] = True
    form["shipping-line1"] = "ignored"
    form.submit().follow()
    order.refresh_from_db()
    assert order.shipping_address.line1 == "10 New Street"
    assert order.shipping_address.line4 == "London"  # the billing city
    assert str(order.shipping_address.phone_number) == "+442079460000"  # kept


def test_an_order_without_addresses_gets_them(django_app, manager, place_order, country):
    order = place_order(guest_email="zoe@example.com")
    form = customer_form(django_app.get(page_url(order), user=manager))
    form["billing-first_name"] = "Zoe"
    form["billing-last_name"] = "Zed"
    form["billing-line1"] = "5 Lane"
    form["billing-line4"] = "York"
    form["billing-postcode"] = "YO1 7HH"
    form["billing-country"] = "GB"
    form["shipping_same_as_billing"] = True
    form.submit().follow()
    order.refresh_from_db()
    assert order.billing_address.line1 == order.shipping_address.line1 == "5 Lane"
    assert process_of(order).customer_name == "Zoe Zed"


def test_a_bad_country_keeps_the_input_and_saves_nothing(django_app, manager, order):
    form = customer_form(django_app.get(page_url(order), user=manager))
    form["billing-line1"] = "10 New Street"
    form.fields["billing-country"][0].force_value("XX")
    page = form.submit(status=400)
    assert "Select a valid choice" in errors(page)
    assert page.forms[next(i for i, f in page.forms.items() if "billing-line1" in f.fields)][
        "billing-line1"].value == "10 New Street"  # the operator's input is still there
    order.refresh_from_db()
    assert order.billing_address.line1 == "1 Bill Street"
    assert not TimelineEntry.objects.filter(order=order, kind="edit").exists()


def test_a_bad_postcode_is_refused(django_app, manager, order):
    form = customer_form(django_app.get(page_url(order), user=manager))
    form["shipping-postcode"] = "NOT A CODE"
    page = form.submit(status=400)
    assert "postcode" in errors(page)
    order.refresh_from_db()
    assert order.shipping_address.postcode == "LS1 4AP"


def test_a_stale_customer_form_changes_nothing(django_app, manager, operator, order):
    form = customer_form(django_app.get(page_url(order), user=manager))
    edits.add_tags(order, [Tag.objects.create(name="VIP")], user=operator)
    form["billing-line1"] = "10 New Street"
    page = form.submit(status=409)
    assert "Someone else changed this order" in errors(page)
    order.refresh_from_db()
    assert order.billing_address.line1 == "1 Bill Street"
    assert customer_form(page)["billing-line1"].value == "10 New Street"  # nothing typed lost


def test_a_registered_customers_email_is_not_edited_here(django_app, manager, place_order,
                                                         django_user_model):
    customer = django_user_model.objects.create_user(username="bob", email="bob@example.com")
    order = place_order(user=customer)
    form = customer_form(django_app.get(page_url(order), user=manager))
    assert "email" not in form.fields


def test_editing_details_needs_its_permission(raw_app, django_app, editor, order):
    page = django_app.get(page_url(order), user=editor)
    assert not page.pyquery("#ooe-customer-form")
    raw_app.post(page_url(order, "customer"), {"version": version_of(order)}, user=editor,
                    status=403)


# --- Notes ------------------------------------------------------------------------------------

def test_internal_and_buyer_notes(django_app, editor, order):
    for message, audience in (("Fragile, pack twice", "internal"),
                              ("Thanks for your patience!", "buyer")):
        page = django_app.get(page_url(order), user=editor)
        form = page.forms["ooe-note-form"]
        form["message"] = message
        form["audience"] = audience
        page = form.submit().follow()
    assert "Fragile, pack twice" in page.pyquery("#ooe-internal-notes").text()
    assert "Thanks for your patience!" in page.pyquery("#ooe-buyer-notes").text()
    assert "Fragile" not in page.pyquery("#ooe-buyer-notes").text()
    assert OrderNote.objects.get(order=order, note_type=CUSTOMER_NOTE_TYPE).message == (
        "Thanks for your patience!")
    texts = page.pyquery(".ooe-timeline-item[data-kind='note'] .ooe-timeline-text").text()
    assert "Internal note" in texts and "Note for the customer" in texts


def test_an_empty_note_is_a_form_error(raw_app, editor, order):
    page = raw_app.post(page_url(order, "note"), {"message": "   ", "audience": "internal"},
                           user=editor, status=400)
    assert "cannot be empty" in errors(page) or "required" in errors(page)
    assert not OrderNote.objects.filter(order=order).exists()


def test_a_viewer_cannot_add_notes(raw_app, viewer, order):
    raw_app.post(page_url(order, "note"), {"message": "hi", "audience": "internal"},
                    user=viewer, status=403)
    assert not OrderNote.objects.filter(order=order).exists()


def test_addresses_save_when_other_orders_have_addresses_too(django_app, manager, order,
                                                              place_order, country):
    # Oscar stores an address's empty code as NULL and reads it back as "": checking that ""
    # is unique used to match every other address ("Billing address with this Code already
    # exists."), so no order of a shop with more than one order could have its address edited.
    other = place_order(
        guest_email="bob@example.com",
        billing_address=factories.BillingAddressFactory(
            country=country, first_name="Bob", last_name="Other", line1="3 Other Way",
            line4="York", postcode="YO1 7HH"),
        shipping_address=factories.ShippingAddressFactory(
            country=country, first_name="Bob", last_name="Other", line1="4 Other Way",
            line4="York", postcode="YO1 7HH"))
    form = customer_form(django_app.get(page_url(other), user=manager))
    form["billing-line1"] = "30 Other Way"
    form["shipping-line1"] = "40 Other Way"
    page = form.submit()
    assert "already exists" not in page.text
    other.refresh_from_db()
    assert other.billing_address.line1 == "30 Other Way"
    assert other.shipping_address.line1 == "40 Other Way"
    assert get_model("order", "BillingAddress").objects.filter(code__isnull=True).count() == 2


def test_a_funnel_without_a_stage_for_the_state_is_refused_with_the_reason(django_app, editor,
                                                                           order):
    # Saved silently before: the order then showed on no board at all.
    from oscar_orders_ext.models import Stage

    shipped_only = Funnel.objects.create(name="Returns", slug="returns")
    Stage.objects.create(funnel=shipped_only, name="Back", state="shipped", position=1)
    page = django_app.get(page_url(order), user=editor)
    form = workflow_form(page)
    form["funnel"] = str(shipped_only.pk)
    form["payment_status"] = "paid"
    page = form.submit().follow()
    assert "“Returns” has no stage for the state “New”" in errors(page)
    process = process_of(order)
    assert process.funnel == Funnel.objects.get_default() and process.stage is not None
    assert process.payment_status == "unpaid"  # all or nothing


def test_operator_choices_name_people_as_the_workspace_does(make_staff):
    # The selects listed usernames ("lena") where every other place says "Lena Schmidt".
    from oscar_orders_ext.views.forms import BulkActionForm
    from oscar_orders_ext.views.order_forms import WorkflowFieldsForm

    lena = make_staff("lena")
    lena.first_name, lena.last_name = "Lena", "Schmidt"
    lena.save()
    for field in (BulkActionForm().fields["operator"],
                  WorkflowFieldsForm.base_fields["operator"]):
        assert (lena.pk, "Lena Schmidt") in [(getattr(value, "value", value), label)
                                             for value, label in field.choices]
