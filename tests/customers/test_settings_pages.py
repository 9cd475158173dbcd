"""Groups, price lists and automatic tag rules have their own pages in both skins: the merchant
creates a price list with its prices, a group bound to it, and the group's customer pays the
list price; a rule made on its page tags the next buyer; deleting asks first; bad input is
explained and nothing is saved. And the directory exports what it shows."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from oscar_orders_ext.models import (Customer, CustomerGroup, CustomerTagRule, ExportJob,
                                     PriceList, PriceListItem, Tag)

from ..wagtail.conftest import FRONT_ENDS
from .test_pages import MANAGER, READER, client_for, shop  # noqa: F401 (fixtures)
from .test_price_lists import member, unit_price

pytestmark = pytest.mark.django_db(transaction=True)


def url(namespace: str, name: str, **kwargs: Any) -> str:
    return reverse(f"{namespace}:{name}", kwargs=kwargs or None)


def items_data(rows: list[dict[str, Any]], initial: int = 0) -> dict[str, Any]:
    """The price list form's prices formset as a browser posts it: ``rows`` filled, then
    empty rows (with their initial quantity 1) up to three."""
    rows = rows + [{"min_quantity": "1"}] * (3 - len(rows))
    data: dict[str, Any] = {"items-TOTAL_FORMS": str(len(rows)),
                            "items-INITIAL_FORMS": str(initial),
                            "items-MIN_NUM_FORMS": "0", "items-MAX_NUM_FORMS": "1000"}
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"items-{index}-{key}"] = value
    return data


@pytest.mark.parametrize("namespace", FRONT_ENDS)
def test_price_list_and_group_made_on_their_pages_price_the_members_basket(
        namespace: str, product: Any, client_for: Any) -> None:
    manager = client_for(MANAGER)
    assert manager.get(url(namespace, "orders-price-list-create")).status_code == 200
    response = manager.post(url(namespace, "orders-price-list-create"), {
        "name": "Trade", "currency": "eur", "priority": "1", **items_data([
            {"product": product.pk, "min_quantity": "1", "fixed_price": "8.00"},
            {"product": product.pk, "min_quantity": "5", "fixed_price": "6.50"}])})
    assert response.status_code == 302, response.content.decode()[:3000]
    price_list = PriceList.objects.get(name="Trade")
    assert price_list.currency == "EUR"
    assert sorted(price_list.items.values_list("min_quantity", "fixed_price")) == [
        (1, Decimal("8.00")), (5, Decimal("6.50"))]
    listing = manager.get(url(namespace, "orders-price-list-list"))
    assert listing.status_code == 200 and "Trade" in listing.content.decode()

    response = manager.post(url(namespace, "orders-customer-group-create"),
                            {"name": "Wholesale", "price_lists": [price_list.pk]})
    assert response.status_code == 302
    group = CustomerGroup.objects.get(name="Wholesale")
    assert list(group.price_lists.all()) == [price_list]
    # A new group opens on its own page (Scontrino: "the group's detail card is shown").
    assert response["Location"] == url(namespace, "orders-customer-group-update", pk=group.pk)

    rita, other = member("rita"), member("otto", group=None)
    page = manager.get(url(namespace, "orders-customer-group-update", pk=group.pk))
    assert "1 customer in this group" in page.content.decode()
    assert page.context["move_form"]["source"].value() == group.pk
    assert unit_price(rita, product, 4) == Decimal("8.00")
    assert unit_price(rita, product, 5) == Decimal("6.50")
    assert unit_price(other, product, 5) == product.stockrecords.first().price


@pytest.mark.parametrize("namespace", FRONT_ENDS)
def test_bad_prices_are_explained_and_nothing_is_saved(namespace: str, product: Any,
                                                       client_for: Any) -> None:
    manager = client_for(MANAGER)
    category = product.categories.first()
    response = manager.post(url(namespace, "orders-price-list-create"), {
        "name": "Broken", "currency": "EUR", "priority": "0",
        "valid_from": "2026-12-31", "valid_until": "2026-01-01", **items_data([
            {"product": product.pk, "min_quantity": "1", "fixed_price": "8.00",
             "percent_off": "10"}])})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Give a fixed price or a percentage off, not both." in body
    assert "The end of validity comes before its start." in body
    assert not PriceList.objects.exists() and not PriceListItem.objects.exists()
    if category is not None:
        response = manager.post(url(namespace, "orders-price-list-create"), {
            "name": "Broken", "currency": "EUR", "priority": "0", **items_data([
                {"product": product.pk, "category": category.pk, "min_quantity": "1",
                 "percent_off": "10"}])})
        assert response.status_code == 400
        assert "Choose a product or a category, not both." in response.content.decode()
        assert not PriceList.objects.exists()


@pytest.mark.parametrize("namespace", FRONT_ENDS)
def test_editing_a_price_list_changes_and_removes_prices(namespace: str, product: Any,
                                                         client_for: Any) -> None:
    price_list = PriceList.objects.create(name="Trade", currency="EUR")
    first = PriceListItem.objects.create(price_list=price_list, product=product,
                                         fixed_price="8.00")
    second = PriceListItem.objects.create(price_list=price_list, product=product,
                                          min_quantity=5, fixed_price="6.50")
    manager = client_for(MANAGER)
    page = manager.get(url(namespace, "orders-price-list-update", pk=price_list.pk))
    assert page.status_code == 200 and 'value="6.50"' in page.content.decode()
    response = manager.post(url(namespace, "orders-price-list-update", pk=price_list.pk), {
        "name": "Trade 2027", "currency": "EUR", "priority": "0", **items_data([
            {"id": first.pk, "product": product.pk, "min_quantity": "1", "fixed_price": "7.50"},
            {"id": second.pk, "product": product.pk, "min_quantity": "5",
             "fixed_price": "6.50", "DELETE": "on"}], initial=2)})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(price_list.items.values_list("min_quantity", "fixed_price")) == [
        (1, Decimal("7.50"))]
    assert PriceList.objects.get().name == "Trade 2027"


@pytest.mark.parametrize("namespace", FRONT_ENDS)
def test_deleting_a_group_asks_first_and_keeps_its_customers(
        namespace: str, shop: dict[str, Any], client_for: Any) -> None:
    group = CustomerGroup.objects.create(name="Retail")
    Customer.objects.update(group=group)
    manager = client_for(MANAGER)
    confirm = manager.get(url(namespace, "orders-customer-group-delete", pk=group.pk))
    assert confirm.status_code == 200
    assert "Its 3 customers stay in the directory, in no group." in confirm.content.decode()
    assert CustomerGroup.objects.filter(pk=group.pk).exists()
    response = manager.post(url(namespace, "orders-customer-group-delete", pk=group.pk))
    assert response.status_code == 302
    assert not CustomerGroup.objects.exists()
    assert Customer.objects.count() == 3
    assert not Customer.objects.filter(group__isnull=False).exists()


@pytest.mark.parametrize("namespace", FRONT_ENDS)
def test_a_tag_rule_made_on_its_page_tags_the_next_buyer(
        namespace: str, product: Any, place_order: Any, client_for: Any) -> None:
    manager = client_for(MANAGER)
    response = manager.post(url(namespace, "orders-customer-tag-rule-create"), {
        "product": product.pk, "tag_name": "Espresso fan", "is_active": "on"})
    assert response.status_code == 302, response.content.decode()[:3000]
    rule = CustomerTagRule.objects.get()
    assert rule.tag.name == "Espresso fan"
    listing = manager.get(url(namespace, "orders-customer-tag-rule-list"))
    assert "Espresso fan" in listing.content.decode()
    place_order(quantity=1, guest_email="gia@example.com")
    assert list(Customer.objects.get(email="gia@example.com").tags.values_list(
        "name", flat=True)) == ["Espresso fan"]
    # Deleting the rule (after confirming) leaves the tag it gave.
    assert manager.get(url(namespace, "orders-customer-tag-rule-delete",
                           pk=rule.pk)).status_code == 200
    manager.post(url(namespace, "orders-customer-tag-rule-delete", pk=rule.pk))
    assert not CustomerTagRule.objects.exists()
    assert Customer.objects.get(email="gia@example.com").tags.count() == 1


@pytest.mark.parametrize("namespace", FRONT_ENDS)
def test_a_rule_needs_a_product_or_a_category_and_a_tag(namespace: str, product: Any,
                                                        client_for: Any) -> None:
    response = client_for(MANAGER).post(url(namespace, "orders-customer-tag-rule-create"),
                                        {"tag_name": "VIP"})
    assert response.status_code == 400
    assert "Choose a product or a category, not both." in response.content.decode()
    assert not CustomerTagRule.objects.exists() and not Tag.objects.exists()


@pytest.mark.parametrize("namespace", FRONT_ENDS)
def test_settings_pages_need_the_manage_permission(namespace: str, db: Any,
                                                   client_for: Any) -> None:
    group = CustomerGroup.objects.create(name="Retail")
    reader = client_for(READER, "reader")
    for name in ("orders-price-list-list", "orders-customer-tag-rule-list",
                 "orders-customer-group-create"):
        assert reader.get(url(namespace, name)).status_code in {302, 403}
    assert reader.post(url(namespace, "orders-customer-group-delete",
                           pk=group.pk)).status_code in {302, 403}
    assert CustomerGroup.objects.filter(pk=group.pk).exists()


# --- The directory's export ------------------------------------------------------------------

@pytest.mark.parametrize("namespace", FRONT_ENDS)
def test_directory_exports_the_filtered_customers_as_csv(
        namespace: str, shop: dict[str, Any], client_for: Any) -> None:
    response = client_for(READER).get(url(namespace, "orders-customer-export"),
                                      {"format": "csv", "query": "has_orders=yes"})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:4] == ["Surname", "First name", "Company", "Email"]
    assert [row[3] for row in rows[1:]] == ["bruno@example.com", "anna@example.com"]
    anna = rows[2]
    total = sum(order.total_incl_tax for order in shop["rossi"])
    assert anna[rows[0].index("Lifetime value (EUR)")] == str(total)
    assert anna[rows[0].index("Orders")] == "2"


@pytest.mark.parametrize("namespace", FRONT_ENDS)
def test_directory_exports_xlsx_with_amounts_as_numbers(
        namespace: str, shop: dict[str, Any], client_for: Any) -> None:
    response = client_for(READER).get(url(namespace, "orders-customer-export"),
                                      {"format": "xlsx", "query": "q=rossi"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    header, *rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert [row[header.index("Email")] for row in rows] == ["anna@example.com"]
    value = rows[0][header.index("Lifetime value (EUR)")]
    assert Decimal(str(value)) == sum(order.total_incl_tax for order in shop["rossi"])


@pytest.mark.parametrize("namespace", FRONT_ENDS)
def test_a_large_directory_export_runs_on_the_worker(
        namespace: str, shop: dict[str, Any], client_for: Any, settings: Any) -> None:
    settings.OSCAR_ORDERS_EXT_EXPORT_SYNC_LIMIT = 1
    client = client_for(READER)
    response = client.get(url(namespace, "orders-customer-export"), {"format": "csv"})
    assert response.status_code == 302
    job = ExportJob.objects.get()
    assert response["Location"] == url(namespace, "orders-export-job", pk=job.pk)
    assert (job.status, job.total, job.done) == (ExportJob.Status.DONE, 3, 3)
    page = client.get(response["Location"])
    assert "3 of 3 customers exported." in page.content.decode()
    download = client.get(url(namespace, "orders-export-download", pk=job.pk))
    text = b"".join(download.streaming_content).decode()
    assert {"anna@example.com", "bruno@example.com", "carla@example.com"} <= set(text.split(","))


def test_a_bad_export_format_is_refused_with_a_message(shop: dict[str, Any],
                                                       client_for: Any) -> None:
    namespace = FRONT_ENDS[0]
    response = client_for(READER).get(url(namespace, "orders-customer-export"),
                                      {"format": "pdf", "query": "q=rossi"})
    assert response.status_code == 302
    assert response["Location"].endswith("?q=rossi")
    assert not ExportJob.objects.exists()


@pytest.mark.parametrize("namespace", FRONT_ENDS)
def test_product_and_category_pickers_search_instead_of_listing_the_catalogue(
        namespace: str, product: Any, client_for: Any) -> None:
    """With a catalogue of thousands of products, the price list page lists none of them:
    each row's product and category boxes hold only their choice, and the lookup finds a
    product by title or UPC and a category by name; a found product saves as usual."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from oscar.core.loading import get_model

    product_model = get_model("catalogue", "Product")
    product_model.objects.bulk_create([
        product_model(title=f"Bulk mug {number:04d}", upc=f"BULK{number:04d}",
                      product_class=product.product_class, slug=f"bulk-mug-{number}")
        for number in range(2000)])
    manager = client_for(MANAGER)
    page = manager.get(url(namespace, "orders-price-list-create"))
    html = page.content.decode()
    assert "Bulk mug" not in html
    lookup = url(namespace, "orders-customer-catalogue-lookup", kind="products")
    assert f'data-ooe-lookup="{lookup}"' in html and "lookup_select.js" in html

    with CaptureQueriesContext(connection) as queries:
        found = manager.get(lookup, {"q": "bulk mug 0042"}).json()["results"]
    assert [row["id"] for row in found] == list(
        product_model.objects.filter(upc="BULK0042").values_list("pk", flat=True))
    assert len(queries) < 10
    by_upc = manager.get(lookup, {"q": "BULK004"}).json()["results"]
    assert len(by_upc) == 10
    from oscar.test import factories

    category = factories.CategoryFactory(name="Kitchenware")
    categories = manager.get(url(namespace, "orders-customer-catalogue-lookup",
                                 kind="categories"), {"q": "kitchen"}).json()
    assert {"id": category.pk, "text": str(category)} in categories["results"]
    assert manager.get(url(namespace, "orders-customer-catalogue-lookup", kind="pages"),
                       {"q": "x"}).status_code == 404

    chosen = found[0]["id"]
    response = manager.post(url(namespace, "orders-price-list-create"), {
        "name": "Mugs", "currency": "EUR", "priority": "0",
        **items_data([{"product": chosen, "min_quantity": "1", "percent_off": "10"}])})
    assert response.status_code == 302
    price_list = PriceList.objects.get(name="Mugs")
    with CaptureQueriesContext(connection) as queries:
        edit = manager.get(url(namespace, "orders-price-list-update", pk=price_list.pk))
    # The saved row shows its product (and only it) without a query per row.
    assert edit.content.decode().count("Bulk mug") == 1
    assert not [q for q in queries.captured_queries
                if 'FROM "catalogue_product"' in q["sql"] and "LIMIT" not in q["sql"]]


@pytest.mark.parametrize("namespace", FRONT_ENDS)
def test_readers_cannot_use_the_catalogue_lookup(namespace: str, client_for: Any) -> None:
    reader = client_for(READER)
    response = reader.get(url(namespace, "orders-customer-catalogue-lookup", kind="products"),
                          {"q": "mug"})
    assert response.status_code in (302, 403)
