"""The workspace filters' input: what a merchant types is understood, or refused clearly."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.http import QueryDict

from oscar_orders_ext import selectors
from oscar_orders_ext.models import OrderProcess

pytestmark = pytest.mark.django_db


def totals_filter(query: str) -> selectors.OrderFilter:
    return selectors.OrderFilter(QueryDict(query), queryset=OrderProcess.objects.all())


@pytest.mark.parametrize("typed, expected", [
    ("12,5", Decimal("12.5")), ("12.5", Decimal("12.5")), ("1 234,50", Decimal("1234.50")),
    ("1,234.50", Decimal("1234.50")), ("1.234,50", Decimal("1234.50")), ("20", Decimal("20")),
])
def test_totals_accept_localised_decimals(typed, expected):
    filters = totals_filter(f"total_min={typed}")
    assert filters.form.is_valid(), filters.form.errors
    assert filters.form.cleaned_data["total"].start == expected


def test_a_lowest_total_above_the_highest_is_a_form_error():
    filters = totals_filter("total_min=100&total_max=10")
    assert not filters.form.is_valid()
    assert "The lowest total is above the highest" in str(filters.form.errors["total"])


def test_a_word_is_still_not_an_amount():
    filters = totals_filter("total_min=abc")
    assert not filters.form.is_valid()
    assert "Enter a number." in str(filters.form.errors["total"])
