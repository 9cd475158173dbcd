"""Where a set-based bulk batch spends its time (issue 18): one batch of each set-based
action on ``--orders`` orders of a seeded PostgreSQL database, every statement that writes
the process, its tag links or its timeline shown with ``EXPLAIN (ANALYZE, BUFFERS)`` (the
triggers' times included, the foreign keys' checks too), then run for real and timed;
everything is rolled back at the end.

    DATABASE_URL=postgres://…/copy_of_bench_tpl .venv/bin/python benchmarks/bulk_explain.py
    … --actions mark_paid --orders 10000 --plans      # print the plans too

Prints, per action, each statement's wall time, the triggers' times from its plan, and the
Python time of the batch outside SQL. Needs a copy of a seeded database (it writes, then
rolls back: dead rows remain until the next ``VACUUM``).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox.settings")

WRITES = re.compile(r"^\s*(WITH|UPDATE|INSERT|DELETE|SELECT count)", re.IGNORECASE)


def main() -> None:
    """Explain and time one batch of each action, then roll everything back."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--actions", default="add_tag,remove_tag,mark_paid,mark_unpaid")
    parser.add_argument("--plans", action="store_true", help="print the whole plans")
    options = parser.parse_args()
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from oscar_orders_ext.models import OrderProcess, Tag
    from oscar_orders_ext.services.bulk import run_set_based, set_based_action

    user = get_user_model().objects.get(username="demo")
    explaining = False
    sql_seconds = explain_seconds = 0.0

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal explaining, sql_seconds, explain_seconds
        if explaining:
            return execute(sql, params, many, context)
        if WRITES.match(sql) and "EXPLAIN" not in sql:
            raw = context["cursor"].cursor
            explaining, explain_started = True, time.perf_counter()
            try:
                raw.execute("SAVEPOINT explained")
                # The foreign keys' checks (deferred to the commit otherwise) in the plan too.
                raw.execute("SET CONSTRAINTS ALL IMMEDIATE")
                raw.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                plan = [row[0] for row in raw.fetchall()]
                raw.execute("ROLLBACK TO SAVEPOINT explained")
                raw.execute("SET CONSTRAINTS ALL DEFERRED")
            finally:
                explaining = False
                explain_seconds += time.perf_counter() - explain_started
            head = " ".join(sql.split())[:110]
            print(f"  -- {head}")
            for line in plan:
                if options.plans or "Trigger" in line or "Execution Time" in line:
                    print(f"     {line}")
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            elapsed = time.perf_counter() - started
            sql_seconds += elapsed
            if WRITES.match(sql):
                print(f"     real: {elapsed * 1000:.1f} ms")

    tag, _ = Tag.objects.get_or_create(name="bench-explain")
    pks = list(OrderProcess.objects.order_by("pk").values_list("pk", flat=True)[:options.orders])
    with transaction.atomic():
        for action in options.actions.split(","):
            target = {"tag": tag} if "tag" in action else {}
            kind, batch = set_based_action(action, user=user, **target)
            print(f"{action} on {len(pks)} orders, one batch")
            sql_seconds = explain_seconds = 0.0
            started = time.perf_counter()
            with connection.execute_wrapper(wrapper):
                report = run_set_based(pks, action, batch, kind=kind, user=user,
                                       batch_size=len(pks))
            total = time.perf_counter() - started
            python = total - sql_seconds - explain_seconds
            print(f"  changed {report.done}: SQL {sql_seconds:.2f} s, Python {python:.2f} s "
                  f"(the EXPLAIN runs, {explain_seconds:.2f} s, left out)")
        transaction.set_rollback(True)


if __name__ == "__main__":
    main()
