"""The tax summary per rate (riepilogo IVA, récapitulatif TVA) on invoices, credit notes,
receipts and order summaries: it adds up to the document's totals to the cent."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest
from django.template import Context, Template
from django.utils import translation
from oscar.apps.partner import strategy
from oscar.apps.shipping.methods import FixedPrice
from oscar.test import factories

from oscar_orders_ext.documents.service import (bulk_render, issue_credit_note, issue_invoice,
                                                issued_pdf, order_content, render_document)
from oscar_orders_ext.documents.tax import allocate, rate_of, summarise
from oscar_orders_ext.models import IssuedDocument

from .conftest import pdf_text

D = Decimal
#: Italian VAT by the first word of the product's title; everything else 22%.
RATES = {"Book": D("0.04"), "Pasta": D("0.10"), "Espresso": D("0.22")}


class ItalianVAT(strategy.UseFirstStockRecord, strategy.StockRequired, strategy.FixedRateTax,
                 strategy.Structured):
    """Prices excluding tax on the stock records, tax by product, rounded per unit."""

    exponent = D("0.01")

    def get_rate(self, product: Any, stockrecord: Any) -> Decimal:
        return RATES.get(product.title.split()[0], D("0.22"))


@pytest.fixture
def vat_order(db: Any) -> Any:
    """An order placed through Oscar with Italian VAT: ``items`` are (title, price excl. tax,
    quantity); ``shipping`` is (excl. tax, incl. tax)."""

    def make(*items: tuple[str, str, int], shipping: tuple[str, str] | None = None) -> Any:
        basket = factories.create_basket(empty=True)
        basket.strategy = ItalianVAT()
        for index, (title, price, quantity) in enumerate(items):
            product = factories.create_product(title=title, price=D(price), num_in_stock=100,
                                               partner_sku=f"SKU-{index}-{id(basket)}")
            basket.add_product(product, quantity)
        method = FixedPrice(D(shipping[0]), D(shipping[1])) if shipping else None
        address = factories.ShippingAddressFactory(first_name="Maria", last_name="Bianchi",
                                                   line1="Corso Como 5", line4="Milano",
                                                   postcode="20154")
        return factories.create_order(basket=basket, shipping_address=address,
                                      shipping_method=method, guest_email="maria@example.com")

    return make


def _line(quantity: int, excl: str, incl: str) -> dict[str, Any]:
    return {"quantity": quantity, "total_excl_tax": D(excl), "total_incl_tax": D(incl)}


def _totals(excl: str, incl: str, shipping: tuple[str, str] = ("0.00", "0.00")) -> dict:
    return {"excl_tax": D(excl), "incl_tax": D(incl), "tax": D(incl) - D(excl),
            "shipping_excl_tax": D(shipping[0]), "shipping_incl_tax": D(shipping[1])}


def _rows(groups: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(group["rate"], group["taxable"], group["tax"], group["total"]) for group in groups]


def _assert_adds_up(content: dict[str, Any]) -> None:
    groups, totals = content["tax_summary"], content["totals"]
    assert sum(group["taxable"] for group in groups) == totals["excl_tax"]
    assert sum(group["tax"] for group in groups) == totals["tax"]
    assert sum(group["total"] for group in groups) == totals["incl_tax"]
    for group in groups:
        assert group["taxable"] + group["tax"] == group["total"]


# --- Reading rates back from amounts ---------------------------------------------------------

@pytest.mark.parametrize(("excl", "tax", "quantity", "rate"), [
    ("100.00", "22.00", 1, "22"), ("10.00", "0.55", 1, "5.5"), ("47.62", "1.00", 1, "2.1"),
    ("16.66", "3.33", 1, "20"),  # 19.99% by the cents: 20% rounded per unit
    ("0.99", "0.22", 1, "22"),   # 22.22% by the cents
    ("3.00", "0.66", 3, "22"), ("10.00", "0.00", 2, "0"),
])
def test_a_rate_is_the_simplest_one_the_rounding_of_its_amounts_allows(excl, tax, quantity,
                                                                       rate):
    assert rate_of(D(excl), D(tax), quantity) == D(rate)
    assert str(rate_of(D(excl), D(tax), quantity)) == rate  # printed as the merchant knows it


def test_a_small_amount_takes_a_rate_already_on_the_document():
    assert rate_of(D("1.00"), D("0.06")) == D(6)  # alone: 6% is the simplest that fits
    assert rate_of(D("1.00"), D("0.06"), known=[D("5.5"), D(22)]) == D("5.5")


def test_a_rate_cannot_be_told_without_an_amount_excluding_tax():
    assert rate_of(D("0.00"), D("1.00")) is None
    assert rate_of(D("10.00"), D("-1.00")) is None


def test_allocation_is_pro_rata_with_the_cents_to_the_largest_remainders():
    assert allocate(D("-10.00"), [D(1), D(1), D(1)]) == [D("-3.34"), D("-3.33"), D("-3.33")]
    assert allocate(D("1.00"), [D(2), D(1)]) == [D("0.67"), D("0.33")]
    assert sum(allocate(D("99.99"), [D("3.1"), D("7.7"), D("0.2")])) == D("99.99")


# --- The summary of an order's content -------------------------------------------------------

def test_an_order_with_two_rates_and_shipping_has_a_row_per_rate(vat_order):
    order = vat_order(("Espresso cup", "10.00", 3), ("Book on coffee", "12.50", 2),
                      ("Pasta di Gragnano", "3.35", 4), shipping=("8.20", "10.00"))
    content = order_content(order)
    # 22%: cups 30.00 + 6.60, shipping 8.20 + 1.80; 10%: 13.40 + 1.36 (0.34 a pack); 4%: 25 + 1
    assert _rows(content["tax_summary"]) == [
        (D(22), D("38.20"), D("8.40"), D("46.60")),
        (D(10), D("13.40"), D("1.36"), D("14.76")),
        (D(4), D("25.00"), D("1.00"), D("26.00")),
    ]
    assert [line["rate"] for line in content["lines"]] == [D(22), D(4), D(10)]
    _assert_adds_up(content)


def test_a_zero_tax_order_has_one_row_at_zero(make_order):
    content = order_content(make_order(lines=2, quantity=3))  # Oscar's default: no tax
    assert _rows(content["tax_summary"]) == [(D(0), D("60.00"), D("0.00"), D("60.00"))]


def test_a_tax_rounded_once_per_rate_puts_its_cent_on_the_rate_it_belongs_to():
    # Three 1.15 items at 22% (0.25 each: 0.75), two 10.00 items at 10%; the shop rounded tax
    # on each rate's total: 3.45 × 22% = 0.759 → 0.76. The cent belongs to 22%, not to the
    # larger 10% group.
    lines = [_line(1, "1.15", "1.40")] * 3 + [_line(1, "10.00", "11.00")] * 2
    summary = summarise(lines, _totals("23.45", "26.21"))
    assert _rows(summary.groups) == [(D(22), D("3.45"), D("0.76"), D("4.21")),
                                     (D(10), D("20.00"), D("2.00"), D("22.00"))]


def test_an_order_discount_is_shared_pro_rata_to_each_rates_taxable_amount():
    lines = [_line(1, "100.00", "122.00"), _line(1, "50.00", "55.00")]
    # 30.00 off the taxable amount: 20.00 off the 22% goods (4.40 tax), 10.00 off the 10% ones.
    summary = summarise(lines, _totals("120.00", "141.60"))
    assert _rows(summary.groups) == [(D(22), D("80.00"), D("17.60"), D("97.60")),
                                     (D(10), D("40.00"), D("4.00"), D("44.00"))]


def test_a_discount_that_does_not_divide_evenly_still_adds_up_to_the_cent():
    lines = [_line(1, "10.00", "12.20"), _line(1, "10.00", "11.00"), _line(1, "10.00", "10.40")]
    # 10.00 off: 3.34 + 3.33 + 3.33, each with its rate's tax: 0.73 + 0.33 + 0.13 = 1.19.
    summary = summarise(lines, _totals("20.00", "22.41"))
    assert _rows(summary.groups) == [(D(22), D("6.66"), D("1.47"), D("8.13")),
                                     (D(10), D("6.67"), D("0.67"), D("7.34")),
                                     (D(4), D("6.67"), D("0.27"), D("6.94"))]
    content = {"tax_summary": summary.groups, "totals": _totals("20.00", "22.41")}
    _assert_adds_up(content)


def test_tax_the_lines_do_not_explain_goes_under_a_rate_that_is_not_known():
    # An imported order: prices including tax only (excl. = incl.), the order's tax known.
    summary = summarise([_line(2, "100.00", "100.00")], _totals("90.16", "110.00",
                                                                ("10.00", "10.00")))
    assert _rows(summary.groups) == [(None, D("90.16"), D("19.84"), D("110.00"))]
    assert summary.line_rates == [None]


def test_a_line_without_its_amount_excluding_tax_is_not_given_a_rate():
    lines = [_line(1, "100.00", "122.00"), _line(1, "0.00", "5.00")]
    summary = summarise(lines, _totals("100.00", "127.00"))
    assert _rows(summary.groups) == [(D(22), D("100.00"), D("22.00"), D("122.00")),
                                     (None, D("0.00"), D("5.00"), D("5.00"))]


# --- Printed -----------------------------------------------------------------------------------

def test_the_invoice_pdf_shows_the_summary_and_each_lines_rate(vat_order):
    order = vat_order(("Espresso cup", "10.00", 3), ("Book on coffee", "12.50", 2),
                      shipping=("8.20", "10.00"))
    invoice = issue_invoice(order)
    assert _rows(_loaded(invoice)["tax_summary"]) == [
        (D(22), D("38.20"), D("8.40"), D("46.60")), (D(4), D("25.00"), D("1.00"), D("26.00"))]
    text = pdf_text(issued_pdf(invoice))
    assert "Tax rate" in text and "Taxable amount" in text
    assert "22% €38.20 €8.40 €46.60" in text
    assert "4% €25.00 €1.00 €26.00" in text
    assert "22% €6.60" in text and "4% €1.00" in text  # the lines' tax column


@pytest.mark.parametrize("kind", ["order_summary", "receipt_a4"])
def test_receipts_and_summaries_show_the_summary(vat_order, kind):
    order = vat_order(("Espresso cup", "10.00", 1), ("Pasta di Gragnano", "3.35", 4))
    text = pdf_text(render_document(kind, order).pdf)
    assert "22% €10.00 €2.20 €12.20" in text
    assert "10% €13.40 €1.36 €14.76" in text


def test_an_80mm_receipt_states_the_tax_of_each_rate(vat_order):
    order = vat_order(("Espresso cup", "10.00", 1), ("Pasta di Gragnano", "3.35", 4))
    text = pdf_text(render_document("receipt_80mm", order).pdf)
    assert "of which tax 22% €2.20" in text and "of which tax 10% €1.36" in text


def test_a_full_credit_note_prints_the_summary_reversed(vat_order):
    invoice = issue_invoice(vat_order(("Espresso cup", "10.00", 1), ("Book on coffee", "12.50",
                                                                      2)))
    credit = issue_credit_note(invoice, reason="Returned")
    assert _rows(_loaded(credit)["tax_summary"]) == [
        (D(22), D("-10.00"), D("-2.20"), D("-12.20")), (D(4), D("-25.00"), D("-1.00"),
                                                        D("-26.00"))]
    text = pdf_text(issued_pdf(credit))
    assert "22% -€10.00 -€2.20 -€12.20" in text and "4% -€25.00 -€1.00 -€26.00" in text


def test_partial_credit_notes_take_from_each_rate_and_reverse_it_exactly_in_the_end(vat_order):
    invoice = issue_invoice(vat_order(("Espresso cup", "10.00", 3), ("Book on coffee", "12.50",
                                                                      2)))
    # 36.60 at 22%, 26.00 at 4%: 10.00 of credit is 5.85 from the first, 4.15 from the other.
    first = issue_credit_note(invoice, amount=D("10.00"), reason="Chipped cup")
    content = _loaded(first)
    assert _rows(content["tax_summary"]) == [(D(22), D("-4.80"), D("-1.05"), D("-5.85")),
                                             (D(4), D("-3.99"), D("-0.16"), D("-4.15"))]
    assert [(line["title"], line["rate"], line["tax"]) for line in content["lines"]] == [
        ("Chipped cup", D(22), D("-1.05")), ("Chipped cup", D(4), D("-0.16"))]
    _assert_adds_up(content)
    assert first.total == D("-10.00")
    assert "22% -€4.80 -€1.05 -€5.85" in pdf_text(issued_pdf(first))

    second = issue_credit_note(invoice, amount=D("33.33"))
    rest = issue_credit_note(invoice)
    per_rate: dict[Any, list[Decimal]] = defaultdict(lambda: [D(0), D(0)])
    for document in (invoice, first, second, rest):
        for group in _loaded(document)["tax_summary"]:
            per_rate[group["rate"]][0] += group["taxable"]
            per_rate[group["rate"]][1] += group["tax"]
    assert dict(per_rate) == {D(22): [D(0), D(0)], D(4): [D(0), D(0)]}


# --- Invoices issued before tax summaries -----------------------------------------------------

def _as_before_tax_summaries(invoice: IssuedDocument) -> None:
    """Take the summary and line rates out of the stored data, as invoices issued earlier."""
    data = {key: value for key, value in invoice.data.items() if key != "tax_summary"}
    data["lines"] = [{key: value for key, value in line.items() if key != "rate"}
                     for line in data["lines"]]
    IssuedDocument.objects.filter(pk=invoice.pk).update(data=data)  # the model refuses save()


def test_an_invoice_issued_before_tax_summaries_still_prints_and_is_credited(vat_order):
    order = vat_order(("Espresso cup", "10.00", 1), ("Book on coffee", "12.50", 2))
    invoice = issue_invoice(order)
    _as_before_tax_summaries(invoice)
    invoice.refresh_from_db()
    assert "tax_summary" not in invoice.data

    reprint = pdf_text(bulk_render("invoice", [order.pk]).rendered.pdf)
    assert "4% €25.00 €1.00 €26.00" in reprint  # the frozen HTML, as issued

    partial = issue_credit_note(invoice, amount=D("3.82"))
    assert _rows(_loaded(partial)["tax_summary"]) == [  # worked out from its frozen lines
        (D(22), D("-1.00"), D("-0.22"), D("-1.22")), (D(4), D("-2.50"), D("-0.10"), D("-2.60"))]
    rest = issue_credit_note(invoice)
    assert rest.total == D("-34.38")
    _assert_adds_up(_loaded(rest))


def test_a_document_without_a_summary_prints_without_the_table(make_order):
    from oscar_orders_ext.documents.identity import get_identity
    from oscar_orders_ext.documents.service import document_context, render_fragment

    order = make_order()
    content = {key: value for key, value in order_content(order).items()
               if key != "tax_summary"}
    content["lines"] = [{key: value for key, value in line.items() if key != "rate"}
                        for line in content["lines"]]
    html = render_fragment("invoice", document_context("invoice", order,
                                                       identity=get_identity(),
                                                       content=content))
    assert "ooe-tax-summary" not in html and "ooe-rate" not in html
    assert "€20.00" in html


def test_rates_print_in_the_customers_language():
    template = Template("{% load orders_documents %}{{ rate|tax_rate }}")
    with translation.override("fr"):
        # French typography: a no-break space before the percent sign.
        assert template.render(Context({"rate": D("5.5")})) == "5,5\u00a0%"
    assert template.render(Context({"rate": D("22")})) == "22%"
    assert template.render(Context({"rate": None})) == "Rate not known"


def _loaded(document: IssuedDocument) -> dict[str, Any]:
    from oscar_orders_ext.documents.service import _from_json

    return _from_json(document.data)


def test_after_a_credit_note_without_a_summary_credits_share_out_over_the_invoice(vat_order):
    invoice = issue_invoice(vat_order(("Espresso cup", "10.00", 1), ("Book on coffee", "12.50",
                                                                      2)))
    earlier = issue_credit_note(invoice, amount=D("5.00"))
    IssuedDocument.objects.filter(pk=earlier.pk).update(  # as issued before tax summaries
        data={key: value for key, value in earlier.data.items() if key != "tax_summary"})
    # 12.20 at 22%, 26.00 at 4%: 19.10 is half of each.
    second = issue_credit_note(invoice, amount=D("19.10"))
    assert _rows(_loaded(second)["tax_summary"]) == [
        (D(22), D("-5.00"), D("-1.10"), D("-6.10")), (D(4), D("-12.50"), D("-0.50"),
                                                      D("-13.00"))]
