"""Search finds orders the way people type what they see: phones as displayed, the start of
an email or SKU, part of an order number."""

from __future__ import annotations

import pytest

from oscar_orders_ext import selectors
from oscar_orders_ext.models import OrderProcess

from .factories import bulk_orders, index_plan, numbers

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
    assert found("00002") == {"X00002"}  # the end of the number


def test_the_end_of_a_number_finds_the_numbers_ending_with_it_not_those_holding_it():
    bulk_orders(130, prefix="N")  # N00000 … N00129
    # "0012" ends N00012 and is inside N00120 … N00129: the end is what was typed.
    assert found("0012") == {"N00012"}
    assert found("#0012") == {"N00012"}
    assert found("n00120") == {"N00120"}  # typed in lower case


def test_the_start_of_one_number_and_the_end_of_another_are_both_found():
    bulk_orders(2, prefix="A")  # A00000, A00001
    bulk_orders(1, prefix="00001-")  # 00001-00000
    assert found("00001") == {"A00001", "00001-00000"}


def test_the_middle_of_a_number_is_found_when_no_number_starts_or_ends_with_it():
    bulk_orders(3, prefix="7342-")
    bulk_orders(1, prefix="Y")
    assert found("342-0") == {"7342-00000", "7342-00001", "7342-00002"}


def test_an_underscore_typed_in_a_number_matches_only_itself():
    bulk_orders(1, prefix="Q_")
    bulk_orders(1, prefix="QX")
    assert found("_00000") == {"Q_00000"}


@pytest.mark.postgres
def test_postgresql_finds_the_end_of_a_number_through_its_index():
    bulk_orders(3, prefix="P")
    condition = selectors.search_condition(OrderProcess.objects.all(), "00002")
    sql, params = OrderProcess.objects.filter(condition).values("pk").query.sql_with_params()
    assert "ooe_process_number_tail" in index_plan(sql, params)
