"""The order page in Wagtail's admin: the dashboard's order views (same services and forms)
behind Wagtail's template; moves, notes, tags and the timeline, with Wagtail's permissions."""

from __future__ import annotations

from typing import Any

import pytest
from oscar.core.loading import get_model

from oscar_orders_ext.models import OrderProcess, Tag, TimelineEntry
from oscar_orders_ext.services.transitions import transition_order

from ..factories import opened_form
from ..dashboard.conftest import WORKSPACE_EDITOR
from ..order_page.conftest import country, order  # noqa: F401  (fixtures)
from .conftest import wt_url

pytestmark = pytest.mark.django_db

OrderNote = get_model("order", "OrderNote")


def page_of(order: Any, action: str = "") -> str:
    name = "orders-workspace-order" + (f"-{action}" if action else "")
    return wt_url(name, number=order.number)


@pytest.fixture
def cms_operator(make_wagtail_user: Any) -> Any:
    return make_wagtail_user("cms-operator", WORKSPACE_EDITOR)


def test_table_rows_and_board_cards_open_the_wagtail_order_page(django_app, cms_viewer, order):
    table = django_app.get(wt_url("orders-workspace"), user=cms_viewer)
    assert table.pyquery("td.ooe-cell-number a").attr("href") == page_of(order)
    from oscar_orders_ext.models import Funnel

    board = django_app.get(wt_url("orders-workspace-kanban",
                                  funnel=Funnel.objects.get_default().slug),
                           user=cms_viewer)
    assert board.pyquery(f".ooe-card[data-order='{order.pk}'] a").attr("href") == page_of(order)


def test_the_page_shows_the_order_in_wagtails_look(django_app, cms_viewer, order):
    transition_order(order, "confirm")
    page = django_app.get(page_of(order), user=cms_viewer)
    assert page.pyquery("#wagtail-sidebar, aside.sidebar").length  # Wagtail's layout
    assert f"Order {order.number}" in page.pyquery("title").text()
    assert "In preparation" in page.pyquery(".ooe-w-order-head .ooe-state").text()
    assert "1 Bill Street" in page.pyquery("#ooe-billing-address").text()
    timeline = [item.text() for item in page.pyquery(".ooe-timeline-text").items()]
    assert timeline[0] == "State changed from “New” to “In preparation”"  # newest first
    # A viewer may look but not act: no move buttons, no edit forms.
    assert not page.pyquery("form[action$='/transition/']")
    assert not page.pyquery("#ooe-note-form") and not page.pyquery("#ooe-workflow-form")


def test_an_operator_moves_the_order_with_a_note(django_app, cms_operator, order):
    page = django_app.get(page_of(order), user=cms_operator)
    form = next(f for f in page.forms.values()
                if f.action.endswith("/transition/") and f["transition"].value == "confirm")
    form["note"] = "Paid by phone"
    page = form.submit().follow()
    assert page.request.path == page_of(order)
    assert OrderProcess.objects.get(order=order).state == "processing"
    entry = TimelineEntry.objects.filter(order=order, kind="state").first()
    assert (entry.actor, entry.note) == (cms_operator, "Paid by phone")
    assert "Paid by phone" in page.pyquery("#ooe-timeline").text()


def test_a_stale_move_is_refused_and_changes_nothing(django_app, cms_operator, order):
    page = django_app.get(page_of(order), user=cms_operator)
    form = next(f for f in page.forms.values()
                if f.action.endswith("/transition/") and f["transition"].value == "confirm")
    transition_order(order, "hold")  # someone else, meanwhile
    page = form.submit().follow()
    assert OrderProcess.objects.get(order=order).state == "on_hold"
    assert "changed" in page.pyquery(".messages").text().lower()


def test_tags_and_a_buyer_note_are_saved(django_app, cms_operator, order):
    vip = Tag.objects.create(name="VIP")
    page = django_app.get(page_of(order), user=cms_operator)
    page = opened_form(page, "workflow_form")
    form = page.forms[next(k for k, f in page.forms.items() if f.action.endswith("/workflow/"))]
    form["tags"] = [str(vip.pk)]
    page = form.submit().follow()
    assert list(OrderProcess.objects.get(order=order).tags.all()) == [vip]

    form = page.forms["ooe-note-form"]
    form["message"] = "Your parcel leaves on Monday."
    form["audience"] = "buyer"
    page = form.submit().follow()
    note = OrderNote.objects.get(order=order)
    assert (note.message, note.user) == ("Your parcel leaves on Monday.", cms_operator)
    assert "Your parcel leaves on Monday." in page.pyquery("#ooe-buyer-notes").text()


def test_invalid_input_redraws_the_wagtail_page_with_errors(django_app, cms_operator, order):
    page = django_app.get(page_of(order), user=cms_operator)
    form = page.forms["ooe-note-form"]
    form["message"] = ""
    answer = form.submit(status=400)
    assert answer.pyquery("#wagtail-sidebar, aside.sidebar").length
    # The shared form partial marks errors the Bootstrap way; body.ooe-w colours them.
    assert answer.pyquery("#ooe-note-form .invalid-feedback").text()
    assert not OrderNote.objects.filter(order=order).exists()


@pytest.mark.parametrize("action", ["transition", "workflow", "note", "shipment", "customer"])
def test_viewers_cannot_post_actions(django_app, cms_viewer, order, action):
    table = django_app.get(wt_url("orders-workspace"), user=cms_viewer)
    token = table.pyquery("input[name=csrfmiddlewaretoken]").attr("value")
    django_app.post(page_of(order, action), {"csrfmiddlewaretoken": token}, user=cms_viewer,
                    status=403)


def test_users_without_order_permissions_get_403_and_others_404(django_app, cms_outsider,
                                                                  cms_viewer, order):
    django_app.get(page_of(order), user=cms_outsider, status=403)
    django_app.get(wt_url("orders-workspace-order", number="NO-SUCH"), user=cms_viewer,
                   status=404)


def test_destructive_moves_look_destructive(django_app, cms_operator, order):
    # Every Wagtail state button was the same teal; Cancel and "Flag an error" are red as in
    # the dashboard.
    page = django_app.get(page_of(order), user=cms_operator)
    summaries = {summary.text().strip(): summary.attr("class")
                 for summary in page.pyquery("#ooe-transitions summary, details summary").items()}
    assert "btn-danger" in summaries["Cancel"] and "btn-danger" not in summaries["Confirm"]
    assert page.pyquery("body.ooe-w").length  # the stylesheet's mapping of btn-danger applies
