"""A funnel manager drags a stage to a new place on the funnel's edit page; it stays there."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from oscar_orders_ext.models import Funnel

from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REORDER_PATH = "/stages/order/"


@pytest.fixture
def funnel(db: Any) -> Funnel:
    return Funnel.create_from_workflow("Board", is_default=False)


@pytest.fixture
def signed_in_page(live_server: Any, page: Any, make_staff: Callable[..., Any]) -> Any:
    """The browser page, signed in as a funnel manager."""
    make_staff("funnel-manager", ["manage_funnels"])
    sign_in(page, live_server, "funnel-manager")
    return page


def edit_page_url(live_server: Any, funnel: Funnel) -> str:
    return live_server.url + reverse("oscar_orders_ext_dashboard:orders-funnel-update",
                                     kwargs={"pk": funnel.pk})


def shown_stage_names(page: Any) -> list[str]:
    return page.locator("tr[data-stage-id] input[name$='-name']").evaluate_all(
        "inputs => inputs.map(input => input.value)")


def stored_stage_names(funnel: Funnel) -> list[str]:
    return list(funnel.stages.order_by("position", "pk").values_list("name", flat=True))


def drag_third_stage_above_the_first(page: Any) -> None:
    handles = page.locator("tr[data-stage-id] .js-stage-handle")
    # Aim at the top edge of the first row's handle, so the row lands before it.
    handles.nth(2).drag_to(handles.nth(0), target_position={"x": 5, "y": 1})


def test_a_dragged_stage_keeps_its_new_place(live_server, signed_in_page, funnel):
    page = signed_in_page
    first, second, third, *rest = stored_stage_names(funnel)
    page.goto(edit_page_url(live_server, funnel))
    assert shown_stage_names(page)[:3] == [first, second, third]

    with page.expect_response(lambda response: REORDER_PATH in response.url
                              and response.request.method == "POST") as reorder:
        drag_third_stage_above_the_first(page)
    assert reorder.value.status == 200
    assert reorder.value.json() == {"ok": True}
    assert shown_stage_names(page)[:3] == [third, first, second]
    page.wait_for_selector("[data-reorder-status].alert-success")

    page.reload()
    assert shown_stage_names(page) == [third, first, second, *rest]
    assert stored_stage_names(funnel) == [third, first, second, *rest]


def test_a_refused_drop_puts_the_stages_back_and_says_why(live_server, signed_in_page, funnel):
    page = signed_in_page
    names = stored_stage_names(funnel)
    page.route(f"**{REORDER_PATH}", lambda route: route.fulfill(
        status=400, content_type="application/json",
        body='{"ok": false, "error": "Someone deleted a stage meanwhile."}'))
    page.goto(edit_page_url(live_server, funnel))

    drag_third_stage_above_the_first(page)

    status = page.locator("[data-reorder-status].alert-danger")
    status.wait_for()
    assert status.inner_text() == "Someone deleted a stage meanwhile."
    assert shown_stage_names(page) == names
    positions = page.locator("tr[data-stage-id] input[name$='-position']").evaluate_all(
        "inputs => inputs.map(input => input.value)")
    assert positions == [str(index) for index in range(len(names))]
    assert stored_stage_names(funnel) == names
