"""Oscar's discounts (offers, vouchers) on documents: named, with their amounts, adding up."""

from __future__ import annotations

from decimal import Decimal

import pytest
from oscar.core.loading import get_model

from oscar_orders_ext.documents.service import issue_invoice, order_content, render_document

from ..wagtail.conftest import FRONT_ENDS
from .conftest import pdf_text

pytestmark = pytest.mark.django_db

OrderDiscount = get_model("order", "OrderDiscount")


def with_voucher(order):
    """The order as Oscar places it with a 10% voucher: lines priced after the discount."""
    order.lines.update(line_price_incl_tax=Decimal("18.00"), line_price_excl_tax=Decimal("18.00"),
                       line_price_before_discounts_incl_tax=Decimal("20.00"),
                       line_price_before_discounts_excl_tax=Decimal("20.00"))
    order.total_incl_tax = order.total_excl_tax = Decimal("18.00")
    order.save()
    OrderDiscount.objects.create(order=order, offer_name="Ten percent off", voucher_code="SAVE10",
                                 amount=Decimal("2.00"))
    return order


def flat(pdf):
    return " ".join(pdf_text(pdf).split())


@pytest.mark.parametrize("kind", ["order_summary", "receipt_a4", "receipt_80mm"])
def test_a_voucher_discount_is_named_on_printed_documents(make_order, kind):
    # "2 × €10.00 → €18.00" used to show with no discount line at all.
    text = flat(render_document(kind, with_voucher(make_order())).pdf)
    assert "Voucher SAVE10 · Ten percent off -€2.00" in text
    assert "Goods €20.00" in text
    assert "Total €18.00" in text


def test_the_invoice_freezes_the_discount_and_its_rows_add_up(make_order):
    order = with_voucher(make_order())
    content = order_content(order)
    totals = content["totals"]
    rows = (totals["goods_before_discounts_incl_tax"] + totals["shipping_before_discounts_incl_tax"]
            + sum(d["amount"] for d in content["discounts"]) + totals["discount_incl_tax"])
    assert rows == totals["incl_tax"] == Decimal("18.00")
    assert sum(group["total"] for group in content["tax_summary"]) == Decimal("18.00")
    invoice = issue_invoice(order)
    assert invoice.data["discounts"][0]["voucher_code"] == "SAVE10"
    with invoice.file.open("rb") as stored:
        assert "Voucher SAVE10 · Ten percent off -€2.00" in flat(stored.read())


@pytest.mark.parametrize("namespace", FRONT_ENDS)
def test_the_order_page_totals_name_the_discount(django_app, viewer, make_order, namespace):
    from django.urls import reverse

    from ..wagtail.conftest import with_wagtail_access

    order = with_voucher(make_order())
    page = django_app.get(reverse(f"{namespace}:orders-workspace-order",
                                  kwargs={"number": order.number}),
                          user=with_wagtail_access(viewer))
    totals = " ".join(page.pyquery("#ooe-totals").text().split())
    assert "Items €20.00" in totals
    assert "Voucher SAVE10 · Ten percent off -€2.00" in totals
    assert "Total €18.00" in totals
