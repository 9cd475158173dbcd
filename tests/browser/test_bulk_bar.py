"""The bulk bar of Oscar's dashboard table shows only what the chosen action needs."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ..dashboard.conftest import WORKSPACE_EDITOR
from ..factories import bulk_orders
from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_each_action_shows_only_its_own_choice(live_server, page, make_staff):
    bulk_orders(2, prefix="BAR")
    make_staff("bar-operator", WORKSPACE_EDITOR)
    sign_in(page, live_server, "bar-operator")
    page.goto(live_server.url + reverse("oscar_orders_ext_dashboard:orders-workspace"))
    bar = page.locator(".ooe-bulk-bar")

    def shown() -> list[str]:
        return [name for name in ("document", "transition", "tag", "operator")
                if bar.locator(f"select[name={name}]").is_visible()]

    assert shown() == []
    assert bar.locator(".select2-container").count() == 0  # Oscar's widgets would stay shown
    for action, wanted in (("add_tag", ["tag"]), ("transition", ["transition"]),
                           ("assign_operator", ["operator"]),
                           ("print_documents", ["document"]), ("mark_paid", [])):
        page.select_option("#ooe-bulk-action", action)
        assert shown() == wanted, action
