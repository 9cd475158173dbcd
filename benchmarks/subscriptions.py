"""One tick of subscription renewals on a scratch PostgreSQL database, next to Oscar's own
order placement of the same orders in the same run.

    .venv/bin/python benchmarks/subscriptions.py                      # 10,000 subscriptions
    .venv/bin/python benchmarks/subscriptions.py --subscriptions 2000 --keep

The database ``ooe_bench_subs`` on 127.0.0.1:5432 (user postgres) is created, migrated with
the sandbox settings and seeded with ``seed_demo --orders N`` (the bulk path); each order's
first line then gets a monthly subscription due today (bulk insert). Then, in this process:

- **our tick**: ``renew_due()`` bills all N (a renewal order through Oscar's basket and
  ``OrderCreator``, its workflow row, a payment link and its email task): wall time, SQL
  queries per renewal, peak Python memory (tracemalloc);
- **again**: ``renew_due()`` straight after, which must bill nothing;
- **Oscar alone**: ``OrderCreator.place_order`` of the same one-line order, 200 times, with
  Oscar's own strategy: ms per order, the floor of a renewal.

Prints figures only.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
NAME = "ooe_bench_subs"


def psql(sql: str, database: str = "postgres") -> str:
    """Run SQL with psql; its unaligned output."""
    result = subprocess.run(["psql", f"{PG_SERVER}/{database}", "-XqtAc", sql], check=True,
                            capture_output=True, text=True)
    return result.stdout.strip()


def prepare(count: int) -> None:
    """A migrated database with ``count`` seeded orders."""
    psql(f"DROP DATABASE IF EXISTS {NAME}")
    psql(f"CREATE DATABASE {NAME}")
    env = {**os.environ, "DATABASE_URL": f"{PG_SERVER}/{NAME}",
           "DJANGO_SETTINGS_MODULE": "sandbox.settings"}
    manage = [sys.executable, str(ROOT / "sandbox" / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput"], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run([*manage, "seed_demo", "--orders", str(count)], env=env, check=True,
                   stdout=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscriptions", type=int, default=10_000)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    started = time.perf_counter()
    prepare(args.subscriptions)
    print(f"Seeded {args.subscriptions} orders in {time.perf_counter() - started:.0f} s",
          flush=True)

    os.environ.update(DATABASE_URL=f"{PG_SERVER}/{NAME}",
                      DJANGO_SETTINGS_MODULE="sandbox.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone
    from oscar.core.loading import get_class, get_model

    from oscar_orders_ext.models import Plan, PlanPrice, Subscription, SubscriptionRenewal
    from oscar_orders_ext.subscriptions import service

    Line = get_model("order", "Line")
    today = timezone.localdate()
    plan = Plan.objects.create(name="Bench monthly")
    lines = list(Line.objects.order_by("order_id", "pk").distinct("order_id").values_list(
        "pk", "order_id", "order__currency", "title", "order__user_id", "order__guest_email"))
    for currency in {line[2] for line in lines}:
        PlanPrice.objects.create(plan=plan, currency=currency, amount="15.00")
    Subscription.objects.bulk_create(
        Subscription(order_id=order_id, line_id=pk, plan=plan, user_id=user_id,
                     email=email or f"user{user_id}@example.com", product_title=title,
                     currency=currency, amount="15.00", anchor=today, periods_billed=1,
                     next_renewal_on=today, state="active")
        for pk, order_id, currency, title, user_id, email in lines)
    due = Subscription.objects.filter(next_renewal_on__lte=today).count()
    print(f"{due} subscriptions due today", flush=True)

    queries = [0]

    def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        queries[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        tracemalloc.start()
        started = time.perf_counter()
        made = service.renew_due()
        wall = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        first_queries = queries[0]
        queries[0] = 0
        started = time.perf_counter()
        again = service.renew_due()
        second = time.perf_counter() - started
    print(f"our tick: {made} renewals in {wall:.1f} s ({made / wall:.1f}/s, "
          f"{1000 * wall / max(made, 1):.1f} ms each), {first_queries / max(made, 1):.1f} "
          f"queries per renewal, peak Python memory {peak / 2**20:.1f} MiB", flush=True)
    print(f"again at once: {again} renewals, {queries[0]} queries, {1000 * second:.0f} ms")
    assert SubscriptionRenewal.objects.count() == made

    # Oscar alone: the same one-line order through OrderCreator, with Oscar's own strategy.
    Basket = get_model("basket", "Basket")
    OrderCreator = get_class("order.utils", "OrderCreator")
    OrderTotalCalculator = get_class("checkout.calculators", "OrderTotalCalculator")
    NoShippingRequired = get_class("shipping.methods", "NoShippingRequired")
    Selector = get_class("partner.strategy", "Selector")
    sample = Subscription.objects.select_related("line__product").first()
    assert sample is not None
    rounds = 200
    started = time.perf_counter()
    for index in range(rounds):
        basket = Basket.objects.create(status=Basket.SAVED)
        basket.strategy = Selector().strategy()
        basket.add_product(sample.line.product, 1)
        method = NoShippingRequired()
        charge = method.calculate(basket)
        OrderCreator().place_order(
            basket=basket, total=OrderTotalCalculator().calculate(basket, charge),
            shipping_method=method, shipping_charge=charge, order_number=f"BENCH-{index}",
            guest_email="bench@example.com")
    oscar = (time.perf_counter() - started) / rounds
    print(f"Oscar OrderCreator alone: {1000 * oscar:.1f} ms per order; ours per renewal / "
          f"Oscar's per order: {wall / max(made, 1) / oscar:.2f}x")
    connection.close()
    if not args.keep:
        psql(f"DROP DATABASE IF EXISTS {NAME}")


if __name__ == "__main__":
    main()
