"""A table row's buttons come from one list (views.actions.ROW_ACTIONS) filtered by the permission
registry and the workflow: nobody is shown a button that could only be refused."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from oscar_orders_ext.permissions import ACTIONS
from oscar_orders_ext.views.actions import WORKSPACE_MENU, menu_for

from ..factories import bulk_orders
from .conftest import WORKSPACE_EDITOR, WORKSPACE_VIEWER, ws_url

pytestmark = pytest.mark.django_db


def buttons(page, number):
    row = page.pyquery(f"#ooe-table tbody tr[data-order]:contains('{number}')")
    return [(link.text.strip(), link.attrib["href"]) for link in row.find("td.text-nowrap a")]


def test_a_viewer_sees_only_view(django_app, make_staff):
    process, = bulk_orders(1, prefix="V")
    viewer = make_staff("row-viewer", WORKSPACE_VIEWER)
    page = django_app.get(ws_url("orders-workspace"), user=viewer)
    assert buttons(page, "V00000") == [
        ("View", ws_url("orders-workspace-order", number=process.order.number))]


def test_cancel_needs_the_workflow_cancel_moves_permission(django_app, make_staff):
    # Cancel used to follow a permission named in the template; the workflow names it now.
    bulk_orders(1, prefix="C")
    no_cancel = make_staff("row-no-cancel", [p for p in WORKSPACE_EDITOR if p != "cancel_order"])
    page = django_app.get(ws_url("orders-workspace"), user=no_cancel)
    assert "Cancel" not in [label for label, _href in buttons(page, "C00000")]

    editor = make_staff("row-cancel", WORKSPACE_EDITOR)
    page = django_app.get(ws_url("orders-workspace") + "?q=C", user=editor)
    href = dict(buttons(page, "C00000"))["Cancel"]
    assert urlsplit(href).path == ws_url("orders-workspace-move")
    query = parse_qs(urlsplit(href).query)
    assert query["transition"] == ["cancel"]
    assert query["next"] == [ws_url("orders-workspace") + "?q=C"]  # back to the same view


def test_the_menu_lists_what_the_registry_allows(make_staff):
    viewer = make_staff("menu-viewer", WORKSPACE_VIEWER)
    manager = make_staff("menu-manager", [*WORKSPACE_VIEWER, "manage_funnels"])
    namespace = "oscar_orders_ext_dashboard"
    # The inbox reads orders; API tokens are each user's own.
    assert [entry.key for entry in menu_for(viewer, namespace)] == ["table", "boards", "inbox",
                                                                   "api-tokens"]
    assert [entry.key for entry in menu_for(manager, namespace)] == ["table", "boards", "inbox",
                                                                    "funnels", "api-tokens"]
    assert {entry.route for entry in WORKSPACE_MENU} <= set(ACTIONS)
