"""The permission registry and the route table describe the same actions, and each front end
serves every route under its one name."""

import pytest
from django.urls import reverse

from oscar_orders_ext import permissions
from oscar_orders_ext.views.routes import ROUTES

DASHBOARD, WAGTAIL = "oscar_orders_ext_dashboard", "oscar_orders_ext_wagtail"


def test_every_route_is_an_action_of_the_registry_and_back():
    assert {route.name for route in ROUTES} == set(permissions.ACTIONS)


@pytest.mark.wagtail
def test_both_front_ends_serve_every_route_under_one_name_and_path():
    for route in ROUTES:
        kwargs = {name: ("1" if name in ("pk", "stage") else "x")
                  for name in ("number", "funnel", "pk", "stage", "kind")
                  if f":{name}>" in route.path}
        wagtail = reverse(f"{WAGTAIL}:{route.name}", kwargs=kwargs)
        assert wagtail.endswith("/" + route.path.replace("<str:number>", "x")
                                .replace("<slug:funnel>", "x").replace("<int:pk>", "1")
                                .replace("<int:stage>", "1").replace("<slug:kind>", "x"))
        if route.key != "results":  # Wagtail's in-place refresh of its listing only
            reverse(f"{DASHBOARD}:{route.name}", kwargs=kwargs)


def test_oscars_permissions_map_is_the_registry():
    from django.apps import apps

    config = apps.get_app_config("oscar_orders_ext_dashboard")
    assert config.permissions_map == permissions.oscar_permissions_map()
    assert config.permissions_map["orders-document-email"] == (
        ["is_staff", permissions.VIEW, permissions.SEND_INVOICE],
        [permissions.PARTNER_ACCESS, permissions.SEND_INVOICE])
    assert config.permissions_map["orders-import"] == (["is_staff", permissions.IMPORT],)
