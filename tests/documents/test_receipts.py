"""What a receipt says about payment follows what was received: never a payment not made."""

from __future__ import annotations

from decimal import Decimal

import pytest
from oscar.core.loading import get_model

from oscar_orders_ext.documents.service import render_document
from oscar_orders_ext.services import edits

from .conftest import pdf_text

pytestmark = pytest.mark.django_db

Source = get_model("payment", "Source")
SourceType = get_model("payment", "SourceType")


def receipt(order, kind="receipt_a4"):
    return " ".join(pdf_text(render_document(kind, order).pdf).split())


@pytest.mark.parametrize("kind", ["receipt_a4", "receipt_80mm"])
def test_an_unpaid_orders_receipt_says_not_paid_not_received_with_thanks(make_order, kind):
    # The A4 receipt of an unpaid order used to say "Received with thanks: US$217.47".
    order = make_order()  # 2 × 10.00, unpaid
    text = receipt(order, kind)
    assert "Received" not in text
    assert "Not paid" in text and "This document is not a receipt." in text


def test_a_paid_orders_receipt_thanks_for_the_total(make_order):
    order = make_order()
    edits.set_payment_status(order, "paid")
    text = receipt(order)
    assert "Receipt" in text and "Received with thanks: €20.00." in text


def test_a_partly_paid_order_states_what_was_received_and_what_is_due(make_order):
    order = make_order()
    Source.objects.create(order=order, source_type=SourceType.objects.create(name="Cash"),
                          amount_allocated=Decimal("20.00"), amount_debited=Decimal("5.00"))
    text = receipt(order)
    assert "Received with thanks: €5.00. Still due: €15.00." in text


def test_a_refunded_orders_receipt_says_so(make_order):
    order = make_order()
    edits.set_payment_status(order, "refunded")
    assert "Received: €20.00, refunded in full." in receipt(order)
