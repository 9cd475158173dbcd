"""Manual orders and line edits in Wagtail's admin: the dashboard's cart editor views (same
services, forms and JSON) with Wagtail's templates, entry points and permissions."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from oscar.core.loading import get_model

from oscar_orders_ext.models import OrderProcess
from oscar_orders_ext.services.transitions import transition_order

from ..conftest import stock_of
from ..dashboard.conftest import WORKSPACE_VIEWER
from ..manual_orders.conftest import (MANUAL_ORDER_PERMISSIONS, clerk, country,  # noqa: F401
                                      customer, manual_order, mug, mug_offer, voucher)
from .conftest import wt_url

pytestmark = pytest.mark.django_db

Basket = get_model("basket", "Basket")
Order = get_model("order", "Order")
JSON = {"Accept": "application/json"}
CREATE = "orders-workspace-order-create"


@pytest.fixture
def cms_clerk(make_wagtail_user: Any) -> Any:
    """Takes phone orders and edits their lines, in Wagtail."""
    return make_wagtail_user("cms-clerk", MANUAL_ORDER_PERMISSIONS)


def order_page(order: Any) -> str:
    return wt_url("orders-workspace-order", number=order.number)


def lines_url(order: Any) -> str:
    return wt_url("orders-workspace-order-lines", number=order.number)


def post_json(django_app: Any, user: Any, url: str, data: dict[str, Any],
              status: int = 200) -> Any:
    token = django_app.get(url, user=user).pyquery("input[name=csrfmiddlewaretoken]").attr(
        "value")
    return django_app.post(url, {"csrfmiddlewaretoken": token, **data}, headers=JSON,
                           user=user, status=status).json


# --- entry points ------------------------------------------------------------------------------

def menu_labels(page: Any) -> str:
    return page.pyquery("#wagtail-sidebar-props").text()


def test_new_order_is_offered_in_the_table_header_and_the_menu_only_to_who_may(
        django_app, cms_clerk, cms_viewer):
    table = django_app.get(wt_url("orders-workspace"), user=cms_clerk)
    assert table.pyquery("#ooe-new-order").attr("href") == wt_url(CREATE)
    assert wt_url(CREATE) in menu_labels(table)
    table = django_app.get(wt_url("orders-workspace"), user=cms_viewer)
    assert not table.pyquery("#ooe-new-order") and wt_url(CREATE) not in menu_labels(table)


def test_the_items_panel_links_to_the_wagtail_line_editor(django_app, cms_clerk, cms_viewer,
                                                          manual_order):
    order = manual_order()
    page = django_app.get(order_page(order), user=cms_clerk)
    assert page.pyquery("#ooe-lines #ooe-edit-lines").attr("href") == lines_url(order)
    assert not django_app.get(order_page(order), user=cms_viewer).pyquery("#ooe-edit-lines")


# --- manual orders -----------------------------------------------------------------------------

def test_placing_an_order_without_javascript_opens_its_wagtail_page(
        django_app, cms_clerk, customer, product, mug, mug_offer, voucher, country):
    page = django_app.get(wt_url(CREATE), user=cms_clerk)
    assert page.pyquery("#wagtail-sidebar, aside.sidebar").length  # Wagtail's look
    form = page.forms["ooe-cart-form"]
    form["sku"], form["quantity"] = "CUP-1", "2"
    page = form.submit("action", value="add")
    assert "“Espresso cup” added." in page.pyquery(".messages").text()
    form = page.forms["ooe-cart-form"]
    form["sku"], form["quantity"] = "MUG-1", "1"
    form = form.submit("action", value="add").forms["ooe-cart-form"]
    form["voucher_code"] = "save5"
    page = form.submit("action", value="voucher")
    assert page.pyquery("[data-total=total_incl_tax]").attr("data-value") == "37.50"

    form = page.forms["ooe-cart-form"]
    form["customer"] = customer.pk
    for name, value in {"first_name": "Ada", "last_name": "Lovelace", "line1": "1 Main St",
                        "line4": "London", "postcode": "SW1Y 4JH"}.items():
        form[f"billing-{name}"] = value
    form["billing-country"] = country.pk
    form["shipping_method"] = "manual"
    form["shipping_charge_excl_tax"] = "4.00"
    form["payment_method"] = "card"
    placed = form.submit("action", value="place", status=302)
    order = Order.objects.get()
    assert placed.location == order_page(order)  # Wagtail's order page, not the dashboard's
    shown = placed.follow()
    assert f"Order {order.number} placed." in shown.pyquery(".messages").text()
    assert order.user == customer and order.total_incl_tax == Decimal("41.50")
    process = OrderProcess.objects.get(order=order)
    assert (process.operator, process.source) == (cms_clerk, "manual")
    assert stock_of(product) == (10, 2)


def test_cart_actions_answer_the_dashboards_json_with_wagtails_cart(django_app, cms_clerk,
                                                                     product):
    url = wt_url(CREATE)
    answer = post_json(django_app, cms_clerk, url, {"action": "add", "product": product.pk,
                                                    "quantity": "3"})
    assert answer["ok"] and answer["totals"]["total_incl_tax"] == "30.00"
    assert 'ooe-cart-lines' in answer["html"]  # the shared rows partial  # the Wagtail partial
    line = Basket.objects.get(pk=answer["basket"]).lines.get()
    answer = post_json(django_app, cms_clerk, url, {"action": "update",
                                                    "basket": answer["basket"],
                                                    f"qty-{line.pk}": "-1"}, status=400)
    assert answer["message"] == "Quantities must be positive."


def test_the_searches_answer_json_in_wagtail(django_app, cms_clerk, customer, product):
    found = django_app.get(wt_url("orders-workspace-customer-search"), {"q": "ada love"},
                           user=cms_clerk).json["results"]
    assert [c["email"] for c in found] == ["ada@example.com"]
    found = django_app.get(wt_url("orders-workspace-product-search"), {"q": "cup-"},
                           user=cms_clerk).json["results"]
    assert [(p["title"], p["sku"]) for p in found] == [("Espresso cup", "CUP-1")]


def test_the_product_search_serves_line_editors_too(django_app, make_wagtail_user, product):
    editor = make_wagtail_user("cms-line-editor", [*WORKSPACE_VIEWER, "edit_order_lines"])
    django_app.get(wt_url("orders-workspace-product-search"), {"q": "cup"}, user=editor)
    django_app.get(wt_url("orders-workspace-customer-search"), {"q": "ada"}, user=editor,
                   status=403)
    django_app.get(wt_url(CREATE), user=editor, status=403)


@pytest.mark.parametrize("name", [CREATE, "orders-workspace-customer-search",
                                  "orders-workspace-product-search"])
def test_creating_orders_needs_the_permission(django_app, cms_viewer, name):
    django_app.get(wt_url(name), user=cms_viewer, status=403)


def test_partner_users_take_no_manual_orders_as_in_oscars_dashboard(
        django_app, make_partner_user, manual_order, product):
    order = manual_order()
    user = make_partner_user(order.lines.get().partner,
                             [*MANUAL_ORDER_PERMISSIONS])
    table = django_app.get(wt_url("orders-workspace"), user=user)
    assert not table.pyquery("#ooe-new-order") and wt_url(CREATE) not in menu_labels(table)
    for path in [wt_url(CREATE), wt_url("orders-workspace-customer-search"),
                 wt_url("orders-workspace-product-search"), lines_url(order)]:
        django_app.get(path, user=user, status=403)
    assert not django_app.get(order_page(order), user=user).pyquery("#ooe-edit-lines")


# --- the line editor ---------------------------------------------------------------------------

def test_line_previews_answer_json_and_saving_redirects_to_wagtail(django_app, cms_clerk,
                                                                    manual_order):
    order = manual_order(quantity=2)
    line = order.lines.get()
    answer = post_json(django_app, cms_clerk, lines_url(order),
                       {"action": "preview", f"line-{line.pk}": "4", "version": "1"})
    assert answer["totals"]["total_incl_tax"] == "44.00"
    assert 'ooe-cart-lines' in answer["html"]  # the shared rows partial
    answer = post_json(django_app, cms_clerk, lines_url(order),
                       {"action": "save", f"line-{line.pk}": "4", "version": "1"})
    assert answer["ok"] and answer["redirect"] == order_page(order)
    assert Order.objects.get(pk=order.pk).total_incl_tax == Decimal("44.00")


def test_shipped_orders_lines_are_locked_without_the_permission(django_app, cms_clerk,
                                                                manual_order):
    order = manual_order(quantity=2)
    transition_order(order, "ship", user=cms_clerk)
    page = django_app.get(lines_url(order), user=cms_clerk)
    assert "its lines can only be changed by staff allowed" in page.pyquery(
        "#ooe-lines-locked").text()
    assert "ooe-lines-form" not in page.forms


def test_the_line_editor_needs_the_permission_and_a_visible_order(django_app, cms_viewer,
                                                                  cms_clerk, manual_order):
    order = manual_order(quantity=2)
    django_app.get(lines_url(order), user=cms_viewer, status=403)
    django_app.get(wt_url("orders-workspace-order-lines", number="NOPE"), user=cms_clerk,
                   status=404)
