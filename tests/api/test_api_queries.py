"""The API's cost does not grow with what it returns: the staff list, one order and the
customer's list each take the same number of queries for a few rows or many."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from oscar_orders_ext.models import Tag
from oscar_orders_ext.services import edits
from tests.api.test_api import Api
from tests.factories import bulk_orders

pytestmark = pytest.mark.django_db


def queries(api: Api, path: str, **params: Any) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert api.get(path, **params).status_code == 200
    return len(captured)


def test_the_staff_list_costs_the_same_for_3_or_40_rows(operator):
    vip, gift = Tag.objects.create(name="VIP"), Tag.objects.create(name="gift")
    for index, process in enumerate(bulk_orders(40)):
        process.tags.add(vip, gift) if index % 2 else process.tags.add(vip)
        if index % 3 == 0:
            edits.assign_operator(process.order, operator, user=operator)
    api = Api(operator)
    api.get("/staff/orders")  # the first request of a token records its use
    few, many = queries(api, "/staff/orders", limit=3), queries(api, "/staff/orders", limit=40)
    # token, the user's permissions (2), the page, its tags
    assert few == many <= 5
    assert queries(api, "/staff/orders", limit=40, state="new") == many
    # A tag filter first checks that the tag exists.
    assert queries(api, "/staff/orders", limit=40, tags=vip.pk) == many + 1


def test_one_order_costs_a_fixed_number_of_queries(operator, place_order):
    small, large = place_order(quantity=1), place_order(quantity=5)
    api = Api(operator)
    api.get("/staff/orders")
    one = queries(api, f"/staff/orders/{small.number}")
    assert one == queries(api, f"/staff/orders/{large.number}")
    # token, the user's permissions (2), the order with its relations, tags, lines and
    # shipped quantities, notes, timeline (3 sources), tracking, and each condition of the
    # moves asked once (not once per move).
    assert one <= 13


def test_my_orders_costs_the_same_for_1_or_12_orders(django_user_model, place_order):
    few = django_user_model.objects.create_user(username="few", password="x")
    many = django_user_model.objects.create_user(username="many", password="x")
    place_order(user=few)
    for _ in range(12):
        place_order(user=many)
    first, second = Api(few), Api(many)
    first.get("/me/orders")
    second.get("/me/orders")
    assert queries(first, "/me/orders") == queries(second, "/me/orders") <= 3


def test_the_staff_conversation_costs_the_same_for_1_or_16_messages(
        operator, place_order, django_user_model):
    from oscar_orders_ext.services import conversations

    small, large = place_order(), place_order()
    conversations.post_customer_message(small, "Hello")
    for index in range(8):
        conversations.post_customer_message(large, f"Message {index}")
        conversations.post_staff_message(large, f"Answer {index}", user=operator)
    api = Api(operator)
    api.get("/staff/orders")
    few = queries(api, f"/staff/orders/{small.number}/messages")
    assert few == queries(api, f"/staff/orders/{large.number}/messages")
    # the second reading: nothing left unread, the same queries
    assert queries(api, f"/staff/orders/{large.number}/messages") <= few
