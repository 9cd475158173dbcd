"""A shop overrides one Wagtail view through the ``oscar_orders_ext_wagtail_views`` hook
(docs/extending.md)."""

from __future__ import annotations

import types
from typing import Any

import pytest
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.test import override_settings
from django.urls import include, path, reverse
from wagtail import hooks

from oscar_orders_ext.contrib.wagtail import views, wagtail_hooks
from oscar_orders_ext.contrib.wagtail.urls import VIEWS_HOOK

from ..factories import bulk_orders
from .conftest import wt_url

pytestmark = pytest.mark.django_db


class ShopKanbanView(views.KanbanView):
    """A shop's board: the same page with a word of its own."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().get(request, *args, **kwargs)
        response["X-Shop-Board"] = "yes"
        return response


def use_shop_board(views: dict[str, Any]) -> None:
    views["kanban"] = views["kanban-default"] = ShopKanbanView


def test_a_hook_replaces_one_wagtail_view(django_app, cms_viewer):
    wt_url("orders-workspace")  # the site's own URLs are built (once) before the shop's hook
    with hooks.register_temporarily(VIEWS_HOOK, use_shop_board):
        urlconf = types.ModuleType("shop_urls")
        urlconf.urlpatterns = [  # type: ignore[attr-defined]
            path("shop-cms/", include(wagtail_hooks.register_admin_urls())),
            path("", include(settings.ROOT_URLCONF)),
        ]
    bulk_orders(1)
    with override_settings(ROOT_URLCONF=urlconf):
        board = reverse("oscar_orders_ext_wagtail:orders-workspace-kanban-default")
        assert board.startswith("/shop-cms/")
        page = django_app.get(board, user=cms_viewer)
        assert page.headers["X-Shop-Board"] == "yes" and page.pyquery("#ooe-board")
        table = django_app.get(reverse("oscar_orders_ext_wagtail:orders-workspace"),
                               user=cms_viewer)
        assert "X-Shop-Board" not in table.headers
    assert "X-Shop-Board" not in django_app.get(wt_url("orders-workspace-kanban-default"),
                                                user=cms_viewer).headers


def test_a_shop_template_overrides_a_shared_partial_in_both_skins(django_app, cms_viewer,
                                                                  tmp_path):
    partial = tmp_path / "oscar_orders_ext" / "shared" / "table" / "summary.html"
    partial.parent.mkdir(parents=True)
    partial.write_text('<p id="shop-summary">{{ summary.count }} orders, our way</p>')
    templates = [{**settings.TEMPLATES[0], "DIRS": [str(tmp_path)]}]
    cms_viewer.is_staff = True  # Oscar's dashboard needs staff status
    cms_viewer.save()
    bulk_orders(2)
    with override_settings(TEMPLATES=templates):
        for table in (wt_url("orders-workspace"),
                      reverse("oscar_orders_ext_dashboard:orders-workspace")):
            page = django_app.get(table, user=cms_viewer)
            assert page.pyquery("#shop-summary").text() == "2 orders, our way"
            assert not page.pyquery(".ooe-state-counts")
