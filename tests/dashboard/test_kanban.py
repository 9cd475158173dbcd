"""The Kanban board: columns per stage, cards, lazy loading, moves and their refusals."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from oscar_orders_ext.views.common import CARDS_PER_STAGE
from oscar_orders_ext.models import Funnel, OrderProcess, Tag, TimelineEntry
from oscar_orders_ext.services.transitions import transition_order

from ..factories import bulk_orders
from .conftest import ws_url

pytestmark = pytest.mark.django_db


def board(django_app: Any, user: Any, query: str = "") -> Any:
    funnel = Funnel.objects.get_default()
    return django_app.get(f"{ws_url('orders-workspace-kanban', funnel=funnel.slug)}{query}",
                          user=user)


def column(page: Any, state: str) -> Any:
    stage = Funnel.objects.get_default().stages.get(state=state)
    return page.pyquery(f".ooe-column[data-stage='{stage.pk}']")


def test_a_column_per_stage_with_counts_totals_and_cards(django_app, viewer, place_order):
    new = place_order(guest_email="ann@example.com")
    preparing = place_order()
    transition_order(preparing, "confirm")
    page = board(django_app, viewer)
    names = [h.text() for h in page.pyquery(".ooe-column h2").items()]
    assert names[0].startswith("New") and len(names) == 12
    assert column(page, "new").find(".ooe-count").text() == "1"
    assert column(page, "processing").find(".ooe-count").text() == "1"
    card = column(page, "new").find(".ooe-card")
    assert card.attr("data-number") == str(new.number)
    assert "ann@example.com" in card.text() and "€20.00" in column(page, "new").text()


def test_the_default_board_is_the_default_funnel(django_app, viewer):
    page = django_app.get(ws_url("orders-workspace-kanban-default"), user=viewer)
    assert page.pyquery("#ooe-board").attr("data-funnel") == Funnel.objects.get_default().slug


def test_columns_load_lazily(django_app, viewer):
    per = CARDS_PER_STAGE
    bulk_orders(per * 2 + 5)
    page = board(django_app, viewer)
    new = column(page, "new")
    assert len(new.find(".ooe-card")) == per
    assert new.find(".ooe-count").text() == str(per * 2 + 5)
    more = new.find(".ooe-load-more").attr("href")
    last = new.find(".ooe-card").eq(per - 1).attr("data-process")
    fragment = django_app.get(f"{more}&after={last}" if "?" in more else f"{more}?after={last}",
                              user=viewer)
    numbers = [c.attr("data-number") for c in fragment.pyquery(".ooe-card").items()]
    assert numbers == [f"BULK{i:05d}" for i in range(per, per * 2)]


def test_the_board_query_count_does_not_grow_with_cards(django_app, viewer,
                                                        django_assert_max_num_queries):
    bulk_orders(5, prefix="S")
    board(django_app, viewer)
    with django_assert_max_num_queries(20) as small:
        board(django_app, viewer)
    bulk_orders(60, prefix="L", state="processing")
    with django_assert_max_num_queries(20) as large:
        board(django_app, viewer)
    assert len(small.captured_queries) == len(large.captured_queries)


def test_filters_apply_to_the_board(django_app, viewer):
    bulk_orders(3, prefix="EU", currency="EUR")
    bulk_orders(2, prefix="US", currency="USD")
    page = board(django_app, viewer, "?currency=USD")
    assert column(page, "new").find(".ooe-count").text() == "2"


def test_a_filtered_board_shows_the_newest_matching_cards_of_each_column(django_app, viewer):
    per = CARDS_PER_STAGE
    vip = Tag.objects.create(name="VIP")
    new = bulk_orders(per * 2 + 2, prefix="N")  # newest first
    processing = bulk_orders(4, prefix="P", state="processing")
    links = OrderProcess.tags.through
    links.objects.bulk_create([links(orderprocess_id=p.pk, tag_id=vip.pk)
                               for p in [*new[::2], processing[3]]])
    page = board(django_app, viewer, f"?tags={vip.pk}")
    cards = [c.attr("data-number") for c in column(page, "new").find(".ooe-card").items()]
    assert cards == [p.number for p in new[::2]][:per]
    assert column(page, "new").find(".ooe-count").text() == str(per + 1)
    assert [c.attr("data-number") for c in column(page, "processing").find(".ooe-card").items()
            ] == [processing[3].number]
    empty = column(page, "shipped")
    assert empty.find(".ooe-count").text() == "0" and not empty.find(".ooe-card")


def test_wip_limits_and_stale_cards_are_marked(django_app, viewer):
    bulk_orders(3)
    stage = Funnel.objects.get_default().stages.get(state="new")
    stage.wip_limit, stage.time_limit = 2, timedelta(hours=1)
    stage.save()
    OrderProcess.objects.filter(number="BULK00000").update(
        state_changed_at=timezone.now() - timedelta(hours=3))
    page = board(django_app, viewer)
    assert "ooe-over-wip" in column(page, "new").attr("class")
    stale = [c.attr("data-number") for c in page.pyquery(".ooe-stale").items()]
    assert stale == ["BULK00000"]


def move(django_app: Any, user: Any, process: OrderProcess, state: str, *, version: int | None
         = None, json_answer: bool = True, status: int | str = "*") -> Any:
    stage = process.funnel.stages.get(state=state)
    page = board(django_app, user)
    token = page.pyquery("input[name=csrfmiddlewaretoken]").attr("value")
    headers = {"Accept": "application/json"} if json_answer else {}
    return django_app.post(ws_url("orders-workspace-move"), user=user, headers=headers,
                           params={"order": process.order_id, "stage": stage.pk,
                                   "version": version or process.version,
                                   "csrfmiddlewaretoken": token}, status=status)


def test_dropping_a_card_moves_the_order_through_the_workflow(django_app, editor, place_order):
    order = place_order()
    process = OrderProcess.objects.get(order=order)
    answer = move(django_app, editor, process, "processing", status=200)
    assert answer.json["ok"] and answer.json["state"] == "processing"
    assert f'data-version="{process.version + 1}"' in answer.json["card"]
    process.refresh_from_db()
    assert process.state == "processing"
    entry = TimelineEntry.objects.filter(order=order, kind="state").first()
    assert entry.actor == editor


def test_a_drop_the_workflow_refuses_is_explained(django_app, editor, place_order):
    process = OrderProcess.objects.get(order=place_order())
    answer = move(django_app, editor, process, "refunded", status=400)
    assert not answer.json["ok"] and "cannot go from" in answer.json["message"]
    assert OrderProcess.objects.get(pk=process.pk).state == "new"


def test_a_drop_that_lost_a_race_says_so_and_returns_the_fresh_card(django_app, editor,
                                                                    place_order):
    process = OrderProcess.objects.get(order=place_order())
    seen = process.version
    transition_order(process.order, "hold")  # another operator, meanwhile
    answer = move(django_app, editor, process, "processing", version=seen, status=409)
    assert answer.json["conflict"] and "Someone else changed" in answer.json["message"]
    on_hold = process.funnel.stages.get(state="on_hold")
    assert answer.json["stage"] == on_hold.pk
    assert OrderProcess.objects.get(pk=process.pk).state == "on_hold"


def test_the_no_javascript_move_control_redirects_with_a_message(django_app, editor,
                                                                 place_order):
    process = OrderProcess.objects.get(order=place_order())

    def offered(state: str) -> Any:
        page = board(django_app, editor)
        choices = page.click(href=f"/move/\\?order={process.order_id}$")
        stage = process.funnel.stages.get(state=state)
        return next((f for f in choices.forms.values()
                     if "stage" in f.fields and f["stage"].value == str(stage.pk)), None)

    result = offered("processing").submit().follow()
    assert "is now “In preparation”" in result.text
    # The workflow has no way back to "New": "Move to…" does not offer it.
    assert offered("new") is None


def test_moving_needs_the_permission_and_a_csrf_token(django_app, viewer,
                                                     editor, place_order):
    process = OrderProcess.objects.get(order=place_order())
    move(django_app, viewer, process, "processing", status=403)
    stage = process.funnel.stages.get(state="processing")
    django_app.post(ws_url("orders-workspace-move"), user=editor,
                    params={"order": process.order_id, "stage": stage.pk}, status=403)
    assert OrderProcess.objects.get(pk=process.pk).state == "new"


def test_garbage_in_a_move_is_a_clear_400(django_app_factory, editor, place_order):
    app = django_app_factory(csrf_checks=False)
    process = OrderProcess.objects.get(order=place_order())
    for params in ({"order": "abc", "stage": 1}, {"order": process.order_id},
                   {"order": process.order_id, "stage": 99999},
                   {"order": process.order_id, "transition": "delete"}):
        answer = app.post(ws_url("orders-workspace-move"), params=params, user=editor,
                          headers={"Accept": "application/json"}, status=400)
        assert answer.json["ok"] is False and answer.json["message"]
    assert OrderProcess.objects.get(pk=process.pk).state == "new"
    assert json.loads(answer.body)["message"] == "“delete” is not an action of this workflow."


def test_exporting_from_a_board_exports_its_funnel_and_search_only(django_app, viewer,
                                                                    place_order):
    # issue 13: the Wholesale board exported every order, and ignored its search
    import csv
    import io

    from oscar_orders_ext.services.edits import move_to_funnel
    from oscar_orders_ext.services.funnels import create_funnel

    wholesale = create_funnel("Wholesale", from_workflow=True)
    on_board = place_order(guest_email="fischer@example.com")
    place_order(guest_email="fischer@example.com")  # Fischer, but on the retail board
    not_searched = place_order(guest_email="ann@example.com")
    for order in (on_board, not_searched):
        move_to_funnel(order, wholesale)
    page = django_app.get(f"{ws_url('orders-workspace-kanban', funnel=wholesale.slug)}"
                          "?q=fischer%40", user=viewer)
    form = page.forms["ooe-export-form"]
    form["format"] = "csv"
    form["columns"] = "number"
    answer = form.submit()
    text = b"".join(answer.app_iter).decode() if not answer.body else answer.text
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert [row[0] for row in rows[1:]] == [str(on_board.number)]
