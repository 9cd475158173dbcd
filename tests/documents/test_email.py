"""Emailing an issued invoice: Oscar's communication machinery, the stored PDF attached."""

from __future__ import annotations

import pytest
from django.core import mail
from oscar.core.loading import get_model

from oscar_orders_ext.constants import TimelineKind
from oscar_orders_ext.documents.service import (DocumentError, email_document, issue_invoice,
                                                issued_pdf)
from oscar_orders_ext.models import TimelineEntry

CommunicationEventType = get_model("communication", "CommunicationEventType")
CommunicationEvent = get_model("order", "CommunicationEvent")

pytestmark = pytest.mark.django_db


def test_the_invoice_goes_to_the_customer_as_a_pdf_attachment(make_order):
    order = make_order()
    invoice = issue_invoice(order)

    assert email_document(invoice) == "maria@example.com"

    (message,) = mail.outbox
    assert message.to == ["maria@example.com"]
    assert invoice.number in message.subject
    assert invoice.number in message.body
    (name, content, mimetype), = message.attachments
    assert name == invoice.filename and mimetype == "application/pdf"
    assert content == issued_pdf(invoice)
    assert CommunicationEvent.objects.filter(order=order, event_type__code="INVOICE").exists()
    entry = TimelineEntry.objects.filter(order=order, kind=TimelineKind.EMAIL).get()
    assert entry.summary == f"Invoice {invoice.number} emailed to maria@example.com"


def test_the_shop_edits_the_email_in_the_dashboard(make_order):
    CommunicationEventType.objects.create(
        code="INVOICE", name="Invoice", category=CommunicationEventType.ORDER_RELATED,
        email_subject_template="Fattura {{ document.number }}",
        email_body_template="Gentile {{ customer_name }}, in allegato la fattura.")
    invoice = issue_invoice(make_order())
    email_document(invoice)
    assert mail.outbox[0].subject == f"Fattura {invoice.number}"
    assert "Gentile Maria Bianchi" in mail.outbox[0].body


def test_an_order_without_email_is_refused(make_order):
    invoice = issue_invoice(make_order(guest_email=""))
    with pytest.raises(DocumentError, match="no email address"):
        email_document(invoice)
    assert mail.outbox == []
