"""Child process of ``bulk.py``: bulk actions on the worker, Oscar's change-status POST with
and without the app's receivers, the order page beside Oscar's order detail. One JSON object
on stdout; progress on stderr. Needs ``DATABASE_URL`` of a database seeded by ``seed_demo``.

Bulk actions are timed in two parts: the request (the form posted for every matching order,
which records the job and enqueues it with the sandbox's ``django_tasks_db`` backend) and the
job itself (``run_bulk_job``, what the worker's task runs once it has claimed the job).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox.settings")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def count_queries(run: Any) -> int:
    """How many SQL statements ``run()`` executes (after-commit work included)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        run()
    return len(queries)


class SqlClock:
    """Milliseconds spent in the database driver (``execute`` of each statement), so that a
    request's time splits into the database's share and Python's."""

    def __init__(self) -> None:
        self.ms = 0.0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.ms += (time.perf_counter() - started) * 1000


def timed(run: Callable[[], Any]) -> tuple[float, float]:
    """(wall ms, ms in the database) of ``run()``."""
    from django.db import connection

    clock = SqlClock()
    started = time.perf_counter()
    with connection.execute_wrapper(clock):
        run()
    return (time.perf_counter() - started) * 1000, clock.ms


def summary(walls: list[float], sqls: list[float], queries: int) -> dict[str, Any]:
    """Medians of a side's rounds: wall, database, and the rest (Python's share)."""
    return {"median_ms": statistics.median(walls), "min_ms": min(walls), "queries": queries,
            "sql_ms": statistics.median(sqls),
            "python_ms": statistics.median(w - q for w, q in zip(walls, sqls, strict=True))}


#: Where ``--profile`` writes its cProfile statistics (one file per path and side).
PROFILE_DIR = Path(os.environ.get("OOE_PROFILE_DIR", "/tmp"))


class StatementLog:
    """Each statement's SQL and milliseconds, for ``--profile``'s per-statement medians."""

    def __init__(self) -> None:
        self.runs: list[list[tuple[str, float]]] = []

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.runs[-1].append((" ".join(sql.split())[:110],
                                  (time.perf_counter() - started) * 1000))

    def print_medians(self) -> None:
        """The median time of each statement, by its position in the run (the path is the
        same each time; a run of another length is left out)."""
        length = statistics.mode(len(run) for run in self.runs)
        runs = [run for run in self.runs if len(run) == length]
        for position in range(length):
            ms = statistics.median(run[position][1] for run in runs)
            log(f"  {ms:7.3f} ms  {runs[0][position][0]}")
        log(f"  {sum(statistics.median(run[p][1] for run in runs) for p in range(length)):7.3f}"
            f" ms  in all, {length} statements ({len(runs)} runs of {len(self.runs)})")


def profile_sides(name: str, rounds: int, top: int, run: Callable[[int], Any]) -> None:
    """cProfile ``rounds`` runs of a path with the app's receivers and as many without, in one
    process, then as many again timing each statement; the top functions of each side and the
    statements' medians on stderr, the statistics in ``PROFILE_DIR``."""
    from django.db import connection

    from oscar_orders_ext.apps import receivers_disconnected

    sides: dict[str, Callable[[], AbstractContextManager[Any]]] = {
        "with_app": nullcontext, "without_app": receivers_disconnected}
    for side, context in sides.items():
        profiler = cProfile.Profile()
        for index in range(rounds):
            with context():
                profiler.runcall(run, 2 * index)
        path = PROFILE_DIR / f"ooe_{name}_{side}.prof"
        profiler.dump_stats(str(path))
        log(f"\n== {name}, {side}: {rounds} runs, statistics in {path}")
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(top)
    for side, context in sides.items():
        statements = StatementLog()
        for index in range(rounds):
            statements.runs.append([])
            with context(), connection.execute_wrapper(statements):
                run(2 * index + 1)
        log(f"\n== {name}, {side}: each statement's median")
        statements.print_medians()


def bulk_request(client: Any, fields: dict[str, str]) -> tuple[float, int]:
    """POST the bulk form; (milliseconds, job id)."""
    from oscar_orders_ext.models import BulkJob

    started = time.perf_counter()
    response = client.post("/dashboard/workspace/bulk/", fields)
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 302, response.status_code
    return elapsed, BulkJob.objects.latest("pk").pk


