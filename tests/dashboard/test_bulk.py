"""Bulk actions from the table: on the selected rows or on every order matching the filter."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from oscar_orders_ext.models import OrderProcess, Tag

from ..factories import bulk_orders
from .conftest import ws_url

pytestmark = pytest.mark.django_db


def bulk_form(django_app: Any, user: Any, query: str = "") -> Any:
    page = django_app.get(f"{ws_url('orders-workspace')}{query}", user=user)
    return page.forms["ooe-bulk-form"]


def submit(form: Any, *, selected: list[OrderProcess] | None = None, all_matching: bool = False,
           **fields: Any) -> Any:
    for name, value in fields.items():
        form[name] = value
    if all_matching:
        form["select_all"] = "1"
        return form.submit("apply", value="all")
    form["selected"] = ",".join(str(p.pk) for p in selected or [])
    return form.submit("apply", value="selected")


def states(processes: list[OrderProcess]) -> list[str]:
    return [OrderProcess.objects.get(pk=p.pk).state for p in processes]


def test_changing_state_in_bulk_reports_each_refusal(django_app, editor):
    fresh = bulk_orders(2, prefix="F")
    done = bulk_orders(1, prefix="D", state="completed")
    report = submit(bulk_form(django_app, editor), selected=fresh + done, action="transition",
                    transition="confirm")
    assert "2 orders updated." in report.text
    assert "D00000" in report.pyquery(".ooe-refusals").text()
    assert "“Completed”" in report.pyquery(".ooe-refusals").text()
    assert states(fresh + done) == ["processing", "processing", "completed"]


@pytest.mark.parametrize(("action", "check"), [
    ("mark_paid", lambda p: p.payment_status == "paid"),
    ("cancel", lambda p: p.state == "cancelled"),
])
def test_simple_bulk_actions(django_app, editor, action, check):
    processes = bulk_orders(3)
    response = submit(bulk_form(django_app, editor), selected=processes[:2], action=action)
    assert response.status_code == 302
    updated = [check(OrderProcess.objects.get(pk=p.pk)) for p in processes]
    assert updated == [True, True, False]


def test_tags_and_operator_in_bulk(django_app, editor):
    processes = bulk_orders(2)
    gift = Tag.objects.create(name="Gift")
    submit(bulk_form(django_app, editor), selected=processes, action="add_tag", tag=str(gift.pk))
    assert all(gift in p.tags.all() for p in OrderProcess.objects.all())
    submit(bulk_form(django_app, editor), selected=processes[:1], action="remove_tag",
           tag=str(gift.pk))
    assert OrderProcess.objects.filter(tags=gift).count() == 1
    submit(bulk_form(django_app, editor), selected=processes, action="assign_operator",
           operator=str(editor.pk))
    assert OrderProcess.objects.filter(operator=editor).count() == 2


def test_resending_the_order_confirmation(django_app, editor, place_order):
    order = place_order(guest_email="ann@example.com")
    processes = [OrderProcess.objects.get(order=order)]
    submit(bulk_form(django_app, editor), selected=processes, action="resend_confirmation")
    assert [m.to for m in mail.outbox] == [["ann@example.com"]]


def test_every_order_matching_the_filter_past_the_post_field_limit(
        django_app, editor, settings, django_capture_on_commit_callbacks):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 50
    usd = bulk_orders(120, prefix="U", currency="USD")
    eur = bulk_orders(3, prefix="E", currency="EUR")
    with django_capture_on_commit_callbacks(execute=True):  # the worker, inline
        response = submit(bulk_form(django_app, editor, "?currency=USD"), all_matching=True,
                          action="mark_paid")
    assert response.status_code == 302
    assert OrderProcess.objects.filter(pk__in=[p.pk for p in usd], payment_status="paid"
                                       ).count() == 120
    assert all(p.payment_status == "unpaid" for p in OrderProcess.objects.filter(
        pk__in=[p.pk for p in eur]))
    # The selection of many rows travels as one field, not one field per order.
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(bulk_form(django_app, editor), selected=usd, action="mark_unpaid")
    assert OrderProcess.objects.filter(payment_status="unpaid").count() == 123


def test_bulk_actions_need_their_permission(django_app, viewer, editor, make_staff):
    processes = bulk_orders(1)
    page = django_app.get(ws_url("orders-workspace"), user=viewer)
    assert "ooe-bulk-bar" not in page.text  # nothing offered without the permission
    form = bulk_form(django_app, editor)
    form["selected"] = str(processes[0].pk)
    form["action"] = "mark_paid"
    fields = dict(form.submit_fields())
    django_app.post(ws_url("orders-workspace-bulk"), params=fields, user=viewer, status=403)
    assert OrderProcess.objects.get().payment_status == "unpaid"


@pytest.mark.parametrize("fields", [
    {"action": "mark_paid"},  # nothing selected
    {"action": "explode", "selected": "1"},
    {"action": "mark_paid", "selected": "1,2;DROP TABLE"},
    {"action": "transition", "selected": "1"},  # which transition?
    {"action": "add_tag", "selected": "1"},  # which tag?
])
def test_malformed_bulk_requests_change_nothing(django_app, editor, fields):
    bulk_orders(2)
    form = bulk_form(django_app, editor)
    token = form["csrfmiddlewaretoken"].value
    response = django_app.post(ws_url("orders-workspace-bulk"), user=editor,
                               params={"csrfmiddlewaretoken": token, **fields}).follow()
    assert response.pyquery(".alert-danger, .alert-error")
    assert not OrderProcess.objects.exclude(payment_status="unpaid").exists()


def test_a_row_cancel_asks_for_confirmation(django_app, editor, place_order):
    process = OrderProcess.objects.get(order=place_order())
    page = django_app.get(ws_url("orders-workspace"), user=editor)
    confirm = page.click(href=r"transition=cancel", index=0)
    assert "Cancel order" in confirm.text and "Yes, Cancel" in confirm.text
    assert OrderProcess.objects.get(pk=process.pk).state == "new"
    form = next(f for f in confirm.forms.values() if f.action.endswith("/move/"))
    result = form.submit().follow()
    assert "is now “Cancelled”" in result.text
    assert OrderProcess.objects.get(pk=process.pk).state == "cancelled"
