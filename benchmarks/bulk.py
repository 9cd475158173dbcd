"""Bulk actions on the worker, Oscar's change-status POST and checkout's order placement with
and without the app, and the order page beside Oscar's order detail, on a seeded PostgreSQL
database (issue 18).

    .venv/bin/python benchmarks/bulk.py                       # 100,000 orders
    .venv/bin/python benchmarks/bulk.py --keep --reuse        # seed once, then reuse

The database ``ooe_bench_bulk_<N>`` is prepared as ``workspace.py`` prepares its own (bulk
actions change its orders: reuse it only to re-measure). The measurements run in a child
process (``_measure_bulk.py``) with the sandbox settings, logged in as the demo superuser.
Prints figures and ratios with their targets beside them, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from workspace import PYTHON, ROOT, database_url, prepare, psql  # noqa: E402

DB_PREFIX = "ooe_bench_bulk"


def main() -> None:
    """Prepare the database, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--states", type=int, default=3000)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="then profile N more runs of each side of posts and placements "
                             "(cProfile, printed on stderr; see _measure_bulk.py)")
    parser.add_argument("--only", default="",
                        help="parts to measure, as _measure_bulk.py takes them "
                             "(e.g. posts,placements or compare,set-based)")
    options = parser.parse_args()
    name = prepare(options.orders, options.reuse, f"{DB_PREFIX}_{options.orders}")
    try:
        env = {**os.environ, "DATABASE_URL": database_url(name),
               "DJANGO_SETTINGS_MODULE": "sandbox.settings"}
        result = subprocess.run(
            [PYTHON, str(ROOT / "benchmarks" / "_measure_bulk.py"), "--repeat",
             str(options.repeat), "--states", str(options.states),
             *(["--only", options.only] if options.only else []),
             *(["--profile", str(options.profile)] if options.profile else [])],
            env=env, check=True, stdout=subprocess.PIPE, text=True)
    finally:
        if not options.keep:
            psql(f"DROP DATABASE IF EXISTS {name}")
    data = json.loads(result.stdout)
    print(f"\n{options.orders:,} orders (PostgreSQL)\n")
    pages = data.get("order_page")
    if pages:
        ratio = pages["ours"]["median_ms"] / pages["oscar"]["median_ms"]
        print(f"order page: ours {pages['ours']['median_ms']:.1f} ms "
              f"({pages['ours']['queries']} queries, {pages['ours']['kilobytes']:.0f} KB), "
              f"Oscar's order detail {pages['oscar']['median_ms']:.1f} ms "
              f"({pages['oscar']['queries']} queries): {ratio:.2f}x, target <= 1.0x")
    for key, label in (("status_post", "Oscar's change-status POST"),
                       ("placements", "checkout's order placement")):
        sides = data.get(key)
        if not sides:
            continue
        with_app, alone = sides["with_app"], sides["without_app"]
        ratio = with_app["median_ms"] / alone["median_ms"]
        print(f"{label}: {with_app['median_ms']:.1f} ms with the app, "
              f"{alone['median_ms']:.1f} ms without: {ratio:.2f}x (target <= 1.1x); queries "
              f"{with_app['queries']} vs {alone['queries']} "
              f"(+{with_app['queries'] - alone['queries']}, target <= +3)")
        if "sql_ms" in with_app:
            print(f"  in the database {with_app['sql_ms']:.1f} vs {alone['sql_ms']:.1f} ms, "
                  f"the rest (Python) {with_app['python_ms']:.1f} vs "
                  f"{alone['python_ms']:.1f} ms (medians)")
    placed = data.get("placements")
    if placed:
        upkeep = placed.get("worker_upkeep")
        if upkeep:
            print(f"  then on the worker, per order: the buyer's recount and tag rules "
                  f"{upkeep['median_ms']:.1f} ms (median of {upkeep['orders']})")
    compare = data.get("set_based_compare")
    if compare:
        print(f"\n{'set-based, side by side':<24} {'previous s':>10} {'now s':>8} "
              f"{'ratio':>6} {'changed':>8} {'statements (previous / now)':>28}")
        for key, row in compare.items():
            print(f"{key:<24} {row['previous']['seconds']:>10.2f} {row['now']['seconds']:>8.2f} "
                  f"{row['ratio']:>5.1f}x {row['now']['changed']:>8} "
                  f"{row['previous']['statements']:>13} / {row['now']['statements']}")
    bulk = data.get("bulk")
    if bulk:
        print(f"\n{'bulk action':<34} {'request ms':>10} {'orders':>8} {'changed':>8} "
              f"{'seconds':>8} {'orders/s':>9} {'statements':>10}")
        for key, row in bulk.items():
            print(f"{key:<34} {row.get('request_ms', 0):>10.1f} {row['total']:>8} "
                  f"{row.get('changed', row['total']):>8} {row['seconds']:>8.1f} "
                  f"{row['per_second']:>9.0f} {row.get('statements', ''):>10}")
        print("targets: request < 200 ms; add/remove tag and mark paid on 100,000 orders "
              "<= 10 s; state changes >= 300 orders/s")


if __name__ == "__main__":
    main()
