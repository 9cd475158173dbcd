"""An operator drags a card across the Kanban board inside Wagtail's admin, in a real browser."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from oscar_orders_ext.models import Funnel, OrderProcess, TimelineEntry
from oscar_orders_ext.services.transitions import transition_order

from ..dashboard.conftest import WORKSPACE_EDITOR
from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def operator_page(live_server: Any, page: Any, make_staff: Any) -> Any:
    user = make_staff("cms-operator", WORKSPACE_EDITOR)
    user.user_permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin",
                                                     codename="access_admin"))
    sign_in(page, live_server, "cms-operator")
    return page


def open_board(page: Any, live_server: Any) -> None:
    funnel = Funnel.objects.get_default()
    page.set_viewport_size({"width": 3600, "height": 1000})  # every column on screen
    page.goto(live_server.url + reverse("oscar_orders_ext_wagtail:orders-workspace-kanban",
                                        kwargs={"funnel": funnel.slug}))


def stage_list(page: Any, state: str) -> Any:
    stage = Funnel.objects.get_default().stages.get(state=state)
    return page.locator(f".ooe-cards[data-stage='{stage.pk}']")


def drag(page: Any, card: Any, target: Any) -> None:
    card.locator(".ooe-card-customer").drag_to(target, target_position={"x": 30, "y": 10})


def test_dragging_a_card_on_the_wagtail_board_moves_the_order(live_server, operator_page,
                                                              place_order):
    page = operator_page
    order = place_order()
    transition_order(order, "confirm")
    open_board(page, live_server)
    assert page.locator("#wagtail-sidebar, aside.sidebar").count() >= 1
    card = stage_list(page, "processing").locator(f".ooe-card[data-order='{order.pk}']")

    with page.expect_response(lambda r: r.url.endswith("/move/")) as answer:
        drag(page, card, stage_list(page, "shipped"))
    assert answer.value.status == 200

    stage_list(page, "shipped").locator(f".ooe-card[data-order='{order.pk}']").wait_for()
    assert OrderProcess.objects.get(order=order).state == "shipped"
    entry = TimelineEntry.objects.filter(order=order, kind="state").first()
    assert entry.data["to"] == "shipped" and entry.actor.username == "cms-operator"
    assert page.locator(".ooe-toast").inner_text().startswith(f"Order {order.number} is now")


def test_a_refused_drop_on_the_wagtail_board_puts_the_card_back(live_server, operator_page,
                                                                place_order):
    page = operator_page
    order = place_order()
    open_board(page, live_server)
    card = stage_list(page, "new").locator(f".ooe-card[data-order='{order.pk}']")

    with page.expect_response(lambda r: r.url.endswith("/move/")) as answer:
        drag(page, card, stage_list(page, "refunded"))
    assert answer.value.status == 400

    page.locator(".ooe-toast.alert-danger").wait_for()
    assert stage_list(page, "new").locator(f".ooe-card[data-order='{order.pk}']").count() == 1
    assert OrderProcess.objects.get(order=order).state == "new"


def test_move_to_on_a_wagtail_card_offers_only_the_allowed_moves_inline(live_server,
                                                                       operator_page,
                                                                       place_order):
    page = operator_page
    order = place_order()
    open_board(page, live_server)
    column = page.locator(".ooe-column").filter(has=stage_list(page, "new"))
    width_before = column.bounding_box()["width"]
    card = stage_list(page, "new").locator(f".ooe-card[data-order='{order.pk}']")

    card.locator(".ooe-move-link").click()
    menu = card.locator(".ooe-move-menu")
    menu.wait_for()
    offered = menu.locator(".ooe-move-choice").all_inner_texts()
    assert any(text.startswith("In preparation") for text in offered)
    assert not any(text.startswith(("Refunded", "Returned", "New")) for text in offered)
    assert column.bounding_box()["width"] == pytest.approx(width_before, abs=1)

    with page.expect_response(lambda r: r.url.endswith("/move/")):
        menu.locator(".ooe-move-choice", has_text="In preparation").click()
    stage_list(page, "processing").locator(f".ooe-card[data-order='{order.pk}']").wait_for()
    assert OrderProcess.objects.get(order=order).state == "processing"
