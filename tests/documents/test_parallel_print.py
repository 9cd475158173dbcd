"""A bulk print laid out by several processes is the same print as one laid out by one."""

from __future__ import annotations

import pytest

from oscar_orders_ext.documents import parallel
from oscar_orders_ext.documents.service import bulk_render, issue_invoice, issued_pdf
from oscar_orders_ext.models import IssuedDocument

from .conftest import pdf_pages

pytestmark = pytest.mark.django_db

CHUNKED = parallel.MIN_CHUNK + 2  # more than one chunk: two processes share the print


def page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text() or "" for page in pdf_pages(pdf)]


def test_delivery_notes_laid_out_by_two_processes_match_one_process(make_order):
    orders = [make_order() for _ in range(CHUNKED)]
    pks = [order.pk for order in orders]
    seen: list[int] = []
    alone = bulk_render("delivery_note", pks)
    shared = bulk_render("delivery_note", pks, processes=2, progress=seen.append)
    assert shared.count == alone.count == CHUNKED
    assert shared.rendered.pages == alone.rendered.pages == CHUNKED
    # Same pages in the same order, each footer naming its own delivery note.
    assert page_texts(shared.rendered.pdf) == page_texts(alone.rendered.pdf)
    assert [str(order.number) in text for order, text in
            zip(orders, page_texts(shared.rendered.pdf), strict=True)] == [True] * CHUNKED
    assert seen[-1] == CHUNKED and seen == sorted(seen) and len(seen) >= 2


def test_fitted_80mm_receipts_keep_their_heights_when_shared(make_order):
    pks = [make_order(lines=1 + index % 3).pk for index in range(CHUNKED)]
    alone = bulk_render("receipt_80mm", pks)
    shared = bulk_render("receipt_80mm", pks, processes=2)
    assert shared.rendered.page_heights_mm == alone.rendered.page_heights_mm
    assert [float(page.mediabox.height) for page in pdf_pages(shared.rendered.pdf)] == \
        [float(page.mediabox.height) for page in pdf_pages(alone.rendered.pdf)]


def test_invoices_printed_by_two_processes_keep_numbers_and_stored_copies(make_order):
    invoices = [issue_invoice(make_order()) for _ in range(CHUNKED)]
    stored = {invoice.pk: issued_pdf(invoice) for invoice in invoices}
    pks = [invoice.order_id for invoice in invoices]
    alone = bulk_render("invoice", pks)
    shared = bulk_render("invoice", pks, processes=2)
    texts = page_texts(shared.rendered.pdf)
    assert texts == page_texts(alone.rendered.pdf)
    # In numbering order, each page naming its invoice's number.
    assert [invoice.number in text for invoice, text in
            zip(invoices, texts, strict=True)] == [True] * CHUNKED
    for invoice in IssuedDocument.objects.filter(pk__in=stored):
        assert issued_pdf(invoice) == stored[invoice.pk]  # byte for byte, as issued


def test_chunks_cover_every_document_once():
    for count in (1, 9, 10, 11, 57, 500):
        bounds = parallel.chunk_bounds(count, 2)
        assert [index for start, end in bounds for index in range(start, end)] == \
            list(range(count))
    assert len(parallel.chunk_bounds(500, 2)) == 8  # progress moves every 63 documents


def test_print_processes_default_to_the_cores():
    assert parallel.print_processes(3) == 3
    assert parallel.print_processes(0) >= 1
