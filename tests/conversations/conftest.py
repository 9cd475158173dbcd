"""Fixtures of the conversation tests: a guest order, a customer's own order, staff."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model

CHAT_STAFF = ["view_orderprocess", "change_orderprocess", "change_order_state"]


@pytest.fixture
def guest_order(place_order: Callable[..., Any]) -> Any:
    """A guest's order, still new."""
    return place_order(guest_email="guest@example.com")


@pytest.fixture
def customer(db: Any) -> Any:
    return get_user_model().objects.create_user(
        username="carla", email="carla@example.com", password="pw")


@pytest.fixture
def customer_order(place_order: Callable[..., Any], customer: Any) -> Any:
    """An order of a registered customer, still new."""
    return place_order(user=customer)


@pytest.fixture
def clerk(make_staff: Callable[..., Any]) -> Any:
    """Staff who may write to customers and move orders."""
    return make_staff("clerk", CHAT_STAFF)
