"""What grew with the file is kept on disk or bounded: the customers' aggregates of a commit
are summed batch by batch in a temporary database, the order ids are an array, DEBUG's query
log is forgotten between chunks, the COPY writer's caches of prepared values start again."""

from __future__ import annotations

import gc
import io
from array import array
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from oscar.core.loading import get_model

from oscar_orders_ext.imports import pgcopy, planning, service
from oscar_orders_ext.imports.service import commit_import, plan_import
from oscar_orders_ext.imports.staging import CustomerTally
from oscar_orders_ext.models import Customer
from oscar_orders_ext.signals import orders_imported

from ..customers.test_aggregates import full_recount, stored
from .test_small_files import SHOPIFY_HEADERS, csv_bytes, shopify_row
from .test_streamed_imports import small_batches

Order = get_model("order", "Order")
ShippingAddress = get_model("order", "ShippingAddress")

pytestmark = pytest.mark.django_db


def spread_orders(count: int, *, first: int = 5000) -> bytes:
    """Orders of three customers, each customer's orders in every batch, two currencies, and
    a refunded order (which counts for nobody)."""
    rows = []
    for index in range(count):
        number = f"#{first + index}"
        rows.append(shopify_row(
            number, Email=f"buyer{index % 3}@example.com", Billing_Name=f"Buyer {index % 3}",
            Currency="EUR" if index % 4 == 0 else "GBP", Total=f"{10 + index}.50",
            Created_at=f"2023-0{index % 9 + 1}-0{index % 7 + 1} 10:12:33 +0100",
            Financial_Status="refunded" if index == 5 else "paid"))
        rows.append(shopify_row(number, first=False))
    return csv_bytes(rows)


def test_customers_of_a_batched_import_equal_a_full_recount(monkeypatch):
    commit_import(plan_import(spread_orders(2, first=4000), "first.csv"))
    before = Customer.objects.get(email="buyer1@example.com")
    assert before.order_count == 1  # a row the second import changes by its delta
    small_batches(monkeypatch)
    result = commit_import(plan_import(io.BytesIO(spread_orders(11)), "orders_export.csv"))
    assert result.orders_created == 11
    assert stored() == full_recount()
    buyer0 = Customer.objects.get(email="buyer0@example.com")
    # Orders 0 (EUR), 3, 6 and 9 of the second file, one per batch pair, and order 0 (EUR)
    # of the first.
    assert buyer0.order_count == 5
    assert buyer0.totals == {"EUR": {"count": 2, "total": "21.00"},
                             "GBP": {"count": 3, "total": "49.50"}}
    assert Customer.objects.get(email="buyer2@example.com").order_count == 2  # 5 refunded


def test_the_tally_sums_batches_exactly():
    tally = CustomerTally()
    first = datetime(2024, 1, 5, 10, 12, 33, 123456, tzinfo=UTC)
    try:
        tally.add([("b@example.com", "EUR", 2, Decimal("10.05"), first, first),
                   ("a@example.com", "GBP", 1, Decimal("0.10"), first, first)])
        tally.add([("b@example.com", "EUR", 1, Decimal("0.20"),
                    first - timedelta(microseconds=1), first + timedelta(days=1)),
                   ("b@example.com", "GBP", 1, Decimal("7.00"), first, first)])
        customers = list(tally.customers())
    finally:
        tally.close()
    assert customers == [
        ("a@example.com", [("GBP", 1, Decimal("0.10"), first, first)]),
        ("b@example.com", [("EUR", 3, Decimal("10.25"), first - timedelta(microseconds=1),
                            first + timedelta(days=1)),
                           ("GBP", 1, Decimal("7.00"), first, first)])]


def test_the_order_ids_are_an_array_handed_on_whole(monkeypatch,
                                                    django_capture_on_commit_callbacks):
    received: list[Any] = []

    def receiver(sender: Any, order_ids: Any, **kwargs: Any) -> None:
        received.append(order_ids)

    orders_imported.connect(receiver)
    small_batches(monkeypatch)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            result = commit_import(plan_import(spread_orders(5), "orders_export.csv"))
    finally:
        orders_imported.disconnect(receiver)
    assert isinstance(result.order_ids, array) and len(set(result.order_ids)) == 5
    assert received == [result.order_ids]
    assert sorted(result.order_ids) == sorted(Order.objects.values_list("pk", flat=True))


def test_with_debug_on_a_long_dry_run_keeps_no_query_log(settings, monkeypatch):
    settings.DEBUG = True
    monkeypatch.setattr(planning, "PLAN_CHUNK", 2)
    connection.queries_log.clear()
    plan_import(spread_orders(7), "orders_export.csv")
    kept = len(connection.queries_log)
    with CaptureQueriesContext(connection) as queries:  # a test counting them sees them all
        plan_import(spread_orders(7), "orders_export.csv")
    assert kept < 4 < len(queries.captured_queries)


@pytest.mark.postgres
def test_the_copy_writers_caches_start_again_without_changing_a_value(monkeypatch):
    monkeypatch.setattr(pgcopy, "CACHE_LIMIT", 1)
    rows = []
    for index, (postcode, phone) in enumerate([("n1 1aa", "020 7946 0018"),
                                               ("sw1a 1aa", "020 7946 0019"),
                                               ("n1 1aa", "020 7946 0018")]):
        rows.append(shopify_row(f"#{700 + index}", Shipping_Zip=postcode) + [phone])
    data = csv_bytes(rows, headers=[*SHOPIFY_HEADERS, "Shipping Phone"])
    commit_import(plan_import(data, "orders_export.csv"))
    assert list(ShippingAddress.objects.order_by("pk").values_list(
        "postcode", "phone_number")) == [("N1 1AA", "+442079460018"),
                                         ("SW1A 1AA", "+442079460019"),
                                         ("N1 1AA", "+442079460018")]


def test_the_collector_runs_while_the_directory_takes_the_deltas(monkeypatch):
    # A recounted customer row and its account refer to each other: with the collector paused
    # (as it is for the batches), a million-order import kept 300,000 such pairs to the end.
    seen: list[tuple[bool, int]] = []
    original = service.apply_tally

    def watched(tally: CustomerTally) -> None:
        seen.append((gc.isenabled(), sum(1 for _customer in tally.customers())))
        original(tally)

    monkeypatch.setattr(service, "apply_tally", watched)
    commit_import(plan_import(spread_orders(4), "orders_export.csv"))
    assert seen == [(True, 3)]
    assert gc.isenabled()  # and after the commit, as before it
