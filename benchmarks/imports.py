"""Import throughput: a generated Shopify export imported into PostgreSQL.

    .venv/bin/python benchmarks/imports.py                   # 100,000 orders
    .venv/bin/python benchmarks/imports.py --orders 20000 --profile tottime
    .venv/bin/python benchmarks/imports.py --orders 1000000  # and 10,000 and 100,000 beside it

With ``--orders`` above 100,000 the same run first imports 10,000 and 100,000 orders (each
into a fresh copy of the migrated database) and prints the ratios the flat-memory target
reads: peak RSS at N minus peak RSS at 10,000, and time at N over 10 × the time at 100,000.
The file is written to disk row by row and the child reads it as the dashboard's job does
(``plan_import`` on the open file: streamed, the dry run's orders spooled to disk), then
commits the spooled plan.

Creates (drops first) the scratch database ``ooe_bench_imports``, migrates it with the sandbox
settings, generates a Shopify-format CSV (1–3 line items per order, a customer per three
orders, discounts, notes, tags, unknown SKUs) and imports it in a child process through the
service the dashboard uses (``plan_import`` then ``commit_import``). Prints orders/s for the
dry run, the commit and both, the CPU time of the child and of its PostgreSQL backend (when
the server runs on this machine: read from /proc), and the child's peak RSS. The target
(5,000 orders/s) is shown, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from workspace import database_url, manage, psql  # noqa: E402

sys.path.insert(0, str(ROOT))
from tests.imports.shopify_file import write_shopify_export  # noqa: E402

DATABASE = "ooe_bench_imports"
IN_MEMORY = "--in-memory" in sys.argv
TARGET = 5000

def cpu_seconds() -> float:
    """CPU time of this process (the machine is shared: wall time includes waiting for it)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def server_cpu_seconds() -> float | None:
    """CPU time of this connection's PostgreSQL backend, when the server runs on this machine."""
    from django.db import connection

    connection.ensure_connection()
    try:
        with open(f"/proc/{connection.connection.info.backend_pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def child(orders: int, profile: str, path: str) -> dict[str, Any]:
    """Runs in the child process: dry run of the file at ``path``, commit; the figures."""
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "sandbox"))
    import django

    django.setup()
    from django.conf import settings
    from oscar.test import factories

    from oscar_orders_ext.imports.service import commit_import, plan_import

    for line in (1, 2):
        factories.create_product(partner_sku=f"SKU-{line}")
    size = os.path.getsize(path)
    settings.OSCAR_ORDERS_EXT_IMPORT_MAX_BYTES = size + 1
    settings.OSCAR_ORDERS_EXT_IMPORT_MAX_ROWS = 3 * orders
    handle = open(path, "rb")  # noqa: SIM115 -- read again by the re-import below
    started, started_cpu, started_server = time.perf_counter(), cpu_seconds(), server_cpu_seconds()
    # --in-memory: the bytes, as before this branch (to benchmark an older tree's code).
    plan = plan_import(handle.read() if IN_MEMORY else handle, "orders_export.csv")
    planned, planned_cpu, planned_server = time.perf_counter(), cpu_seconds(), server_cpu_seconds()
    if profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        result = profiler.runcall(commit_import, plan)
        pstats.Stats(profiler, stream=sys.stderr).sort_stats(profile).print_stats(60)
    else:
        result = commit_import(plan)
    committed, committed_cpu, committed_server = (time.perf_counter(), cpu_seconds(),
                                                  server_cpu_seconds())
    assert not plan.errors and result.orders_created == orders, (plan.errors[:3], result)
    again = time.perf_counter()
    handle.seek(0)
    assert plan_import(handle.read() if IN_MEMORY else handle,
                       "orders_export.csv").counts.orders_to_create == 0
    replanned = time.perf_counter()
    handle.close()
    return {"orders": orders, "megabytes": size / 1e6, "plan": planned - started,
            "commit": committed - planned, "replan": replanned - again,
            "plan_cpu": planned_cpu - started_cpu, "commit_cpu": committed_cpu - planned_cpu,
            "plan_server": _difference(planned_server, started_server),
            "commit_server": _difference(committed_server, planned_server),
            "lines": result.lines_created, "customers": result.customers_created,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _difference(after: float | None, before: float | None) -> float | None:
    return None if after is None or before is None else after - before


def run(orders: int, options: argparse.Namespace, template: str) -> dict[str, Any]:
    """Import ``orders`` generated orders in a child process, into a fresh copy of
    ``template``; the child's figures."""
    database = f"{options.database}_run"
    psql(f"DROP DATABASE IF EXISTS {database}")
    psql(f"CREATE DATABASE {database} TEMPLATE {template}")
    with tempfile.NamedTemporaryFile("w", suffix=".csv", newline="") as export:
        write_shopify_export(export, orders, customers=max(1, orders // 3))
        export.flush()
        try:
            env = dict(os.environ, DATABASE_URL=database_url(database),
                       DJANGO_SETTINGS_MODULE="sandbox.settings")
            command = [sys.executable, __file__, "--child", "--orders", str(orders),
                       "--file", export.name, *(["--in-memory"] if IN_MEMORY else [])]
            if options.profile:
                command += ["--profile", options.profile]
            output = subprocess.run(command, env=env, check=True, capture_output=True,
                                    text=True, cwd=ROOT)
            if options.profile:
                print(output.stderr)
            figures: dict[str, Any] = json.loads(output.stdout.strip().splitlines()[-1])
        finally:
            if not options.keep:
                psql(f"DROP DATABASE IF EXISTS {database}")
    return figures


def report(figures: dict[str, Any]) -> None:
    """Print one run's figures."""
    orders = figures["orders"]
    total = figures["plan"] + figures["commit"]
    print(f"{orders} orders, {figures['lines']} lines, {figures['customers']} customers, "
          f"{figures['megabytes']:.1f} MB CSV")
    servers = (figures["plan_server"], figures["commit_server"])
    both_server = None if None in servers else sum(servers)
    for label, wall, cpu, server in (
            ("dry run", figures["plan"], figures["plan_cpu"], servers[0]),
            ("commit", figures["commit"], figures["commit_cpu"], servers[1]),
            ("both", total, figures["plan_cpu"] + figures["commit_cpu"], both_server)):
        server_text = "" if server is None else f", PostgreSQL CPU {server:5.1f} s"
        print(f"{label:9} {wall:7.1f} s  {orders / wall:8.0f} orders/s   "
              f"(Python CPU {cpu:5.1f} s: {orders / cpu:6.0f} orders per CPU-second"
              f"{server_text})")
    print(f"re-import dry run {figures['replan']:.1f} s; peak RSS {figures['peak_mb']:.0f} MB; "
          f"load average {os.getloadavg()[0]:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--profile", default="", help="tottime or cumtime: profile the commit")
    parser.add_argument("--keep", action="store_true", help="keep the scratch databases")
    parser.add_argument("--database", default=DATABASE, help="scratch database name prefix")
    parser.add_argument("--references", default="",
                        help="sizes imported first in the same run (default above 100,000 "
                             "orders: 10000,100000)")
    parser.add_argument("--template", default="",
                        help="copy this database (then migrate it) instead of migrating an "
                             "empty one, e.g. bench_tpl_100000")
    parser.add_argument("--in-memory", action="store_true",
                        help="hand the file's bytes to plan_import (older trees' API)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--file", default="", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        print(json.dumps(child(options.orders, options.profile, options.file)))
        return

    references = [int(size) for size in options.references.split(",") if size] or (
        [10_000, 100_000] if options.orders > 100_000 else [])
    load_before = os.getloadavg()[0]
    template = f"{options.database}_tpl"
    psql(f"DROP DATABASE IF EXISTS {template}")
    psql(f"CREATE DATABASE {template}" + (f" TEMPLATE {options.template}"
                                          if options.template else ""))
    results: dict[int, dict[str, Any]] = {}
    try:
        manage(["migrate", "--noinput", "-v", "0"], template)
        for orders in [*references, options.orders]:
            results[orders] = figures = run(orders, options, template)
            report(figures)
            print()
    finally:
        psql(f"DROP DATABASE IF EXISTS {template}")
    print(f"target {TARGET} orders/s overall; load average {load_before:.1f} before, "
          f"{os.getloadavg()[0]:.1f} after ({os.cpu_count()} CPUs)")
    largest = results[options.orders]
    if 10_000 in results and options.orders != 10_000:
        growth = largest["peak_mb"] - results[10_000]["peak_mb"]
        print(f"peak RSS at {options.orders} orders: {largest['peak_mb']:.0f} MB, "
              f"{growth:+.0f} MB over 10,000 orders (target: at most +150 MB)")
    if 100_000 in results and options.orders > 100_000:
        def wall(figures: dict[str, Any]) -> float:
            return float(figures["plan"] + figures["commit"])
        ratio = wall(largest) / wall(results[100_000])
        print(f"time at {options.orders} orders: {ratio:.2f} × the time at 100,000 "
              f"(linear: {options.orders / 100_000:.1f}; target at most "
              f"{options.orders / 100_000 * 1.05:.1f})")


if __name__ == "__main__":
    main()
