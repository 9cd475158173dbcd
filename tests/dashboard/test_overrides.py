"""A shop overrides one dashboard view by subclassing the app config, and any partial by a
template of the same name: docs/extending.md shows how."""

from __future__ import annotations

import types
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.test import override_settings
from django.urls import include, path, reverse

from oscar_orders_ext.dashboard.views import OrderTableView

from ..factories import bulk_orders

pytestmark = pytest.mark.django_db


class ShopTableView(OrderTableView):
    """A shop's table: the same page with a word of its own."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().get(request, *args, **kwargs)
        response["X-Shop-Table"] = "yes"
        return response


def test_a_subclass_of_the_app_config_replaces_one_view(django_app, viewer):
    base = type(apps.get_app_config("oscar_orders_ext_dashboard"))

    class ShopConfig(base):  # type: ignore[misc, valid-type]
        def load_views(self) -> None:
            super().load_views()
            self.table_view = ShopTableView

    config = ShopConfig("oscar_orders_ext.dashboard", apps.get_app_config(
        "oscar_orders_ext_dashboard").module)
    config.load_views()
    urlconf = types.ModuleType("shop_urls")
    urlconf.urlpatterns = [  # type: ignore[attr-defined]
        path("workspace/", include((config.get_urls(), "oscar_orders_ext_dashboard"))),
        path("", include(settings.ROOT_URLCONF)),
    ]
    bulk_orders(1)
    with override_settings(ROOT_URLCONF=urlconf):
        page = django_app.get(reverse("oscar_orders_ext_dashboard:orders-workspace"),
                              user=viewer)
        assert page.headers["X-Shop-Table"] == "yes"
        assert page.pyquery("#ooe-table")  # the rest of the page is the workspace's
        kanban = reverse("oscar_orders_ext_dashboard:orders-workspace-kanban-default")
        assert "X-Shop-Table" not in django_app.get(kanban, user=viewer).headers


def test_a_shop_template_overrides_a_partial(django_app, viewer, tmp_path):
    partial = tmp_path / "oscar_orders_ext" / "dashboard" / "partials" / "summary.html"
    partial.parent.mkdir(parents=True)
    partial.write_text('<p id="shop-summary">{{ summary.count }} orders, our way</p>')
    templates = [{**settings.TEMPLATES[0], "DIRS": [str(tmp_path)]}]
    bulk_orders(2)
    with override_settings(TEMPLATES=templates):
        page = django_app.get(reverse("oscar_orders_ext_dashboard:orders-workspace"),
                              user=viewer)
    assert page.pyquery("#shop-summary").text() == "2 orders, our way"
