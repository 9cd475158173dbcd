"""Import throughput: a generated Shopify export imported into PostgreSQL.

    .venv/bin/python benchmarks/imports.py                   # 100,000 orders
    .venv/bin/python benchmarks/imports.py --orders 20000 --profile tottime
    .venv/bin/python benchmarks/imports.py --orders 1000000  # and 10,000 and 100,000 beside it

With ``--orders`` above 100,000 the same run first imports 10,000 and 100,000 orders (each
into a fresh copy of the migrated database) and prints the ratios the flat-memory target
reads: peak RSS at N minus peak RSS at 10,000, and time at N over the time at 100,000.
``--baseline-tree PATH`` also imports 100,000 orders with another checkout's code (into a
copy of the same migrated template, the file's bytes handed to ``plan_import`` as that code
took them) in the same run, and prints this tree's throughput over that one's.
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


def peak_mb() -> float:
    """This process's peak RSS so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

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


def child(orders: int, profile: str, path: str, tree: Path = ROOT, reimport: bool = True,
          trace: bool = False, jobs: bool = False) -> dict[str, Any]:
    """Runs in the child process: dry run of the file at ``path``, commit; the figures."""
    sys.path.insert(0, str(tree))
    sys.path.insert(0, str(tree / "sandbox"))
    if trace:
        import tracemalloc

        tracemalloc.start(8)
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
    log = sys.stderr if trace or profile else open(os.devnull, "w")  # noqa: SIM115
    if os.environ.get("BENCH_IMPORTS_LOG"):  # a long run's progress, with the peak so far
        log = open(os.environ["BENCH_IMPORTS_LOG"], "a")  # noqa: SIM115

    def show(phase: str, done: int) -> None:
        print(f"{orders} orders, {phase}: {done} after {time.perf_counter() - started:.0f} s, "
              f"peak RSS {peak_mb():.0f} MB, load {os.getloadavg()[0]:.1f}", file=log,
              flush=True)

    if jobs:  # the dashboard's path: the upload stored, the dry-run job, the commit job
        return job_path(orders, path, size, show, started, started_cpu, started_server)
    # --in-memory: the bytes, as before this branch (to benchmark an older tree's code).
    plan = plan_import(handle.read() if IN_MEMORY else handle, "orders_export.csv",
                       **({} if IN_MEMORY else {"progress": lambda rows, _part: show(
                           "rows read", rows)}))
    planned, planned_cpu, planned_server = time.perf_counter(), cpu_seconds(), server_cpu_seconds()
    planned_peak = peak_mb()
    if trace:
        import gc

        before_commit = tracemalloc.take_snapshot()
        gc.collect()
        gc.disable()  # the cyclic garbage the commit leaves (its gc is paused) is counted below
    if profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        result = profiler.runcall(commit_import, plan)
        pstats.Stats(profiler, stream=sys.stderr).sort_stats(profile).print_stats(60)
    else:
        result = commit_import(plan, **({} if IN_MEMORY else {
            "progress": lambda done: show("orders written", done)}))
    committed, committed_cpu, committed_server = (time.perf_counter(), cpu_seconds(),
                                                  server_cpu_seconds())
    committed_peak = peak_mb()
    if trace:
        print(f"cyclic garbage left by the commit: {gc.collect()} objects", file=sys.stderr)
        gc.enable()
        # What the commit left behind, by where it was allocated (transient peaks are gone).
        stats = tracemalloc.take_snapshot().compare_to(before_commit, "traceback")
        for stat in stats[:12]:
            print(stat, *stat.traceback.format()[-6:], sep="\n  ", file=sys.stderr)
        current, peak = tracemalloc.get_traced_memory()
        print(f"tracemalloc: {current / 1e6:.0f} MB now, peak {peak / 1e6:.0f} MB",
              file=sys.stderr)
    assert not plan.errors and result.orders_created == orders, (plan.errors[:3], result)
    lines, customers = result.lines_created, result.customers_created
    del result  # its order ids: a caller keeps the job's counts, not the ids
    again = time.perf_counter()
    if reimport:
        handle.seek(0)
        assert plan_import(handle.read() if IN_MEMORY else handle,
                           "orders_export.csv").counts.orders_to_create == 0
    replanned = time.perf_counter()
    handle.close()
    return {"orders": orders, "megabytes": size / 1e6, "plan": planned - started,
            "commit": committed - planned, "replan": replanned - again if reimport else None,
            "plan_peak_mb": planned_peak, "commit_peak_mb": committed_peak,
            "plan_cpu": planned_cpu - started_cpu, "commit_cpu": committed_cpu - planned_cpu,
            "plan_server": _difference(planned_server, started_server),
            "commit_server": _difference(committed_server, planned_server),
            "lines": lines, "customers": customers, "peak_mb": peak_mb()}


