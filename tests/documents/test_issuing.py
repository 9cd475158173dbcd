"""Invoices and credit notes: gapless numbers, stored once, never changed, reversed by credit."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from oscar_orders_ext.constants import TimelineKind
from oscar_orders_ext.documents.service import (DocumentError, bulk_render, issue_credit_note,
                                                issue_invoice, issued_pdf, start_print_job)
from oscar_orders_ext.models import (DocumentSequence, ExportJob, ImmutableDocumentError,
                                     TimelineEntry)

from .conftest import pdf_pages, pdf_text

pytestmark = pytest.mark.django_db
YEAR = timezone.localtime().year


def test_invoices_are_numbered_in_sequence_per_year(make_order):
    first, second = issue_invoice(make_order()), issue_invoice(make_order())
    assert (first.number, second.number) == (f"{YEAR}/00001", f"{YEAR}/00002")
    assert DocumentSequence.objects.get(kind="invoice", year=YEAR).last_number == 2


def test_the_invoice_pdf_shows_number_customer_lines_and_totals(make_order):
    order = make_order(lines=2, quantity=3)
    invoice = issue_invoice(order)
    text = pdf_text(issued_pdf(invoice))
    assert "Invoice" in text and f"{YEAR}/00001" in text and str(order.number) in text
    assert "Maria Bianchi" in text and "Espresso cup 2" in text and "€60.00" in text
    assert "IT01234567890" in text and "IBAN IT60X0542811101000000123456" in text
    assert invoice.total == Decimal("60.00") and invoice.currency == order.currency


def test_issuing_goes_on_the_timeline(make_order, operator):
    operator.user_permissions.add(*_perms("issue_invoice"))
    order = make_order()
    invoice = issue_invoice(order, user=_fresh(operator))
    entry = TimelineEntry.objects.get(order=order, kind=TimelineKind.DOCUMENT)
    assert entry.actor == operator
    assert entry.summary == f"Invoice {invoice.number} issued"


def test_an_order_is_invoiced_once_until_credited(make_order):
    order = make_order()
    invoice = issue_invoice(order)
    with pytest.raises(DocumentError, match="already has invoice"):
        issue_invoice(order)
    issue_credit_note(invoice, reason="Wrong address")
    assert issue_invoice(order).number == f"{YEAR}/00002"


def test_the_stored_pdf_never_changes_when_the_order_is_edited(make_order):
    order = make_order(quantity=2)
    invoice = issue_invoice(order)
    before = issued_pdf(invoice)
    line = order.lines.get()
    line.quantity, line.line_price_incl_tax, line.line_price_excl_tax = 7, Decimal("70"), Decimal("70")
    line.title = "Teapot"
    line.save()
    order.total_incl_tax = order.total_excl_tax = Decimal("70.00")
    order.save()

    invoice.refresh_from_db()
    after = issued_pdf(invoice)
    assert after == before
    text = pdf_text(after)
    assert "Espresso cup 1" in text and "€20.00" in text and "Teapot" not in text
    with pytest.raises(ImmutableDocumentError):
        invoice.save()
    with pytest.raises(ImmutableDocumentError):
        invoice.delete()
    # Bulk reprints lay out the frozen content, not the edited order.
    reprint = pdf_text(bulk_render("invoice", [order.pk]).rendered.pdf)
    assert "Espresso cup 1" in reprint and "Teapot" not in reprint


def test_a_full_credit_note_reverses_the_invoice_line_by_line(make_order):
    order = make_order(lines=2, quantity=1)
    invoice = issue_invoice(order)
    credit = issue_credit_note(invoice, reason="Returned")
    assert credit.number == f"CN-{YEAR}/00001"
    assert credit.total == Decimal("-20.00") and credit.credited == invoice
    text = pdf_text(issued_pdf(credit))
    assert "Credit note" in text and f"Credits invoice {invoice.number}" in text
    assert "Espresso cup 2" in text and "-€20.00" in text and "Returned" in text
    entry = TimelineEntry.objects.filter(order=order, kind=TimelineKind.DOCUMENT).first()
    assert entry.summary == f"Credit note {credit.number} issued (credits invoice {invoice.number})"


def test_partial_credit_notes_up_to_the_invoice_total(make_order):
    invoice = issue_invoice(make_order(quantity=3))  # 30.00
    partial = issue_credit_note(invoice, amount=Decimal("12.50"), reason="Chipped cup")
    assert partial.total == Decimal("-12.50")
    assert "Chipped cup" in pdf_text(issued_pdf(partial))
    with pytest.raises(DocumentError, match="at most 17.50"):
        issue_credit_note(invoice, amount=Decimal("20.00"))
    rest = issue_credit_note(invoice)
    assert rest.total == Decimal("-17.50")
    with pytest.raises(DocumentError, match="fully credited"):
        issue_credit_note(invoice)


def test_a_credit_note_cannot_be_credited(make_order):
    credit = issue_credit_note(issue_invoice(make_order()))
    with pytest.raises(DocumentError, match="Only invoices"):
        issue_credit_note(credit)


def test_a_failed_render_uses_no_number(make_order, monkeypatch):
    from oscar_orders_ext.documents import service

    order = make_order()

    def broken(*args, **kwargs):
        raise RuntimeError("printer on fire")

    monkeypatch.setattr(service, "render_fragments", broken)
    with pytest.raises(RuntimeError):
        issue_invoice(order)
    monkeypatch.undo()
    assert issue_invoice(order).number == f"{YEAR}/00001"


def test_without_permission_nothing_is_issued(make_order, viewer):
    order = make_order()
    with pytest.raises(DocumentError.__mro__[1]):  # OrderWorkflowError
        issue_invoice(order, user=viewer)
    assert not order.issued_documents.exists()


def test_bulk_invoices_skip_orders_without_one(make_order):
    invoiced, not_invoiced = make_order(), make_order()
    issue_invoice(invoiced)
    result = bulk_render("invoice", [invoiced.pk, not_invoiced.pk])
    assert result.count == 1 and result.skipped == [str(not_invoiced.number)]
    assert len(pdf_pages(result.rendered.pdf)) == 1


def test_a_background_print_names_the_skipped_orders_in_the_users_language(
        make_order, editor, django_capture_on_commit_callbacks):
    invoiced, not_invoiced = make_order(), make_order()
    issue_invoice(invoiced)
    with translation.override("it"), django_capture_on_commit_callbacks() as worker:
        job = start_print_job("invoice", [invoiced.pk, not_invoiced.pk], editor)
    with translation.override("en"):  # the worker's own language
        for callback in worker:
            callback()
    job = ExportJob.objects.get(pk=job.pk)
    assert job.status == "done" and job.done == 1
    assert job.error == f"Saltati (senza fattura): {not_invoiced.number}"


def _perms(*codenames):
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(content_type__app_label="oscar_orders_ext",
                                     codename__in=codenames)


def _fresh(user):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(pk=user.pk)


def test_issuing_reads_the_order_once_and_locks_the_counter_without_probing_it(make_order):
    issue_invoice(make_order())  # the year's counter exists from now on
    order = make_order()
    with CaptureQueriesContext(connection) as captured:
        issue_invoice(order)
    statements = [query["sql"] for query in captured.captured_queries]
    assert sum(sql.startswith('SELECT "order_order"') for sql in statements) == 1
    assert not any("oscar_orders_ext_documentsequence" in sql and sql.startswith("SELECT 1")
                   for sql in statements)
    # 13, the discounts printed with the totals, and the process row read after its lock
    assert len(statements) <= 15
