"""The customer directory, profile and "new customer" pages, the same story in both skins:
the merchant finds a customer, reads their loyalty summary, opens all their orders, tags them,
adds a customer by hand."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, override_settings
from django.urls import reverse

from oscar_orders_ext.models import Customer, Tag

from ..wagtail.conftest import FRONT_ENDS, with_wagtail_access

pytestmark = pytest.mark.django_db(transaction=True)

READER = ["view_orderprocess", "view_customer"]
MANAGER = [*READER, "manage_customers"]


def url(namespace: str, name: str, **kwargs: Any) -> str:
    return reverse(f"{namespace}:{name}", kwargs=kwargs or None)


@pytest.fixture
def client_for(make_staff: Any) -> Any:
    def make(permissions: list[str], username: str = "clerk") -> Client:
        client = Client()
        client.force_login(with_wagtail_access(make_staff(username, permissions)))
        return client
    return make


@pytest.fixture
def shop(place_order: Any) -> dict[str, Any]:
    """Three customers: Rossi (two orders), Bianchi (one), Verdi (an account, no order)."""
    rossi = [place_order(quantity=1, guest_email="anna@example.com",
                         shipping_address=None) for _ in range(2)]
    bianchi = place_order(quantity=3, guest_email="bruno@example.com")
    Customer.objects.filter(email="anna@example.com").update(first_name="Anna",
                                                             last_name="Rossi")
    Customer.objects.filter(email="bruno@example.com").update(first_name="Bruno",
                                                              last_name="Bianchi")
    get_user_model().objects.create_user(username="carla", email="carla@example.com",
                                         password="pw", first_name="Carla", last_name="Verdi")
    return {"rossi": rossi, "bianchi": bianchi}


def rows(response: Any) -> list[str]:
    return [customer.email for customer in response.context["customers"]]


@pytest.mark.parametrize("namespace", FRONT_ENDS)
def test_directory_lists_customers_by_surname_with_search_and_filters(
        namespace: str, shop: dict[str, Any], client_for: Any) -> None:
    client = client_for(READER)
    page = client.get(url(namespace, "orders-customer-list"))
    assert page.status_code == 200
    assert rows(page) == ["bruno@example.com", "anna@example.com", "carla@example.com"]
    assert "Rossi" in page.content.decode()
    assert rows(client.get(url(namespace, "orders-customer-list"), {"q": "ross"})) == [
        "anna@example.com"]
    assert rows(client.get(url(namespace, "orders-customer-list"), {"has_orders": "no"})) == [
        "carla@example.com"]
    assert rows(client.get(url(namespace, "orders-customer-list"), {"sort": "-orders"}))[0] == (
        "anna@example.com")
    assert rows(client.get(url(namespace, "orders-customer-list"), {"idle_days": "30"})) == []
    vip = Tag.objects.create(name="VIP")
    Customer.objects.get(email="bruno@example.com").tags.add(vip)
    assert rows(client.get(url(namespace, "orders-customer-list"), {"tag": vip.pk})) == [
        "bruno@example.com"]


@pytest.mark.parametrize("namespace", FRONT_ENDS)
def test_bad_filter_input_is_explained_and_the_list_stays(
        namespace: str, shop: dict[str, Any], client_for: Any) -> None:
    page = client_for(READER).get(url(namespace, "orders-customer-list"), {"idle_days": "-3"})
    assert page.status_code == 200
    assert len(rows(page)) == 3
    assert "alert-danger" in page.content.decode()


@pytest.mark.parametrize("namespace", FRONT_ENDS)
@override_settings(OSCAR_ORDERS_EXT_CUSTOMERS_PER_PAGE=2)
def test_directory_pages(namespace: str, shop: dict[str, Any], client_for: Any) -> None:
    client = client_for(READER)
    second = client.get(url(namespace, "orders-customer-list"), {"page": 2})
    assert rows(second) == ["carla@example.com"]


@pytest.mark.parametrize("namespace", FRONT_ENDS)
def test_profile_shows_loyalty_and_links_to_all_orders(
        namespace: str, shop: dict[str, Any], client_for: Any) -> None:
    client = client_for(READER)
    anna = Customer.objects.get(email="anna@example.com")
    page = client.get(url(namespace, "orders-customer-detail", pk=anna.pk))
    assert page.status_code == 200
    summary = page.context["summary"]
    total = sum(order.total_incl_tax for order in shop["rossi"])
    assert summary.order_count == 2
    assert summary.currencies[0]["total"] == total
    assert summary.currencies[0]["average"] == (total / 2).quantize(Decimal("0.01"))
    assert summary.days_since_last == 0
    assert [p.number for p in page.context["latest_orders"]] == sorted(
        (str(o.number) for o in shop["rossi"]), reverse=True)
    body = page.content.decode()
    assert "ooe-customer-form" not in body  # a reader cannot edit
    table = client.get(page.context["all_orders_url"])
    assert table.status_code == 200
    numbers = {process.number for process in table.context["page_obj"].object_list}
    assert numbers == {str(o.number) for o in shop["rossi"]}


@pytest.mark.parametrize("namespace", FRONT_ENDS)
def test_manager_edits_details_tags_and_notes(namespace: str, shop: dict[str, Any],
                                              client_for: Any) -> None:
    vip = Tag.objects.create(name="VIP")
    anna = Customer.objects.get(email="anna@example.com")
    reader = client_for(READER, "reader")
    refused = reader.post(url(namespace, "orders-customer-update", pk=anna.pk),
                          {"first_name": "X", "last_name": "Y"})
    assert refused.status_code in {302, 403}
    assert Customer.objects.get(pk=anna.pk).first_name == "Anna"
    manager = client_for(MANAGER)
    response = manager.post(url(namespace, "orders-customer-update", pk=anna.pk), {
        "first_name": "Anna", "last_name": "Rossi", "company": "Rossi Srl", "phone": "",
        "notes": "Prefers courier", "tags": [vip.pk]})
    assert response.status_code == 302
    anna.refresh_from_db()
    assert (anna.company, anna.notes, list(anna.tags.all())) == (
        "Rossi Srl", "Prefers courier", [vip])
    # The next order keeps what the operator wrote.
    page = manager.get(url(namespace, "orders-customer-detail", pk=anna.pk))
    assert "Prefers courier" in page.content.decode()


@pytest.mark.parametrize("namespace", FRONT_ENDS)
def test_new_customer_with_password_can_log_in_and_joins_guest_orders(
        namespace: str, shop: dict[str, Any], client_for: Any) -> None:
    manager = client_for(MANAGER)
    response = manager.post(url(namespace, "orders-customer-create"), {
        "email": "bruno@example.com", "first_name": "Bruno", "last_name": "Bianchi",
        "password": "a-long-secret-42"})
    assert response.status_code == 302
    customer = Customer.objects.get(email="bruno@example.com")
    assert customer.user is not None and customer.order_count == 1
    assert Client().login(username=customer.user.username, password="a-long-secret-42")


@pytest.mark.parametrize("namespace", FRONT_ENDS)
def test_an_existing_email_is_refused_with_a_link(namespace: str, shop: dict[str, Any],
                                                  client_for: Any) -> None:
    manager = client_for(MANAGER)
    carla = Customer.objects.get(email="carla@example.com")
    response = manager.post(url(namespace, "orders-customer-create"), {
        "email": "Carla@example.com", "password": "a-long-secret-42"})
    assert response.status_code == 400
    assert url(namespace, "orders-customer-detail", pk=carla.pk) in response.content.decode()
    assert get_user_model().objects.filter(email__iexact="carla@example.com").count() == 1


@pytest.mark.parametrize("namespace", FRONT_ENDS)
def test_invitation_sends_the_set_password_email(namespace: str, db: Any, client_for: Any,
                                                 mailoutbox: list[Any]) -> None:
    manager = client_for(MANAGER)
    response = manager.post(url(namespace, "orders-customer-create"), {
        "email": "dora@example.com", "invite": "on"})
    assert response.status_code == 302
    assert [message.to for message in mailoutbox] == [["dora@example.com"]]
    user = get_user_model().objects.get(email="dora@example.com")
    assert not user.has_usable_password()


@pytest.mark.parametrize("namespace", FRONT_ENDS)
def test_pages_need_the_customer_permissions(namespace: str, shop: dict[str, Any],
                                             client_for: Any) -> None:
    orders_only = client_for(["view_orderprocess"], "orders-only")
    assert orders_only.get(url(namespace, "orders-customer-list")).status_code in {302, 403}
    reader = client_for(READER, "reader")
    assert reader.get(url(namespace, "orders-customer-create")).status_code in {302, 403}


@pytest.mark.parametrize("namespace", FRONT_ENDS)
def test_groups_list_counts_and_moving_a_groups_customers(
        namespace: str, shop: dict[str, Any], client_for: Any) -> None:
    from oscar_orders_ext.models import CustomerGroup, PriceList

    retail, wholesale = (CustomerGroup.objects.create(name=name)
                         for name in ("Retail", "Wholesale"))
    wholesale.price_lists.add(PriceList.objects.create(name="Trade", currency="EUR"))
    Customer.objects.exclude(email="carla@example.com").update(group=retail)
    manager = client_for(MANAGER)
    page = manager.get(url(namespace, "orders-customer-group-list"))
    assert page.status_code == 200
    counts = {group.name: group.customer_count for group in page.context["groups"]}
    assert counts == {"Retail": 2, "Wholesale": 0}
    assert rows(manager.get(url(namespace, "orders-customer-list"), {"group": retail.pk})) == [
        "bruno@example.com", "anna@example.com"]
    refused = manager.post(url(namespace, "orders-customer-group-move"),
                           {"source": retail.pk, "target": retail.pk})
    assert refused.status_code == 400
    moved = manager.post(url(namespace, "orders-customer-group-move"),
                         {"source": retail.pk, "target": wholesale.pk})
    assert moved.status_code == 302
    assert Customer.objects.filter(group=wholesale).count() == 2
    anna = Customer.objects.get(email="anna@example.com")
    profile = manager.get(url(namespace, "orders-customer-detail", pk=anna.pk))
    assert "Trade" in profile.content.decode()
    reader = client_for(READER, "reader")
    assert reader.post(url(namespace, "orders-customer-group-move"),
                       {"source": wholesale.pk, "target": ""}).status_code in {302, 403}
    assert Customer.objects.filter(group=wholesale).count() == 2


@pytest.mark.parametrize("namespace", FRONT_ENDS)
def test_profile_and_directory_cost_the_same_queries_with_more_orders_and_customers(
        namespace: str, place_order: Any, client_for: Any, product: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(READER)
    tags = [Tag.objects.create(name=f"T{i}") for i in range(3)]
    place_order(quantity=1, guest_email="few@example.com")

    def queries(path: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path).status_code == 200
        return len(captured)

    few = Customer.objects.get(email="few@example.com")
    profile = url(namespace, "orders-customer-detail", pk=few.pk)
    directory = url(namespace, "orders-customer-list")
    before = (queries(profile), queries(directory))
    for index in range(4):
        place_order(quantity=1, guest_email="few@example.com")
        place_order(quantity=1, guest_email=f"more{index}@example.com")
    for customer in Customer.objects.all():
        customer.tags.set(tags)
    assert (queries(profile), queries(directory)) == before


def test_the_sort_choices_read_in_the_users_language(shop: dict[str, Any],
                                                     client_for: Any) -> None:
    # django-filter formats its "(descending)" labels once, at import, in English.
    page = client_for(READER).get(url("oscar_orders_ext_dashboard", "orders-customer-list"),
                                  headers={"Accept-Language": "it"})
    text = page.content.decode()
    assert "Cognome (decrescente)" in text and "Ordini (decrescente)" in text
    assert "(descending)" not in text
