"""Fixtures for subscriptions: a monthly plan sold on a product, and a customer's confirmed
order of it placed through Oscar's OrderCreator."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from oscar.test import factories

from oscar_orders_ext.models import Plan, PlanPrice, ProductPlan, Subscription
from oscar_orders_ext.payments import service as payments
from oscar_orders_ext.subscriptions import service
from oscar_orders_ext.services.transitions import transition_order

MANAGER = ["view_orderprocess", "view_subscription", "manage_subscriptions"]


def make_plan(name: str = "Coffee club", *, unit: str = "month", count: int = 1,
              periods: int | None = None, trial_days: int = 0,
              amount: str = "10.00", setup_fee: str = "0.00") -> Plan:
    """A plan with a price in EUR."""
    plan = Plan.objects.create(name=name, interval_unit=unit, interval_count=count,
                               periods=periods, trial_days=trial_days)
    PlanPrice.objects.create(plan=plan, currency="EUR", amount=Decimal(amount),
                             setup_fee=Decimal(setup_fee))
    return plan


@pytest.fixture
def plan(db: Any) -> Plan:
    """A monthly plan at 10.00 EUR, open-ended."""
    return make_plan()


@pytest.fixture
def plan_product(plan: Plan) -> Any:
    """A product sold on the monthly plan (not stock-tracked, as a service is)."""
    product = factories.create_product(title="Coffee of the month", price=Decimal("10.00"),
                                       num_in_stock=1000, partner_sku="CLUB-1")
    ProductPlan.objects.create(product=product, plan=plan)
    return product


@pytest.fixture
def customer(db: Any) -> Any:
    return get_user_model().objects.create_user(
        username="anna", email="anna@example.com", password="pw", first_name="Anna",
        last_name="Rossi")


@pytest.fixture
def subscribe(plan_product: Any, customer: Any) -> Callable[..., Subscription]:
    """Place an order of the plan product for the customer and confirm it: its subscription."""

    def make(product: Any = None) -> Subscription:
        basket = factories.create_basket(empty=True)
        basket.add_product(product or plan_product, 1)
        order = factories.create_order(basket=basket, user=customer)
        transition_order(order, "confirm")
        return Subscription.objects.get(order=order)

    return make


@pytest.fixture
def manager(make_staff: Callable[..., Any]) -> Any:
    """Staff who may see and change subscriptions."""
    return make_staff("subscriptions", MANAGER)


@pytest.fixture
def committed(django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    """Run a call and then its on-commit work (emails, settling paid renewals), as a
    committed transaction would."""

    def run(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return function(*args, **kwargs)

    return run


@pytest.fixture
def tick(committed: Callable[..., Any]) -> Callable[[], tuple[int, int]]:
    """The tick's subscription work: (renewals made, unpaid renewals chased)."""
    return lambda: (committed(service.renew_due), committed(service.chase_unpaid))


@pytest.fixture
def pay(committed: Callable[..., Any]) -> Callable[[Any], None]:
    """The customer pays a renewal's order (recorded as a payment received)."""
    def run(renewal: Any) -> None:
        renewal.refresh_from_db()
        committed(payments.record_offline_payment, renewal.order_id, renewal.amount, "Card")

    return run
