"""The cart editor and the line editor through the real dashboard (WebTest)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse
from oscar.core.loading import get_model

from oscar_orders_ext.models import OrderProcess, TimelineEntry
from oscar_orders_ext.services.transitions import transition_order
from oscar_orders_ext.templatetags.orders_workspace import order_detail_url

from ..conftest import stock_of
from ..dashboard.conftest import ws_url
from ..wagtail.conftest import FRONT_ENDS, with_wagtail_access

Basket = get_model("basket", "Basket")
Order = get_model("order", "Order")

pytestmark = pytest.mark.django_db
JSON = {"Accept": "application/json"}
CREATE = "orders-workspace-order-create"


def cart_page(django_app: Any, user: Any) -> Any:
    return django_app.get(ws_url(CREATE), user=user).forms["ooe-cart-form"]


def fill_billing(form: Any, country: Any) -> None:
    for name, value in {"first_name": "Ada", "last_name": "Lovelace", "line1": "1 Main St",
                        "line4": "London", "postcode": "SW1Y 4JH"}.items():
        form[f"billing-{name}"] = value
    form["billing-country"] = country.pk


def post_json(django_app: Any, user: Any, data: dict[str, Any], status: int = 200,
              url: str | None = None) -> Any:
    page = django_app.get(url or ws_url(CREATE), user=user)
    token = page.forms[0]["csrfmiddlewaretoken"].value
    return django_app.post(url or ws_url(CREATE), {"csrfmiddlewaretoken": token, **data},
                           headers=JSON, user=user, status=status).json


def test_building_and_placing_an_order_without_javascript(
        django_app, clerk, customer, product, mug, mug_offer, voucher, country,
        django_capture_on_commit_callbacks):
    form = cart_page(django_app, clerk)
    form["sku"] = "CUP-1"
    form["quantity"] = "2"
    page = form.submit("action", value="add")
    assert "“Espresso cup” added." in page.text
    form = page.forms["ooe-cart-form"]
    form["sku"] = "5000000000001"  # the mug's UPC
    form["quantity"] = "1"
    form = form.submit("action", value="add").forms["ooe-cart-form"]
    form["voucher_code"] = "save5"
    page = form.submit("action", value="voucher")
    assert "Voucher “SAVE5” applied." in page.text
    assert page.pyquery("[data-total=total_incl_tax]").attr("data-value") == "37.50"

    form = page.forms["ooe-cart-form"]
    form["customer"] = customer.pk
    fill_billing(form, country)
    form["shipping_method"] = "manual"
    form["shipping_charge_excl_tax"] = "4.00"
    form["payment_method"] = "card"
    form["initial_state"] = "processing"
    assert form["send_confirmation"].checked  # as an order placed in the shop would
    with django_capture_on_commit_callbacks(execute=True):
        placed = form.submit("action", value="place", status=302)
    order = Order.objects.get()
    assert [(m.to, order.number in m.subject) for m in mail.outbox] == [
        (["ada@example.com"], True)]
    assert placed.location == order_detail_url(order.number)
    shown = django_app.get(ws_url("orders-workspace"), user=clerk)
    assert f"Order {order.number} placed." in shown.text
    assert order.user == customer and order.total_incl_tax == Decimal("41.50")
    process = OrderProcess.objects.get(order=order)
    assert (process.state, process.operator, process.source) == ("processing", clerk, "manual")
    assert stock_of(product) == (10, 2)


def test_cart_actions_answer_json_with_the_recomputed_cart(django_app, clerk, product,
                                                           bulk_voucher):
    answer = post_json(django_app, clerk, {"action": "add", "product": product.pk,
                                           "quantity": "3"})
    assert answer["ok"] and answer["totals"]["total_incl_tax"] == "30.00"
    basket = answer["basket"]
    line = Basket.objects.get(pk=basket).lines.get()
    answer = post_json(django_app, clerk, {"action": "update", "basket": basket,
                                           f"qty-{line.pk}": "5"})
    assert answer["totals"]["total_incl_tax"] == "50.00" and 'value="5"' in answer["html"]

    refused = post_json(django_app, clerk, {"action": "voucher", "basket": basket,
                                            f"qty-{line.pk}": "5", "voucher_code": "BULK10"},
                        status=400)
    assert refused["message"] == "Voucher “BULK10” gives this cart no discount."
    assert refused["totals"]["total_incl_tax"] == "50.00"

    for bad, message in [({f"qty-{line.pk}": "-1"}, "Quantities must be positive."),
                         ({"action": "add", "product": "999999"}, "There is no such product."),
                         ({"action": "add", "sku": "NOPE"}, "No product has the SKU or UPC")]:
        answer = post_json(django_app, clerk, {"action": "update", "basket": basket, **bad},
                           status=400)
        assert answer["message"].startswith(message)
    assert Basket.objects.get(pk=basket).lines.get().quantity == 5

    answer = post_json(django_app, clerk, {"action": f"remove-{line.pk}", "basket": basket})
    assert answer["totals"]["total_excl_tax"] == "0.00"
    assert "The cart is empty" in answer["html"]


def test_a_manual_shipping_charge_is_added_to_the_total(django_app, clerk, product):
    basket = post_json(django_app, clerk, {"action": "add", "product": product.pk})["basket"]
    answer = post_json(django_app, clerk, {"basket": basket, "shipping_method": "manual",
                                           "shipping_charge_excl_tax": "5.50"})
    assert answer["totals"]["shipping_incl_tax"] == "5.50"
    assert answer["totals"]["total_incl_tax"] == "15.50"
    missing = post_json(django_app, clerk, {"basket": basket, "shipping_method": "manual"})
    assert "Enter the shipping charge." in missing["html"]
    assert missing["totals"]["total_incl_tax"] == "10.00"


def test_another_sessions_cart_is_refused(django_app, clerk, make_staff, product):
    basket = post_json(django_app, clerk, {"action": "add", "product": product.pk})["basket"]
    other = make_staff("other", ["create_manual_order"])
    answer = post_json(django_app, other, {"action": "add", "product": product.pk,
                                           "basket": basket}, status=400)
    assert answer["message"] == "This cart was started elsewhere. Start a new order."
    assert Basket.objects.get(pk=basket).lines.get().quantity == 1


def test_placing_with_missing_details_shows_errors_and_saves_nothing(django_app, clerk,
                                                                     product):
    form = cart_page(django_app, clerk)
    form["sku"] = "CUP-1"
    form = form.submit("action", value="add").forms["ooe-cart-form"]
    form["payment_method"] = "cash"
    page = form.submit("action", value="place", status=400)
    assert "Choose a customer or enter the email of a new one." in page.text
    assert "Check the highlighted fields." in page.text
    assert Order.objects.count() == 0 and stock_of(product) == (10, 0)


def test_a_new_customer_by_email(django_app, clerk, product, country):
    form = cart_page(django_app, clerk)
    form["sku"] = "CUP-1"
    form = form.submit("action", value="add").forms["ooe-cart-form"]
    form["email"] = "new.customer@example.com"
    fill_billing(form, country)
    form["payment_method"] = "cash-on-delivery"
    form["ship_elsewhere"] = True
    for name, value in {"first_name": "Bob", "last_name": "Shipper", "line1": "2 Dock Rd",
                        "line4": "Leeds", "postcode": "LS1 1AA"}.items():
        form[f"shipping-{name}"] = value
    form["shipping-country"] = country.pk
    form.submit("action", value="place", status=302)
    order = Order.objects.get()
    assert order.user.email == "new.customer@example.com"
    assert order.shipping_address.line4 == "Leeds" and order.billing_address.line4 == "London"
    assert OrderProcess.objects.get(order=order).payment_method == "Cash on delivery"


def test_searches(django_app, clerk, customer, product, mug):
    url = ws_url("orders-workspace-customer-search")
    found = django_app.get(f"{url}?q=ada love", user=clerk).json["results"]
    assert [c["email"] for c in found] == ["ada@example.com"]
    assert django_app.get(f"{url}?q=", user=clerk).json["results"] == []
    url = ws_url("orders-workspace-product-search")
    assert [p["title"] for p in django_app.get(f"{url}?q=mug", user=clerk).json["results"]] \
        == ["Stoneware mug"]
    by_sku = django_app.get(f"{url}?q=cup-", user=clerk).json["results"]
    assert by_sku == [{"id": product.pk, "title": "Espresso cup", "upc": "",
                       "sku": "CUP-1", "price": "10.00", "currency": "EUR",
                       "available": True, "availability": "In stock (10 available)"}]


@pytest.mark.parametrize("name", [CREATE, "orders-workspace-customer-search",
                                  "orders-workspace-product-search"])
def test_creating_orders_needs_the_permission(django_app, viewer, name):
    django_app.get(ws_url(name), user=viewer, status=403)


def test_the_new_order_button_is_shown_only_with_the_permission(django_app, clerk, viewer):
    assert "New order" in django_app.get(ws_url("orders-workspace"), user=clerk).text
    assert "New order" not in django_app.get(ws_url("orders-workspace"), user=viewer).text


def test_without_the_edit_permission_operator_and_paid_are_not_offered(django_app, make_staff):
    creator = make_staff("creator", ["create_manual_order", "view_orderprocess"])
    form = cart_page(django_app, creator)
    assert "operator" not in form.fields and "paid" not in form.fields


# --- the line editor ---------------------------------------------------------------------------

def lines_url(order: Any) -> str:
    return ws_url("orders-workspace-order-lines", number=order.number)


@pytest.mark.parametrize("namespace", FRONT_ENDS)
def test_editing_lines_without_javascript(django_app, clerk, manual_order, mug, product,
                                          namespace):
    order = manual_order(quantity=2)
    url = reverse(f"{namespace}:orders-workspace-order-lines", kwargs={"number": order.number})
    form = django_app.get(url, user=with_wagtail_access(clerk)).forms["ooe-lines-form"]
    form["sku"] = "MUG-1"
    form["quantity"] = "2"
    page = form.submit("action", value="add")
    assert page.pyquery("[data-total=total_incl_tax]").attr("data-value") == "74.00"
    form = page.forms["ooe-lines-form"]
    form[f"line-{order.lines.get().pk}"] = "1"
    form["note"] = "Customer called back"
    done = form.submit("action", value="save", status=302)
    assert done.location == order_detail_url(order.number, namespace)  # this front end's
    assert f"The lines of order {order.number} were saved." in done.follow().text
    order = Order.objects.get(pk=order.pk)
    assert order.total_incl_tax == Decimal("64.00")
    assert stock_of(product) == (10, 1) and stock_of(mug) == (5, 2)
    entry = TimelineEntry.objects.get(order=order, kind="edit")
    assert entry.note == "Customer called back" and entry.actor == clerk


def test_line_previews_answer_json_and_save_nothing(django_app, clerk, manual_order):
    order = manual_order(quantity=2)
    line = order.lines.get()
    answer = post_json(django_app, clerk, {"action": "preview", f"line-{line.pk}": "4",
                                           "version": "1"}, url=lines_url(order))
    assert answer["totals"]["total_incl_tax"] == "44.00"
    bad = post_json(django_app, clerk, {"action": "preview", f"line-{line.pk}": "-4",
                                        "version": "1"}, url=lines_url(order), status=400)
    assert bad["message"] == "Quantities cannot be negative."
    assert Order.objects.get(pk=order.pk).total_incl_tax == Decimal("24.00")


@pytest.mark.parametrize("namespace", FRONT_ENDS)
def test_a_stale_line_form_is_a_conflict(django_app, clerk, manual_order, namespace):
    order = manual_order(quantity=2)
    url = reverse(f"{namespace}:orders-workspace-order-lines", kwargs={"number": order.number})
    form = django_app.get(url, user=with_wagtail_access(clerk)).forms["ooe-lines-form"]
    transition_order(order, "confirm", user=clerk)  # someone else, meanwhile
    form[f"line-{order.lines.get().pk}"] = "3"
    page = form.submit("action", value="save", status=409)
    assert "Someone else changed this order" in page.text
    assert order.lines.get().quantity == 2


def test_shipped_orders_lines_are_locked_without_the_permission(django_app, clerk,
                                                                manual_order, make_staff):
    order = manual_order(quantity=2)
    transition_order(order, "ship", user=clerk)
    page = django_app.get(lines_url(order), user=clerk)
    assert "its lines can only be changed by staff allowed" in page.text
    assert "ooe-lines-form" not in page.forms
    answer = post_json(django_app, clerk, {"action": "save", "version": "2",
                                           f"line-{order.lines.get().pk}": "3"},
                       url=lines_url(order), status=403)
    assert "can no longer be changed" in answer["message"]

    supervisor = make_staff("supervisor", ["view_orderprocess", "edit_order_lines",
                                           "edit_shipped_order_lines"])
    form = django_app.get(lines_url(order), user=supervisor).forms["ooe-lines-form"]
    form[f"line-{order.lines.get().pk}"] = "3"
    form.submit("action", value="save", status=302)
    assert order.lines.get().quantity == 3


def test_the_line_editor_needs_the_permission(django_app, viewer, manual_order):
    order = manual_order(quantity=2)
    django_app.get(lines_url(order), user=viewer, status=403)


def test_unknown_orders_are_not_found(django_app, clerk):
    django_app.get(ws_url("orders-workspace-order-lines", number="NOPE"), user=clerk,
                   status=404)


def test_the_cart_places_with_the_shipping_it_shows(django_app, clerk, product, country):
    # An empty cart offered only "Charge entered by hand"; adding a product then priced free
    # shipping while the select showed the hand-typed charge (both options "selected"), and
    # placing the order failed with "Enter the shipping charge.".
    page = django_app.get(ws_url(CREATE), user=clerk)
    assert not page.pyquery("#ooe-shipping-method")  # nothing to ship yet
    form = page.forms["ooe-cart-form"]
    form["sku"] = "CUP-1"
    page = form.submit("action", value="add")
    assert [option.get("value") for option in
            page.pyquery("#ooe-shipping-method option[selected]")] == ["free-shipping"]
    form = page.forms["ooe-cart-form"]
    fill_billing(form, country)
    form["email"] = "walk.in@example.com"
    form["payment_method"] = "card"
    form.submit("action", value="place", status=302)
    assert Order.objects.get().shipping_code == "free-shipping"


def test_the_customer_picker_brings_the_saved_address(django_app, clerk, customer, country):
    UserAddress = get_model("address", "UserAddress")
    UserAddress.objects.create(user=customer, first_name="Ada", last_name="Lovelace",
                               line1="12 St James's Square", line4="London",
                               postcode="SW1Y 4JH", country=country,
                               is_default_for_billing=True)
    url = ws_url("orders-workspace-customer-search")
    found = django_app.get(f"{url}?q=ada", user=clerk).json["results"]
    assert found[0]["address"] == {
        "first_name": "Ada", "last_name": "Lovelace", "line1": "12 St James's Square",
        "line2": "", "line3": "", "line4": "London", "state": "", "postcode": "SW1Y 4JH",
        "country": country.pk, "phone": ""}


def test_the_cart_shows_line_prices_in_every_language(django_app, clerk, product):
    # In Italian the unit price and the line total were blank: the template formatted an
    # amount that Django had already localised as text ("10,00").
    italian = {"Accept-Language": "it"}
    form = django_app.get(ws_url(CREATE), user=clerk, headers=italian).forms["ooe-cart-form"]
    form["sku"] = "CUP-1"
    form["quantity"] = "2"
    page = form.submit("action", value="add", headers=italian)
    cells = [cell.text_content().strip() for cell in page.pyquery("tr[data-line] td")]
    assert cells[1] == "10,00\xa0€" and cells[4] == "20,00\xa0€"


@pytest.mark.parametrize("namespace", FRONT_ENDS)
def test_a_quote_order_is_placed_from_the_screen_without_payment(
        django_app, clerk, customer, product, country, namespace):
    clerk = with_wagtail_access(clerk)
    page = django_app.get(reverse(f"{namespace}:{CREATE}"), user=clerk)
    form = page.forms["ooe-cart-form"]
    form["sku"] = "CUP-1"
    form["quantity"] = "3"
    form = form.submit("action", value="add").forms["ooe-cart-form"]
    form["customer"] = customer.pk
    fill_billing(form, country)
    form["order_type"] = "quote"
    form["payment_method"] = "card"
    form["paid"] = True  # ignored for a quote: the price is agreed later
    form.submit("action", value="place", status=302)
    order = Order.objects.get()
    process = OrderProcess.objects.get(order=order)
    assert (process.order_type, process.payment_status) == ("quote", "unpaid")
    assert not get_model("payment", "Source").objects.filter(order=order).exists()
    page = django_app.get(reverse(f"{namespace}:orders-workspace-order",
                                  kwargs={"number": order.number}) + "?open=quote_form",
                          user=clerk)
    assert "ooe-quote-form" in page.forms  # a proposal can be sent from its page
