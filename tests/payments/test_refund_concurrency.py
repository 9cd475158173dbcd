"""Two operators refund the same paid order at the same moment (PostgreSQL: real row locks):
together they ask for more than was paid, so one refund is made and the other refused."""

from __future__ import annotations

import threading
import time
from decimal import Decimal
from typing import Any

import pytest
from django.db import connections
from oscar.core.loading import get_model

from oscar_orders_ext.exceptions import OrderWorkflowError
from oscar_orders_ext.payments import service

Source = get_model("payment", "Source")

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_concurrent_refunds_cannot_over_refund(guest_order: Any, cashier: Any,
                                                   monkeypatch: Any) -> None:
    service.record_offline_payment(guest_order, guest_order.total_incl_tax, "Bank transfer")
    amount = (guest_order.total_incl_tax * Decimal("0.6")).quantize(Decimal("0.01"))
    original_balance = service.balance
    start = threading.Barrier(2)

    def slow_balance(order: Any) -> Any:
        result = original_balance(order)
        time.sleep(0.3)  # both threads are inside refund() at once; the lock decides
        return result

    monkeypatch.setattr(service, "balance", slow_balance)
    results: list[Any] = [None, None]

    def run(index: int) -> None:
        try:
            start.wait()
            results[index] = service.refund(guest_order.pk, amount=amount, user=cashier,
                                            notify=False)
        except OrderWorkflowError as error:
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    refused = [r for r in results if isinstance(r, OrderWorkflowError)]
    made = [r for r in results if isinstance(r, service.RefundResult)]
    assert len(made) == 1 and len(refused) == 1, results
    assert "At most" in refused[0].message
    refunded = sum(s.amount_refunded for s in Source.objects.filter(order=guest_order))
    assert refunded == amount
