"""Time the JSON API against the pages doing the same thing; run by ``benchmarks/api.py``.

Needs ``DATABASE_URL`` pointing at a seeded database (``seed_demo``). Prints one JSON object on
stdout: per request its median and min milliseconds and SQL query count; the time a workflow
move takes with 0, 1 and 5 webhook endpoints listening (so the overhead each delivery adds to
a transition); and one process's webhook delivery throughput to a local receiver. Progress
goes to stderr. Settings are the sandbox's with ``DEBUG`` off, as in production. It writes to
the database it is given (moves, endpoints, deliveries): use a scratch one.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox.settings")


def log(text: str) -> None:
    """Progress on stderr."""
    print(text, file=sys.stderr, flush=True)


def timed(call: Any, repeat: int, warmup: int) -> list[float]:
    """Milliseconds of ``repeat`` calls after ``warmup`` untimed ones."""
    for _ in range(warmup):
        call()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return times


def request(client: Any, url: str, headers: dict[str, str] | None = None) -> Any:
    """A GET that must answer 200."""
    response = client.get(url, headers=headers or {})
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}: {response.content[:300]!r}")
    return response


def measure_get(key: str, label: str, client: Any, url: str, repeat: int, warmup: int,
                headers: dict[str, str] | None = None) -> dict[str, Any]:
    """Median and min ms of GET ``url``, and the queries of one more."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times = timed(lambda: request(client, url, headers), repeat, warmup)
    with CaptureQueriesContext(connection) as captured:
        size = len(request(client, url, headers).content)
    log(f"  {label}: {statistics.median(times):.1f} ms, {len(captured)} queries")
    return {"key": key, "label": label, "url": url, "median_ms": statistics.median(times),
            "min_ms": min(times), "queries": len(captured), "kilobytes": size / 1024}


def pages(repeat: int, warmup: int) -> list[dict[str, Any]]:
    """The staff list and one order, and the customer's order list: API against pages."""
    from django.contrib.auth import get_user_model
    from django.db.models import Count
    from django.test import Client
    from oscar.core.loading import get_model

    from oscar_orders_ext.services.api_tokens import create_token

    order_model = get_model("order", "Order")
    staff = get_user_model().objects.get(username="demo")
    _, key = create_token(staff, "benchmark")
    bearer = {"Authorization": f"Bearer {key}"}
    session = Client()
    session.force_login(staff)
    api = Client()
    number = order_model.objects.order_by("-date_placed", "-pk").values_list(
        "number", flat=True)[200]
    customer = (get_user_model().objects.annotate(n=Count("orders")).filter(n__gt=0)
                .order_by("-n").first())
    if customer is None:
        raise SystemExit("No customer account has orders: seed_demo first.")
    _, customer_key = create_token(customer, "benchmark")
    customer_session = Client()
    customer_session.force_login(customer)
    log(f"Pages (order {number}; customer {customer.username} with {customer.n} orders):")
    return [
        measure_get("oscar_list", "Oscar: order list", session, "/dashboard/orders/", repeat,
                    warmup),
        measure_get("table", "Ours: table (25 rows)", session, "/dashboard/workspace/", repeat,
                    warmup),
        measure_get("api_list", "API: staff list (25)", api,
                    "/api/orders/staff/orders?limit=25", repeat, warmup, bearer),
        measure_get("api_list_summary", "API: staff list (25) + summary", api,
                    "/api/orders/staff/orders?limit=25&summary=true", repeat, warmup, bearer),
        measure_get("api_list_session", "API: staff list (25), session", session,
                    "/api/orders/staff/orders?limit=25", repeat, warmup),
        measure_get("oscar_detail", "Oscar: order detail", session,
                    f"/dashboard/orders/{number}/", repeat, warmup),
        measure_get("page", "Ours: order page", session,
                    f"/dashboard/workspace/orders/{number}/", repeat, warmup),
        measure_get("api_detail", "API: staff order", api, f"/api/orders/staff/orders/{number}",
                    repeat, warmup, bearer),
        measure_get("oscar_account", "Oscar: account order list", customer_session,
                    "/accounts/orders/", repeat, warmup),
        measure_get("api_mine", "API: my orders (20)", api, "/api/orders/me/orders?limit=20",
                    repeat, warmup, {"Authorization": f"Bearer {customer_key}"}),
    ]


