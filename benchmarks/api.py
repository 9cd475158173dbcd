"""Time the JSON API against the pages doing the same thing, on a seeded PostgreSQL database.

    .venv/bin/python benchmarks/api.py                       # 100,000 orders
    .venv/bin/python benchmarks/api.py --database NAME --keep --reuse
    .venv/bin/python benchmarks/api.py --database NAME --keep --reuse --only webhooks

Compares, in one run: the staff list endpoint with our table page and Oscar's order list; one
order through the API with our order page and Oscar's order detail; the customer's "my orders"
endpoint with Oscar's account order list; a workflow move with 0, 1 and 5 webhook endpoints
listening (the overhead each delivery adds to a transition: target under 2 ms), the task
written by the deliveries' statement, by django-tasks-db's ``enqueue`` (as before) or not at
all, in the same rounds; and one process's webhook delivery throughput to a local receiver
(``--only webhooks``: those two alone, a minute on a seeded database). The database is prepared as
``benchmarks/workspace.py`` does (``--reuse`` keeps one already seeded); the requests run in a
child process (``_measure_api.py``) with the sandbox settings. Prints figures only: the targets
are shown next to the ratios, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import workspace  # noqa: E402  (the sibling script: database preparation)

#: (label, ours, theirs, target ratio).
RATIOS = [
    ("API staff list / our table", "api_list", "table", 1.0),
    ("API staff list / Oscar list", "api_list", "oscar_list", 1.0),
    ("API staff list + summary / our table", "api_list_summary", "table", 1.0),
    ("API staff order / our order page", "api_detail", "page", 1.0),
    ("API staff order / Oscar order detail", "api_detail", "oscar_detail", 1.0),
    ("API my orders / Oscar account list", "api_mine", "oscar_account", 1.0),
]
MOVE_TARGET_MS = 2.0


def measure(name: str, repeat: int, deliveries: int, only: str | None = None
            ) -> dict[str, Any]:
    """Run the child process on database ``name``; its results."""
    env = {**os.environ, "DATABASE_URL": workspace.database_url(name),
           "DJANGO_SETTINGS_MODULE": "sandbox.settings"}
    command = [sys.executable, str(ROOT / "benchmarks" / "_measure_api.py"),
               "--repeat", str(repeat), "--deliveries", str(deliveries),
               *(["--only", only] if only else [])]
    result = subprocess.run(command, env=env, check=True, stdout=subprocess.PIPE, text=True)
    return dict(json.loads(result.stdout))


def report(results: dict[str, Any]) -> None:
    """Print the pages, the ratios, the moves and the throughput."""
    pages = {page["key"]: page for page in results["pages"]}
    if pages:
        print(f"\n{'request':<36} {'median ms':>10} {'min ms':>8} {'queries':>8} {'KB':>6}")
        for page in pages.values():
            print(f"{page['label']:<36} {page['median_ms']:>10.1f} {page['min_ms']:>8.1f} "
                  f"{page['queries']:>8} {page['kilobytes']:>6.1f}")
        print()
        for label, ours, theirs, target in RATIOS:
            workspace.print_ratio(label, pages[ours], pages[theirs], target)
    print(f"\n{'endpoints listening':<30} {'move median ms':>15} {'min ms':>8} {'queries':>8} "
          f"{'added ms':>9} {'recording ms':>13} {'recording min':>14} {'own commit ms':>14}")
    for move in results["moves"]:
        print(f"{move['label']:<30} {move['median_ms']:>15.2f} {move['min_ms']:>8.2f} "
              f"{move['queries']:>8} {move['added_median_ms']:>+9.2f} "
              f"{move['emit_median_ms']:>13.2f} {move['emit_min_ms']:>14.2f} "
              f"{move['own_commit_median_ms']:>14.2f}")
    base = results["moves"][0]
    print("(added: the move minus the same round's move without endpoints, median; recording:"
          " the event's deliveries and task inside the transaction, before the shared commit;"
          " own commit: the same in a transaction of its own; 'task by enqueue': the task row"
          " written by django-tasks-db's enqueue, as before; 'no task': deliveries alone)")
    for move in results["moves"][1:]:
        # The event's cost on the move: what one more event with its deliveries adds.
        whole = max(move["added_median_ms"], move["emit_median_ms"] - base["emit_median_ms"])
        verdict = "met" if whole < MOVE_TARGET_MS else "NOT met"
        print(f"{move['label']} endpoint(s): the event adds {move['added_median_ms']:.2f} ms "
              f"to the move ({move['queries'] - base['queries']:+d} queries), its recording "
              f"{move['emit_median_ms']:.2f} ms; per delivery "
              f"{whole / move['endpoints']:.2f} ms (target: a delivery adds < "
              f"{MOVE_TARGET_MS:.0f} ms to a transition: {verdict})")
    print(f"one SELECT 1 round trip to PostgreSQL (the floor, same run): "
          f"{base['round_trip_ms']:.2f} ms median")
    flow = results["throughput"]
    print(f"\nwebhook deliveries, one process: {flow['deliveries']} in {flow['seconds']:.2f} s "
          f"= {flow['per_second']:.0f}/s")


def main() -> None:
    """Prepare the database, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--database", default="", help="default: ooe_bench_api_<orders>")
    parser.add_argument("--keep", action="store_true", help="do not drop the database")
    parser.add_argument("--reuse", action="store_true",
                        help="skip seeding a database that already holds the orders")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--deliveries", type=int, default=500)
    parser.add_argument("--only", choices=["webhooks"], default=None,
                        help="webhooks: only the moves with endpoints and the throughput")
    parser.add_argument("--template", default="",
                        help="copy this database (e.g. bench_tpl_100000) instead of seeding")
    options = parser.parse_args()
    name = workspace.prepare(options.orders, options.reuse,
                             options.database or f"ooe_bench_api_{options.orders}",
                             template=options.template)
    try:
        report(measure(name, options.repeat, options.deliveries, options.only))
    finally:
        if not options.keep:
            workspace.psql(f"DROP DATABASE IF EXISTS {name}")


if __name__ == "__main__":
    main()
