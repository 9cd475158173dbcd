"""Scale-out run: several gunicorn processes and ``db_worker`` processes on one PostgreSQL,
under a bounded concurrent load, then checks that nothing was lost or done twice.

    .venv/bin/python benchmarks/scaleout.py [--orders 20000] [--import-orders 5000]
        [--moves 600] [--exports 3] [--web 2] [--web-workers 2] [--workers 2]

1. Creates (or with ``--reuse`` keeps) a scratch database, migrates it, seeds ``--orders``
   orders with ``seed_demo``'s bulk path plus 50 orders through Oscar's checkout (they hold
   stock allocations, so their moves change stock).
2. Starts ``--web`` gunicorn processes (``--web-workers`` workers each) and ``--workers``
   ``db_worker`` processes on loopback ports, with ``sandbox.settings_production``.
3. Load, bounded by a fixed number of requests and ``--timeout`` seconds: 4 clients making
   ``--moves`` Kanban moves and state changes (optimistic versions, as the board sends them)
   on the same 50 orders; ``--exports`` exports of every order; one import of
   ``--import-orders`` orders (upload, background dry run, background commit); bulk actions
   (tags added and removed) on other orders.
4. Checks: every job finished exactly once (one worker per task, every job done); each order's
   final state and version are those of the last accepted move (no lost update); each stock
   record changed by exactly what the timeline's stock entries say; no 5xx. Prints throughput.

Exits 1 when a check fails, 2 when the run could not finish in time. Never asserts timings.
``.ci/run`` runs it with CI=true (``--ci`` skips it with a message when PostgreSQL is absent).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "imports"))
MANAGE = [sys.executable, str(REPO / "sandbox" / "manage.py")]
SERVER = "postgres://postgres@127.0.0.1:5432"
CLIENTS = 4
MOVED_ORDERS = 50


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="ooe_scaleout")
    parser.add_argument("--server", default=os.environ.get("SCALEOUT_POSTGRES", SERVER))
    parser.add_argument("--redis", default=os.environ.get("SCALEOUT_REDIS",
                                                          "redis://127.0.0.1:6379/5"))
    parser.add_argument("--orders", type=int, default=20000)
    parser.add_argument("--import-orders", type=int, default=5000)
    parser.add_argument("--moves", type=int, default=600, help="Moves in all, shared by clients.")
    parser.add_argument("--exports", type=int, default=3)
    parser.add_argument("--web", type=int, default=2, help="gunicorn processes.")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="db_worker processes.")
    parser.add_argument("--port", type=int, default=18640, help="First loopback port.")
    parser.add_argument("--timeout", type=float, default=600, help="Seconds for the load.")
    parser.add_argument("--reuse", action="store_true", help="Keep a seeded database.")
    parser.add_argument("--keep", action="store_true", help="Do not drop the database.")
    parser.add_argument("--ci", action="store_true",
                        help="Skip (exit 0) with a message when PostgreSQL is unreachable.")
    return parser.parse_args()


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def environment(args: argparse.Namespace, media: str, static: str) -> dict[str, str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "sandbox.settings_production",
           "DATABASE_URL": f"{args.server}/{args.database}", "SECRET_KEY": "scale-out-run",
           "SECURE_COOKIES": "0", "MEDIA_ROOT": media, "STATIC_ROOT": static,
           "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
           "PYTHONPATH": str(REPO), "PYTHONWARNINGS": "ignore"}
    if reachable("127.0.0.1", 6379):
        env["REDIS_URL"] = args.redis
    return env


def manage(env: dict[str, str], *arguments: str) -> None:
    subprocess.run([*MANAGE, *arguments], env=env, check=True, cwd=REPO,
                   stdout=subprocess.DEVNULL)


def prepare_database(args: argparse.Namespace, env: dict[str, str], *,
                     checkout_orders: int = 0) -> None:
    """Create, migrate and seed ``args.database`` (``args.orders`` by the bulk path, then
    ``checkout_orders`` through Oscar's checkout), unless ``args.reuse`` finds it."""
    import psycopg

    with psycopg.connect(f"{args.server}/postgres", autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                    [args.database]).fetchone()
        if exists and args.reuse:
            print(f"Reusing database {args.database}.")
            return
        if exists:
            connection.execute(f'DROP DATABASE "{args.database}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{args.database}"')
    started = time.monotonic()
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "seed_demo", "--orders", str(args.orders), "--bulk-threshold", "0")
    if checkout_orders:
        manage(env, "seed_demo", "--orders", str(checkout_orders), "--bulk-threshold",
               str(checkout_orders))
    print(f"Database {args.database}: migrated and seeded with "
          f"{args.orders + checkout_orders} orders in {time.monotonic() - started:.0f} s.")


