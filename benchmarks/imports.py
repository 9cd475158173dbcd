"""Import throughput: a generated Shopify export imported into PostgreSQL.

    .venv/bin/python benchmarks/imports.py                   # 100,000 orders
    .venv/bin/python benchmarks/imports.py --orders 20000 --profile tottime

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
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from workspace import database_url, manage, psql  # noqa: E402

sys.path.insert(0, str(ROOT))
from tests.imports.shopify_file import generated_shopify_export  # noqa: E402

DATABASE = "ooe_bench_imports"
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


def child(orders: int, profile: str) -> dict[str, Any]:
    """Runs in the child process: generate, dry run, commit; returns the figures."""
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "sandbox"))
    import django

    django.setup()
    from django.conf import settings
    from oscar.test import factories

    from oscar_orders_ext.imports.service import commit_import, plan_import

    for line in (1, 2):
        factories.create_product(partner_sku=f"SKU-{line}")
    data = generated_shopify_export(orders, customers=max(1, orders // 3))
    settings.OSCAR_ORDERS_EXT_IMPORT_MAX_BYTES = len(data) + 1
    started, started_cpu, started_server = time.perf_counter(), cpu_seconds(), server_cpu_seconds()
    plan = plan_import(data, "orders_export.csv")
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
    assert plan_import(data, "orders_export.csv").counts.orders_to_create == 0
    replanned = time.perf_counter()
    return {"orders": orders, "megabytes": len(data) / 1e6, "plan": planned - started,
            "commit": committed - planned, "replan": replanned - again,
            "plan_cpu": planned_cpu - started_cpu, "commit_cpu": committed_cpu - planned_cpu,
            "plan_server": _difference(planned_server, started_server),
            "commit_server": _difference(committed_server, planned_server),
            "lines": result.lines_created, "customers": result.customers_created,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _difference(after: float | None, before: float | None) -> float | None:
    return None if after is None or before is None else after - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--profile", default="", help="tottime or cumtime: profile the commit")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        print(json.dumps(child(options.orders, options.profile)))
        return

    load_before = os.getloadavg()[0]
    psql(f"DROP DATABASE IF EXISTS {DATABASE}")
    psql(f"CREATE DATABASE {DATABASE}")
    try:
        manage(["migrate", "--noinput", "-v", "0"], DATABASE)
        env = dict(os.environ, DATABASE_URL=database_url(DATABASE),
                   DJANGO_SETTINGS_MODULE="sandbox.settings")
        command = [sys.executable, __file__, "--child", "--orders", str(options.orders)]
        if options.profile:
            command += ["--profile", options.profile]
        output = subprocess.run(command, env=env, check=True, capture_output=True, text=True,
                                cwd=ROOT)
        if options.profile:
            print(output.stderr)
        figures = json.loads(output.stdout.strip().splitlines()[-1])
    finally:
        if not options.keep:
            psql(f"DROP DATABASE IF EXISTS {DATABASE}")
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
    print(f"target {TARGET} orders/s overall")
    print(f"re-import dry run {figures['replan']:.1f} s; peak RSS {figures['peak_mb']:.0f} MB; "
          f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after "
          f"({os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
