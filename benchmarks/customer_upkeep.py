"""What keeping the customer directory's aggregates up to date costs when an order is placed:
Oscar's ``OrderCreator`` placing the same order with our customer receivers connected and
disconnected, interleaved in one run, on a seeded scratch PostgreSQL database.

    .venv/bin/python benchmarks/customer_upkeep.py                  # 100,000 seeded orders
    .venv/bin/python benchmarks/customer_upkeep.py --orders 20000 --keep --reuse

The database ``ooe_bench_upkeep_<N>`` on 127.0.0.1:5432 (user postgres) is created, migrated
with the sandbox settings, seeded with ``seed_demo --orders N`` (the bulk path) and its
directory filled with ``orders_backfill_customers``. The orders are then placed for the demo
customer with the most orders (the worst case of the recount, a ``GROUP BY`` over that
customer's own orders), each in its own transaction, so the recount that runs after commit is
timed with it. "Without" disconnects the directory's receivers (order and process saves,
account saves, the automatic tag rules); every other receiver of the app stays. Prints figures
only.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from customers import create_database  # the sibling benchmark script

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PYTHON = sys.executable


def psql(sql: str, database: str = "postgres") -> str:
    """Run SQL with psql; its unaligned output."""
    result = subprocess.run(["psql", f"{PG_SERVER}/{database}", "-XqtAc", sql], check=True,
                            capture_output=True, text=True)
    return result.stdout.strip()


def manage(name: str, *args: str) -> None:
    """Run a sandbox management command on the scratch database."""
    env = {**os.environ, "DATABASE_URL": f"{PG_SERVER}/{name}",
           "DJANGO_SETTINGS_MODULE": "sandbox.settings"}
    subprocess.run([PYTHON, str(ROOT / "sandbox" / "manage.py"), *args], env=env, check=True,
                   stdout=subprocess.DEVNULL)


def prepare(name: str, orders: int, reuse: bool, template: str | None = None) -> None:
    """A migrated database with ``orders`` seeded orders (or a copy of ``template``, seeded
    the same way) and the directory filled."""
    if reuse and psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'") == "1":
        print(f"Reusing {name}.", flush=True)
        return
    started = time.perf_counter()
    create_database(name, template)
    if not template:
        manage(name, "seed_demo", "--orders", str(orders))
    manage(name, "orders_backfill_customers")
    psql("VACUUM ANALYZE", name)
    print(f"Seeded {orders} orders in {time.perf_counter() - started:.0f} s", flush=True)


def main() -> None:
    """Prepare the database, place orders with and without the receivers, print figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--placements", type=int, default=60,
                        help="orders placed each way (in blocks of 10, alternating)")
    parser.add_argument("--customer", choices=["heaviest", "new"], default="heaviest",
                        help="place the orders for the customer with the most orders, or "
                             "each for a new guest email")
    parser.add_argument("--template", help="copy this seeded database (bench_tpl_100000) "
                        "instead of seeding one")
    parser.add_argument("--database", help="the scratch database's name (default: "
                        "derived from the size)")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse", action="store_true")
    options = parser.parse_args()
    name = options.database or f"ooe_bench_upkeep_{options.orders}"
    prepare(name, options.orders, options.reuse, options.template)

    os.environ["DATABASE_URL"] = f"{PG_SERVER}/{name}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox.settings")
    os.environ.setdefault("SANDBOX_TASKS", "immediate")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.db.models import Count
    from django.db.models.signals import post_delete, post_init, post_save
    from django.test.utils import CaptureQueriesContext
    from oscar.apps.order.signals import order_placed
    from oscar.core.loading import get_model
    from oscar.test import factories

    from oscar_orders_ext import receivers
    from oscar_orders_ext.models import Customer, OrderProcess

    Order = get_model("order", "Order")
    Product = get_model("catalogue", "Product")
    User = get_user_model()
    # (signal, receiver, sender, dispatch_uid) of the directory, as apps.py connects them.
    wiring = [
        (post_init, receivers.remember_process_contribution, OrderProcess,
         "oscar_orders_ext.customer_contribution"),
        (post_save, receivers.count_process_change, OrderProcess,
         "oscar_orders_ext.customer_process"),
        (post_delete, receivers.count_process_change, OrderProcess,
         "oscar_orders_ext.customer_process_deleted"),
        (post_save, receivers.recount_account_customer, User,
         "oscar_orders_ext.customer_account"),
        (order_placed, receivers.tag_customer_of_placed_order, None,
         "oscar_orders_ext.customer_tags"),
    ]

    def connect(on: bool) -> None:
        for signal, receiver, sender, uid in wiring:
            if on:
                signal.connect(receiver, sender=sender, dispatch_uid=uid)
            else:
                signal.disconnect(sender=sender, dispatch_uid=uid)

    top = (OrderProcess.objects.values("customer_email").annotate(n=Count("id"))
           .order_by("-n").first())
    email = top["customer_email"]
    product = (Product.objects.filter(stockrecords__isnull=False, structure="standalone")
               .first())
    record = product.stockrecords.first()
    record.num_in_stock = (record.num_in_stock or 0) + 10 * options.placements
    record.save()

    counter = iter(range(10**9))

    def place() -> tuple[float, int]:
        basket = factories.create_basket(empty=True)
        basket.add_product(product, 1)
        buyer = email if options.customer == "heaviest" else (
            f"bench-new-{time.time_ns()}-{next(counter)}@example.com")
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            with transaction.atomic():  # on_commit work (the recount) runs inside the timing
                factories.create_order(basket=basket, guest_email=buyer)
            elapsed = (time.perf_counter() - started) * 1000
        return elapsed, len(captured)

    results: dict[bool, list[tuple[float, int]]] = {True: [], False: []}
    for _warmup in range(3):
        place()
    for block in range(2 * options.placements // 10):
        with_receivers = block % 2 == 0
        connect(with_receivers)
        results[with_receivers].extend(place() for _ in range(10))
    connect(True)
    customer = Customer.objects.get(email=email)
    who = (f"{email} ({top['n']} orders before, {customer.order_count} counted now)"
           if options.customer == "heaviest" else "a new guest email each")
    print(f"{options.orders} seeded orders; placing orders for {who}, "
          f"{options.placements} each way")
    print(f"{'placing one order':<34} {'median ms':>10} {'min ms':>8} {'queries':>8}")
    for label, key in (("with the directory's receivers", True), ("without them", False)):
        times = [ms for ms, _q in results[key]]
        queries = statistics.median(q for _ms, q in results[key])
        print(f"{label:<34} {statistics.median(times):>10.1f} {min(times):>8.1f} "
              f"{queries:>8.0f}")
    with_ms = statistics.median(ms for ms, _q in results[True])
    without_ms = statistics.median(ms for ms, _q in results[False])
    print(f"upkeep per order: {with_ms - without_ms:.1f} ms "
          f"({with_ms / without_ms:.2f}x the placement without it)")
    if not options.keep:
        from django.db import connections

        connections.close_all()
        psql(f"DROP DATABASE IF EXISTS {name}")


if __name__ == "__main__":
    main()