class Receiver:
    """A local HTTP receiver answering 200, counting requests."""

    def __init__(self) -> None:
        """Serve on a free port in a thread."""
        self.count = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the http.server API)
                self.rfile.read(int(self.headers["Content-Length"]))
                receiver.count += 1
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"


#: The ways of recording a move's event compared in one run: (key, endpoints listening, label,
#: how the deliveries' worker task is written). "fused": the task row written by the
#: deliveries' own statement (the shipped path on PostgreSQL with django-tasks-db);
#: "enqueue": as before issue 23's fourth pass, django-tasks-db's ``enqueue`` writing it
#: through the ORM (a second statement); "none": no task at all (the floor a "no task while a
#: wake-up is pending" scheme could reach; its deliveries wait for the tick).
VARIANTS: list[tuple[str, int, str, str]] = [
    ("0", 0, "0", "fused"),
    ("1", 1, "1", "fused"),
    ("5", 5, "5", "fused"),
    ("1-enqueue", 1, "1, task by enqueue (before)", "enqueue"),
    ("5-enqueue", 5, "5, task by enqueue (before)", "enqueue"),
    ("1-none", 1, "1, no task (floor)", "none"),
]


def task_writing(how: str) -> Any:
    """A context in which the webhooks write their worker task ``how`` (see VARIANTS)."""
    from contextlib import ExitStack
    from unittest import mock

    from oscar_orders_ext.webhooks import service

    stack = ExitStack()
    if how in {"enqueue", "none"}:
        stack.enter_context(mock.patch.object(service, "task_rows", return_value=None))
    if how == "none":
        stack.enter_context(mock.patch.object(service, "_enqueue", return_value=None))
    return stack


