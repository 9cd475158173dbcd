"""A large export through the task worker against the same export written inline, in one run.

    .venv/bin/python benchmarks/worker_export.py [--orders 100000] [--format csv|xlsx]
        [--database ooe_bench_worker] [--reuse] [--keep]

Seeds a scratch PostgreSQL database (``seed_demo``'s bulk path; ``--reuse`` keeps one), writes
the export of every order inline (``write_export`` in this process), then asks for it as the
dashboard does (a request through Django's test client, ``EXPORT_SYNC_LIMIT`` 0) with one
``db_worker`` process running, and prints: the request's time (it only queues the job), the
job's wall time from the request to "done", the worker's own time and rows/s, and the ratio to
the inline rows/s. Figures go to docs/benchmarks.md; nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scaleout import (MANAGE, SERVER, Processes, drop_database, environment,  # noqa: E402
                      prepare_database, reachable)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    parser.add_argument("--database", default="ooe_bench_worker")
    parser.add_argument("--server", default=SERVER)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    if not reachable("127.0.0.1", 5432):
        print("PostgreSQL is not reachable on 127.0.0.1:5432.")
        return 2
    args.redis = ""
    work = Path(tempfile.mkdtemp(prefix="ooe-worker-export-"))
    (work / "static").mkdir()
    env = environment(args, str(work / "media"), str(work / "static"))
    prepare_database(args, env)
    os.environ.update(env)
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    from oscar_orders_ext.conf import app_settings
    from oscar_orders_ext.exports.service import ExportOptions, write_export
    from oscar_orders_ext.models import ExportJob

    settings.OSCAR_ORDERS_EXT_EXPORT_SYNC_LIMIT = 0
    settings.ALLOWED_HOSTS = ["testserver"]
    options = ExportOptions(format=args.format)
    started = time.perf_counter()
    rows = write_export(options, None, io.BytesIO())
    inline = time.perf_counter() - started
    print(f"Inline: {rows} orders in {inline:.1f} s = {rows / inline:,.0f} rows/s.")

    processes = Processes()
    try:
        processes.start("worker", [*MANAGE, "db_worker", "--no-reload", "--interval", "0.1",
                                   "--no-startup-delay"], env, work)
        log = processes.logs[-1]
        while "Starting worker" not in log.read_text():  # its start-up is not the job's time
            time.sleep(0.1)
        client = Client()
        client.force_login(get_user_model().objects.get(username="demo"))
        # The first request loads URLs and middleware (a refused format: a redirect, no page).
        client.get("/dashboard/workspace/export/?format=none")
        started = time.perf_counter()
        response = client.get(f"/dashboard/workspace/export/?format={args.format}")
        request = time.perf_counter() - started
        job = ExportJob.objects.order_by("-pk").first()
        assert response.status_code == 302 and job is not None, response.status_code
        while job.status not in (ExportJob.Status.DONE, ExportJob.Status.FAILED):
            time.sleep(0.1)
            job.refresh_from_db()
        wall = time.perf_counter() - started
        # A finished job's expiry is its end plus EXPORT_EXPIRY_HOURS.
        finished = job.expires_at - timedelta(hours=app_settings.EXPORT_EXPIRY_HOURS)
        worker = (finished - job.started_at).total_seconds()
    finally:
        processes.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(f"Worker: request {request * 1000:.0f} ms; job {job.status}, {job.done} orders, "
          f"wall {wall:.1f} s from the request; the worker's own time {worker:.1f} s = "
          f"{job.done / worker:,.0f} rows/s ({job.done / worker / (rows / inline):.2f}× inline).")
    if not args.keep:
        drop_database(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