def run_job(job_id: int) -> dict[str, Any]:
    """Run a job as the worker would; its counts, seconds and SQL statements."""
    from django.db import connection

    from oscar_orders_ext.services.bulk import run_bulk_job

    statements = 0

    def counted(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal statements
        statements += 1
        return execute(sql, params, many, context)

    started = time.perf_counter()
    with connection.execute_wrapper(counted):
        job = run_bulk_job(job_id)
    seconds = time.perf_counter() - started
    assert job.status == "done", job.error
    return {"seconds": seconds, "total": job.total, "changed": job.changed,
            "refused": job.refused, "per_second": job.total / seconds if seconds else 0,
            "statements": statements}


def bulk_cases(client: Any, user: Any, states: int, parts: set[str]) -> dict[str, Any]:
    """Every matching order: add/remove a tag, mark paid/unpaid (``set-based``); a state change
    on ``states`` ticked orders (``states``); the old per-order path (``old-path``) and Oscar's
    own bulk status change (``oscar-bulk``) beside them."""
    from oscar.core.loading import get_model

    from oscar_orders_ext.models import OrderProcess, Tag
    from oscar_orders_ext.services import edits
    from oscar_orders_ext.services.bulk import run_bulk_action

    tag, _ = Tag.objects.get_or_create(name="bench-bulk")
    results: dict[str, Any] = {}
    cases = [("add_tag", {"tag": str(tag.pk)}), ("remove_tag", {"tag": str(tag.pk)}),
             ("mark_paid", {}), ("mark_unpaid", {})] if "set-based" in parts else []
    for action, extra in cases:
        log(f"bulk {action} on every order…")
        ms, job_id = bulk_request(client, {"action": action, "select_all": "1", "query": "",
                                           **extra})
        results[action] = {"request_ms": ms, **run_job(job_id)}
        log(f"  {results[action]}")
    if "states" in parts:
        # State changes: the transition service, a batch at a time, on the worker.
        new = list(OrderProcess.objects.filter(state="new").order_by("pk")
                   .values_list("pk", flat=True)[:states])
        log(f"bulk transition 'confirm' on {len(new)} orders…")
        ms, job_id = bulk_request(client, {"action": "transition", "transition": "confirm",
                                           "selected": ",".join(map(str, new)), "notify": "no"})
        results["transition"] = {"request_ms": ms, **run_job(job_id)}
        log(f"  {results['transition']}")
    if "old-path" in parts:
        # The old way of marking paid: one transaction and the edit service per order.
        sample = list(OrderProcess.objects.filter(payment_status="unpaid").order_by("pk")
                      .values_list("pk", flat=True)[:states])
        log(f"per-order mark paid on {len(sample)} orders (the old path)…")
        started = time.perf_counter()
        run_bulk_action(sample, "mark_paid", lambda process, who: edits.set_payment_status(
            process, "paid", user=who), user=user)
        seconds = time.perf_counter() - started
        results["mark_paid_per_order"] = {"seconds": seconds, "total": len(sample),
                                          "per_second": len(sample) / seconds}
    if "oscar-bulk" in parts:
        # Oscar's own bulk status change (its order list's action), with our receivers.
        order_model = get_model("order", "Order")
        status = next(s for s, targets in order_model.pipeline.items() if targets
                      and order_model.objects.filter(status=s).count() >= states // 2)
        target = order_model.pipeline[status][0]
        ids = list(order_model.objects.filter(status=status).order_by("pk")
                   .values_list("pk", flat=True)[:states // 2])
        log(f"Oscar's bulk status change {status} -> {target} on {len(ids)} orders…")
        started = time.perf_counter()
        response = client.post("/dashboard/orders/", {"action": "change_order_statuses",
                                                      "selected_order": ids,
                                                      "new_status": target})
        seconds = time.perf_counter() - started
        assert response.status_code == 302, response.status_code
        results["oscar_bulk_status"] = {"seconds": seconds, "total": len(ids),
                                        "per_second": len(ids) / seconds}
    return results


def previous_set_based(action: str, tag: Any, user: Any) -> Any:
    """The set-based batch as main ran it before issue 18's PostgreSQL statements (copied
    here to be measured beside them): lock, read, an ``UPDATE`` of the rows (for tags too:
    version and last activity), the timeline entries built in Python."""
    from django.db.models import F
    from django.utils import timezone

    from oscar_orders_ext.models import OrderProcess, TimelineEntry

    links, now = OrderProcess.tags.through, timezone.now()
    status = "paid" if action == "mark_paid" else "unpaid"
    kind = "tags" if "tag" in action else "payment"

    def apply(pks: list[int]) -> dict[int, dict[str, Any]]:
        rows = list(OrderProcess.objects.select_for_update().filter(pk__in=pks).order_by("pk")
                    .values_list("pk", "order_id", "payment_status"))
        if kind == "payment":
            rows = [row for row in rows if row[2] != status]
            changes = {order_id: {"from": was, "to": status} for _pk, order_id, was in rows}
            changed_pks, extra = [pk for pk, _o, _w in rows], {"payment_status": status}
        else:
            add = action == "add_tag"
            tagged = set(links.objects.filter(tag_id=tag.pk, orderprocess_id__in=pks)
                         .values_list("orderprocess_id", flat=True))
            rows = [row for row in rows if (row[0] in tagged) != add]
            changed_pks, extra = [pk for pk, _o, _w in rows], {}
            if add:
                links.objects.bulk_create([links(orderprocess_id=pk, tag_id=tag.pk)
                                           for pk in changed_pks])
            else:
                links.objects.filter(tag_id=tag.pk, orderprocess_id__in=changed_pks).delete()
            data = {"added": [tag.name] if add else [], "removed": [] if add else [tag.name]}
            changes = {order_id: data for _pk, order_id, _was in rows}
        OrderProcess.objects.filter(pk__in=changed_pks).update(
            version=F("version") + 1, last_activity_at=now, **extra)
        TimelineEntry.objects.bulk_create(
            TimelineEntry(order_id=order_id, kind=kind, actor=user, data=data,
                          created_at=timezone.now()) for order_id, data in changes.items())
        return changes
    return kind, apply


def compare_set_based(user: Any, count: int) -> dict[str, Any]:
    """Side by side in one run: each set-based action on ``count`` orders by the previous
    path (batches of 1,000) and by today's (PostgreSQL statements, its own batch size), on
    two disjoint samples, alternating; seconds and statements of each."""
    from django.db import connection

    from oscar_orders_ext.models import OrderProcess, Tag
    from oscar_orders_ext.services.bulk import run_set_based, set_based_action

    tag, _ = Tag.objects.get_or_create(name="bench-compare")
    pks = list(OrderProcess.objects.order_by("pk").values_list("pk", flat=True)[:2 * count])
    samples = {"previous": pks[:count], "now": pks[count:]}
    results: dict[str, Any] = {}
    for action in ("add_tag", "remove_tag", "mark_paid", "mark_unpaid"):
        row: dict[str, Any] = {}
        for path, sample in samples.items():
            target = {"tag": tag} if "tag" in action else {}
            kind, batch = (previous_set_based(action, tag, user) if path == "previous"
                           else set_based_action(action, user=user, **target))
            statements = 0

            def counted(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
                nonlocal statements
                statements += 1
                return execute(sql, params, many, context)

            started = time.perf_counter()
            with connection.execute_wrapper(counted):
                report = run_set_based(sample, action, batch, kind=kind, user=user,
                                       batch_size=1000 if path == "previous" else None)
            row[path] = {"seconds": time.perf_counter() - started, "changed": report.done,
                         "statements": statements}
        row["ratio"] = row["previous"]["seconds"] / row["now"]["seconds"]
        log(f"  {action}: {row}")
        results[action] = row
    return results


def status_posts(client: Any, repeat: int, profile: int = 0, top: int = 40) -> dict[str, Any]:
    """Oscar's change-status POST on its order detail page, with the app's receivers and
    without them, alternating; medians (wall, in the database, the rest) and query counts.
    ``profile`` runs more of each side under cProfile afterwards."""
    from oscar.core.loading import get_model

    from oscar_orders_ext.apps import receivers_disconnected

    order_model = get_model("order", "Order")
    needed = 2 * repeat + 3 + 4 * profile
    status = next(s for s, targets in order_model.pipeline.items() if targets
                  and order_model.objects.filter(status=s).count() >= 2 * needed)
    target = order_model.pipeline[status][0]
    orders = list(order_model.objects.filter(status=status).order_by("-pk")
                  .values_list("number", flat=True)[:needed])

    def post(number: str) -> Any:
        response = client.post(f"/dashboard/orders/{number}/",
                               {"order_action": "change_order_status", "new_status": target})
        assert response.status_code == 302, response.status_code
        return response

    walls: dict[str, list[float]] = {"with_app": [], "without_app": []}
    sqls: dict[str, list[float]] = {"with_app": [], "without_app": []}
    post(orders.pop())  # warm-up: what a running shop has cached (the active webhooks)
    queries = {"with_app": count_queries(lambda: post(orders.pop()))}
    with receivers_disconnected():
        queries["without_app"] = count_queries(lambda: post(orders.pop()))
    for _round in range(repeat):
        for key in walls:
            number = orders.pop()
            with receivers_disconnected() if key == "without_app" else nullcontext():
                wall, sql = timed(lambda n=number: post(n))
            walls[key].append(wall)
            sqls[key].append(sql)
    if profile:
        profile_sides("status_post", profile, top, lambda _index: post(orders.pop()))
    return {key: summary(walls[key], sqls[key], queries[key]) for key in walls}


def placements(repeat: int, profile: int = 0, top: int = 40) -> dict[str, Any]:
    """Checkout's order placement (Oscar's ``OrderCreator.place_order`` in a transaction, as
    ``OrderPlacementMixin`` runs it, after-commit work included) with the app's receivers and
    without them, alternating; a new guest each time. The basket is filled outside the timing.
    ``profile`` runs more of each side under cProfile afterwards."""
    from django.db import connection, transaction
    from oscar.apps.checkout.calculators import OrderTotalCalculator
    from oscar.apps.order.utils import OrderCreator
    from oscar.apps.partner.strategy import Default
    from oscar.apps.shipping.methods import Free
    from oscar.core.loading import get_model

    from oscar_orders_ext.apps import receivers_disconnected

    basket_model = get_model("basket", "Basket")
    record = (get_model("partner", "StockRecord").objects.filter(num_in_stock__gt=1000)
              .select_related("product").first()
              or get_model("partner", "StockRecord").objects.select_related("product").first())
    record.num_in_stock = 10**6
    record.save()
    country = get_model("address", "Country").objects.first()
    address_model = get_model("order", "ShippingAddress")

    placed: list[tuple[str, int]] = []  # (buyer, order id) of the orders placed with the app
    sql_clock = SqlClock()

    def place(index: int) -> float:
        basket = basket_model.objects.create()
        basket.strategy = Default()
        basket.add_product(record.product, 1)
        shipping = Free()
        charge = shipping.calculate(basket)
        total = OrderTotalCalculator().calculate(basket, charge)
        address = address_model(first_name="Bench", last_name=f"Buyer {index}",
                                line1="Via Roma 1", line4="Milano", postcode="20100",
                                country=country)
        started = time.perf_counter()
        email = f"bench.buyer.{index}.{started}@example.com"
        with connection.execute_wrapper(sql_clock):
            with transaction.atomic():  # checkout saves the address, then places the order
                address.save()
                order = OrderCreator().place_order(
                    basket=basket, total=total, shipping_method=shipping,
                    shipping_charge=charge, shipping_address=address, guest_email=email)
        elapsed = (time.perf_counter() - started) * 1000
        placed.append((email, order.pk))
        return elapsed

    def queries_of(index: int) -> int:
        return count_queries(lambda: place(index))

    place(0)  # warm-up
    with receivers_disconnected():
        place(1)
    counts = {"with_app": queries_of(2)}
    with receivers_disconnected():
        counts["without_app"] = queries_of(3)
    times: dict[str, list[float]] = {"with_app": [], "without_app": []}
    sqls: dict[str, list[float]] = {"with_app": [], "without_app": []}
    del placed[:]

    def round_of(key: str, index: int) -> None:
        sql_clock.ms = 0.0
        times[key].append(place(index))
        sqls[key].append(sql_clock.ms)

    for round_ in range(repeat):
        round_of("with_app", 10 + 2 * round_)
        with receivers_disconnected():
            round_of("without_app", 11 + 2 * round_)
    result: dict[str, Any] = {key: summary(times[key], sqls[key], counts[key])
                              for key in times}
    upkept = placed[::2]
    if profile:
        profile_sides("placement", profile, top, lambda index: place(10 ** 6 + index))
    # What the worker then does per order placed with the app (the buyer's recount and the
    # tag rules, issue 18), run here as its task would run it.
    from oscar_orders_ext.services.customer_upkeep import customer_upkeep_task

    upkeep = []
    for email, order_id in upkept:
        started = time.perf_counter()
        customer_upkeep_task.call([email], [order_id])
        upkeep.append((time.perf_counter() - started) * 1000)
    result["worker_upkeep"] = {"median_ms": statistics.median(upkeep), "orders": len(upkeep)}
    return result


def order_pages(client: Any, repeat: int) -> dict[str, Any]:
    """Our order page and Oscar's order detail of the same orders, in rounds."""
    from oscar_orders_ext.models import OrderProcess

    numbers = list(OrderProcess.objects.order_by("-placed_at").values_list("number", flat=True)
                   [:repeat])
    pages = {"ours": "/dashboard/workspace/orders/{}/", "oscar": "/dashboard/orders/{}/"}
    times: dict[str, list[float]] = {key: [] for key in pages}
    sizes: dict[str, float] = {}
    for number in numbers[:2]:  # warm-up
        for url in pages.values():
            client.get(url.format(number))
    for number in numbers:
        for key, url in pages.items():
            started = time.perf_counter()
            response = client.get(url.format(number))
            times[key].append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
            sizes[key] = len(response.content) / 1024
    return {key: {"median_ms": statistics.median(values), "min_ms": min(values),
                  "kilobytes": sizes[key],
                  "queries": count_queries(lambda u=pages[key]: client.get(u.format(
                      numbers[0])))} for key, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--states", type=int, default=3000,
                        help="orders moved by the bulk state change")
    parser.add_argument("--skip-bulk", action="store_true")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="then run N more of each side of posts and placements under "
                             "cProfile: their costliest functions on stderr, the statistics "
                             "in $OOE_PROFILE_DIR (default /tmp)")
    parser.add_argument("--top", type=int, default=40,
                        help="functions printed per profiled side")
    parser.add_argument("--only", default="",
                        help="comma-separated parts: pages, posts, placements, requests, "
                             "set-based, compare, states, old-path, oscar-bulk")
    options = parser.parse_args()
    from django.conf import settings

    settings.DEBUG = False
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client

    settings.ALLOWED_HOSTS = ["*"]
    user = get_user_model().objects.get(username="demo")
    client = Client()
    client.force_login(user)
    results: dict[str, Any] = {}
    parts = (set(options.only.split(",")) if options.only
             else {"pages", "posts", "placements", "set-based", "states"})
    if "pages" in parts:
        log("order pages…")
        results["order_page"] = order_pages(client, options.repeat)
    if "posts" in parts:
        log("change-status POSTs…")
        results["status_post"] = status_posts(client, options.repeat, options.profile,
                                              options.top)
    if "placements" in parts:
        log("checkout placements…")
        results["placements"] = placements(options.repeat, options.profile, options.top)
    if "requests" in parts:  # the request alone, for every matching order (the job not run)
        from oscar_orders_ext.models import BulkJob

        times = []
        for _round in range(options.repeat):
            ms, job_id = bulk_request(client, {"action": "mark_paid", "select_all": "1",
                                               "query": ""})
            times.append(ms)
            BulkJob.objects.filter(pk=job_id).delete()
        results["bulk_request"] = {"median_ms": statistics.median(times), "max_ms": max(times)}
    if "compare" in parts:  # the set-based actions, previous path beside today's
        log(f"set-based actions, previous path beside today's, {options.states} orders each…")
        results["set_based_compare"] = compare_set_based(user, options.states)
    if not options.skip_bulk and parts & {"set-based", "states", "old-path", "oscar-bulk"}:
        results["bulk"] = bulk_cases(client, user, options.states, parts)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
