"""A refund's queries do not grow with the number of lines refunded (issue 19's measurement)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from oscar.test import factories

from oscar_orders_ext.payments import service

from .conftest import pay_link

pytestmark = pytest.mark.django_db


def paid_order(client: Any, lines: int, prefix: str) -> Any:
    basket = factories.create_basket(empty=True)
    for index in range(lines):
        product = factories.create_product(title=f"Cup {index}", price=Decimal("10.00"),
                                           num_in_stock=10, partner_sku=f"{prefix}-{index}")
        basket.add_product(product, 1)
    order = factories.create_order(basket=basket, guest_email="guest@example.com")
    pay_link(client, service.send_payment_link(order, notify=False))
    return order


def refund_queries(order: Any, user: Any) -> int:
    lines = {line.pk: 1 for line in order.lines.all()}
    with CaptureQueriesContext(connection) as queries:
        service.refund(order, lines=lines, restock=True, user=user, notify=False)
    return len(queries)


def test_refund_of_every_line_costs_the_same_queries_for_2_or_12_lines(
        client: Any, cashier: Any) -> None:
    refund_queries(paid_order(client, 1, "W"), cashier)  # creates Oscar's event type once
    small = refund_queries(paid_order(client, 2, "S"), cashier)
    large = refund_queries(paid_order(client, 12, "L"), cashier)
    assert large == small, (small, large)
