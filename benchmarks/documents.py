"""Document rendering: our path against bare WeasyPrint on the same HTML, and bulk printing.

    .venv/bin/python benchmarks/documents.py [--orders 50] [--repeat 9] [--keep]
    .venv/bin/python benchmarks/documents.py --bulk 500 [--rounds 2] [--database NAME]

Creates a scratch PostgreSQL database (``ooe_bench_documents``), migrates it, places orders
with three lines each through Oscar's ``OrderCreator``, then prints, in one run:

- for each document kind, the median time of our path (database reads, templates, the local-only
  URL fetcher, WeasyPrint; for invoices and credit notes also numbering, storage and the
  timeline) next to bare ``weasyprint.HTML(string=…).write_pdf()`` on the very same HTML;
- bulk printing N invoices as one document against N separate renders.

With ``--bulk N`` only: N delivery notes printed by one process and by one process per core,
alternated round by round, in pages/s; before and after the rounds, what the machine itself
gives on both cores (a pure Python loop in one process, then in one per core at once), so a
ratio below target can be told from a machine that does not run two processes at full speed.

Targets (shown, never asserted): our overhead at most 10% on a single document; bulk print of
50 at most 0.4× the time of 50 separate renders; ``--bulk``: on 2 cores at least 1.7× the
pages/s of one process.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATABASE = "ooe_bench_documents"
SERVER = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")


def timed(call: Callable[[], Any], repeat: int) -> float:
    """Median wall time of ``call`` in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def paired(ours: Callable[[], Any], bare: Callable[[], Any],
           repeat: int) -> tuple[float, float, float, float]:
    """Median wall times of both calls, alternated round by round so load on the machine hits
    both, then their median CPU times in this process (steadier under load, but blind to the
    database server's share of ours)."""
    times: tuple[list[float], ...] = ([], [], [], [])
    for _ in range(repeat):
        for call, wall, cpu in ((ours, times[0], times[2]), (bare, times[1], times[3])):
            start, start_cpu = time.perf_counter(), time.process_time()
            call()
            wall.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
    return tuple(statistics.median(bucket) for bucket in times)  # type: ignore[return-value]


