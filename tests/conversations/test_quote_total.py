"""A price proposal given as a new total: spread over the lines in proportion to their prices,
shipping as given, the cents of rounding on a line they divide evenly."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from oscar_orders_ext.exceptions import QuoteError
from oscar_orders_ext.models import Quote
from oscar_orders_ext.services import quotes
from oscar_orders_ext.services.quotes import spread_total

from .test_quotes import QUOTER

D = Decimal


def test_a_total_is_spread_in_proportion_and_adds_up() -> None:
    prices = spread_total([(1, 2, D("10.00")), (2, 1, D("5.00"))], D("20.00"))
    assert prices == {1: D("8.00"), 2: D("4.00")}
    prices = spread_total([(1, 3, D("10.00")), (2, 1, D("10.00"))], D("33.33"))
    assert 3 * prices[1] + prices[2] == D("33.33")  # the odd cents on the single item


def test_free_lines_share_the_total_by_quantity() -> None:
    assert spread_total([(1, 2, D("0")), (2, 2, D("0"))], D("10.00")) == {1: D("2.50"),
                                                                            2: D("2.50")}


def test_a_total_below_the_shipping_is_refused() -> None:
    with pytest.raises(QuoteError):
        spread_total([(1, 1, D("10.00"))], D("-1.00"))


@pytest.mark.django_db
def test_the_operator_proposes_a_new_total_from_the_page(
        django_app: Any, make_staff: Any, guest_order: Any) -> None:
    quoter = make_staff("quoter", QUOTER)
    url = reverse("oscar_orders_ext_dashboard:orders-workspace-order",
                  kwargs={"number": guest_order.number}) + "?open=quote_form"
    page = django_app.get(url, user=quoter)
    form = page.forms["ooe-quote-form"]
    form["shipping"] = "3.00"
    form["total"] = "15.00"  # 2 cups: 6.00 each, + 3.00
    page = form.submit().follow()
    assert "Price proposal 1 sent to the customer." in page.text
    quote = Quote.objects.get(order=guest_order)
    assert (quote.total, quote.shipping, quote.lines[0]["new"]) == (D("15.00"), D("3.00"),
                                                                   "6.00")
    form = django_app.get(url, user=quoter).forms["ooe-quote-form"]
    form["shipping"] = "3.00"
    form["total"] = "1.00"
    page = form.submit(status=400)
    assert "less than the shipping" in page.text
    assert page.forms["ooe-quote-form"]["total"].value == "1.00"  # what was typed is kept
    assert quotes.open_quote(guest_order).pk == quote.pk  # nothing else was sent


@pytest.mark.django_db
def test_a_new_total_keeps_the_orders_surcharges(make_staff: Any, guest_order: Any) -> None:
    guest_order.surcharges.create(name="Setup fee", code="setup-fee", excl_tax=D("5.00"),
                                  incl_tax=D("5.00"))
    line = guest_order.lines.get()
    quote = quotes.send_quote(guest_order, unit_prices={}, shipping=D("3.00"), total=D("20.00"),
                              user=make_staff("quoter", QUOTER))
    assert (quote.total, quote.lines[0]["new"]) == (D("20.00"), "6.00")  # 2 × 6 + 3 + 5
    assert line.quantity == 2
