"""One tick of subscription renewals on PostgreSQL, next to Oscar's own order placement of
the same orders in the same run.

    .venv/bin/python benchmarks/subscriptions.py                      # 10,000 subscriptions
    .venv/bin/python benchmarks/subscriptions.py --subscriptions 2000 --keep

The database (``--database``, default ``ooe_bench_subs``) on 127.0.0.1:5432 (user postgres)
is copied from a seeded template (``--template``, default ``bench_tpl_100000``: made with
``seed_demo``) or, with ``--template ""``, created and seeded with ``seed_demo --orders N``
(slow); it is migrated with the sandbox settings. The first line of N orders then gets a
monthly subscription due today (bulk insert). Then, in this process:

- **our tick**: ``renew_due()`` bills all N (a renewal order through Oscar's basket and
  ``OrderCreator``, its workflow row, a payment link and its email task, queued for the
  worker as in production): wall time, SQL queries of each renewal (min / median / max: they
  must not grow with N), peak memory (the process' peak RSS before and after; Python's own
  allocations with ``--tracemalloc``, which slows the run);
- **again**: ``renew_due()`` straight after, which must bill nothing;
- **Oscar alone**: ``OrderCreator.place_order`` of the same one-line order, 200 times
  (``--oscar-rounds``), with
  Oscar's own strategy: ms per order, the floor of a renewal.

Prints figures only.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = "postgres://postgres@127.0.0.1:5432"


def psql(sql: str, database: str = "postgres") -> str:
    """Run SQL with psql; its unaligned output."""
    result = subprocess.run(["psql", f"{PG_SERVER}/{database}", "-XqtAc", sql], check=True,
                            capture_output=True, text=True)
    return result.stdout.strip()


def prepare(name: str, template: str, count: int) -> None:
    """A migrated database with at least ``count`` seeded orders."""
    psql(f"DROP DATABASE IF EXISTS {name}")
    if template:
        for attempt in range(30):  # fails while someone is connected to the template
            try:
                psql(f"CREATE DATABASE {name} TEMPLATE {template}")
                break
            except subprocess.CalledProcessError:
                if attempt == 29:
                    raise
                time.sleep(5)
    else:
        psql(f"CREATE DATABASE {name}")
    env = {**os.environ, "DATABASE_URL": f"{PG_SERVER}/{name}",
           "DJANGO_SETTINGS_MODULE": "sandbox.settings"}
    manage = [sys.executable, str(ROOT / "sandbox" / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput"], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    if not template:
        subprocess.run([*manage, "seed_demo", "--orders", str(count)], env=env, check=True,
                       stdout=subprocess.DEVNULL)


def peak_rss_mib() -> float:
    """The process' peak resident memory so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--subscriptions", type=int, default=10_000)
    parser.add_argument("--database", default="ooe_bench_subs")
    parser.add_argument("--template", default="bench_tpl_100000",
                        help='a seeded database to copy ("" to create and seed one)')
    parser.add_argument("--tracemalloc", action="store_true",
                        help="also trace Python allocations (slower)")
    parser.add_argument("--oscar-rounds", type=int, default=200,
                        help="orders placed by Oscar alone for the comparison")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    started = time.perf_counter()
    prepare(args.database, args.template, args.subscriptions)
    print(f"Prepared {args.database} in {time.perf_counter() - started:.0f} s "
          f"(load average {os.getloadavg()[0]:.1f})", flush=True)

    os.environ.update(DATABASE_URL=f"{PG_SERVER}/{args.database}",
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
    lines = list(Line.objects.filter(product__isnull=False, stockrecord__isnull=False).order_by(
        "order_id", "pk").distinct("order_id").values_list(
        "pk", "order_id", "order__currency", "title", "order__user_id",
        "order__guest_email")[:args.subscriptions])
    for currency in {line[2] for line in lines}:
        PlanPrice.objects.create(plan=plan, currency=currency, amount="15.00")
    Subscription.objects.bulk_create(
        (Subscription(order_id=order_id, line_id=pk, plan=plan, user_id=user_id,
                      email=email or f"user{user_id}@example.com", product_title=title,
                      currency=currency, amount="15.00", anchor=today, periods_billed=1,
                      next_renewal_on=today, state="active")
         for pk, order_id, currency, title, user_id, email in lines), batch_size=2000)
    due = Subscription.objects.filter(next_renewal_on__lte=today).count()
    print(f"{due} subscriptions due today", flush=True)

    queries = [0]
    per_renewal: list[int] = []

    def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        queries[0] += 1
        return execute(sql, params, many, context)

    renew_period = service._renew_period

    def counted(sub: Any) -> Any:
        before = queries[0]
        result = renew_period(sub)
        per_renewal.append(queries[0] - before)
        return result

    service._renew_period = counted  # type: ignore[assignment]
    rss_before = peak_rss_mib()
    with connection.execute_wrapper(count):
        if args.tracemalloc:
            tracemalloc.start()
        started = time.perf_counter()
        made = service.renew_due()
        wall = time.perf_counter() - started
        traced = tracemalloc.get_traced_memory()[1] if args.tracemalloc else 0
        tracemalloc.stop()
        first_queries = queries[0]
        queries[0] = 0
        started = time.perf_counter()
        again = service.renew_due()
        second = time.perf_counter() - started
    service._renew_period = renew_period  # type: ignore[assignment]
    load = os.getloadavg()
    print(f"our tick: {made} renewals in {wall:.1f} s ({made / wall:.1f}/s, "
          f"{1000 * wall / max(made, 1):.1f} ms each); {first_queries / max(made, 1):.1f} "
          f"queries per renewal in all (the tick's own reads included); per renewal min "
          f"{min(per_renewal, default=0)}, median {statistics.median(per_renewal or [0]):.0f}, "
          f"max {max(per_renewal, default=0)}; first 1,000 mean "
          f"{statistics.mean(per_renewal[:1000] or [0]):.2f}, last 1,000 mean "
          f"{statistics.mean(per_renewal[-1000:] or [0]):.2f}", flush=True)
    print(f"peak RSS {rss_before:.0f} MiB before the tick, {peak_rss_mib():.0f} MiB after"
          + (f"; peak traced Python memory {traced / 2**20:.1f} MiB" if args.tracemalloc
             else ""), flush=True)
    print(f"again at once: {again} renewals, {queries[0]} queries, {1000 * second:.0f} ms "
          f"(load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f})", flush=True)
    assert SubscriptionRenewal.objects.count() == made

    # Oscar alone: the same one-line order through OrderCreator, with Oscar's own strategy.
    Basket = get_model("basket", "Basket")
    OrderCreator = get_class("order.utils", "OrderCreator")
    OrderTotalCalculator = get_class("checkout.calculators", "OrderTotalCalculator")
    NoShippingRequired = get_class("shipping.methods", "NoShippingRequired")
    Selector = get_class("partner.strategy", "Selector")
    sample = Subscription.objects.select_related("line__product").first()
    assert sample is not None
    rounds = args.oscar_rounds
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
          f"Oscar's per order: {wall / max(made, 1) / oscar:.2f}x "
          f"(load average {os.getloadavg()[0]:.1f})")
    connection.close()
    if not args.keep:
        psql(f"DROP DATABASE IF EXISTS {args.database}")


if __name__ == "__main__":
    main()
