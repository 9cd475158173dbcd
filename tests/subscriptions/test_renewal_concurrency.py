"""Two hosts run the tick's renewals at the same moment (PostgreSQL: real row locks): each due
period is billed once, with one renewal order."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connections

from oscar_orders_ext.models import Subscription, SubscriptionRenewal
from oscar_orders_ext.subscriptions import service

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_ticks_at_once_bill_each_period_once(subscribe: Callable[..., Subscription],
                                                 monkeypatch: Any) -> None:
    with time_machine.travel(datetime(2026, 1, 10, 9, tzinfo=ZoneInfo("UTC")), tick=False):
        subs = [subscribe() for _ in range(3)]
    original = service._place_order

    def slow_place_order(sub: Any, total: Any) -> Any:
        time.sleep(0.2)  # both ticks are inside a renewal at once
        return original(sub, total)

    monkeypatch.setattr(service, "_place_order", slow_place_order)
    start = threading.Barrier(2)
    made: list[Any] = [None, None]

    def run(index: int) -> None:
        try:
            start.wait()
            made[index] = service.renew_due(on=date(2026, 2, 10))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(made) == 3
    assert SubscriptionRenewal.objects.count() == 3
    for sub in subs:
        renewal = SubscriptionRenewal.objects.get(subscription=sub)
        assert renewal.period == 1 and renewal.order_id is not None
        sub.refresh_from_db()
        assert sub.periods_billed == 2


def test_a_second_tick_blocked_past_the_lock_is_stopped_by_the_constraint(
        subscribe: Callable[..., Subscription]) -> None:
    """Even a tick that skipped the row lock (a bug, a manual script) cannot bill a period
    that another tick billed: the unique constraint rolls its whole renewal back."""
    with time_machine.travel(datetime(2026, 1, 10, 9, tzinfo=ZoneInfo("UTC")), tick=False):
        sub = subscribe()
    assert service.renew_due(on=date(2026, 2, 10)) == 1
    # Rewind the subscription as a stale host would see it.
    Subscription.objects.filter(pk=sub.pk).update(periods_billed=1,
                                                  next_renewal_on=date(2026, 2, 10))
    assert service.renew_due(on=date(2026, 2, 10)) == 0
    assert SubscriptionRenewal.objects.count() == 1
    assert SubscriptionRenewal.objects.get().order.lines.count() == 1
