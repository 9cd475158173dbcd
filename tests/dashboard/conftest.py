"""Dashboard tests go through the real Oscar dashboard with WebTest, as Oscar's own do."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

WORKSPACE_VIEWER = ["view_orderprocess"]
WORKSPACE_EDITOR = ["view_orderprocess", "change_orderprocess", "change_order_state",
                    "cancel_order", "bulk_edit_orders"]


def ws_url(name: str, **kwargs: Any) -> str:
    return reverse(f"oscar_orders_ext_dashboard:{name}", kwargs=kwargs or None)
