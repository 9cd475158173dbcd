"""Automatic customer tags: buying a product (or a product of a category) tags the customer,
whatever created the order (checkout, import), or when it is paid; a command tags past
orders."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from oscar.test import factories

from oscar_orders_ext.constants import PaymentStatus
from oscar_orders_ext.imports.service import commit_import, plan_import
from oscar_orders_ext.models import Customer, CustomerTagRule, Tag
from oscar_orders_ext.services.edits import set_payment_status
from oscar_orders_ext.services.transitions import transition_order

from ..imports.test_small_files import csv_bytes, shopify_row

pytestmark = pytest.mark.django_db(transaction=True)


def tags_of(email: str) -> list[str]:
    return sorted(Customer.objects.get(email=email).tags.values_list("name", flat=True))


@pytest.fixture
def espresso_fan(product: Any) -> Tag:
    tag = Tag.objects.create(name="Espresso fan")
    CustomerTagRule.objects.create(product=product, tag=tag)
    return tag


def test_placing_an_order_with_the_product_tags_the_customer(place_order: Any,
                                                             espresso_fan: Tag) -> None:
    place_order(quantity=1, guest_email="gia@example.com")
    assert tags_of("gia@example.com") == ["Espresso fan"]


def test_a_category_rule_covers_its_subcategories(place_order: Any, product: Any) -> None:
    kitchen = factories.CategoryFactory(name="Kitchen")
    factories.ProductCategoryFactory(product=product, category=kitchen.add_child(name="Cups"))
    CustomerTagRule.objects.create(category=kitchen, tag=Tag.objects.create(name="Cook"))
    CustomerTagRule.objects.create(category=factories.CategoryFactory(name="Garden"),
                                   tag=Tag.objects.create(name="Gardener"))
    place_order(quantity=1, guest_email="hal@example.com")
    assert tags_of("hal@example.com") == ["Cook"]


def test_inactive_rules_and_other_products_tag_nobody(place_order: Any, product: Any) -> None:
    CustomerTagRule.objects.create(product=product, tag=Tag.objects.create(name="Old"),
                                   is_active=False)
    CustomerTagRule.objects.create(product=factories.create_product(title="Kettle"),
                                   tag=Tag.objects.create(name="Kettle"))
    place_order(quantity=1, guest_email="ida@example.com")
    assert tags_of("ida@example.com") == []


def test_rules_on_payment_wait_for_the_order_to_be_paid(place_order: Any, espresso_fan: Tag,
                                                        settings: Any) -> None:
    settings.OSCAR_ORDERS_EXT_CUSTOMER_TAG_RULES_ON = "paid"
    order = place_order(quantity=1, guest_email="jon@example.com")
    assert tags_of("jon@example.com") == []
    set_payment_status(order, PaymentStatus.PAID)
    assert tags_of("jon@example.com") == ["Espresso fan"]


def test_imported_orders_tag_their_customers(db: Any) -> None:
    mug = factories.create_product(title="Mug", partner_sku="MUG-1", price=12)
    CustomerTagRule.objects.create(product=mug, tag=Tag.objects.create(name="Mug buyer"))
    commit_import(plan_import(csv_bytes([shopify_row("#2001")]), "orders_export.csv"))
    assert tags_of("ada@example.com") == ["Mug buyer"]


def test_the_command_tags_customers_of_past_orders_once(place_order: Any, product: Any,
                                                        capsys: Any) -> None:
    place_order(quantity=1, guest_email="kim@example.com")
    cancelled = place_order(quantity=1, guest_email="lea@example.com")
    transition_order(cancelled, "cancel")
    CustomerTagRule.objects.create(product=product, tag=Tag.objects.create(name="Late"))
    call_command("orders_apply_customer_tags")
    call_command("orders_apply_customer_tags")
    assert tags_of("kim@example.com") == ["Late"]
    assert not Customer.objects.filter(email="lea@example.com", tags__name="Late").exists()
    assert "1 customer tags added." in capsys.readouterr().out
