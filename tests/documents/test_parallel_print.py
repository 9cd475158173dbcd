"""A bulk print laid out by several processes is the same print as one laid out by one; a
worker that fails, dies or hangs fails the print cleanly."""

from __future__ import annotations

import gc
import hashlib
import multiprocessing
import os
import time
from typing import Any

import pytest
from django.utils import translation

from oscar_orders_ext.conf import app_settings
from oscar_orders_ext.documents import parallel, rendering, service
from oscar_orders_ext.documents.service import (DeliveryDetails, bulk_render, issue_invoice,
                                                issued_pdf, run_print_job, start_print_job)
from oscar_orders_ext.models import ExportJob, IssuedDocument, OrderProcess

from .conftest import pdf_pages

pytestmark = pytest.mark.django_db

#: Four chunks (5, 5, 5, 1) among two processes: one of them lays out two chunks or more.
SHARED = 3 * parallel.MIN_CHUNK + 1


def page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text() or "" for page in pdf_pages(pdf)]


@pytest.fixture(autouse=True)
def no_worker_left_behind() -> Any:
    """Every test ends with its worker processes gone (reaped, not orphaned)."""
    yield
    assert multiprocessing.active_children() == []


def test_delivery_notes_laid_out_by_two_processes_match_one_process(make_order):
    orders = [make_order() for _ in range(SHARED)]
    pks = [order.pk for order in orders]
    seen: list[int] = []
    alone = bulk_render("delivery_note", pks)
    shared = bulk_render("delivery_note", pks, processes=2, progress=seen.append)
    assert shared.count == alone.count == SHARED
    assert shared.rendered.pages == alone.rendered.pages == SHARED
    # Same pages in the same order, each footer naming its own delivery note.
    texts = page_texts(shared.rendered.pdf)
    assert texts == page_texts(alone.rendered.pdf)
    assert [f"Delivery note {order.number}" in text
            for order, text in zip(orders, texts, strict=True)] == [True] * SHARED
    # The job's bar moves chunk by chunk, up to every document.
    assert seen == sorted(seen) and seen[-1] == SHARED and len(seen) == 4


def test_each_customers_language_is_kept_when_shared(make_order):
    pks = [make_order().pk for _ in range(SHARED)]
    OrderProcess.objects.filter(order_id__in=pks[::2]).update(language="it")
    OrderProcess.objects.filter(order_id__in=pks[1::2]).update(language="fr")
    with translation.override("fr"):  # the printing user's
        alone = bulk_render("order_summary", pks)
        shared = bulk_render("order_summary", pks, processes=2)
    texts = page_texts(shared.rendered.pdf)
    assert texts == page_texts(alone.rendered.pdf)
    assert "Riepilogo ordine" in texts[0] and "Récapitulatif de commande" in texts[1]


def test_fitted_80mm_receipts_keep_their_heights_when_shared(make_order):
    pks = [make_order(lines=1 + index % 3).pk for index in range(SHARED)]
    alone = bulk_render("receipt_80mm", pks)
    shared = bulk_render("receipt_80mm", pks, processes=2)
    assert shared.rendered.page_heights_mm == alone.rendered.page_heights_mm
    assert len(set(alone.rendered.page_heights_mm)) == 3  # one, two and three lines
    assert [float(page.mediabox.height) for page in pdf_pages(shared.rendered.pdf)] == \
        [float(page.mediabox.height) for page in pdf_pages(alone.rendered.pdf)]


def test_invoices_printed_by_two_processes_keep_numbers_and_stored_copies(make_order):
    invoices = [issue_invoice(make_order()) for _ in range(SHARED)]
    issued = {invoice.pk: (invoice.number, issued_pdf(invoice)) for invoice in invoices}
    pks = [invoice.order_id for invoice in invoices]
    alone = bulk_render("invoice", pks)
    shared = bulk_render("invoice", pks, processes=2)
    texts = page_texts(shared.rendered.pdf)
    assert texts == page_texts(alone.rendered.pdf)
    # In numbering order, each page naming its invoice's number.
    assert [f"Invoice {invoice.number}" in text
            for invoice, text in zip(invoices, texts, strict=True)] == [True] * SHARED
    # Printing numbers nothing and stores nothing: each stored copy is byte for byte the one
    # issued, as its recorded hash says.
    assert IssuedDocument.objects.count() == SHARED
    for invoice in IssuedDocument.objects.filter(pk__in=issued):
        assert (invoice.number, issued_pdf(invoice)) == issued[invoice.pk]
        assert hashlib.sha256(issued_pdf(invoice)).hexdigest() == invoice.sha256


def test_chunks_cover_every_document_once_and_shrink_towards_the_end():
    for count in (1, 5, 6, 11, 57, 500):
        bounds = parallel.chunk_bounds(count, 2)
        assert [index for start, end in bounds for index in range(start, end)] == \
            list(range(count))
    sizes = parallel.chunk_sizes(500, 2)
    assert sizes[0] == parallel.MAX_CHUNK and sizes == sorted(sizes, reverse=True)
    assert sizes[-2] <= parallel.MIN_CHUNK  # both workers finish within a small chunk


def test_processes_default_to_the_cores(monkeypatch, settings):
    assert app_settings.PRINT_PROCESSES == 0
    assert parallel.print_processes(3) == 3
    monkeypatch.setattr(parallel, "cpu_count", lambda: 2)
    assert parallel.print_processes(0) == 2
    monkeypatch.setattr(parallel, "cpu_count", lambda: 1)
    assert parallel.print_processes(0) == 1  # a one-core machine lays out in one process
    monkeypatch.setattr(parallel, "cpu_count", lambda: 2)
    assert service._print_processes(parallel.PARALLEL_MIN) == 2
    assert service._print_processes(parallel.PARALLEL_MIN - 1) == 1
    settings.OSCAR_ORDERS_EXT_PRINT_PROCESSES = 1
    assert service._print_processes(500) == 1


