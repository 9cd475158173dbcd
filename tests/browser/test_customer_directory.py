"""The customer directory in a real browser, in both skins: the merchant searches the
directory, opens a customer's profile, reads the loyalty summary and opens all their orders
in the workspace table; and the Scontrino article's customer and group procedures, followed
in Italian."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from oscar_orders_ext.models import Customer, CustomerGroup, PriceList, PriceListItem

from ..wagtail.conftest import FRONT_ENDS, with_wagtail_access
from .conftest import _local_only, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("namespace", FRONT_ENDS)
def test_directory_to_profile_to_all_orders(namespace: str, live_server: Any, page: Any,
                                            make_staff: Any, place_order: Any) -> None:
    with_wagtail_access(make_staff("clerk", ["view_orderprocess", "view_customer"]))
    mine = [place_order(quantity=1, guest_email="ines@example.com") for _ in range(2)]
    other = place_order(quantity=1, guest_email="otto@example.com")
    sign_in(page, live_server, "clerk")

    page.goto(live_server.url + reverse(f"{namespace}:orders-customer-list"))
    assert page.locator("#ooe-customers tbody tr[data-customer]").count() == 2
    page.fill("#id_q", "ines@")
    page.locator("#ooe-customer-filters button[type=submit]").click()
    page.wait_for_load_state()
    rows = page.locator("#ooe-customers tbody tr[data-customer]")
    assert rows.count() == 1

    rows.first.locator("a").first.click()
    page.wait_for_load_state()
    assert page.locator("#ooe-customer-email").inner_text() == "ines@example.com"
    assert page.locator("#ooe-loyalty-orders").inner_text() == "2"
    assert page.locator("#ooe-customer-orders tbody tr").count() == 2

    page.locator("#ooe-customer-all-orders").click()
    page.wait_for_load_state()
    table = page.locator("#ooe-table").inner_text()
    assert all(str(order.number) in table for order in mine)
    assert str(other.number) not in table


@pytest.fixture
def italian(browser: Any) -> Iterator[Any]:
    """A page whose browser asks for Italian, as the Scontrino article's merchant's would."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="it-IT")
    context.route("**/*", _local_only)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.mark.parametrize("namespace", FRONT_ENDS)
