"""Keeping Oscar's ``Order.status`` in step with the workflow state, both ways."""

from __future__ import annotations

from typing import Any

from oscar_orders_ext.conf import app_settings
from oscar_orders_ext.workflow import get_workflow

_MIRRORING = "_oscar_orders_ext_mirroring"


def mirror_oscar_status(order: Any, state: str) -> None:
    """Write the state's Oscar status through ``Order.set_status()``.

    ``set_status()`` cascades to lines, saves, sends ``order_status_changed`` and records an
    ``OrderStatusChange``. It also refuses any status missing from the shop's
    ``OSCAR_ORDER_STATUS_PIPELINE``, which Oscar reads once at import; the workflow has already
    decided this move is allowed, so for this one call the order is told the new status is
    available and Oscar's own code does the rest.
    """
    if not app_settings.MIRROR_OSCAR_STATUS:
        return
    new_status = get_workflow().get_state(state).get_oscar_status()
    if order.status == new_status:
        return
    setattr(order, _MIRRORING, True)
    try:
        if new_status not in order.available_statuses():
            order.available_statuses = lambda: [new_status]
        order.set_status(new_status)
    finally:
        order.__dict__.pop("available_statuses", None)
        order.__dict__.pop(_MIRRORING, None)


def is_mirroring(order: Any) -> bool:
    """Whether this status change is the app's own mirror write."""
    return bool(getattr(order, _MIRRORING, False))
