"""The workspace finds its own way into Oscar's dashboard menu."""

from __future__ import annotations

import pytest
from oscar.defaults import OSCAR_DASHBOARD_NAVIGATION

from oscar_orders_ext.dashboard.navigation import WORKSPACE, with_workspace
from oscar_orders_ext.views.actions import WORKSPACE_MENU

from .conftest import ws_url

pytestmark = pytest.mark.django_db


def fulfilment(navigation: list) -> list[tuple[str, str]]:
    section = next(s for s in navigation if any(
        c.get("url_name") == "dashboard:order-list" for c in s.get("children", [])))
    return [(str(c["label"]), c["url_name"]) for c in section["children"]]


def test_the_workspace_sits_next_to_oscars_order_list():
    entries = fulfilment(with_workspace(OSCAR_DASHBOARD_NAVIGATION))
    assert entries[:3] == [("Orders", "dashboard:order-list"), ("Order workspace", WORKSPACE),
                           ("Kanban boards",
                            "oscar_orders_ext_dashboard:orders-workspace-kanban-default")]
    assert with_workspace(with_workspace(OSCAR_DASHBOARD_NAVIGATION)) == with_workspace(
        OSCAR_DASHBOARD_NAVIGATION)  # adding twice adds once


def test_a_setting_makes_it_the_order_list():
    entries = fulfilment(with_workspace(OSCAR_DASHBOARD_NAVIGATION, replace_order_list=True))
    assert entries[0] == ("Orders", WORKSPACE)
    assert ("Orders (classic)", "dashboard:order-list") in entries


def test_the_menu_shows_the_workspace_to_those_allowed(django_app, viewer, make_staff):
    page = django_app.get("/dashboard/", user=viewer)
    assert ws_url("orders-workspace") in page.text
    assert ws_url("orders-funnel-list") not in page.text  # no manage_funnels permission
    manager = make_staff("manager", ["view_orderprocess", "manage_funnels"])
    assert ws_url("orders-funnel-list") in django_app.get("/dashboard/", user=manager).text


def test_permissions_alone_do_not_open_the_staff_screens(django_app, django_user_model):
    from django.contrib.auth.models import Permission

    outsider = django_user_model.objects.create_user(username="outsider", password="x")
    outsider.user_permissions.set(Permission.objects.filter(
        codename__in=["view_orderprocess", "manage_funnels"]))
    django_app.get(ws_url("orders-workspace"), user=outsider, status=403)
    django_app.get(ws_url("orders-funnel-list"), user=outsider, status=403)


def test_the_menu_is_the_workspace_menu_both_skins_draw():
    entries = fulfilment(with_workspace(OSCAR_DASHBOARD_NAVIGATION))
    ours = [name for _label, name in entries if name.startswith("oscar_orders_ext_dashboard:")]
    assert ours == [f"oscar_orders_ext_dashboard:{entry.route}" for entry in WORKSPACE_MENU]


def test_the_menu_asks_the_registry(django_app, make_staff):
    creator = make_staff("creator", ["view_orderprocess", "create_manual_order"])
    viewer = make_staff("plain-viewer", ["view_orderprocess"])
    create = ws_url("orders-workspace-order-create")
    assert create in django_app.get("/dashboard/", user=creator).text
    assert create not in django_app.get("/dashboard/", user=viewer).text
