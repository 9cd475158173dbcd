"""Time the workspace pages against Oscar's order list on a seeded PostgreSQL database.

    .venv/bin/python benchmarks/workspace.py                         # 100,000 orders
    .venv/bin/python benchmarks/workspace.py --keep --reuse          # seed once, then reuse
    .venv/bin/python benchmarks/workspace.py --explain 3             # + EXPLAIN ANALYZE
    .venv/bin/python benchmarks/workspace.py --only search_sku,table # some pages (+ Oscar's)
    .venv/bin/python benchmarks/workspace.py --scale                 # table: 1M vs 10k orders
    .venv/bin/python benchmarks/workspace.py --database my_bench     # a database of your own
    .venv/bin/python benchmarks/workspace.py --scale --orders-small 100000 \
        --orders-large 1000000 --database-small h_100k --database-large h_1m --reuse --keep
                                                          # every page at 1M vs 100k orders
    .venv/bin/python benchmarks/workspace.py --scale ... --template bench_tpl_{orders}
                                                          # copies of seeded templates

Each size gets a scratch database ``ooe_bench_workspace_<N>`` on 127.0.0.1:5432 (user
postgres): dropped, created, migrated, seeded with ``seed_demo --orders N`` (bulk path),
vacuumed and analysed, then dropped at the end unless ``--keep``. ``--reuse`` keeps an
existing database that already holds N orders and only migrates it (use it with ``--keep``).
``--template`` copies a seeded template database (``createdb -T``; ``{orders}`` in the name
stands for the size) instead of seeding, then migrates the copy.
The pages are timed in a child process (``_measure_pages.py``) with the sandbox settings,
logged in as the demo superuser. Prints figures only: the targets are shown next to the
ratios, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
DB_PREFIX = "ooe_bench_workspace"

#: (label, our page, Oscar's page, target ratio).
RATIOS = [
    ("table / Oscar list", "table", "oscar", 1.0),
    ("state filter / Oscar status filter", "table_state", "oscar_status", 1.0),
    ("number search / Oscar number search", "table_number", "oscar_number", 1.0),
    ("Kanban / Oscar list", "kanban", "oscar", 1.5),
    ("inbox / Oscar list", "inbox", "oscar", 1.0),
    ("table + unread column / Oscar list", "table_unread", "oscar", 1.0),
]
SCALE_TARGET = 1.2
#: Pages of ``_measure_pages.filter_pages`` and ``search_pages`` by key prefix, each compared
#: with Oscar's unfiltered list: (prefix, target ratio).
FILTERED_TARGETS = (("search_", 1.0), ("filter_", 1.0), ("sort_", 1.0), ("deep_page", 1.0),
                    ("kanban_", 1.5))


def database_url(name: str) -> str:
    """The DATABASE_URL of a scratch database."""
    return f"{PG_SERVER}/{name}"


def psql(sql: str, database: str = "postgres") -> str:
    """Run one SQL statement with psql and return its unaligned output."""
    result = subprocess.run(["psql", database_url(database), "-XqtAc", sql], check=True,
                            capture_output=True, text=True)
    return result.stdout.strip()


def order_count(name: str) -> int | None:
    """Orders (with their workspace rows) in database ``name``; None if it is not usable."""
    if psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'") != "1":
        return None
    try:
        orders, processes = psql(
            "SELECT (SELECT COUNT(*) FROM order_order),"
            " (SELECT COUNT(*) FROM oscar_orders_ext_orderprocess)", name).split("|")
    except subprocess.CalledProcessError:  # not migrated
        return None
    return int(orders) if orders == processes else None


def manage(args: list[str], name: str) -> None:
    """Run a sandbox management command against database ``name``."""
    env = {**os.environ, "DATABASE_URL": database_url(name)}
    subprocess.run([PYTHON, str(ROOT / "sandbox" / "manage.py"), *args], env=env, check=True,
                   stdout=subprocess.DEVNULL)


def prepare(orders: int, reuse: bool, name: str | None = None, template: str = "") -> str:
    """A migrated, seeded and analysed database holding ``orders`` orders; its name."""
    name = name or f"{DB_PREFIX}_{orders}"
    if template and not (reuse and order_count(name) == orders):
        source = template.format(orders=orders)
        print(f"Copying {source} to {name}…", flush=True)
        psql(f"DROP DATABASE IF EXISTS {name}")
        psql(f"CREATE DATABASE {name} TEMPLATE {source}")
        reuse = True
    if reuse and order_count(name) == orders:
        print(f"Reusing {name} ({orders} orders); applying new migrations.", flush=True)
        manage(["migrate", "--noinput"], name)  # the app may have changed since it was seeded
        psql("VACUUM ANALYZE", name)
        return name
    print(f"Creating {name} and seeding {orders} orders…", flush=True)
    psql(f"DROP DATABASE IF EXISTS {name}")
    psql(f"CREATE DATABASE {name}")
    manage(["migrate", "--noinput"], name)
    started = time.perf_counter()
    manage(["seed_demo", "--orders", str(orders)], name)
    print(f"  seeded in {time.perf_counter() - started:.0f} s", flush=True)
    psql("VACUUM ANALYZE", name)  # autovacuum may be off or late: settle the visibility map
    return name


def measure(name: str, pages: str, repeat: int, warmup: int, explain: int, only: str = ""
            ) -> dict[str, Any]:
    """Time the pages in a child process; its results by page key."""
    env = {**os.environ, "DATABASE_URL": database_url(name),
           "DJANGO_SETTINGS_MODULE": "sandbox.settings"}
    command = [PYTHON, str(ROOT / "benchmarks" / "_measure_pages.py"), "--pages", pages,
               "--repeat", str(repeat), "--warmup", str(warmup), "--explain", str(explain),
               "--only", only]
    result = subprocess.run(command, env=env, check=True, stdout=subprocess.PIPE, text=True)
    return {page["key"]: page for page in json.loads(result.stdout)["pages"]}


def print_pages(results: dict[str, Any]) -> None:
    """One line per page: median, min, queries, SQL time, HTML size."""
    print(f"{'page':<40} {'median ms':>10} {'min ms':>8} {'queries':>8} {'SQL ms':>7} "
          f"{'KB':>5}")
    for page in results.values():
        print(f"{page['label']:<40} {page['median_ms']:>10.1f} {page['min_ms']:>8.1f} "
              f"{page['queries']:>8} {page['sql_ms']:>7.1f} {page['kilobytes']:>5.0f}")


def print_ratio(label: str, ours: dict[str, Any], theirs: dict[str, Any], target: float
                ) -> None:
    """A ratio of medians with the target beside it, and the ratio of minimums."""
    ratio = ours["median_ms"] / theirs["median_ms"]
    verdict = "met" if ratio <= target else "NOT met"
    fastest = ours["min_ms"] / theirs["min_ms"]
    print(f"{label:<40} {ratio:>6.2f}x   target <= {target:.1f}x  {verdict:<8} "
          f"(mins: {fastest:.2f}x)")


def print_filtered(pages: dict[str, Any]) -> None:
    """Each filter, search, sort, deep page and filtered board against Oscar's list."""
    for key, page in pages.items():
        target = next((target for prefix, target in FILTERED_TARGETS if key.startswith(prefix)),
                      None)
        if target is not None:
            print_ratio(page["label"][:40], page, pages["oscar"], target)


