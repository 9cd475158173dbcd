"""A small shop for manual orders: two products, a site offer on mugs, vouchers, a country."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from oscar.core.loading import get_model
from oscar.test import factories

from oscar_orders_ext.services.manual_orders import (ManualOrder, ShippingChoice, add_product,
                                                     place_manual_order, start_draft)

Benefit = get_model("offer", "Benefit")
Condition = get_model("offer", "Condition")
ConditionalOffer = get_model("offer", "ConditionalOffer")
Range = get_model("offer", "Range")

MANUAL_ORDER_PERMISSIONS = ["view_orderprocess", "change_orderprocess", "change_order_state",
                            "create_manual_order", "edit_order_lines"]


@pytest.fixture
def country(db: Any) -> Any:
    return factories.CountryFactory(iso_3166_1_a2="GB", printable_name="United Kingdom",
                                    is_shipping_country=True)


@pytest.fixture
def mug(db: Any) -> Any:
    """25.00, five in stock."""
    return factories.create_product(title="Stoneware mug", price=Decimal("25.00"),
                                    num_in_stock=5, partner_sku="MUG-1", upc="5000000000001")


@pytest.fixture
def mug_offer(mug: Any) -> Any:
    """A site offer: 10% off mugs."""
    mugs = Range.objects.create(name="Mugs")
    mugs.add_product(mug)
    return ConditionalOffer.objects.create(
        name="Mug week", offer_type=ConditionalOffer.SITE, status=ConditionalOffer.OPEN,
        exclusive=False,
        condition=Condition.objects.create(range=mugs, type=Condition.COUNT, value=1),
        benefit=Benefit.objects.create(range=mugs, type=Benefit.PERCENTAGE, value=10))


def voucher_with(code: str, *, count: int, amount: str) -> Any:
    """A voucher taking ``amount`` off carts with at least ``count`` items."""
    everything, _ = Range.objects.get_or_create(name="Everything",
                                                defaults={"includes_all_products": True})
    voucher = factories.VoucherFactory(code=code, name=f"Voucher {code}")
    voucher.offers.add(ConditionalOffer.objects.create(
        name=f"Offer of {code}", offer_type=ConditionalOffer.VOUCHER,
        status=ConditionalOffer.OPEN, exclusive=False,
        condition=Condition.objects.create(range=everything, type=Condition.COUNT, value=count),
        benefit=Benefit.objects.create(range=everything, type=Benefit.FIXED,
                                       value=Decimal(amount))))
    return voucher


@pytest.fixture
def voucher(db: Any) -> Any:
    """SAVE5: 5.00 off any cart."""
    return voucher_with("SAVE5", count=1, amount="5.00")


@pytest.fixture
def bulk_voucher(db: Any) -> Any:
    """BULK10: 10.00 off carts of ten items or more."""
    return voucher_with("BULK10", count=10, amount="10.00")


@pytest.fixture
def clerk(make_staff: Callable[..., Any]) -> Any:
    """Staff who take phone orders and edit their lines."""
    return make_staff("clerk", MANUAL_ORDER_PERMISSIONS)


@pytest.fixture
def customer(db: Any) -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(
        username="ada", email="ada@example.com", password="pw", first_name="Ada",
        last_name="Lovelace")


def billing(country: Any, **changes: Any) -> dict[str, Any]:
    """Billing address fields as the form hands them to the service."""
    fields = {"first_name": "Ada", "last_name": "Lovelace", "line1": "12 St James's Square",
              "line4": "London", "postcode": "SW1Y 4JH", "country": country}
    fields.update(changes)
    return fields


@pytest.fixture
def manual_order(product: Any, customer: Any, country: Any, clerk: Any) -> Callable[..., Any]:
    """Place a manual order of ``quantity`` espresso cups for Ada, through the service."""

    def place(quantity: int = 2, **changes: Any) -> Any:
        basket = start_draft(customer)
        add_product(basket, product.pk, quantity)
        data = ManualOrder(basket_id=basket.pk, customer=customer,
                           billing_address=billing(country), payment_method="cash",
                           shipping=ShippingChoice("manual", Decimal("4.00"), Decimal("4.00")))
        for name, value in changes.items():
            setattr(data, name, value)
        return place_manual_order(data, user=clerk)

    return place
