"""Writing the order timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from oscar_orders_ext.models import TimelineEntry


def record(order_id: int, kind: str, *, actor: Any = None, data: dict[str, Any] | None = None,
           note: str = "", at: datetime | None = None) -> TimelineEntry:
    """Add an entry to an order's timeline."""
    return TimelineEntry.objects.create(
        order_id=order_id, kind=kind, actor=actor if _is_user(actor) else None,
        data=data or {}, note=note or "", created_at=at or timezone.now())


def _is_user(actor: Any) -> bool:
    return actor is not None and getattr(actor, "is_authenticated", False)
