"""Search finds orders the way people type what they see: phones as displayed, the start of
an email or SKU, part of an order number."""

from __future__ import annotations

import pytest

from oscar_orders_ext import selectors
from oscar_orders_ext.models import OrderProcess

from .factories import bulk_orders, numbers

pytestmark = pytest.mark.django_db


@pytest.fixture
def claire(place_order):
    order = place_order(guest_email="claire.dubois@example.fr")
    order.lines.update(partner_sku="AL-0012-BLK")
    OrderProcess.objects.filter(order=order).update(customer_phone="+33140200000")
    bulk_orders(3, prefix="X")  # others that must not match
    return order


def found(text):
    return numbers(selectors.search(OrderProcess.objects.all(), text))


@pytest.mark.parametrize("typed", ["+33140200000", "+33 1 40 20 00 00", "01 40 20 00 00",
                                   "01-40-20-00-00", "33140200000"])
def test_a_phone_typed_as_displayed_finds_the_order(claire, typed):
    # "+33140200000" found nothing while "33140200000" found the orders.
    assert found(typed) == {str(claire.number)}


@pytest.mark.parametrize("typed", ["AL-0012", "al-0012-blk"])
def test_the_start_of_a_sku_finds_the_order(claire, typed):
    assert found(typed) == {str(claire.number)}


def test_the_start_of_an_email_finds_the_order(claire):
    assert found("claire.dubois") == {str(claire.number)}


def test_part_of_an_order_number_finds_it(claire):
    assert found(str(claire.number)[-4:]) >= {str(claire.number)}
    assert found("X00002") == {"X00002"}
    assert found("00002") == {"X00002"}  # inside the number
