"""Fixtures for payments: a guest order, a cashier who may send links and refund."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

CASHIER = ["view_orderprocess", "change_orderprocess", "refund_order", "send_payment_link",
           "record_payment"]


@pytest.fixture
def guest_order(place_order: Callable[..., Any]) -> Any:
    """A guest's order of two cups (2 × 10.00 + shipping), unpaid."""
    return place_order(quantity=2, guest_email="guest@example.com")


@pytest.fixture
def cashier(make_staff: Callable[..., Any]) -> Any:
    return make_staff("cashier", CASHIER)


def pay_link(client: Any, link: Any, outcome: str = "confirmed", **extra: str) -> Any:
    """Pay ``link`` as the customer with the dummy provider; the last response."""
    response = client.post(link.get_absolute_url(), {"method": "dummy"})
    assert response.status_code == 302, response.content[:500]
    data = {"status": outcome, "fraud_status": "accept", "gateway_response": "3ds-disabled",
            **extra}
    return client.post(response["Location"], data)
