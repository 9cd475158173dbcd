"""Import speed on PostgreSQL with a generated Shopify export (target: 5,000 orders/s).

``IMPORT_BENCH_ORDERS=100000`` measures the 100k-order file of the issue; the default keeps the
suite quick. The figures are printed (run with ``-s``); ``IMPORT_BENCH_PROFILE=tottime`` (or
``cumtime``) profiles the commit.
"""

from __future__ import annotations

import csv
import io
import os
import time
from typing import Any

import pytest
from oscar.core.loading import get_model
from oscar.test import factories

from oscar_orders_ext.imports.service import commit_import, plan_import
from oscar_orders_ext.models import OrderProcess

Order = get_model("order", "Order")

HEADERS = ["Name", "Email", "Financial Status", "Fulfillment Status", "Currency", "Subtotal",
           "Shipping", "Taxes", "Total", "Discount Code", "Discount Amount", "Created at",
           "Lineitem quantity", "Lineitem name", "Lineitem price", "Lineitem sku",
           "Billing Name", "Billing Address1", "Billing City", "Billing Zip", "Billing Country",
           "Shipping Name", "Shipping Address1", "Shipping City", "Shipping Zip",
           "Shipping Country", "Shipping Phone", "Notes", "Payment Method", "Tags"]
FINANCIAL = ["paid", "paid", "paid", "pending", "refunded", "partially_refunded"]
FULFILMENT = ["fulfilled", "fulfilled", "unfulfilled", "partial"]


def generated_shopify_export(orders: int, *, customers: int) -> bytes:
    """A Shopify export of ``orders`` orders with 1–3 lines each."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADERS)
    for index in range(orders):
        lines = index % 3 + 1
        customer = index % customers
        name = f"Customer{customer} Example"
        for line in range(lines):
            first = line == 0
            writer.writerow([
                f"#{100000 + index}",
                f"customer{customer}@example.com" if first else "",
                FINANCIAL[index % len(FINANCIAL)] if first else "",
                FULFILMENT[index % len(FULFILMENT)] if first else "",
                "EUR" if first else "", "30.00" if first else "", "5.00" if first else "",
                "0.00" if first else "", f"{30 * lines + 5}.00" if first else "",
                "WELCOME" if first and index % 7 == 0 else "",
                "3.00" if first and index % 7 == 0 else "",
                f"2024-0{index % 9 + 1}-1{index % 10} 10:12:33 +0100" if first else "",
                "1", f"Product {line}", "30.00", f"SKU-{line}" if line else "UNKNOWN",
                name if first else "", f"{index} Example Street" if first else "",
                "Lyon" if first else "", "69001" if first else "", "FR" if first else "",
                name if first else "", f"{index} Example Street" if first else "",
                "Lyon" if first else "", "69001" if first else "", "FR" if first else "",
                "+33 4 78 00 00 00" if first else "",
                "Leave at the door" if first and index % 5 == 0 else "",
                "Shopify Payments" if first else "", "VIP" if first and index % 4 == 0 else "",
            ])
    return buffer.getvalue().encode()


@pytest.mark.postgres
@pytest.mark.django_db
def test_import_throughput_on_postgres(settings: Any) -> None:
    orders = int(os.environ.get("IMPORT_BENCH_ORDERS", "5000"))
    for line in (1, 2):
        factories.create_product(partner_sku=f"SKU-{line}")
    data = generated_shopify_export(orders, customers=max(1, orders // 3))
    settings.OSCAR_ORDERS_EXT_IMPORT_MAX_BYTES = max(len(data), 20 * 1024 * 1024)

    started = time.perf_counter()
    plan = plan_import(data, "orders_export.csv")
    planned = time.perf_counter()
    if os.environ.get("IMPORT_BENCH_PROFILE"):
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        result = profiler.runcall(commit_import, plan)
        pstats.Stats(profiler).sort_stats(os.environ["IMPORT_BENCH_PROFILE"]).print_stats(30)
    else:
        result = commit_import(plan)
    committed = time.perf_counter()

    assert plan.errors == []
    assert result.orders_created == orders
    assert OrderProcess.objects.filter(source="import:shopify").count() == orders
    total = committed - started
    print(f"\n{orders} orders, {len(data) / 1e6:.1f} MB: dry run {planned - started:.1f} s, "
          f"commit {committed - planned:.1f} s, {orders / total:.0f} orders/s overall, "
          f"{orders / (committed - planned):.0f} orders/s commit")
    again = time.perf_counter()
    assert plan_import(data, "orders_export.csv").counts.orders_to_create == 0
    print(f"re-import dry run: {time.perf_counter() - again:.1f} s")
    assert Order.objects.count() == orders
