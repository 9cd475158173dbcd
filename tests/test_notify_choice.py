"""Every bulk path that can email customers offers the choice, and says how many it emails."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from oscar_orders_ext.views.forms import BulkActionForm
from oscar_orders_ext.models import OrderProcess
from oscar_orders_ext.services.bulk import customers_to_email, resolve_action, run_bulk_action
from oscar_orders_ext.services.transitions import notifies_by_default, transition_order

from .wagtail.conftest import FRONT_ENDS, with_wagtail_access

pytestmark = pytest.mark.django_db


@pytest.fixture
def confirmed(place_order):
    orders = [place_order(quantity=1, guest_email=f"buyer{i}@example.com") for i in range(2)]
    for order in orders:
        transition_order(order, "confirm", notify_customer=False)
    return list(OrderProcess.objects.filter(order__in=orders).order_by("pk"))


def ship_all(processes, notify):
    apply = resolve_action("transition", transition="ship", notify=notify)
    return run_bulk_action([p.pk for p in processes], "transition", apply, user=None)


def test_bulk_shipping_follows_the_state_default_and_counts_the_emails(
        confirmed, django_capture_on_commit_callbacks):
    assert notifies_by_default("shipped")
    assert customers_to_email(confirmed, "ship") == 2  # what the confirmation would say
    with django_capture_on_commit_callbacks(execute=True):
        report = ship_all(confirmed, None)
    assert (report.done, report.emailed, len(mail.outbox)) == (2, 2, 2)


def test_bulk_shipping_can_leave_the_customers_alone(confirmed,
                                                     django_capture_on_commit_callbacks):
    # Bulk "Ship" used to email every customer with no way to say no.
    assert customers_to_email(confirmed, "ship", notify=False) == 0
    with django_capture_on_commit_callbacks(execute=True):
        report = ship_all(confirmed, False)
    assert (report.done, report.emailed, mail.outbox) == (2, 0, [])
    assert {p.state for p in OrderProcess.objects.all()} == {"shipped"}


def test_bulk_cancel_takes_the_choice_too(confirmed, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        report = run_bulk_action([confirmed[0].pk], "cancel",
                                 resolve_action("cancel", notify=True), user=None)
    assert (report.done, report.emailed, len(mail.outbox)) == (1, 1, 1)


@pytest.mark.parametrize(("posted", "expected"), [("", None), ("yes", True), ("no", False)])
def test_the_bulk_form_reads_the_notify_choice(posted, expected):
    form = BulkActionForm({"action": "cancel", "selected": "1", "notify": posted})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["notify"] is expected


@pytest.mark.parametrize("namespace", FRONT_ENDS)
def test_the_bulk_bar_asks_whether_to_email_the_customers(django_app, namespace, make_staff,
                                                         confirmed):
    # Bulk state changes and cancels emailed customers without offering the choice.
    editor = with_wagtail_access(make_staff("bulk-editor", ["view_orderprocess",
                                                            "bulk_edit_orders"]))
    page = django_app.get(reverse(f"{namespace}:orders-workspace"), user=editor)
    select = page.pyquery("select[name=notify]")
    assert select.attr("data-for") == "transition cancel"
    assert [option.get("value") for option in select.find("option")] == ["", "yes", "no"]