def fail_on(monkeypatch: Any, number: str, failure: Any) -> None:
    """Make the worker laying out the chunk holding order ``number`` run ``failure``."""
    render = rendering.render_pdf

    def render_pdf(html: str, **kwargs: Any) -> Any:
        if number in html:
            failure()
        return render(html, **kwargs)

    monkeypatch.setattr(parallel, "render_pdf", render_pdf)  # forked workers inherit it


def boom() -> None:
    raise ValueError("the printer caught fire")


def test_a_worker_that_raises_fails_the_print_with_its_error(make_order, monkeypatch):
    orders = [make_order() for _ in range(SHARED)]
    fail_on(monkeypatch, str(orders[-1].number), boom)
    with pytest.raises(parallel.PrintWorkerError) as caught:
        bulk_render("delivery_note", [order.pk for order in orders], processes=2)
    assert caught.value.message == ("A process laying out the documents failed; nothing was "
                                    "printed: ValueError: the printer caught fire")


def test_a_worker_that_dies_fails_the_print(make_order, monkeypatch):
    orders = [make_order() for _ in range(SHARED)]
    fail_on(monkeypatch, str(orders[0].number), lambda: os._exit(3))
    with pytest.raises(parallel.PrintWorkerError, match=r"stopped unexpectedly \(exit code 3\)"):
        bulk_render("delivery_note", [order.pk for order in orders], processes=2)


def test_a_worker_that_hangs_fails_the_print_instead_of_the_job_waiting(make_order,
                                                                        monkeypatch):
    orders = [make_order() for _ in range(SHARED)]
    monkeypatch.setattr(parallel, "STALL_SECONDS", 2)
    monkeypatch.setattr(parallel, "STALL_SECONDS_PER_DOCUMENT", 0)
    fail_on(monkeypatch, str(orders[0].number), lambda: time.sleep(600))
    started = time.monotonic()
    with pytest.raises(parallel.PrintWorkerError, match="stopped answering for 2 seconds"):
        bulk_render("delivery_note", [order.pk for order in orders], processes=2)
    assert time.monotonic() - started < 60


def test_a_worker_never_queries_the_parents_database(make_order, monkeypatch):
    orders = [make_order() for _ in range(SHARED)]
    fail_on(monkeypatch, str(orders[0].number), lambda: IssuedDocument.objects.count())
    with pytest.raises(parallel.PrintWorkerError, match="does not use the database"):
        bulk_render("delivery_note", [order.pk for order in orders], processes=2)
    # The parent's connection (and the test's transaction) is untouched.
    assert IssuedDocument.objects.count() == 0 and ExportJob.objects.count() == 0


def test_a_worker_leaves_the_objects_it_inherited_to_the_parent(make_order, monkeypatch):
    """A forked worker's garbage collector never walks the parent's objects (it would copy
    their memory pages and spend the workers' CPU); the parent's are collectable again after."""
    orders = [make_order() for _ in range(SHARED)]
    render = rendering.render_pdf

    def render_pdf(html: str, **kwargs: Any) -> Any:  # checked in every chunk
        if gc.get_freeze_count() == 0:
            raise ValueError("the worker collects the objects it inherited")
        return render(html, **kwargs)

    monkeypatch.setattr(parallel, "render_pdf", render_pdf)  # forked workers inherit it
    shared = bulk_render("delivery_note", [order.pk for order in orders], processes=2)
    assert shared.rendered.pages == SHARED
    assert gc.get_freeze_count() == 0


def test_a_background_print_reports_progress_then_its_file(make_order, editor, monkeypatch,
                                                           settings):
    settings.OSCAR_ORDERS_EXT_PRINT_PROCESSES = 2
    monkeypatch.setattr(parallel, "PARALLEL_MIN", SHARED)
    orders = [make_order() for _ in range(SHARED)]
    job = start_print_job("delivery_note", [order.pk for order in orders], editor,
                          delivery=DeliveryDetails(carrier="DHL"))
    reported: list[int] = []
    progress = service._job_progress

    def watched(job_id: int) -> Any:
        report = progress(job_id)

        def both(done: int) -> None:
            report(done)
            reported.append(ExportJob.objects.get(pk=job_id).done)  # what the page shows
        return both

    monkeypatch.setattr(service, "_job_progress", watched)
    run_print_job(job.pk)
    job.refresh_from_db()
    assert (job.status, job.done, job.total) == ("done", SHARED, SHARED)
    assert len(reported) == 4 and reported == sorted(reported) and reported[-1] == SHARED
    with job.file.open("rb") as handle:
        assert len(pdf_pages(handle.read())) == SHARED


def test_a_background_print_whose_worker_fails_stores_nothing(make_order, editor, monkeypatch,
                                                              settings):
    settings.OSCAR_ORDERS_EXT_PRINT_PROCESSES = 2
    monkeypatch.setattr(parallel, "PARALLEL_MIN", SHARED)
    orders = [make_order() for _ in range(SHARED)]
    fail_on(monkeypatch, str(orders[-1].number), boom)
    job = start_print_job("delivery_note", [order.pk for order in orders], editor)
    run_print_job(job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and not job.file
    assert job.error.endswith("nothing was printed: ValueError: the printer caught fire")
