"""The board's helpers in a real browser, in both skins: autoscroll while dragging, folded
columns remembered, "Move to…" with only the allowed moves, and confirmations in a dialog."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.urls import reverse

from oscar_orders_ext.models import BoardPreference, Funnel, OrderProcess
from oscar_orders_ext.services.transitions import transition_order

from ..dashboard.conftest import WORKSPACE_EDITOR
from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SKINS = ["oscar_orders_ext_dashboard", "oscar_orders_ext_wagtail"]


@pytest.fixture
def operator_page(live_server: Any, page: Any, make_staff: Any) -> Any:
    user = make_staff("board-operator", WORKSPACE_EDITOR)
    user.user_permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin",
                                                     codename="access_admin"))
    sign_in(page, live_server, "board-operator")
    return page


def open_board(page: Any, live_server: Any, skin: str, width: int = 3600) -> None:
    funnel = Funnel.objects.get_default()
    page.set_viewport_size({"width": width, "height": 1000})
    page.goto(live_server.url + reverse(f"{skin}:orders-workspace-kanban",
                                        kwargs={"funnel": funnel.slug}))


def stage_of(state: str) -> Any:
    return Funnel.objects.get_default().stages.get(state=state)


def stage_list(page: Any, state: str) -> Any:
    return page.locator(f".ooe-cards[data-stage='{stage_of(state).pk}']")


def column(page: Any, state: str) -> Any:
    return page.locator(f".ooe-column[data-stage='{stage_of(state).pk}']")


@pytest.mark.parametrize("skin", SKINS)
def test_a_folded_column_stays_folded_after_a_reload(live_server, operator_page, place_order,
                                                     skin):
    page = operator_page
    place_order()
    open_board(page, live_server, skin)
    new = column(page, "new")
    wide = new.bounding_box()["width"]

    with page.expect_response(lambda r: "/fold/" in r.url):
        new.locator(".ooe-fold").click()
    assert new.bounding_box()["width"] < wide / 2
    assert new.locator(".ooe-card").first.is_hidden()

    page.reload()
    new = column(page, "new")
    assert "ooe-folded" in new.get_attribute("class")
    assert new.locator(".ooe-fold").get_attribute("aria-expanded") == "false"
    preference = BoardPreference.objects.get(user__username="board-operator")
    assert preference.collapsed_stages == [stage_of("new").pk]

    with page.expect_response(lambda r: "/fold/" in r.url):
        new.locator(".ooe-fold").click()
    page.reload()
    assert "ooe-folded" not in column(page, "new").get_attribute("class")


@pytest.mark.parametrize("skin", SKINS)
def test_dragging_to_the_edge_scrolls_the_board(live_server, operator_page, place_order, skin):
    page = operator_page
    order = place_order()
    open_board(page, live_server, skin, width=1200)  # most columns off screen
    board = page.locator("#ooe-board")
    assert board.evaluate("b => b.scrollWidth > b.clientWidth")
    assert board.evaluate("b => b.scrollLeft") == 0
    card = stage_list(page, "new").locator(f".ooe-card[data-order='{order.pk}']")
    handle = card.locator(".ooe-card-customer").bounding_box()
    edge = board.bounding_box()
    # 50 px short of the edge: inside our zone, outside the browser's own few pixels.
    right = min(edge["x"] + edge["width"], 1200) - 50

    page.mouse.move(handle["x"] + 10, handle["y"] + 5)
    page.mouse.down()
    page.mouse.move(handle["x"] + 40, handle["y"] + 15, steps=5)
    for _step in range(20):  # hold the card near the right edge
        page.mouse.move(right, handle["y"] + 20, steps=2)
        page.wait_for_timeout(50)
    scrolled = board.evaluate("b => b.scrollLeft")
    page.mouse.up()
    # Wherever the card landed, let its move finish before the test's database goes away.
    page.wait_for_timeout(300)
    page.wait_for_function("() => (document.getElementById('ooe-board').dataset.pending || '0')"
                           " === '0'")

    assert scrolled > 100


@pytest.mark.parametrize("skin", SKINS)
def test_a_drop_on_cancelled_asks_in_a_dialog_first(live_server, operator_page, place_order,
                                                    skin):
    page = operator_page
    order = place_order()
    open_board(page, live_server, skin)
    card = stage_list(page, "new").locator(f".ooe-card[data-order='{order.pk}']")

    # Declined: nothing happens, the card goes back.
    card.locator(".ooe-card-customer").drag_to(stage_list(page, "cancelled"),
                                                target_position={"x": 30, "y": 10})
    dialog = page.locator("dialog#ooe-dialog")
    dialog.wait_for()
    assert "Cancel order" in dialog.inner_text()
    dialog.locator(".ooe-dialog-close").click()
    stage_list(page, "new").locator(f".ooe-card[data-order='{order.pk}']").wait_for()
    assert OrderProcess.objects.get(order=order).state == "new"

    # Confirmed, without emailing the customer.
    card = stage_list(page, "new").locator(f".ooe-card[data-order='{order.pk}']")
    card.locator(".ooe-card-customer").drag_to(stage_list(page, "cancelled"),
                                                target_position={"x": 30, "y": 10})
    dialog.wait_for()
    dialog.locator("input[name=notify]").uncheck()
    dialog.locator("textarea[name=note]").fill("Customer phoned")
    with page.expect_response(lambda r: r.url.endswith("/move/")):
        dialog.locator("button[type=submit]").click()
    stage_list(page, "cancelled").locator(f".ooe-card[data-order='{order.pk}']").wait_for()
    assert page.url.endswith(f"/{Funnel.objects.get_default().slug}/")  # no page change
    assert OrderProcess.objects.get(order=order).state == "cancelled"
    assert not [m for m in mail.outbox if order.number in m.subject]


@pytest.mark.parametrize("skin", SKINS)
def test_move_to_offers_the_allowed_moves_and_cancel_asks_in_a_dialog(live_server,
                                                                      operator_page,
                                                                      place_order, skin):
    page = operator_page
    order = place_order()
    transition_order(order, "confirm")
    open_board(page, live_server, skin)
    card = stage_list(page, "processing").locator(f".ooe-card[data-order='{order.pk}']")

    card.locator(".ooe-move-link").click()
    menu = card.locator(".ooe-move-menu")
    menu.wait_for()
    offered = menu.locator(".ooe-move-choice").all_inner_texts()
    assert any(text.startswith("Shipped") for text in offered)
    assert not any(text.startswith(("New", "Refunded")) for text in offered)

    menu.locator(".ooe-move-choice", has_text="Cancelled").click()
    dialog = page.locator("dialog#ooe-dialog")
    dialog.wait_for()
    with page.expect_response(lambda r: r.url.endswith("/move/")):
        dialog.locator("button[type=submit]").click()
    stage_list(page, "cancelled").locator(f".ooe-card[data-order='{order.pk}']").wait_for()
    assert OrderProcess.objects.get(order=order).state == "cancelled"


def test_row_cancel_asks_in_a_dialog_on_the_table(live_server, operator_page, place_order):
    page = operator_page
    order = place_order()
    page.goto(live_server.url + reverse("oscar_orders_ext_dashboard:orders-workspace"))
    row = page.locator(f"tr[data-order='{order.pk}']")
    row.locator(".ooe-row-cancel").click()
    dialog = page.locator("dialog#ooe-dialog")
    dialog.wait_for()
    assert page.url.endswith(reverse("oscar_orders_ext_dashboard:orders-workspace"))
    dialog.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert OrderProcess.objects.get(order=order).state == "cancelled"
    assert "is now" in page.locator(".alert-success, .alert").first.inner_text()