def test_scontrino_customer_and_group_procedures_in_italian(
        namespace: str, live_server: Any, italian: Any, make_staff: Any, place_order: Any,
        product: Any) -> None:
    """The article's procedures, in Italian: the list by surname with company, filtered by
    group and searched; a customer's card, edited into a group; their latest orders and all
    of them with the bulk actions; a customer added with a password; the groups page reached
    from the list (price list, customers, creation date), a new group bound to a price list
    opening on its own card, its customers moved to another group; a price list whose
    product is found by typing its name."""
    page = italian
    with_wagtail_access(make_staff("gestore", [
        "view_orderprocess", "change_orderprocess", "bulk_edit_orders", "view_customer",
        "manage_customers"]))
    users = get_user_model().objects
    rossi = users.create_user("rossi", "marco.rossi@example.com", "pw", first_name="Marco",
                              last_name="Rossi")
    bianchi = users.create_user("bianchi", "giulia.bianchi@example.com", "pw",
                                first_name="Giulia", last_name="Bianchi")
    verdi = users.create_user("verdi", "anna.verdi@example.com", "pw", first_name="Anna",
                              last_name="Verdi")
    rossi_orders = [place_order(quantity=1, user=rossi) for _ in range(2)]
    place_order(quantity=1, user=bianchi)
    place_order(quantity=1, user=verdi)
    Customer.objects.filter(email="giulia.bianchi@example.com").update(company="Bianchi Srl")
    price_list = PriceList.objects.create(name="Ingrosso", currency="EUR")
    resellers = CustomerGroup.objects.create(name="Rivenditori")
    resellers.price_lists.add(price_list)

    def go(name: str, **kwargs: Any) -> None:
        page.goto(live_server.url + reverse(f"{namespace}:{name}", kwargs=kwargs or None))

    def submit(form: str) -> None:
        page.locator(f"{form} button[type=submit]").first.click()
        page.wait_for_load_state()

    sign_in(page, live_server, "gestore")
    go("orders-customer-list")
    assert "Anagrafica clienti" in page.title()
    names = page.locator("#ooe-customers tbody tr[data-customer] td:first-child a")
    assert names.all_inner_texts() == ["Bianchi, Giulia", "Rossi, Marco", "Verdi, Anna"]
    assert "Bianchi Srl" in page.locator("#ooe-customers").inner_text()

    # The customer's card, edited: group and phone.
    names.nth(1).click()
    page.wait_for_load_state()
    assert page.locator("#ooe-customer-email").inner_text() == "marco.rossi@example.com"
    page.select_option("#ooe-customer-form select[name=group]", label="Rivenditori")
    page.fill("#ooe-customer-form input[name=phone]", "+39 02 1234567")
    submit("#ooe-customer-form")
    assert "Rivenditori" in page.locator("#ooe-customer-group").inner_text()
    assert "Ingrosso" in page.locator("#ooe-customer-group").inner_text()

    # The latest orders, one opened; then all of them in the table, with the bulk actions.
    latest = page.locator("#ooe-customer-orders tbody tr")
    assert latest.count() == 2
    profile = page.url
    latest.first.locator("a").first.click()
    page.wait_for_load_state()
    assert any(str(order.number) in page.content() for order in rossi_orders)
    page.goto(profile)
    page.locator("#ooe-customer-all-orders").click()
    page.wait_for_load_state()
    table = page.locator("#ooe-table").inner_text()
    assert all(str(order.number) in table for order in rossi_orders)
    assert page.locator("#ooe-bulk-action").count() == 1

    # The list filtered by group, and searched.
    go("orders-customer-list")
    page.select_option("#ooe-customer-filters select[name=group]", label="Rivenditori")
    submit("#ooe-customer-filters")
    assert names.all_inner_texts() == ["Rossi, Marco"]
    go("orders-customer-list")
    page.fill("#id_q", "Verdi")
    submit("#ooe-customer-filters")
    assert names.all_inner_texts() == ["Verdi, Anna"]

    # A customer added by hand, with the password they log in with.
    go("orders-customer-list")
    page.locator("#ooe-new-customer").click()
    page.wait_for_load_state()
    page.fill("#ooe-customer-create input[name=email]", "luca.neri@example.com")
    page.fill("#ooe-customer-create input[name=first_name]", "Luca")
    page.fill("#ooe-customer-create input[name=last_name]", "Neri")
    page.fill("#ooe-customer-create input[name=password]", "Parola-segreta-42")
    submit("#ooe-customer-create")
    assert page.locator("#ooe-customer-email").inner_text() == "luca.neri@example.com"
    assert users.get(email="luca.neri@example.com").check_password("Parola-segreta-42")

    # Groups, from the list: price list, customers, creation date.
    go("orders-customer-list")
    page.locator("#ooe-customer-groups-link").first.click()
    page.wait_for_load_state()
    row = page.locator("#ooe-customer-groups tbody tr", has_text="Rivenditori")
    assert "Ingrosso" in row.inner_text() and "1" in row.inner_text()
    # A new group bound to the price list opens on its own card.
    go("orders-customer-group-create")
    page.fill("#ooe-settings-form input[name=name]", "Clienti fedeli")
    page.locator("#ooe-settings-form").get_by_label("Ingrosso (EUR)").check()
    submit("#ooe-settings-form")
    loyal = CustomerGroup.objects.get(name="Clienti fedeli")
    assert list(loyal.price_lists.all()) == [price_list]
    assert page.url.endswith(reverse(f"{namespace}:orders-customer-group-update",
                                     kwargs={"pk": loyal.pk}))
    # Every customer of Rivenditori moves to the new group.
    go("orders-customer-group-update", pk=resellers.pk)
    page.select_option("#ooe-group-move select[name=target]", label="Clienti fedeli")
    submit("#ooe-group-move")
    assert Customer.objects.get(email="marco.rossi@example.com").group == loyal

    # A price list's product is found by typing, not picked from the whole catalogue.
    go("orders-price-list-create")
    page.fill("#ooe-settings-form input[name=name]", "Promozione")
    page.fill("#ooe-settings-form input[name=currency]", "EUR")
    search = page.locator("#ooe-price-items tr.ooe-price-item").first.locator(
        "input.ooe-lookup-search").first
    search.fill(product.title[:6])
    first_product = page.locator("select[name='items-0-product'] option[value='%d']"
                                 % product.pk)
    first_product.wait_for(state="attached")
    page.select_option("select[name='items-0-product']", str(product.pk))
    page.fill("input[name='items-0-fixed_price']", "7.50")
    submit("#ooe-settings-form")
    item = PriceListItem.objects.get(price_list__name="Promozione")
    assert (item.product_id, item.fixed_price) == (product.pk, Decimal("7.50"))
