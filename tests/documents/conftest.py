"""Fixtures for documents: a shop identity, orders with addresses, PDF text extraction."""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from oscar.test import factories
from pypdf import PdfReader

IDENTITY = {
    "name": "Bottega Rossi srl", "address": "Via Roma 1\n20100 Milano", "vat_number": "IT01234567890",
    "tax_code": "RSSMRA80A01F205X", "bank_details": "IBAN IT60X0542811101000000123456",
    "footer": "Registered in Milano", "email": "shop@example.com",
}


@pytest.fixture(autouse=True)
def shop_identity(settings: Any, tmp_path: Any) -> dict[str, str]:
    """Every document test prints the same shop, and stores files in a temporary media root."""
    settings.OSCAR_ORDERS_EXT_SHOP_IDENTITY = IDENTITY
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return IDENTITY


def pdf_text(pdf: bytes) -> str:
    """All the text of a PDF, pages joined."""
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def pdf_pages(pdf: bytes) -> list[Any]:
    return list(PdfReader(io.BytesIO(pdf)).pages)


#: Unique SKUs: ``id(basket)`` was reused once a basket was freed (duplicate stock records).
SKUS = itertools.count(1)


@pytest.fixture
def make_order(db: Any) -> Callable[..., Any]:
    """An order placed through Oscar with a shipping address and ``lines`` distinct products."""

    def make(lines: int = 1, quantity: int = 2, price: str = "10.00", **kwargs: Any) -> Any:
        basket = factories.create_basket(empty=True)
        for index in range(lines):
            product = factories.create_product(title=f"Espresso cup {index + 1}",
                                               price=Decimal(price), num_in_stock=100,
                                               partner_sku=f"CUP-{index + 1}-{next(SKUS)}")
            basket.add_product(product, quantity)
        address = factories.ShippingAddressFactory(first_name="Maria", last_name="Bianchi",
                                                   line1="Corso Como 5", line4="Milano",
                                                   postcode="20154")
        kwargs.setdefault("guest_email", "maria@example.com")
        return factories.create_order(basket=basket, shipping_address=address, **kwargs)

    return make
