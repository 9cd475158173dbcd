"""Two operators issue invoices at the same moment (PostgreSQL: real row locks)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connection, connections
from django.utils import timezone

from oscar_orders_ext.documents import service
from oscar_orders_ext.documents.service import DocumentError, issue_invoice
from oscar_orders_ext.models import DocumentSequence, IssuedDocument

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(calls: list[Any], monkeypatch: Any) -> list[Any]:
    """Run the calls in threads; the first to render pauses while holding its locks."""
    results: list[Any] = [None] * len(calls)
    start = threading.Barrier(len(calls))
    paused = threading.Event()
    render = service.render_fragments

    def slow_first(*args: Any, **kwargs: Any) -> Any:
        if not paused.is_set():
            paused.set()
            time.sleep(0.5)
        return render(*args, **kwargs)

    monkeypatch.setattr(service, "render_fragments", slow_first)

    def run(index: int) -> None:
        try:
            start.wait()
            results[index] = calls[index]()
        except Exception as error:  # noqa: BLE001 - the test inspects it
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_invoices_issued_at_once_get_consecutive_numbers(make_order, monkeypatch):
    assert connection.vendor == "postgresql"
    first, second = make_order(), make_order()
    year = timezone.localtime().year

    results = race([lambda: issue_invoice(first.pk), lambda: issue_invoice(second.pk)],
                   monkeypatch)

    assert all(isinstance(result, IssuedDocument) for result in results), results
    assert sorted(r.number for r in results) == [f"{year}/00001", f"{year}/00002"]
    assert DocumentSequence.objects.get(kind="invoice", year=year).last_number == 2
    assert IssuedDocument.objects.count() == 2


def test_one_order_invoiced_twice_at_once_gets_one_invoice(make_order, monkeypatch):
    order = make_order()

    results = race([lambda: issue_invoice(order.pk), lambda: issue_invoice(order.pk)],
                   monkeypatch)

    issued = [r for r in results if isinstance(r, IssuedDocument)]
    refused = [r for r in results if isinstance(r, DocumentError)]
    assert (len(issued), len(refused)) == (1, 1), results
    assert "already has invoice" in refused[0].message
    assert DocumentSequence.objects.get(kind="invoice").last_number == 1  # no gap
