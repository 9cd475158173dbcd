"""The Kanban board in Wagtail's admin: columns, moves, refusals and conflicts (same contract)."""

from __future__ import annotations

from typing import Any

import pytest

from oscar_orders_ext.views.common import CARDS_PER_STAGE
from oscar_orders_ext.models import Funnel, OrderProcess, TimelineEntry
from oscar_orders_ext.services.transitions import transition_order

from ..factories import bulk_orders
from .conftest import wt_url

pytestmark = pytest.mark.django_db


def board(django_app: Any, user: Any, query: str = "") -> Any:
    funnel = Funnel.objects.get_default()
    return django_app.get(f"{wt_url('orders-workspace-kanban', funnel=funnel.slug)}{query}",
                          user=user)


def column(page: Any, state: str) -> Any:
    stage = Funnel.objects.get_default().stages.get(state=state)
    return page.pyquery(f".ooe-column[data-stage='{stage.pk}']")


def move(django_app: Any, user: Any, process: OrderProcess, state: str, *,
         version: int | None = None, json_answer: bool = True, status: int | str = "*") -> Any:
    stage = process.funnel.stages.get(state=state)
    page = board(django_app, user)
    token = page.pyquery("input[name=csrfmiddlewaretoken]").attr("value")
    headers = {"Accept": "application/json"} if json_answer else {}
    return django_app.post(wt_url("orders-workspace-move"), user=user, headers=headers,
                           params={"order": process.order_id, "stage": stage.pk,
                                   "version": version or process.version,
                                   "csrfmiddlewaretoken": token}, status=status)


def test_a_column_per_stage_with_counts_and_cards(django_app, cms_viewer, place_order):
    new = place_order(guest_email="ann@example.com")
    transition_order(place_order(), "confirm")
    page = board(django_app, cms_viewer)
    assert len(page.pyquery(".ooe-column")) == Funnel.objects.get_default().stages.count()
    assert page.pyquery("#ooe-board").attr("data-move-url") == wt_url("orders-workspace-move")
    assert column(page, "new").find(".ooe-count").text() == "1"
    assert column(page, "processing").find(".ooe-count").text() == "1"
    card = column(page, "new").find(".ooe-card")
    assert card.attr("data-number") == str(new.number) and "ann@example.com" in card.text()
    assert "workspace.js" in page.text and "Sortable.min.js" in page.text


def test_the_default_board_and_lazy_columns(django_app, cms_viewer):
    bulk_orders(CARDS_PER_STAGE + 5)
    page = django_app.get(wt_url("orders-workspace-kanban-default"), user=cms_viewer)
    new = column(page, "new")
    assert len(new.find(".ooe-card")) == CARDS_PER_STAGE
    assert new.find(".ooe-count").text() == str(CARDS_PER_STAGE + 5)
    more = new.find(".ooe-load-more").attr("href")
    last = new.find(".ooe-card").eq(CARDS_PER_STAGE - 1).attr("data-process")
    separator = "&" if "?" in more else "?"
    fragment = django_app.get(f"{more}{separator}after={last}", user=cms_viewer)
    assert len(fragment.pyquery(".ooe-card")) == 5


def test_a_drop_moves_the_order(django_app, cms_editor, place_order):
    order = place_order()
    process = OrderProcess.objects.get(order=order)
    answer = move(django_app, cms_editor, process, "processing", status=200)
    assert answer.json["ok"] and answer.json["state"] == "processing"
    assert answer.json["version"] == process.version + 1
    assert f'data-version="{process.version + 1}"' in answer.json["card"]
    assert OrderProcess.objects.get(pk=process.pk).state == "processing"
    assert TimelineEntry.objects.filter(order=order, kind="state").first().actor == cms_editor


def test_a_drop_the_workflow_refuses_is_explained(django_app, cms_editor, place_order):
    process = OrderProcess.objects.get(order=place_order())
    answer = move(django_app, cms_editor, process, "refunded", status=400)
    assert not answer.json["ok"] and "cannot go from" in answer.json["message"]
    assert not answer.json["conflict"]
    assert OrderProcess.objects.get(pk=process.pk).state == "new"


