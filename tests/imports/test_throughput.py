"""Import speed on PostgreSQL with a generated Shopify export (target: 5,000 orders/s).

``IMPORT_BENCH_ORDERS=100000`` measures the 100k-order file of the issue; the default keeps the
suite quick. The figures are printed (run with ``-s``); ``IMPORT_BENCH_PROFILE=tottime`` (or
``cumtime``) profiles the commit.
"""

from __future__ import annotations

import os
import time
from typing import Any

import pytest
from oscar.core.loading import get_model
from oscar.test import factories

from oscar_orders_ext.imports.service import commit_import, plan_import
from oscar_orders_ext.models import OrderProcess

from .shopify_file import generated_shopify_export

Order = get_model("order", "Order")

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
