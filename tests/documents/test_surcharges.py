"""Oscar's surcharges (a plan's setup fee) on documents: a row of their own, named in the
customer's language, never an unnamed "Discounts" row of the wrong sign."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from oscar_orders_ext.documents.service import (issue_credit_note, issue_invoice,
                                                order_content, render_document)
from oscar_orders_ext.models import OrderProcess

from .conftest import pdf_text

pytestmark = pytest.mark.django_db


def with_setup_fee(order):
    """The order as checkout places it with a plan's setup fee of 5.00."""
    order.surcharges.create(name="Setup fee", code="setup-fee", excl_tax=Decimal("5.00"),
                            incl_tax=Decimal("5.00"))
    order.total_incl_tax += Decimal("5.00")
    order.total_excl_tax += Decimal("5.00")
    order.save()
    return order


def flat(pdf):
    return " ".join(pdf_text(pdf).split())


def test_the_setup_fee_is_a_row_and_the_rows_add_up(make_order):
    order = with_setup_fee(make_order())
    content = order_content(order)
    totals = content["totals"]
    assert totals["discount_incl_tax"] == Decimal("0.00")  # it was +5.00, shown as "Discounts"
    assert content["surcharges"] == [{"name": "Setup fee", "code": "setup-fee",
                                      "excl_tax": Decimal("5.00"), "incl_tax": Decimal("5.00")}]
    assert (totals["lines_incl_tax"] + totals["shipping_incl_tax"]
            + sum(c["incl_tax"] for c in content["surcharges"])) == totals["incl_tax"]


@pytest.mark.parametrize("kind", ["order_summary", "receipt_a4", "receipt_80mm"])
def test_printed_documents_name_the_setup_fee(make_order, kind):
    text = flat(render_document(kind, with_setup_fee(make_order())).pdf)
    assert "Setup fee €5.00" in text
    assert "Discounts" not in text


def test_an_italian_customers_invoice_and_credit_note_name_it_in_italian(make_order):
    order = with_setup_fee(make_order())
    OrderProcess.objects.filter(order=order).update(language="it")
    with translation.override("en"):  # the operator's language does not matter
        invoice = issue_invoice(order)
    assert invoice.data["surcharges"][0]["incl_tax"] == "5.00"  # frozen with the invoice
    with invoice.file.open("rb") as stored:
        text = flat(stored.read())
    assert "Costo di attivazione 5,00 €" in text and "Sconti" not in text
    credit = issue_credit_note(invoice)
    with credit.file.open("rb") as stored:
        assert "Costo di attivazione -5,00 €" in flat(stored.read())


def test_a_partial_credit_note_lists_only_its_refund(make_order):
    order = with_setup_fee(make_order())
    invoice = issue_invoice(order)
    credit = issue_credit_note(invoice, amount=Decimal("3.00"), reason="Broken cup")
    with credit.file.open("rb") as stored:
        text = flat(stored.read())
    assert "Broken cup" in text and "Setup fee" not in text
    assert "Total -€3.00" in text
