"""Printing an order: each document shows the order's data; nothing outside the shop is fetched."""

from __future__ import annotations

import pytest

from oscar_orders_ext.constants import DocumentKind
from oscar_orders_ext.documents.service import DeliveryDetails, render_document

from .conftest import pdf_pages, pdf_text

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("kind", ["order_summary", "receipt_a4", "receipt_80mm",
                                  "delivery_note"])
def test_each_printable_document_shows_the_order(make_order, kind):
    order = make_order(lines=2, quantity=3)
    text = pdf_text(render_document(kind, order).pdf)
    assert str(order.number) in text
    assert "Espresso cup 1" in text and "Espresso cup 2" in text
    assert "Bottega Rossi srl" in text
    if kind != "delivery_note":
        assert "60.00" in text  # 2 lines × 3 × 10.00
    else:
        assert "60.00" not in text  # a delivery note has no prices


def test_delivery_note_states_carrier_packages_and_reason(make_order):
    order = make_order()
    text = pdf_text(render_document(DocumentKind.DELIVERY_NOTE, order, delivery=DeliveryDetails(
        carrier="BRT Corriere", packages=3, reason="Sale")).pdf)
    assert "Maria Bianchi" in text and "Corso Como 5" in text
    assert "BRT Corriere" in text and "Reason for transport" in text
    assert "Number of packages" in text and "3" in text
