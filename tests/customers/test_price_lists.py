"""Customer groups' price lists through Oscar's own pricing: a group member pays the list
price at Oscar's real checkout (the test client placing the order), an anonymous visitor and
other customers the normal price; quantity breaks start exactly at their minimum; expired lists
are ignored; the manual-order cart editor agrees with checkout."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from oscar.core.loading import get_class, get_model
from oscar.test import factories

from oscar_orders_ext.models import Customer, CustomerGroup, PriceList, PriceListItem
from oscar_orders_ext.pricing import Selector as GroupSelector
from oscar_orders_ext.services import manual_orders

Order = get_model("order", "Order")
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def wholesale(product: Any) -> PriceList:
    """A wholesale group whose list sells the cup at 8.00, 6.50 from 5 cups."""
    price_list = PriceList.objects.create(name="Wholesale", currency="EUR")
    PriceListItem.objects.create(price_list=price_list, product=product, fixed_price="8.00")
    PriceListItem.objects.create(price_list=price_list, product=product, min_quantity=5,
                                 fixed_price="6.50")
    CustomerGroup.objects.create(name="Wholesale").price_lists.add(price_list)
    return price_list


def member(username: str = "rita", group: str | None = "Wholesale") -> Any:
    user = get_user_model().objects.create_user(username=username,
                                                email=f"{username}@example.com", password="pw")
    if group:
        Customer.objects.filter(email=user.email).update(
            group=CustomerGroup.objects.get(name=group))
    return user


def unit_price(user: Any, product: Any, quantity: int) -> Decimal:
    basket = factories.create_basket(empty=True)
    basket.strategy = get_class("partner.strategy", "Selector")().strategy(user=user)
    basket.add_product(product, quantity)
    return basket.all_lines()[0].unit_price_excl_tax


def checkout(client: Client, product: Any, quantity: int) -> Any:
    """Oscar's checkout, page by page: basket, shipping address, shipping and payment method
    (each chosen for the only one there is), preview, place order."""
    response = client.post(f"/basket/add/{product.pk}/", {"quantity": quantity})
    assert response.status_code == 302
    response = client.post("/checkout/shipping-address/", {
        "first_name": "Rita", "last_name": "Levi", "line1": "1 Via Roma", "line4": "Torino",
        "postcode": "10100", "country": "IT", "phone_number": ""})
    assert response.status_code == 302, response.content[:2000]
    for page in ("/checkout/shipping-method/", "/checkout/payment-method/",
                 "/checkout/payment-details/"):
        assert client.get(page).status_code in {200, 302}
    response = client.post("/checkout/preview/", {"action": "place_order"})
    assert response.status_code == 302, response.content[:2000]
    return Order.objects.order_by("-pk").first()


def test_oscar_loads_the_group_selector(db: Any) -> None:
    assert get_class("partner.strategy", "Selector") is GroupSelector


def test_a_group_member_pays_the_list_price_at_checkout(product: Any, wholesale: PriceList,
                                                        country_it: Any) -> None:
    client = Client()
    client.force_login(member())
    order = checkout(client, product, 2)
    assert order is not None
    line = order.lines.get()
    assert line.unit_price_excl_tax == Decimal("8.00")
    assert order.total_excl_tax == Decimal("16.00")


def test_anonymous_visitors_and_other_customers_pay_the_normal_price(
        product: Any, wholesale: PriceList, country_it: Any) -> None:
    member("rita")
    outsider = Client()
    outsider.force_login(member("otto", group=None))
    assert checkout(outsider, product, 2).lines.get().unit_price_excl_tax == Decimal("10.00")
    assert unit_price(None, product, 2) == Decimal("10.00")


def test_the_product_page_shows_the_members_price(product: Any, wholesale: PriceList) -> None:
    client = Client()
    client.force_login(member())
    page = client.get(product.get_absolute_url())
    assert page.status_code == 200
    assert page.context["request"].strategy.fetch_for_product(product).price.excl_tax == (
        Decimal("8.00"))
    assert Client().get(product.get_absolute_url()).context[
        "request"].strategy.fetch_for_product(product).price.excl_tax == Decimal("10.00")


def test_quantity_breaks_start_exactly_at_the_minimum(product: Any,
                                                      wholesale: PriceList) -> None:
    rita = member()
    assert unit_price(rita, product, 4) == Decimal("8.00")
    assert unit_price(rita, product, 5) == Decimal("6.50")


def test_expired_and_future_lists_are_ignored(product: Any, wholesale: PriceList) -> None:
    rita = member()
    today = timezone.localdate()
    PriceList.objects.filter(pk=wholesale.pk).update(valid_until=today - timedelta(days=1))
    assert unit_price(rita, product, 1) == Decimal("10.00")
    PriceList.objects.filter(pk=wholesale.pk).update(valid_until=None,
                                                     valid_from=today + timedelta(days=1))
    assert unit_price(rita, product, 1) == Decimal("10.00")


def test_a_category_percentage_applies_to_its_subcategories(product: Any) -> None:
    parent = factories.CategoryFactory(name="Kitchen")
    child = parent.add_child(name="Cups")
    factories.ProductCategoryFactory(product=product, category=child)
    price_list = PriceList.objects.create(name="Resellers", currency="EUR")
    PriceListItem.objects.create(price_list=price_list, category=parent, percent_off="25")
    CustomerGroup.objects.create(name="Resellers").price_lists.add(price_list)
    assert unit_price(member(group="Resellers"), product, 1) == Decimal("7.50")


def test_the_manual_order_cart_editor_agrees_with_checkout(product: Any,
                                                           wholesale: PriceList) -> None:
    rita = member()
    basket = manual_orders.start_draft(rita)
    manual_orders.add_product(basket, product.pk, 5)
    basket = manual_orders.load_draft(basket.pk, rita)
    assert basket.all_lines()[0].unit_price_excl_tax == unit_price(rita, product, 5) == (
        Decimal("6.50"))


@pytest.fixture
def country_it(db: Any) -> Any:
    return factories.CountryFactory(iso_3166_1_a2="IT", printable_name="Italy",
                                    is_shipping_country=True)