def print_plans(results: dict[str, Any]) -> None:
    """The slowest queries of each page with their EXPLAIN ANALYZE."""
    for page in results.values():
        for query in page["slowest"]:
            print(f"\n--- {page['label']}: {query['ms']:.1f} ms\n{query['sql']}\n"
                  f"params: {query['params']}\n{query['plan']}")


def main() -> None:
    """Prepare the database(s), time the pages and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=2, help="untimed requests first")
    parser.add_argument("--keep", action="store_true", help="do not drop the database(s)")
    parser.add_argument("--reuse", action="store_true",
                        help="skip seeding a database that already holds the orders")
    parser.add_argument("--scale", action="store_true",
                        help="compare our table at --orders-large vs --orders-small")
    parser.add_argument("--orders-small", type=int, default=10_000)
    parser.add_argument("--orders-large", type=int, default=1_000_000)
    parser.add_argument("--database", default=None, metavar="NAME",
                        help="the scratch database's name (one size only; default "
                             f"{DB_PREFIX}_<orders>), so that two runs never share one")
    parser.add_argument("--database-small", default=None, metavar="NAME",
                        help="with --scale: the small size's database")
    parser.add_argument("--database-large", default=None, metavar="NAME",
                        help="with --scale: the large size's database")
    parser.add_argument("--template", default="", metavar="NAME",
                        help="copy this seeded database ({orders}: the size) instead of seeding")
    parser.add_argument("--explain", type=int, default=0, metavar="N",
                        help="print EXPLAIN ANALYZE of the N slowest queries of each page")
    parser.add_argument("--only", default="", metavar="KEYS",
                        help="time only the pages whose key starts with one of these "
                             "(comma-separated, e.g. search_sku,search_title), beside Oscar's list")
    options = parser.parse_args()
    sizes = [options.orders_small, options.orders_large] if options.scale else [options.orders]

    names: list[str] = []
    try:
        chosen = ([options.database_small, options.database_large] if options.scale
                  else [options.database])
        for orders, database in zip(sizes, chosen):  # seed first: sizes measured back to back
            names.append(prepare(orders, options.reuse, database, options.template))
        results = {orders: measure(name, "scale" if options.scale else "main", options.repeat,
                                   options.warmup, options.explain, options.only)
                   for orders, name in zip(sizes, names)}
    finally:
        for name in names if not options.keep else []:
            psql(f"DROP DATABASE IF EXISTS {name}")

    print(f"\n{options.repeat} timed GETs per page, in rounds, after {options.warmup} "
          "warm-ups; queries, SQL ms and KB from one extra request.")
    for orders, pages in results.items():
        print(f"\n{orders:,} orders (PostgreSQL)")
        print_pages(pages)
    print()
    if options.scale:
        small, large = results[options.orders_small], results[options.orders_large]
        label = f"{options.orders_large:,} / {options.orders_small:,} orders"
        print(f"At {label}:")
        for key, page in large.items():
            if key != "oscar" and key in small:
                print_ratio(page["label"], page, small[key], SCALE_TARGET)
        ratio = large["oscar"]["median_ms"] / small["oscar"]["median_ms"]
        print(f"{'Oscar list: ' + label:<40} {ratio:>6.2f}x   (for comparison)")
        for orders, pages in results.items():
            print(f"\nAt {orders:,} orders, against Oscar's list:")
            print_filtered(pages)
    else:
        pages = results[options.orders]
        for label, ours, theirs, target in RATIOS:
            if ours in pages and theirs in pages:  # (--only may leave them out)
                print_ratio(label, pages[ours], pages[theirs], target)
        print_filtered(pages)
    if options.explain:
        for pages in results.values():
            print_plans(pages)


if __name__ == "__main__":
    main()