def drop_database(args: argparse.Namespace) -> None:
    """Drop the scratch database (after closing this process's connections)."""
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(f"{args.server}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')


class Processes:
    """The gunicorn and db_worker processes, stopped together."""

    def __init__(self) -> None:
        self.children: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.logs: list[Path] = []

    def start(self, name: str, command: list[str], env: dict[str, str], log_dir: Path) -> None:
        log = log_dir / f"{name}.log"
        self.logs.append(log)
        with log.open("wb") as handle:
            child = subprocess.Popen(command, env=env, cwd=REPO, stdout=handle,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.children.append((name, child))

    def stop(self) -> None:
        for _, child in self.children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for _, child in self.children:
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()

    def dead(self) -> list[str]:
        return [name for name, child in self.children if child.poll() is not None]


def wait_for_port(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        if reachable("127.0.0.1", port):
            return
        time.sleep(0.2)
    raise TimeoutError(f"Nothing listens on port {port}.")


class Client:
    """One browser-like session on one of the web processes."""

    def __init__(self, base: str, statuses: Counter[int]) -> None:
        import requests

        self.base, self.statuses = base, statuses
        self.session = requests.Session()
        self.lock = threading.Lock()

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {"Referer": self.base + path, **kwargs.pop("headers", {})}
        if method == "POST":
            headers["X-CSRFToken"] = self.session.cookies.get("csrftoken", "")
        response = self.session.request(method, self.base + path, headers=headers,
                                        allow_redirects=False, timeout=120, **kwargs)
        with self.lock:
            self.statuses[response.status_code] += 1
        return response

    def login(self) -> None:
        self.request("GET", "/accounts/login/")
        response = self.request("POST", "/accounts/login/", data={
            "login-username": "demo@example.com", "login-password": "demo",
            "login_submit": "Log In",
            "csrfmiddlewaretoken": self.session.cookies.get("csrftoken", "")})
        if response.status_code != 302:
            raise RuntimeError(f"Login refused ({response.status_code}).")

    def json(self, path: str) -> Any:
        return self.request("GET", path, headers={"Accept": "application/json"}).json()


def run(args: argparse.Namespace) -> int:
    if not reachable("127.0.0.1", 5432):
        print("PostgreSQL is not reachable on 127.0.0.1:5432: scale-out run skipped.")
        return 0 if args.ci else 2
    work = Path(tempfile.mkdtemp(prefix="ooe-scaleout-"))
    media, static = work / "media", work / "static"
    env = environment(args, str(media), str(static))
    # Orders through Oscar's checkout hold stock allocations: their moves change stock.
    prepare_database(args, env, checkout_orders=MOVED_ORDERS)
    manage(env, "collectstatic", "--noinput", "-v", "0")
    os.environ.update({key: env[key] for key in (
        "DJANGO_SETTINGS_MODULE", "DATABASE_URL", "SECRET_KEY", "SECURE_COOKIES", "MEDIA_ROOT",
        "STATIC_ROOT", "EMAIL_BACKEND") if key in env})
    import django

    django.setup()
    processes = Processes()
    ports = [args.port + index for index in range(args.web)]
    try:
        for index, port in enumerate(ports):
            processes.start(f"web{index + 1}", [
                sys.executable, "-m", "gunicorn", "sandbox.wsgi", "--workers",
                str(args.web_workers), "--bind", f"127.0.0.1:{port}", "--timeout", "300",
                "--graceful-timeout", "10"], env, work)
        for index in range(args.workers):
            processes.start(f"worker{index + 1}", [
                *MANAGE, "db_worker", "--no-reload", "--interval", "0.2",
                "--worker-id", f"scaleout-{index + 1}"], env, work)
        deadline = time.monotonic() + 120
        for port in ports:
            wait_for_port(port, deadline)
        print(f"Started {args.web} gunicorn × {args.web_workers} workers on ports "
              f"{', '.join(map(str, ports))} and {args.workers} db_worker; logs in {work}.")
        return load_and_check(args, ports, processes)
    finally:
        processes.stop()
        if not args.keep:
            drop_database(args)
        shutil.rmtree(work, ignore_errors=True)


def load_and_check(args: argparse.Namespace, ports: list[int], processes: Processes) -> int:
    from django.db.models import Max
    from django_tasks_db.models import DBTaskResult
    from oscar.core.loading import get_model

    from oscar_orders_ext.models import ExportJob, ImportJob, OrderProcess, Tag, TimelineEntry
    from oscar_orders_ext.workflow import get_workflow

    StockRecord = get_model("partner", "StockRecord")
    # Orders placed through the checkout, holding stock allocations: their moves change stock.
    moved = list(OrderProcess.objects.filter(order__lines__num_allocated__gt=0).distinct()
                 .order_by("-order_id")[:MOVED_ORDERS])
    stages = {process.order_id: [(stage.pk, stage.state) for stage in process.funnel.stages.all()]
              for process in moved}
    # name -> sources: the clients pick moves the order's last known state allows, mostly.
    sources: dict[str, set[str]] = defaultdict(set)
    for transition in moved[0].get_all_state_transitions():
        sources[transition.name].add(transition.source)
    others = list(OrderProcess.objects.order_by("order_id").values_list("pk", flat=True)[:400])
    tag = Tag.objects.order_by("pk").first()
    stock_before = {pk: (n, a) for pk, n, a in StockRecord.objects.values_list(
        "pk", "num_in_stock", "num_allocated")}
    last_entry = TimelineEntry.objects.aggregate(last=Max("pk"))["last"] or 0
    last_task = set(DBTaskResult.objects.values_list("pk", flat=True))
    first_export = ExportJob.objects.aggregate(last=Max("pk"))["last"] or 0
    first_import = ImportJob.objects.aggregate(last=Max("pk"))["last"] or 0

    statuses: Counter[int] = Counter()
    clients = [Client(f"http://127.0.0.1:{ports[index % len(ports)]}", statuses)
               for index in range(CLIENTS + 2)]
    for client in clients:
        client.login()
    accepted: dict[int, list[tuple[int, str]]] = defaultdict(list)  # order -> (version, state)
    outcomes: Counter[str] = Counter()
    refusals: Counter[str] = Counter()
    stop_at = time.monotonic() + args.timeout
    record_lock = threading.Lock()

    def mover(client: Client, seed: int, count: int) -> None:
        rng = random.Random(seed)
        versions: dict[int, int] = {}
        states = {process.order_id: process.state for process in moved}
        for _ in range(count):
            if time.monotonic() > stop_at:
                return
            process = rng.choice(moved)
            state = states[process.order_id]
            data: dict[str, Any] = {"order": process.order_id}
            allowed = [name for name, starts in sources.items()
                       if starts & {state, "*", "+"}] or sorted(sources)
            if rng.random() < 0.5:  # a Kanban drop
                choices = stages[process.order_id]
                data["stage"] = rng.choice([pk for pk, stage_state in choices
                                            if stage_state != state] or [choices[0][0]])
            else:  # a state-change button
                data["transition"] = rng.choice(allowed)
            if process.order_id in versions:
                data["version"] = versions[process.order_id]
            response = client.request("POST", "/dashboard/workspace/move/", data=data,
                                      headers={"Accept": "application/json"})
            if response.status_code >= 500:
                continue
            payload = response.json()
            if "version" in payload:
                versions[process.order_id] = payload["version"]
                states[process.order_id] = payload["state"]
            with record_lock:
                if payload.get("ok"):
                    outcomes["accepted"] += 1
                    accepted[process.order_id].append((payload["version"], payload["state"]))
                else:
                    outcomes["conflict" if payload.get("conflict") else "refused"] += 1
                    if not payload.get("conflict"):
                        refusals[payload.get("message", "")[:60]] += 1

    def exporter(client: Client) -> list[int]:
        jobs = []
        for _ in range(args.exports):
            response = client.request("GET", "/dashboard/workspace/export/?format=csv")
            match = re.search(r"/exports/(\d+)/", response.headers.get("Location", ""))
            if match:
                jobs.append(int(match.group(1)))
        return jobs

    def importer(client: Client) -> dict[str, Any]:
        from shopify_file import generated_shopify_export

        # Order names of this run only ("#S<time>-100000"), so a reused database imports anew.
        data = re.sub(rb"^#(\d+)", f"#S{int(time.time())}-".encode() + rb"\1",
                      generated_shopify_export(args.import_orders, customers=500),
                      flags=re.MULTILINE)
        client.request("GET", "/dashboard/workspace/imports/")
        response = client.request("POST", "/dashboard/workspace/imports/",
                                  files={"file": ("scaleout.csv", data, "text/csv")})
        match = re.search(r"/imports/(\d+)/", response.headers.get("Location", ""))
        if not match:
            return {"status": f"upload answered {response.status_code}"}
        path = f"/dashboard/workspace/imports/{match.group(1)}/"
        status = client.json(path)
        while status["status"] == "planning" and time.monotonic() < stop_at:
            time.sleep(1)
            status = client.json(path)
        if not status.get("can_commit"):
            return status
        client.request("POST", f"{path}commit/", headers={"Accept": "application/json"})
        status = client.json(path)
        while status["status"] == "running" and time.monotonic() < stop_at:
            time.sleep(1)
            status = client.json(path)
        return status

    def bulk(client: Client) -> None:
        for start in range(0, len(others), 100):
            for action in ("add_tag", "remove_tag"):
                client.request("POST", "/dashboard/workspace/bulk/", data={
                    "action": action, "tag": tag.pk,
                    "selected": ",".join(map(str, others[start:start + 100]))})

    started = time.monotonic()
    threads: list[threading.Thread] = []
    results: dict[str, Any] = {}
    for index in range(CLIENTS):
        threads.append(threading.Thread(target=mover, args=(
            clients[index], index, args.moves // CLIENTS)))
    threads.append(threading.Thread(target=lambda: results.update(
        exports=exporter(clients[CLIENTS]))))
    threads.append(threading.Thread(target=lambda: results.update(
        imported=importer(clients[CLIENTS + 1]))))
    threads.append(threading.Thread(target=bulk, args=(clients[CLIENTS],)))
    move_started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads[:CLIENTS]:
        thread.join()
    move_seconds = time.monotonic() - move_started
    for thread in threads[CLIENTS:]:
        thread.join()
    while DBTaskResult.objects.filter(status__in=("READY", "RUNNING")).exists():
        if time.monotonic() > stop_at:
            print("The load did not finish within --timeout.")
            return 2
        time.sleep(0.5)
    total_seconds = time.monotonic() - started

    failures: list[str] = []
    if processes.dead():
        failures.append(f"processes died: {', '.join(processes.dead())}")
    server_errors = sum(count for status, count in statuses.items() if status >= 500)
    if server_errors:
        failures.append(f"{server_errors} responses were 5xx")
    # Every job finished exactly once.
    tasks = DBTaskResult.objects.exclude(pk__in=last_task)
    task_states = Counter(tasks.values_list("status", flat=True))
    if set(task_states) != {"SUCCESSFUL"}:
        failures.append(f"tasks not all successful: {dict(task_states)}")
    twice = [str(task.pk) for task in tasks if len(task.worker_ids) != 1]
    if twice:
        failures.append(f"{len(twice)} tasks claimed by more than one worker")
    exports = ExportJob.objects.filter(pk__gt=first_export)
    export_states = Counter(exports.values_list("status", flat=True))
    if export_states != Counter({"done": args.exports}):
        failures.append(f"exports: {dict(export_states)}, expected {args.exports} done")
    imports = ImportJob.objects.filter(pk__gt=first_import)
    if [job.status for job in imports] != ["done"] or (
            imports[0].result.get("orders_created") != args.import_orders):
        failures.append(f"import: {results.get('imported')}")
    # No lost update: every accepted move left its own timeline entry (a move that overwrote
    # another would not), and the final state and version are those of the last accepted
    # move. (A move's answer shows the order as it is once the move committed, so two answers
    # can carry one version when another move commits in between: versions alone prove
    # nothing.)
    written = Counter(TimelineEntry.objects.filter(
        pk__gt=last_entry, kind__in=["state", "stage"], order_id__in=accepted)
        .values_list("order_id", flat=True))
    for process in OrderProcess.objects.filter(order_id__in=accepted):
        if written[process.order_id] != len(accepted[process.order_id]):
            failures.append(f"order {process.number}: {len(accepted[process.order_id])} moves "
                            f"accepted, {written[process.order_id]} written")
        version, state = max(accepted[process.order_id])
        if (process.version, process.state) != (version, state):
            failures.append(f"order {process.number}: is {process.state} v{process.version}, "
                            f"last accepted move said {state} v{version}")
    # Stock: each record changed by exactly what the timeline's stock entries say.
    expected = {pk: list(values) for pk, values in stock_before.items()}
    stock_entries = TimelineEntry.objects.filter(pk__gt=last_entry, kind="stock")
    for entry in stock_entries:
        effect = entry.data["effect"]
        for line in entry.data["lines"]:
            in_stock, allocated = {"consume": (-1, -1), "release": (0, -1),
                                   "allocate": (0, 1), "restock": (1, 0)}[effect]
            expected[line["stockrecord"]][0] += in_stock * line["quantity"]
            expected[line["stockrecord"]][1] += allocated * line["quantity"]
    for pk, in_stock, allocated in StockRecord.objects.values_list(
            "pk", "num_in_stock", "num_allocated"):
        if pk in expected and [in_stock, allocated] != expected[pk]:
            failures.append(f"stock record {pk}: {in_stock}/{allocated}, the timeline says "
                            f"{expected[pk][0]}/{expected[pk][1]}")

    moves = sum(outcomes.values())
    jobs = args.exports + 2  # the exports, the import's dry run and its commit
    print(f"Moves: {moves} in {move_seconds:.1f} s = {moves / move_seconds:.1f} moves/s "
          f"({outcomes['accepted']} accepted, {outcomes['conflict']} version conflicts, "
          f"{outcomes['refused']} refused by the workflow) with {args.web} × {args.web_workers} "
          "web workers.")
    print(f"Jobs: {jobs} ({args.exports} exports of {exports.first().total if exports else 0} "
          f"orders, an import of {args.import_orders}) and {sum(task_states.values())} tasks in "
          f"{total_seconds:.1f} s = {jobs / total_seconds * 60:.1f} jobs/min with "
          f"{args.workers} db_worker.")
    print(f"HTTP statuses: {dict(sorted(statuses.items()))}; {stock_entries.count()} stock "
          "changes checked against the stock records.")
    if refusals:
        print("Most frequent refusals: " + "; ".join(
            f"{message}… ×{count}" for message, count in refusals.most_common(3)))
    if failures:
        print("FAILED:\n  " + "\n  ".join(failures[:30]))
        return 1
    print("OK: every job finished exactly once, no lost update, stock matches the timeline, "
          "no 5xx.")
    return 0


if __name__ == "__main__":
    sys.exit(run(parse()))
