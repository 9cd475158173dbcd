"""An operator drags cards across the board, and picks table columns, in a real browser."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from oscar_orders_ext.models import ColumnPreference, Funnel, OrderProcess, TimelineEntry
from oscar_orders_ext.services.transitions import transition_order

from ..dashboard.conftest import WORKSPACE_EDITOR
from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def operator_page(live_server: Any, page: Any, make_staff: Any) -> Any:
    make_staff("kanban-operator", WORKSPACE_EDITOR)
    sign_in(page, live_server, "kanban-operator")
    return page


def open_board(page: Any, live_server: Any) -> None:
    funnel = Funnel.objects.get_default()
    page.set_viewport_size({"width": 3400, "height": 1000})  # all twelve columns on screen
    page.goto(live_server.url + reverse("oscar_orders_ext_dashboard:orders-workspace-kanban",
                                        kwargs={"funnel": funnel.slug}))


def stage_list(page: Any, state: str) -> Any:
    stage = Funnel.objects.get_default().stages.get(state=state)
    return page.locator(f".ooe-cards[data-stage='{stage.pk}']")


def drag(page: Any, card: Any, target: Any) -> None:
    """Drag the card by its customer line (links and controls on a card don't start drags)."""
    card.locator(".ooe-card-customer").drag_to(target, target_position={"x": 30, "y": 10})


def test_dragging_a_card_to_another_stage_moves_the_order(live_server, operator_page,
                                                          place_order):
    page = operator_page
    order = place_order()
    transition_order(order, "confirm")
    open_board(page, live_server)
    card = stage_list(page, "processing").locator(f".ooe-card[data-order='{order.pk}']")

    with page.expect_response(lambda r: r.url.endswith("/move/")) as answer:
        drag(page, card, stage_list(page, "shipped"))
    assert answer.value.status == 200

    shipped = stage_list(page, "shipped").locator(f".ooe-card[data-order='{order.pk}']")
    shipped.wait_for()
    assert OrderProcess.objects.get(order=order).state == "shipped"
    entry = TimelineEntry.objects.filter(order=order, kind="state").first()
    assert entry.data["to"] == "shipped" and entry.actor.username == "kanban-operator"
    assert page.locator(".ooe-toast").inner_text().startswith(f"Order {order.number} is now")


def test_an_illegal_drop_is_refused_and_the_card_goes_back(live_server, operator_page,
                                                           place_order):
    page = operator_page
    order = place_order()
    open_board(page, live_server)
    card = stage_list(page, "new").locator(f".ooe-card[data-order='{order.pk}']")

    with page.expect_response(lambda r: r.url.endswith("/move/")) as answer:
        drag(page, card, stage_list(page, "refunded"))
    assert answer.value.status == 400

    page.locator(".ooe-toast.alert-danger").wait_for()
    assert "cannot go from" in page.locator(".ooe-toast").inner_text()
    assert stage_list(page, "new").locator(f".ooe-card[data-order='{order.pk}']").count() == 1
    assert stage_list(page, "refunded").locator(".ooe-card").count() == 0
    assert OrderProcess.objects.get(order=order).state == "new"


def test_the_column_picker_survives_a_reload(live_server, operator_page, place_order):
    page = operator_page
    place_order()
    page.goto(live_server.url + reverse("oscar_orders_ext_dashboard:orders-workspace"))
    page.click("#ooe-columns-button")
    picker = page.locator("#ooe-columns-form")
    picker.locator("input[value='products']").uncheck()
    picker.locator("input[value='payment_method']").check()
    # Drag "Total" to the top of the list.
    handles = picker.locator(".ooe-column-choice .ooe-handle")
    total = picker.locator(".ooe-column-choice[data-key='total'] .ooe-handle")
    total.drag_to(handles.nth(0), target_position={"x": 3, "y": 1})
    picker.locator("button[type=submit]").click()
    page.wait_for_load_state()

    page.reload()
    headers = page.locator("#ooe-table thead th[data-column]").evaluate_all(
        "cells => cells.map(cell => cell.dataset.column)")
    assert headers[0] == "total"
    assert "products" not in headers and "payment_method" in headers
    assert ColumnPreference.objects.get().columns == headers
