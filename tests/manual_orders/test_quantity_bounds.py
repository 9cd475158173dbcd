"""Oscar's basket bounds apply wherever a quantity enters: line edits, manual orders, forms.

A line edit of 99,999,999,999 units of an untracked product was a server error on PostgreSQL
and left an order SQLite could no longer read."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from oscar.core.loading import get_model
from oscar.test import factories

from oscar_orders_ext.exceptions import LineEditError, ManualOrderError
from oscar_orders_ext.services import manual_orders as service
from oscar_orders_ext.services.bounds import validate_line_quantity
from oscar_orders_ext.services.line_edits import apply_line_edit

Order = get_model("order", "Order")

pytestmark = pytest.mark.django_db

OSCARS_REFUSAL = "Due to technical limitations we are not able to ship more than 10000 items"


@pytest.fixture
def untracked() -> object:
    """A product whose stock is not tracked: nothing but the bounds stops a large quantity."""
    product_class = factories.ProductClassFactory(name="Gift cards", track_stock=False)
    return factories.create_product(title="Gift card", price=Decimal("10.00"),
                                    product_class=product_class, partner_sku="GIFT-1")


@pytest.mark.parametrize("quantity", [99_999_999_999, 10_001, "1" * 40])
def test_a_line_edit_beyond_oscars_basket_bound_is_refused(manual_order, untracked, clerk,
                                                          quantity):
    order = manual_order(quantity=2)
    before = Order.objects.get(pk=order.pk).total_incl_tax
    with pytest.raises(LineEditError) as refusal:
        apply_line_edit(order, {}, {untracked.pk: quantity}, user=clerk)
    assert OSCARS_REFUSAL in refusal.value.message or "not a quantity" in refusal.value.message
    order = Order.objects.get(pk=order.pk)  # still readable, unchanged
    assert order.total_incl_tax == before and order.lines.count() == 1


def test_lines_adding_up_beyond_the_bound_are_refused(manual_order, untracked, clerk):
    order = manual_order(quantity=2)
    apply_line_edit(order, {}, {untracked.pk: 6000}, user=clerk)
    line = order.lines.get(product=untracked)
    with pytest.raises(LineEditError, match=OSCARS_REFUSAL):
        apply_line_edit(order, {line.pk: 9999}, user=clerk)


def test_a_price_the_columns_cannot_hold_is_refused(manual_order, clerk):
    dear = factories.create_product(title="Yacht", price=Decimal("99999999.00"),
                                    partner_sku="YACHT", num_in_stock=1000)
    order = manual_order(quantity=1)
    with pytest.raises(LineEditError, match="too large"):
        apply_line_edit(order, {}, {dear.pk: 500}, user=clerk)


@pytest.mark.parametrize("quantity", ["99999999999", "10001", "1e5"])
def test_a_manual_order_refuses_quantities_beyond_the_bound(untracked, quantity):
    basket = service.start_draft()
    with pytest.raises(ManualOrderError):
        service.add_product(basket, untracked.pk, quantity)
    assert basket.num_lines == 0


def test_a_manual_cart_refuses_a_quantity_change_beyond_the_bound(untracked):
    basket = service.start_draft()
    line = service.add_product(basket, untracked.pk, 3)
    with pytest.raises(ManualOrderError, match=OSCARS_REFUSAL):
        service.set_quantities(basket, {line.pk: 99_999_999_999})
    line.refresh_from_db()
    assert line.quantity == 3


def test_the_form_validator_applies_the_same_rule():
    validate_line_quantity("5")
    for bad in ("10001", "-1", "x", "9" * 30):
        with pytest.raises(ValidationError):
            validate_line_quantity(bad)