def moves(repeat: int, receiver: Receiver) -> list[dict[str, Any]]:
    """One order put on hold and confirmed again with 0, 1 and 5 endpoints listening, and
    with the task written each way of :data:`VARIANTS`, all interleaved (so a busy machine's
    drift falls on all alike; their order drawn anew each round), and the recording of the
    event alone inside an open transaction (``emit``, as the move runs it: after the move's
    first statements, before its commit, which it shares); deliveries are recorded and queued
    for the worker, as in production. Each round's move with endpoints minus the same
    round's move without gives the overhead on the move (the median of those differences)."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from oscar_orders_ext.models import OrderProcess, WebhookEndpoint
    from oscar_orders_ext.services.transitions import transition_order
    from oscar_orders_ext.webhooks import events, service

    staff = get_user_model().objects.get(username="demo")
    process = OrderProcess.objects.filter(state__in=["processing", "on_hold"]).order_by(
        "-placed_at").first()
    if process is None:
        raise SystemExit("No order is being processed.")
    WebhookEndpoint.objects.update(is_active=False)
    groups = {count: [service.create_endpoint(receiver.url,
                                              events=[events.ORDER_STATE_CHANGED])[0].pk
                      for _ in range(count)] for count in (1, 5)}
    order = process.order

    def listen(count: int) -> None:
        WebhookEndpoint.objects.update(is_active=False)
        if count:
            WebhookEndpoint.objects.filter(pk__in=groups[count]).update(is_active=True)
        # update() sends no post_save: forget the cached endpoints as saving one does.
        service.forget_active_endpoints()

    def move() -> None:
        state = OrderProcess.objects.filter(pk=process.pk).values_list("state", flat=True)[0]
        transition_order(order, "hold" if state == "processing" else "confirm", user=staff)

    def emit() -> None:
        service.emit(events.ORDER_STATE_CHANGED, process, transition="hold",
                     source="processing", target="on_hold")

    def round_trip() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")

    def emit_in_transaction() -> float:
        """Milliseconds of ``emit`` alone inside an open transaction (rolled back after)."""
        with transaction.atomic():
            # The transaction's BEGIN goes with its first statement: a move has sent it
            # before its event is recorded, so it is sent here before the timing too.
            round_trip()
            started = time.perf_counter()
            emit()
            elapsed = (time.perf_counter() - started) * 1000
            transaction.set_rollback(True)
        return elapsed

    keys = [key for key, *_ in VARIANTS]
    moved: dict[str, list[float]] = {key: [] for key in keys}
    emitted: dict[str, list[float]] = {key: [] for key in keys}
    # The same event in a transaction of its own (as it was recorded before issue 23's third
    # pass, after the move's commit), measured alongside.
    alone: dict[str, list[float]] = {key: [] for key in keys}
    # The machine's floor: one statement's round trip to PostgreSQL, measured alongside.
    trips: list[float] = []
    order_of = random.Random(23)  # a fixed seed: the same orders on every run
    for round_ in range(repeat + 3):
        # A new order each round: no variant always runs first, or right after another.
        for key, count, _label, how in order_of.sample(VARIANTS, len(VARIANTS)):
            listen(count)
            service.active_endpoints()  # as in a running shop: read once, then cached
            with task_writing(how):
                move_ms, emit_ms = timed(move, 1, 0)[0], emit_in_transaction()
                own_ms = timed(emit, 1, 0)[0]
            trip_ms = timed(round_trip, 1, 0)[0]
            if round_ >= 3:  # warm-up rounds
                moved[key].append(move_ms)
                emitted[key].append(emit_ms)
                alone[key].append(own_ms)
                trips.append(trip_ms)
    log(f"  one SELECT 1 round trip: {statistics.median(trips):.2f} ms median")
    results = []
    for key, count, label, how in VARIANTS:
        listen(count)
        with task_writing(how), CaptureQueriesContext(connection) as captured:
            move()
        # Paired by round: the drift of a busy machine falls on both moves of a pair.
        added = [with_ - without for with_, without in zip(moved[key], moved["0"], strict=True)]
        log(f"  a move with {label} endpoints: {statistics.median(moved[key]):.2f} ms "
            f"({len(captured)} queries), {statistics.median(added):+.2f} ms on the move; "
            f"recording the event in the transaction: "
            f"{statistics.median(emitted[key]):.2f} ms")
        results.append({"key": key, "label": label, "task": how, "endpoints": count,
                        "median_ms": statistics.median(moved[key]),
                        "min_ms": min(moved[key]), "queries": len(captured),
                        "added_median_ms": statistics.median(added),
                        "emit_median_ms": statistics.median(emitted[key]),
                        "emit_min_ms": min(emitted[key]),
                        "own_commit_median_ms": statistics.median(alone[key]),
                        "round_trip_ms": statistics.median(trips)})
    WebhookEndpoint.objects.update(is_active=False)
    return results


def throughput(count: int, receiver: Receiver) -> dict[str, Any]:
    """Deliveries/s of one process sending ``count`` queued deliveries to the receiver, one
    after the other (what one worker does, without the task queue's own cost)."""
    from oscar_orders_ext.models import OrderProcess, WebhookDelivery, WebhookEndpoint
    from oscar_orders_ext.webhooks import events, service

    endpoint, _ = service.create_endpoint(receiver.url, events=[events.ORDER_CREATED])
    ids = [p.order_id for p in OrderProcess.objects.order_by("-placed_at")[:count]]
    WebhookEndpoint.objects.exclude(pk=endpoint.pk).update(is_active=False)
    service.emit_many(events.ORDER_CREATED, ids)  # recorded; their tasks queued for a worker
    pending = list(WebhookDelivery.objects.filter(endpoint=endpoint, status="pending")
                   .values_list("pk", flat=True))
    before = receiver.count
    started = time.perf_counter()
    for pk in pending:
        service.deliver(pk)
    seconds = time.perf_counter() - started
    sent = receiver.count - before
    endpoint.is_active = False
    endpoint.save(update_fields=["is_active"])
    log(f"  {sent} deliveries in {seconds:.2f} s: {sent / seconds:.0f}/s")
    return {"deliveries": sent, "seconds": seconds, "per_second": sent / seconds}


def main() -> None:
    """Measure and print the JSON results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--deliveries", type=int, default=500)
    parser.add_argument("--only", choices=["webhooks"], default=None,
                        help="webhooks: the moves and the delivery throughput, no pages")
    options = parser.parse_args()
    from django.conf import settings

    settings.DEBUG = False
    import django

    django.setup()
    receiver = Receiver()
    result = {"pages": [] if options.only else pages(options.repeat, options.warmup),
              "moves": moves(options.repeat, receiver),
              "throughput": throughput(options.deliveries, receiver)}
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    main()
