"""Keeping Oscar's ``Order.status`` in step with the workflow state, both ways."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models.signals import post_save, pre_save
from oscar.apps.order.signals import order_status_changed
from oscar.core.loading import get_model

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


def mirror_oscar_statuses(orders: Sequence[Any], state: str) -> None:
    """The batch twin of :func:`mirror_oscar_status` for orders all moved into ``state``:
    what ``set_status()`` does to each (Oscar's line cascade, the order's status, the
    ``order_status_changed`` signal, an ``OrderStatusChange`` row) in one statement per
    table. Django's ``pre_save``/``post_save`` are still sent for every order and line
    changed, so receivers hear what ``save()`` would have told them."""
    if not app_settings.MIRROR_OSCAR_STATUS or not orders:
        return
    new_status = get_workflow().get_state(state).get_oscar_status()
    changing = [order for order in orders if order.status != new_status]
    if not changing:
        return
    order_model, line_model = type(changing[0]), get_model("order", "Line")
    change_model = get_model("order", "OrderStatusChange")
    old = {order.pk: order.status for order in changing}
    for order in changing:
        setattr(order, _MIRRORING, True)
    try:
        _cascade_lines(order_model, line_model, [order.pk for order in changing],
                               new_status)
        for order in changing:
            order.status = new_status
            pre_save.send(sender=order_model, instance=order, raw=False, using=order._state.db,
                          update_fields=None)
        order_model.objects.filter(pk__in=old).update(status=new_status)
        for order in changing:
            post_save.send(sender=order_model, instance=order, created=False, raw=False,
                           using=order._state.db, update_fields=None)
        for order in changing:
            order_status_changed.send(sender=order, order=order, old_status=old[order.pk],
                                      new_status=new_status)
        change_model.objects.bulk_create(
            change_model(order_id=order.pk, old_status=old[order.pk], new_status=new_status)
            for order in changing)
    finally:
        for order in changing:
            order.__dict__.pop(_MIRRORING, None)


def _cascade_lines(order_model: Any, line_model: Any, order_ids: list[int], new_status: str
                   ) -> None:
    """Oscar's cascade of an order status to the lines (those whose pipeline allows it), in
    one ``UPDATE``."""
    new_line_status = order_model.cascade.get(new_status)
    if new_line_status is None:
        return
    sources = [status for status, targets in line_model.pipeline.items()
               if new_line_status in targets]
    lines = list(line_model.objects.filter(order_id__in=order_ids, status__in=sources))
    for line in lines:
        line.status = new_line_status
        pre_save.send(sender=line_model, instance=line, raw=False, using=line._state.db,
                      update_fields=None)
    line_model.objects.filter(pk__in=[line.pk for line in lines]).update(
        status=new_line_status)
    for line in lines:
        post_save.send(sender=line_model, instance=line, created=False, raw=False,
                       using=line._state.db, update_fields=None)