def setup_django(keep: bool) -> None:
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
        connection.execute(f"CREATE DATABASE {DATABASE}")
    os.environ["DATABASE_URL"] = f"{SERVER}/{DATABASE}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    import tempfile

    import django
    from django.conf import settings

    django.setup()
    settings.MEDIA_ROOT = tempfile.mkdtemp(prefix="ooe-bench-media-")
    settings.OSCAR_ORDERS_EXT_SHOP_IDENTITY = {
        "name": "Bottega Rossi srl", "address": "Via Roma 1\n20100 Milano",
        "vat_number": "IT01234567890", "tax_code": "RSSMRA80A01F205X",
        "bank_details": "IBAN IT60X0542811101000000123456", "footer": "Registered in Milano"}
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def place_orders(count: int) -> list[Any]:
    from decimal import Decimal

    from oscar.test import factories

    products = [factories.create_product(title=f"Espresso cup {i}", price=Decimal("12.50"),
                                         num_in_stock=100_000, partner_sku=f"CUP-{i}")
                for i in range(3)]
    orders = []
    for _ in range(count):
        basket = factories.create_basket(empty=True)
        for product in products:
            basket.add_product(product, 2)
        address = factories.ShippingAddressFactory(first_name="Maria", last_name="Bianchi")
        orders.append(factories.create_order(basket=basket, shipping_address=address,
                                             guest_email="maria@example.com"))
    return orders


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=11)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--bulk", type=int, default=0,
                        help="only the bulk print of this many delivery notes: one process "
                             "against one per core, alternated, in pages/s")
    parser.add_argument("--rounds", type=int, default=2,
                        help="rounds of --bulk (each prints once with each process count)")
    parser.add_argument("--database", default="", help="scratch database name")
    options = parser.parse_args()
    if options.database:
        global DATABASE
        DATABASE = options.database
    setup_django(options.keep)
    if options.bulk:
        bulk_on_every_core(options.bulk, options.rounds)
        drop_database(options.keep)
        return

    from weasyprint import HTML

    from oscar_orders_ext.documents import service
    from oscar_orders_ext.documents.identity import get_identity
    from oscar_orders_ext.documents.rendering import (LOCAL_ORIGIN, document_html,
                                                      document_stylesheet)

    repeat = options.repeat
    orders = place_orders(max(options.orders, repeat * 2))
    order = orders[0]

    def bare(html: str) -> bytes:
        return HTML(string=html, base_url=LOCAL_ORIGIN + "/").write_pdf()

    def standalone(kind: str, fragments: list[str]) -> str:
        """The document as one HTML file, its stylesheet inline: what bare WeasyPrint gets."""
        return document_html(kind, fragments, stylesheet=document_stylesheet(
            kind, fitted=kind in service.FITTED, several=len(fragments) > 1))

    def same_html(kind: str, fragment_order: Any) -> str:
        loaded = service.orders_for_documents([fragment_order.pk]).get()
        extra = ({"delivery": service.DeliveryDetails().for_order(loaded)}
                 if kind == "delivery_note" else {})
        context = service.document_context(kind, loaded, identity=get_identity(), **extra)
        return standalone(kind, [service.render_fragment(kind, context)])

    rows = []
    for kind in service.PRINTABLE:
        service.render_document(kind, order)  # warm templates and fonts
        html = same_html(kind, order)
        measured = paired(lambda: service.render_document(kind, order), lambda: bare(html),
                          repeat)
        building = timed(lambda: same_html(kind, order), repeat * 2)
        rows.append((kind, *measured, building))

    # Invoices and credit notes: each repetition issues a new one (numbering, storage, timeline).
    to_invoice = iter(orders[:repeat])
    issued: list[Any] = []
    measured = paired(lambda: issued.append(service.issue_invoice(next(to_invoice))),
                      lambda: bare(standalone("invoice", [issued[-1].snapshot_html])), repeat)
    rows.append(("invoice (issue)", *measured, None))
    to_credit = iter(issued)
    credits: list[Any] = []
    measured = paired(
        lambda: credits.append(service.issue_credit_note(next(to_credit))),
        lambda: bare(standalone("credit_note", [credits[-1].snapshot_html])), repeat)
    rows.append(("credit note (issue)", *measured, None))

    # "html ms" is our work before WeasyPrint starts (queries, templates), timed on its own:
    # the overhead without the noise of two ~300 ms measurements on a shared machine.
    print(f"{'document':22} {'ours ms':>9} {'bare ms':>9} {'overhead':>9} {'html ms':>9} "
          f"{'html/bare':>9} {'cpu ours':>9} {'cpu bare':>9} {'cpu ovh':>8}   (target <= 10%)")
    for kind, ours, theirs, cpu_ours, cpu_theirs, building in rows:
        direct = (f"{building * 1000:9.1f} {building / theirs * 100:8.1f}%" if building
                  else f"{'':9} {'':9}")
        print(f"{kind:22} {ours * 1000:9.1f} {theirs * 1000:9.1f} "
              f"{(ours / theirs - 1) * 100:8.1f}% {direct} {cpu_ours * 1000:9.1f} "
              f"{cpu_theirs * 1000:9.1f} {(cpu_ours / cpu_theirs - 1) * 100:7.1f}%")

    # Bulk: N invoices (not the credited ones) as one document vs N separate renders.
    n = options.orders
    bulk_orders = orders[repeat:repeat + n]
    for bulk_order in bulk_orders:
        service.issue_invoice(bulk_order)
    pks = [o.pk for o in bulk_orders]
    invoices = [service.IssuedDocument.objects.filter(order_id=pk, kind="invoice").get()
                for pk in pks]
    bulk_repeat = max(1, repeat // 3)
    one = timed(lambda: service.bulk_render("invoice", pks), bulk_repeat)
    separate_ours = timed(lambda: [service.bulk_render("invoice", [pk]) for pk in pks],
                          bulk_repeat)
    separate_bare = timed(lambda: [bare(standalone("invoice", [d.snapshot_html]))
                                   for d in invoices], bulk_repeat)
    print()
    print(f"bulk print of {n} invoices as one PDF: {one:7.2f} s")
    print(f"{n} separate renders (our path):      {separate_ours:7.2f} s   "
          f"ratio {one / separate_ours:.2f}   (target <= 0.4)")
    print(f"{n} separate renders (bare WeasyPrint): {separate_bare:5.2f} s   "
          f"ratio {one / separate_bare:.2f}")

    drop_database(options.keep)


def drop_database(keep: bool) -> None:
    """Drop the scratch database unless asked to keep it."""
    if keep:
        return
    from django.db import connections

    connections.close_all()
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {DATABASE}")


def _spin(iterations: int) -> None:
    total = 0
    for number in range(iterations):
        total += number * number % 7


def machine_parallelism(processes: int, iterations: int = 8_000_000) -> float:
    """How much more work ``processes`` forked processes do at once than one, on a pure
    Python loop (the best a bulk print could gain on this machine right now)."""
    import multiprocessing

    context = multiprocessing.get_context("fork")

    def wall(count: int) -> float:
        started = time.perf_counter()
        workers = [context.Process(target=_spin, args=(iterations,)) for _ in range(count)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        return time.perf_counter() - started

    one = statistics.median(wall(1) for _ in range(3))
    every = statistics.median(wall(processes) for _ in range(3))
    return processes * one / every


def bulk_on_every_core(count: int, rounds: int) -> None:
    """A bulk print of ``count`` delivery notes laid out by one process and by one process per
    core (documents/parallel.py), in alternating rounds (which goes first alternates too, so a
    change of load hits both); pages/s of each, their ratio against the 1.7× target, the CPU
    time of the parent and of its workers, the CPU count and the load average."""
    from oscar_orders_ext.documents import parallel, service

    processes = parallel.print_processes(0)
    pks = [order.pk for order in place_orders(count)]
    service.bulk_render("delivery_note", pks[:parallel.MIN_CHUNK])  # templates, fonts
    started = time.perf_counter()
    service.print_batch("delivery_note", pks)
    building = time.perf_counter() - started
    print(f"CPU count {parallel.cpu_count()} (os.cpu_count {os.cpu_count()}), "
          f"{processes} processes ({parallel.start_method()}), load average "
          f"{'/'.join(f'{load:.1f}' for load in os.getloadavg())}")
    print(f"HTML of {count} delivery notes built in the parent: {building:.1f} s "
          f"(done while the workers lay out earlier chunks)")
    ceilings = [machine_parallelism(processes)] if processes > 1 else []
    times: dict[int, list[float]] = {1: [], processes: []}
    loads: list[float] = []
    pages = 0
    for round_ in range(rounds):
        order = (1, processes) if round_ % 2 == 0 else (processes, 1)
        for workers in order:
            load = os.getloadavg()[0]
            loads.append(load)
            before, cpu_before = os.times(), time.process_time()
            started = time.perf_counter()
            result = service.bulk_render("delivery_note", pks, processes=workers)
            elapsed = time.perf_counter() - started
            after, parent_cpu = os.times(), time.process_time() - cpu_before
            workers_cpu = (after.children_user + after.children_system
                           - before.children_user - before.children_system)
            times[workers].append(elapsed)
            pages = result.rendered.pages
            print(f"round {round_ + 1}: {count} delivery notes, {workers} process(es): "
                  f"{elapsed:7.1f} s ({pages / elapsed:5.1f} pages/s), CPU parent "
                  f"{parent_cpu:5.1f} s workers {workers_cpu:5.1f} s, "
                  f"load average {load:.1f}")
    if processes == 1:
        print("one core: bulk prints use one process (nothing to compare)")
        return
    ceilings.append(machine_parallelism(processes))
    one, every = statistics.median(times[1]), statistics.median(times[processes])
    ratio = one / every
    verdict = "met" if ratio >= 1.7 else "NOT met"
    print(f"median: one process {pages / one:.1f} pages/s, {processes} processes "
          f"{pages / every:.1f} pages/s: {ratio:.2f}× (target at least 1.7× on 2 cores: "
          f"{verdict}); load average {min(loads):.1f}–{max(loads):.1f} during the rounds")
    print(f"the machine on {processes} processes (a pure Python loop), before and after the "
          f"rounds: {ceilings[0]:.2f}×, {ceilings[1]:.2f}×")


if __name__ == "__main__":
    main()
