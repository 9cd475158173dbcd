"""What "Move to…" offers, drops that ask first, and folded columns (the dashboard; the
Wagtail board draws the same shared partials, see tests/wagtail/test_kanban.py)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from oscar_orders_ext.models import BoardPreference, Funnel, OrderProcess
from oscar_orders_ext.services.preferences import fold_stage
from oscar_orders_ext.services.transitions import stage_moves, transition_order

from .conftest import WORKSPACE_VIEWER, ws_url

pytestmark = pytest.mark.django_db


def stage(state: str) -> Any:
    return Funnel.objects.get_default().stages.get(state=state)


def token(django_app: Any, user: Any) -> str:
    page = django_app.get(ws_url("orders-workspace-kanban", funnel=stage("new").funnel.slug),
                          user=user)
    return page.pyquery("input[name=csrfmiddlewaretoken]").attr("value")


def test_stage_moves_are_the_moves_the_workflow_allows_now(place_order, editor, make_staff):
    process = OrderProcess.objects.get(order=place_order())
    states = {move.stage.state for move in stage_moves(process, editor)}
    assert "processing" in states and "cancelled" in states
    assert not states & {"new", "refunded", "returned", "completed"}
    cancel = next(move for move in stage_moves(process, editor)
                  if move.stage.state == "cancelled")
    assert cancel.confirm and cancel.style == "danger"
    # Someone without the cancel permission is not offered Cancelled.
    mover = make_staff("mover", ["view_orderprocess", "change_order_state"])
    assert "cancelled" not in {move.stage.state for move in stage_moves(process, mover)}


def test_move_to_lists_only_allowed_stages(django_app, editor, place_order):
    order = place_order()
    page = django_app.get(ws_url("orders-workspace-move") + f"?order={order.pk}", user=editor)
    offered = [item.text() for item in page.pyquery(".ooe-move-choice").items()]
    assert any(text.startswith("In preparation") for text in offered)
    assert not any(text.startswith("Refunded") for text in offered)
    # The card's inline menu gets the same list without the page around it.
    fragment = django_app.get(ws_url("orders-workspace-move")
                              + f"?order={order.pk}&fragment=1", user=editor)
    assert "<html" not in fragment.text and fragment.pyquery(".ooe-move-choice")


def test_a_drop_on_a_stage_that_asks_first_is_answered_with_its_confirmation(
        django_app, editor, place_order):
    order = place_order(guest_email="ann@example.com")
    process = OrderProcess.objects.get(order=order)
    params = {"order": order.pk, "stage": stage("cancelled").pk, "version": process.version,
              "csrfmiddlewaretoken": token(django_app, editor)}
    answer = django_app.post(ws_url("orders-workspace-move"), params=params, user=editor,
                             headers={"Accept": "application/json"})
    assert not answer.json["ok"] and "stage=" in answer.json["confirm_url"]
    assert OrderProcess.objects.get(pk=process.pk).state == "new"

    dialog = django_app.get(answer.json["confirm_url"] + "&fragment=1", user=editor)
    form = dialog.forms[0]
    assert form["notify"].checked  # the cancelled state emails by default
    form["notify"] = False
    form["note"] = "Phoned to cancel"
    mail.outbox.clear()
    done = form.submit(headers={"Accept": "application/json"})
    assert done.json["ok"]
    assert OrderProcess.objects.get(pk=process.pk).state == "cancelled"
    assert mail.outbox == []


def test_a_refused_stage_has_no_confirmation(django_app, editor, place_order):
    order = place_order()
    page = django_app.get(ws_url("orders-workspace-move")
                          + f"?order={order.pk}&stage={stage('refunded').pk}&fragment=1",
                          user=editor, status=400)
    assert "not available" in page.text


def test_folding_is_remembered_per_user_and_funnel(django_app, editor, viewer, place_order):
    place_order()
    new = stage("new")
    url = ws_url("orders-workspace-fold", funnel=new.funnel.slug, stage=new.pk)
    answer = django_app.post(url, params={"folded": "1",
                                          "csrfmiddlewaretoken": token(django_app, editor)},
                             user=editor, headers={"Accept": "application/json"})
    assert answer.json == {"ok": True, "folded": [new.pk]}
    board = django_app.get(ws_url("orders-workspace-kanban", funnel=new.funnel.slug), user=editor)
    assert "ooe-folded" in board.pyquery(f".ooe-column[data-stage='{new.pk}']").attr("class")
    # Without JavaScript the fold button is a form that comes back to the board.
    form = next(f for f in board.forms.values()
                if f.action.endswith(f"/stages/{new.pk}/fold/"))
    assert form.submit(status=302).location.endswith(f"/kanban/{new.funnel.slug}/")
    assert BoardPreference.objects.get(user=editor).collapsed_stages == []
    # Another operator's board is their own.
    fold_stage(editor, new, True)
    other = django_app.get(ws_url("orders-workspace-kanban", funnel=new.funnel.slug), user=viewer)
    assert "ooe-folded" not in other.pyquery(f".ooe-column[data-stage='{new.pk}']").attr("class")


def test_fold_stage_keeps_each_stage_once(editor):
    new, shipped = stage("new"), stage("shipped")
    fold_stage(editor, new, True)
    fold_stage(editor, new, True)
    assert fold_stage(editor, shipped, True) == [new.pk, shipped.pk]
    assert fold_stage(editor, new, False) == [shipped.pk]


def test_folding_needs_the_workspace(django_app_factory, make_staff):
    app = django_app_factory(csrf_checks=False)
    new = stage("new")
    url = ws_url("orders-workspace-fold", funnel=new.funnel.slug, stage=new.pk)
    outsider = make_staff("outsider", [])
    outsider.is_staff = False
    outsider.save()
    answer = app.post(url, params={"folded": "1"}, user=outsider, expect_errors=True)
    assert answer.status_code in (302, 403)
    assert not BoardPreference.objects.exists()
    app.post(url, params={"folded": "1"}, user=make_staff("looker", WORKSPACE_VIEWER))
    assert BoardPreference.objects.get().collapsed_stages == [new.pk]