def test_a_drop_that_lost_a_race_answers_409_with_the_fresh_card(django_app, cms_editor,
                                                                  place_order):
    process = OrderProcess.objects.get(order=place_order())
    seen = process.version
    transition_order(process.order, "hold")  # another operator, meanwhile
    answer = move(django_app, cms_editor, process, "processing", version=seen, status=409)
    assert answer.json["conflict"] and not answer.json["ok"]
    assert answer.json["stage"] == process.funnel.stages.get(state="on_hold").pk
    assert "ooe-card" in answer.json["card"]
    assert OrderProcess.objects.get(pk=process.pk).state == "on_hold"


def test_the_no_javascript_move_control_redirects_with_a_message(django_app, cms_editor,
                                                                 place_order):
    process = OrderProcess.objects.get(order=place_order())
    page = board(django_app, cms_editor)
    choices = page.click(href=f"/move/\\?order={process.order_id}$")
    processing = process.funnel.stages.get(state="processing")
    form = next(f for f in choices.forms.values()
                if f.action.endswith("/move/") and f.get("stage", default=None) is not None
                and f["stage"].value == str(processing.pk))
    answer = form.submit(status=302)
    assert answer.location.startswith(wt_url("orders-workspace-kanban", funnel=process.funnel.slug))
    assert OrderProcess.objects.get(pk=process.pk).state == "processing"


def test_the_board_query_count_does_not_grow_with_cards(django_app, cms_viewer,
                                                        django_assert_max_num_queries):
    bulk_orders(3, prefix="A")
    board(django_app, cms_viewer)  # warm the session and caches
    with django_assert_max_num_queries(40) as few:
        board(django_app, cms_viewer)
    bulk_orders(40, prefix="B", state="processing")
    with django_assert_max_num_queries(40) as many:
        board(django_app, cms_viewer)
    assert len(few.captured_queries) == len(many.captured_queries)


def test_move_to_and_its_confirmation_are_wagtail_pages(django_app, cms_editor, place_order):
    process = OrderProcess.objects.get(order=place_order())
    choices = django_app.get(wt_url("orders-workspace-move") + f"?order={process.order_id}",
                             user=cms_editor)
    assert f"Move order {process.number}" in choices.pyquery("h1").text()  # Wagtail's header
    offered = [item.text() for item in choices.pyquery(".ooe-move-choice").items()]
    assert any(text.startswith("In preparation") for text in offered)
    assert not any(text.startswith("Refunded") for text in offered)
    cancel = choices.pyquery("a.ooe-move-choice.no").attr("href")  # destructive, asks first
    confirm = django_app.get(cancel, user=cms_editor)
    form = next(f for f in confirm.forms.values() if "confirmed" in f.fields)
    answer = form.submit(status=302)
    assert answer.location.startswith(wt_url("orders-workspace-kanban", funnel=process.funnel.slug))
    assert OrderProcess.objects.get(pk=process.pk).state == "cancelled"


def test_board_filters_are_checkbox_lists_and_removable_chips(django_app, cms_editor,
                                                              place_order):
    place_order()
    page = board(django_app, cms_editor, "?state=new&state=processing&payment_status=unpaid")
    assert not page.pyquery(".ooe-w-filters select[multiple]")
    states = page.pyquery(".ooe-w-filters input[type=checkbox][name=state]")
    assert len(states) == 12 and {box.get("value") for box in states if box.get("checked")
                                  is not None} == {"new", "processing"}
    chips = {chip.text(): chip.find(".ooe-chip-remove").attr("href")
             for chip in page.pyquery(".ooe-chip").items()}
    assert set(chips) == {"State: New ×", "State: In preparation ×", "Payment: Unpaid ×"}
    # Removing one state keeps the other and the payment filter.
    assert sorted(chips["State: New ×"][1:].split("&")) == ["payment_status=unpaid",
                                                           "state=processing"]
    assert page.pyquery("#ooe-export-button").has_class("button")
    assert page.pyquery(".ooe-w-filters > summary").has_class("button")


def test_the_table_filters_are_checkbox_lists(django_app, cms_editor):
    page = django_app.get(wt_url("orders-workspace"), user=cms_editor)
    assert page.pyquery("input[type=checkbox][name=payment_status]")
    assert not page.pyquery("select[multiple][name=payment_status]")