def job_path(orders: int, path: str, size: int, show: Any, started: float, started_cpu: float,
             started_server: float | None) -> dict[str, Any]:
    """The import as the dashboard runs it, with whichever tree's ``jobs`` module is loaded:
    ``start_import`` with the upload (Django keeps a large one in a temporary file), the
    dry-run job (``run_plan``), then the commit job (``run_commit``: an older tree plans the
    stored file again there; this one streams the stored dry run back)."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import UploadedFile

    from oscar_orders_ext.imports import jobs
    from oscar_orders_ext.models import ImportJob

    settings.MEDIA_ROOT = tempfile.mkdtemp(prefix="ooe-bench-media-")
    user = get_user_model().objects.filter(is_superuser=True).first()
    with open(path, "rb") as handle:
        job = jobs.start_import(UploadedFile(handle, name="orders_export.csv", size=size), user)
    if job.status == ImportJob.Status.PLANNING:
        job = jobs.run_plan(job.pk)
    planned, planned_cpu, planned_server = time.perf_counter(), cpu_seconds(), server_cpu_seconds()
    planned_peak = peak_mb()
    assert job.status == ImportJob.Status.PLANNED and not job.error_count, job.errors[:3]
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING)
    job = jobs.run_commit(job.pk)
    committed, committed_cpu, committed_server = (time.perf_counter(), cpu_seconds(),
                                                  server_cpu_seconds())
    assert job.status == ImportJob.Status.DONE, job.message
    assert job.result["orders_created"] == orders, job.result
    return {"orders": orders, "megabytes": size / 1e6, "plan": planned - started,
            "commit": committed - planned, "replan": None,
            "plan_peak_mb": planned_peak, "commit_peak_mb": peak_mb(),
            "plan_cpu": planned_cpu - started_cpu, "commit_cpu": committed_cpu - planned_cpu,
            "plan_server": _difference(planned_server, started_server),
            "commit_server": _difference(committed_server, planned_server),
            "lines": job.result["lines_created"], "customers": job.result["customers_created"],
            "peak_mb": peak_mb()}


def _difference(after: float | None, before: float | None) -> float | None:
    return None if after is None or before is None else after - before


def run(orders: int, options: argparse.Namespace, template: str, *,
        tree: Path | None = None, reimport: bool = True) -> dict[str, Any]:
    """Import ``orders`` generated orders in a child process, into a fresh copy of
    ``template``; the child's figures. ``tree``: another checkout's code, given the bytes."""
    database = f"{options.database}_run"
    psql(f"DROP DATABASE IF EXISTS {database}")
    psql(f"CREATE DATABASE {database} TEMPLATE {template}")
    with tempfile.NamedTemporaryFile("w", suffix=".csv", newline="") as export:
        write_shopify_export(export, orders, customers=max(1, orders // 3))
        export.flush()
        try:
            env = dict(os.environ, DATABASE_URL=database_url(database),
                       DJANGO_SETTINGS_MODULE="sandbox.settings")
            if tree is not None:  # before the editable install of this tree
                env["PYTHONPATH"] = f"{tree}:{tree / 'sandbox'}"
            command = [sys.executable, __file__, "--child", "--orders", str(orders),
                       "--file", export.name]
            if IN_MEMORY or tree is not None:
                command.append("--in-memory")
            if tree is not None:
                command += ["--tree", str(tree)]
            if not reimport:
                command.append("--no-reimport")
            if options.jobs:
                command.append("--jobs")
            if options.profile:
                command += ["--profile", options.profile]
            if options.tracemalloc:
                command.append("--tracemalloc")
            output = subprocess.run(command, env=env, check=True, capture_output=True,
                                    text=True, cwd=tree or ROOT)
            if options.profile or options.tracemalloc:
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
    replan = "not run" if figures["replan"] is None else f"{figures['replan']:.1f} s"
    print(f"re-import dry run {replan}; peak RSS after the dry run "
          f"{figures.get('plan_peak_mb', 0):.0f} MB, after the commit "
          f"{figures.get('commit_peak_mb', 0):.0f} MB, overall {figures['peak_mb']:.0f} MB; "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)


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
    parser.add_argument("--baseline-tree", default="",
                        help="another checkout (e.g. a worktree of the code before the "
                             "streamed imports): import 100,000 orders with it too, in the "
                             "same run, for the throughput comparison")
    parser.add_argument("--no-reimport", action="store_true",
                        help="skip the re-import dry run after each commit")
    parser.add_argument("--tracemalloc", action="store_true",
                        help="print what the commit left allocated, by traceback")
    parser.add_argument("--jobs", action="store_true",
                        help="import as the dashboard does: the upload stored, then the "
                             "dry-run job and the commit job (an older tree plans the file "
                             "again in its commit job)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--file", default="", help=argparse.SUPPRESS)
    parser.add_argument("--tree", default="", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        print(json.dumps(child(options.orders, options.profile, options.file,
                               Path(options.tree) if options.tree else ROOT,
                               reimport=not options.no_reimport, trace=options.tracemalloc,
                               jobs=options.jobs)))
        return

    references = [int(size) for size in options.references.split(",") if size] or (
        [10_000, 100_000] if options.orders > 100_000 else [])
    load_before = os.getloadavg()[0]
    template = f"{options.database}_tpl"
    psql(f"DROP DATABASE IF EXISTS {template}")
    psql(f"CREATE DATABASE {template}" + (f" TEMPLATE {options.template}"
                                          if options.template else ""))
    results: dict[int, dict[str, Any]] = {}
    baseline: dict[str, Any] | None = None
    baseline_size = 100_000 if options.orders >= 100_000 else options.orders
    try:
        manage(["migrate", "--noinput", "-v", "0"], template)
        for orders in [*references, options.orders]:
            if options.baseline_tree and orders == baseline_size:  # right before ours
                baseline = run_baseline(Path(options.baseline_tree).resolve(), baseline_size,
                                        options, template)
            print(f"this tree, {orders} orders:", flush=True)
            results[orders] = figures = run(
                orders, options, template,
                reimport=not options.no_reimport or orders != options.orders)
            report(figures)
            print()
    finally:
        psql(f"DROP DATABASE IF EXISTS {template}")
    print(f"target {TARGET} orders/s overall; load average {load_before:.1f} before, "
          f"{os.getloadavg()[0]:.1f} after ({os.cpu_count()} CPUs)")
    largest = results[options.orders]
    if 10_000 in results and options.orders != 10_000:
        small = results[10_000]
        growth = largest["peak_mb"] - small["peak_mb"]
        print(f"peak RSS at {options.orders} orders: {largest['peak_mb']:.0f} MB, "
              f"{growth:+.0f} MB over 10,000 orders (target: at most +150 MB); after the dry "
              f"run {largest['plan_peak_mb'] - small['plan_peak_mb']:+.0f} MB, after the "
              f"commit {largest['commit_peak_mb'] - small['commit_peak_mb']:+.0f} MB")
        for size in sorted(results):
            print(f"  {size:>9} orders: peak RSS {results[size]['peak_mb']:.0f} MB")

    def wall(figures: dict[str, Any]) -> float:
        return float(figures["plan"] + figures["commit"])

    if 100_000 in results and options.orders > 100_000:
        ratio = wall(largest) / wall(results[100_000])
        print(f"time at {options.orders} orders: {ratio:.2f} × the time at 100,000 "
              f"(linear: {options.orders / 100_000:.1f}; target at most "
              f"{options.orders / 100_000 * 1.05:.1f}); dry run "
              f"{largest['plan'] / results[100_000]['plan']:.2f} ×, commit "
              f"{largest['commit'] / results[100_000]['commit']:.2f} ×")
    if baseline is not None and baseline_size in results:
        ours = results[baseline_size]
        print(f"throughput at {baseline_size} orders: {baseline_size / wall(ours):.0f} orders/s "
              f"here, {baseline_size / wall(baseline):.0f} orders/s with the baseline tree "
              f"({wall(baseline) / wall(ours):.2f} ×; target at least 1); peak RSS "
              f"{ours['peak_mb']:.0f} vs {baseline['peak_mb']:.0f} MB")


def run_baseline(tree: Path, orders: int, options: argparse.Namespace,
                 template: str) -> dict[str, Any]:
    """Import ``orders`` orders with another checkout's code into a copy of the same template
    (migrated by this tree: the same indexes and triggers; the older code must not need what
    it lacks)."""
    print(f"baseline tree {tree}, {orders} orders (in memory):", flush=True)
    figures = run(orders, options, template, tree=tree)
    report(figures)
    print()
    return figures


if __name__ == "__main__":
    main()
