"""One page body for both skins: a shop overriding a shared partial changes the dashboard and
Wagtail at once, an override of an old (moved) template name still applies, and no shared partial
names one skin's URLs (docs/extending.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse

from ..manual_orders.conftest import (MANUAL_ORDER_PERMISSIONS, clerk, country,  # noqa: F401
                                      customer, manual_order)
from ..order_page.conftest import order  # noqa: F401  (fixture)
from .conftest import wt_url

pytestmark = pytest.mark.django_db

SHARED = (Path(__file__).parents[2] / "oscar_orders_ext" / "templates" / "oscar_orders_ext"
          / "shared")


def shop_templates(tmp_path: Path, files: dict[str, str]) -> list[dict[str, Any]]:
    """TEMPLATES with a shop's template directory first, holding ``files``."""
    for name, text in files.items():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return [{**settings.TEMPLATES[0], "DIRS": [str(tmp_path)]}]


def both_pages(django_app: Any, order: Any, dashboard_user: Any, wagtail_user: Any,
               route: str = "orders-workspace-order") -> list[Any]:
    return [django_app.get(reverse(f"oscar_orders_ext_dashboard:{route}",
                                   kwargs={"number": order.number}), user=dashboard_user),
            django_app.get(wt_url(route, number=order.number), user=wagtail_user)]


def test_overriding_a_shared_panel_changes_both_skins(django_app, tmp_path, viewer, cms_viewer,
                                                      order):
    templates = shop_templates(tmp_path, {
        "oscar_orders_ext/shared/order/timeline.html":
            '<section><p id="shop-timeline">{{ order.number }}, our way</p></section>'})
    with override_settings(TEMPLATES=templates):
        pages = both_pages(django_app, order, viewer, cms_viewer)
    for page in pages:
        assert page.pyquery("#shop-timeline").text() == f"{order.number}, our way"
    assert pages[1].pyquery("#wagtail-sidebar, aside.sidebar").length  # still Wagtail's frame


def test_a_feature_adds_a_panel_to_both_skins_with_one_include(django_app, tmp_path, viewer,
                                                               cms_viewer, order):
    # What payments, chat or customer panels do: extend the shared body once, add to a block.
    shared = (SHARED / "order" / "detail.html").read_text()
    templates = shop_templates(tmp_path, {
        "oscar_orders_ext/shared/order/detail.html": shared.replace(
            "{% endblock side_panels %}",
            '{% include "shop/panel.html" %}{% endblock side_panels %}'),
        "shop/panel.html": '<section class="card" id="shop-panel">{{ order.number }}</section>'})
    with override_settings(TEMPLATES=templates):
        pages = both_pages(django_app, order, viewer, cms_viewer)
    for page in pages:
        assert page.pyquery(".ooe-side-panels #shop-panel").text() == str(order.number)
        assert page.pyquery(".ooe-side-panels #ooe-state")  # the other panels stay


def test_an_override_of_a_moved_partial_still_applies(django_app, tmp_path, make_wagtail_user,
                                                      manual_order):
    # Shops overrode wagtail/partials/line_rows.html before the rows became one shared partial.
    order = manual_order()
    user = make_wagtail_user("cms-lines-clerk", MANUAL_ORDER_PERMISSIONS)
    templates = shop_templates(tmp_path, {
        "oscar_orders_ext/wagtail/partials/line_rows.html": '<p id="shop-rows">ours</p>'})
    with override_settings(TEMPLATES=templates):
        page = django_app.get(wt_url("orders-workspace-order-lines", number=order.number),
                              user=user)
    assert page.pyquery("#ooe-lines-form #shop-rows").text() == "ours"


def test_no_shared_partial_names_one_skins_urls():
    named = [path.relative_to(SHARED).as_posix() for path in SHARED.rglob("*.html")
             if "oscar_orders_ext_dashboard:" in path.read_text()
             or "oscar_orders_ext_wagtail:" in path.read_text()]
    assert named == []
