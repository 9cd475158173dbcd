"""Stock effects of workflow moves, applied with Oscar's allocation API exactly once per order.

Oscar's lines remember what they still hold allocated (``Line.num_allocated``), and the
process remembers which effect was last applied (``OrderProcess.stock_status``): an effect
runs only from the stock status it expects, so repeating a move never counts stock twice.
"""

from __future__ import annotations

from typing import Any

from django.db.models import F
from django.utils.translation import gettext as _
from oscar.apps.partner.exceptions import InvalidStockAdjustment
from oscar.core.loading import get_class, get_model

from oscar_orders_ext.constants import StockEffect, StockStatus
from oscar_orders_ext.exceptions import StockEffectError
from oscar_orders_ext.models import OrderProcess

from .locking import lock_stock_records

EventHandler = get_class("order.processing", "EventHandler")
StockRecord = get_model("partner", "StockRecord")

#: effect -> (stock status it applies from, stock status it leaves)
EFFECT_STEPS: dict[str, tuple[str, str]] = {
    StockEffect.ALLOCATE: (StockStatus.RELEASED, StockStatus.ALLOCATED),
    StockEffect.CONSUME: (StockStatus.ALLOCATED, StockStatus.CONSUMED),
    StockEffect.RELEASE: (StockStatus.ALLOCATED, StockStatus.RELEASED),
    StockEffect.RESTOCK: (StockStatus.CONSUMED, StockStatus.RESTOCKED),
}


def stock_effect_for(process: OrderProcess, target_state: str) -> str | None:
    """The effect entering ``target_state`` has on this order's stock, or None."""
    effect = process.workflow.get_stock_effects().get(target_state)
    if effect not in EFFECT_STEPS or EFFECT_STEPS[effect][0] != process.stock_status:
        return None
    return effect


def apply_stock_effect(process: OrderProcess, effect: str, *, user: Any = None
                       ) -> list[dict[str, Any]]:
    """Apply ``effect`` to the order's stock records; returns what changed, per line.

    Must run inside the transaction that holds the process locked; the stock records are
    locked next, by primary key, before Oscar's calls update them line by line. Raises
    :class:`StockEffectError` (and the transaction rolls back) when Oscar refuses a line.
    """
    order = process.order
    lines = [line for line in order.lines.select_related("stockrecord", "product")
             if line.stockrecord_id and line.can_track_allocations]
    lock_stock_records(line.stockrecord_id for line in lines)
    handler = EventHandler(user)
    changes: list[dict[str, Any]] = []
    # Lines still holding an allocation; Oscar refuses to touch cancelled ones.
    held = [line for line in lines if line.num_allocated and not line.allocation_cancelled]
    try:
        if effect == StockEffect.CONSUME:
            lines, quantities = held, [line.num_allocated for line in held]
            if held:  # Oscar treats an empty list as "every line"
                handler.consume_stock_allocations(order, lines, quantities)
        elif effect == StockEffect.RELEASE:
            lines, quantities = held, [line.num_allocated for line in held]
            if held:
                handler.cancel_stock_allocations(order, lines, quantities)
        elif effect == StockEffect.ALLOCATE:
            quantities = [line.quantity for line in lines]
            for line in lines:
                line.stockrecord.allocate(line.quantity)
                line.num_allocated, line.allocation_cancelled = line.quantity, False
                line.save(update_fields=["num_allocated", "allocation_cancelled"])
        elif effect == StockEffect.RESTOCK:
            quantities = [line.quantity for line in lines]
            for line in lines:
                StockRecord.objects.filter(pk=line.stockrecord_id).update(
                    num_in_stock=F("num_in_stock") + line.quantity)
        else:  # pragma: no cover - guarded by stock_effect_for
            raise ValueError(effect)
    except InvalidStockAdjustment as error:
        raise StockEffectError(
            _("Stock could not be updated for order %(number)s: %(error)s")
            % {"number": order.number, "error": error}, order_number=order.number) from error
    for line, quantity in zip(lines, quantities, strict=True):
        if quantity:
            changes.append({"sku": line.partner_sku, "title": line.title, "quantity": quantity,
                            "stockrecord": line.stockrecord_id})
    process.stock_status = EFFECT_STEPS[effect][1]
    return changes
