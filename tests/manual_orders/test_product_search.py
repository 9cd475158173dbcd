"""A search finds a manual order by the SKU or the title of a line added or removed by a line
edit, with the summary counting it (on PostgreSQL from the product tally, which the edit
keeps: migration 0024)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.http import QueryDict

from oscar_orders_ext import selectors
from oscar_orders_ext.models import OrderProcess
from oscar_orders_ext.services.line_edits import apply_line_edit

from ..factories import numbers, product_recount, product_tallied

pytestmark = pytest.mark.django_db


def found(text: str) -> tuple[set[str], int]:
    """The numbers a search finds, and the count its summary gives."""
    order_filter = selectors.OrderFilter(QueryDict(f"q={text}"),
                                         queryset=OrderProcess.objects.all())
    return numbers(order_filter.qs), selectors.summarize(order_filter).count


def test_a_line_edit_makes_the_order_found_by_its_new_sku_and_title(manual_order, mug, clerk):
    order, other = manual_order(quantity=1), manual_order(quantity=3)
    assert found("MUG-1") == (set(), 0)
    assert found("espresso") == ({order.number, other.number}, 2)

    apply_line_edit(order, {}, {mug.pk: 2}, user=clerk)
    assert found("MUG-1") == ({order.number}, 1)
    assert found("stoneware") == ({order.number}, 1)
    cups = order.lines.get(partner_sku="CUP-1")
    apply_line_edit(order, {cups.pk: 0}, user=clerk, expected_version=2)
    assert found("espresso") == ({other.number}, 1)
    assert found("mug") == ({order.number}, 1)
    if connection.vendor == "postgresql":
        assert product_tallied() == product_recount()
