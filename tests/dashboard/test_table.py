"""The table view: columns, filters, search, sorting, totals and counts, saved views."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone
from oscar.core.loading import get_model
from oscar.test import factories

from oscar_orders_ext.models import ColumnPreference, Funnel, OrderProcess, SavedView, Tag
from oscar_orders_ext.services import edits
from oscar_orders_ext.services.transitions import transition_order

from ..factories import bulk_orders
from .conftest import WORKSPACE_EDITOR, ws_url

Partner = get_model("partner", "Partner")

pytestmark = pytest.mark.django_db


def shown(page: Any) -> list[str]:
    """Order numbers of the table rows, top to bottom."""
    return [row.find("td.ooe-cell-number").text().strip()
            for row in page.pyquery("#ooe-table tbody tr[data-order]").items()]


def test_anonymous_users_go_to_the_dashboard_login(django_app):
    response = django_app.get(ws_url("orders-workspace"))
    assert response.status_code == 302
    assert "/dashboard/login/" in response["Location"]


def test_staff_without_the_view_permission_are_refused(django_app, make_staff):
    clerk = make_staff("clerk", [])
    django_app.get(ws_url("orders-workspace"), user=clerk, status=403)


def test_the_table_lists_orders_with_the_default_columns(django_app, viewer, place_order):
    order = place_order(guest_email="ann@example.com")
    page = django_app.get(ws_url("orders-workspace"), user=viewer)
    headers = [th.text().strip() for th in page.pyquery("#ooe-table thead th[data-column]").items()]
    assert headers == ["Created", "Number", "State", "Payment", "Customer", "Products", "Tags",
                       "Operator", "Total", "Last activity"]
    assert shown(page) == [str(order.number)]
    row = page.pyquery("#ooe-table tbody tr").eq(0)
    assert "ann@example.com" in row.text() and "Espresso cup" in row.text()
    assert "New" in row.find(".ooe-cell-state").text()


def test_the_column_choice_persists_per_user(django_app, viewer, make_staff, place_order):
    place_order()
    page = django_app.get(ws_url("orders-workspace"), user=viewer)
    form = page.forms["ooe-columns-form"]
    form["columns"] = "total,number,payment_method"
    page = form.submit().follow()
    headers = [th.attr("data-column") for th in page.pyquery("#ooe-table th[data-column]").items()]
    assert headers == ["total", "number", "payment_method"]
    assert ColumnPreference.objects.get(user=viewer).columns == headers
    other = make_staff("other", ["view_orderprocess"])
    page = django_app.get(ws_url("orders-workspace"), user=other)
    assert len(page.pyquery("#ooe-table th[data-column]")) == 10


def test_unknown_columns_are_refused(django_app, viewer):
    page = django_app.get(ws_url("orders-workspace"), user=viewer)
    form = page.forms["ooe-columns-form"]
    form["columns"] = "number,password"
    page = form.submit().follow()
    assert "Unknown columns: password" in page.text
    assert not ColumnPreference.objects.exists()


@pytest.fixture
def spread(place_order, product, operator) -> dict[str, Any]:
    """Orders that differ in every filterable way."""
    vip = Tag.objects.create(name="VIP", colour="#aa0000")
    wholesale = Funnel.create_from_workflow("Wholesale", is_default=False)
    a = place_order(guest_email="ann@example.com", shipping_address=factories.ShippingAddressFactory(
        first_name="Ann", last_name="Archer", phone_number="+442071838750"))
    b = place_order(quantity=1, guest_email="bob@example.org")
    c = factories.create_order(guest_email="cy@example.net")  # another product ("Dùｍϻϒ title")
    transition_order(b, "confirm")
    edits.set_payment_status(b, "paid")
    edits.add_tags(a, [vip])
    edits.assign_operator(c, operator)
    edits.move_to_funnel(c, wholesale)
    edits.set_order_type(c, "quote")
    OrderProcess.objects.filter(order=c).update(
        currency="USD", source="phone", payment_method="Cash", shipping_method="Pickup",
        placed_at=timezone.now() - timedelta(days=40))
    return {"a": a, "b": b, "c": c, "vip": vip, "wholesale": wholesale, "operator": operator}


FILTER_CASES = [
    ("state=processing", ["b"]),
    ("state=new&state=processing", ["a", "b", "c"]),
    ("payment_status=paid", ["b"]),
    ("payment_status=unpaid", ["a", "c"]),
    ("order_type=quote", ["c"]),
    ("currency=USD", ["c"]),
    ("payment_method=Cash", ["c"]),
    ("shipping_method=Pickup", ["c"]),
    ("source=phone", ["c"]),
    ("q=ann%40example", ["a"]),
    ("q=Archer", ["a"]),
    ("q=2071838750", ["a"]),
    ("q=espresso", ["a", "b"]),
    ("q=CUP-1", ["a", "b"]),
]


@pytest.mark.parametrize(("query", "expected"), FILTER_CASES, ids=[q for q, _ in FILTER_CASES])
def test_each_filter_narrows_the_table(django_app, viewer, spread, query, expected):
    page = django_app.get(f"{ws_url('orders-workspace')}?{query}", user=viewer)
    assert sorted(shown(page)) == sorted(str(spread[key].number) for key in expected)


def test_filters_that_need_ids(django_app, viewer, spread):
    cases = {
        f"funnel={spread['wholesale'].pk}": ["c"],
        f"stage={spread['wholesale'].stages.get(state='new').pk}": ["c"],
        f"tags={spread['vip'].pk}": ["a"],
        f"operator={spread['operator'].pk}": ["c"],
        "operator=none": ["a", "b"],
        f"q={spread['b'].number}": ["b"],
        f"placed_min={(timezone.now() - timedelta(days=50)).date()}"
        f"&placed_max={(timezone.now() - timedelta(days=30)).date()}": ["c"],
    }
    for query, expected in cases.items():
        page = django_app.get(f"{ws_url('orders-workspace')}?{query}", user=viewer)
        assert sorted(shown(page)) == sorted(str(spread[k].number) for k in expected), query


def test_total_range_and_sorting(django_app, viewer):
    bulk_orders(1, prefix="LOW", total=Decimal("5.00"))
    bulk_orders(1, prefix="MID", total=Decimal("50.00"))
    bulk_orders(1, prefix="TOP", total=Decimal("500.00"))
    page = django_app.get(f"{ws_url('orders-workspace')}?total_min=10&total_max=100", user=viewer)
    assert shown(page) == ["MID00000"]
    page = django_app.get(f"{ws_url('orders-workspace')}?sort=total", user=viewer)
    assert shown(page) == ["LOW00000", "MID00000", "TOP00000"]
    page = django_app.get(f"{ws_url('orders-workspace')}?sort=-total", user=viewer)
    assert shown(page) == ["TOP00000", "MID00000", "LOW00000"]
    page = django_app.get(f"{ws_url('orders-workspace')}?sort=password", user=viewer)
    assert page.status_code == 200  # an unknown sort falls back to newest first


def test_a_malformed_filter_says_so_and_lists_nothing(django_app, viewer):
    # issue 13: "Enter a number." above every order, and their totals, misled merchants
    bulk_orders(2)
    page = django_app.get(f"{ws_url('orders-workspace')}?total_min=abc&state=nonsense",
                          user=viewer)
    assert page.status_code == 200
    assert "Enter a number." in page.pyquery(".ooe-filters .text-danger").text()
    assert shown(page) == []
    assert not page.pyquery(".ooe-summary") and not page.pyquery(".ooe-total")


def test_a_search_the_database_cannot_hold_says_so_under_the_box(django_app, viewer):
    # A NUL character listed nothing and said nothing: the search box drew no errors.
    bulk_orders(2)
    page = django_app.get(f"{ws_url('orders-workspace')}?q=ab%00cd", user=viewer)
    assert "Null characters are not allowed." in page.pyquery(".ooe-filters .text-danger").text()
    assert shown(page) == []


def test_totals_per_currency_and_counts_per_state(django_app, viewer):
    bulk_orders(3, prefix="E", currency="EUR", total=Decimal("10.00"))
    bulk_orders(2, prefix="U", currency="USD", total=Decimal("7.50"), state="processing")
    page = django_app.get(ws_url("orders-workspace"), user=viewer)
    totals = {b.attr("data-currency"): b.text() for b in page.pyquery(".ooe-total").items()}
    assert "30.00" in totals["EUR"] and "15.00" in totals["USD"]
    counts = {a.attr("data-state"): a.find(".badge").text()
              for a in page.pyquery(".ooe-state-counts a").items()}
    assert (counts["new"], counts["processing"], counts["shipped"]) == ("3", "2", "0")

    # Filtering by state narrows the totals but keeps the other states' counts as tabs.
    page = django_app.get(f"{ws_url('orders-workspace')}?state=processing", user=viewer)
    totals = {b.attr("data-currency"): b.text() for b in page.pyquery(".ooe-total").items()}
    assert list(totals) == ["USD"]
    counts = {a.attr("data-state"): a.find(".badge").text()
              for a in page.pyquery(".ooe-state-counts a").items()}
    assert (counts["new"], counts["processing"]) == ("3", "2")


def test_pages_and_page_sizes(django_app, viewer):
    bulk_orders(60)
    page = django_app.get(ws_url("orders-workspace"), user=viewer)
    assert len(shown(page)) == 25 and "Page 1 of 3" in page.text
    page = django_app.get(f"{ws_url('orders-workspace')}?page_size=50&page=2", user=viewer)
    assert len(shown(page)) == 10


def test_partner_users_see_only_their_partners_orders(django_app, django_user_model, place_order):
    mine = place_order()
    elsewhere = factories.create_basket(empty=True)
    elsewhere.add_product(factories.create_product(partner_name="Elsewhere", price=Decimal("3"),
                                                   num_in_stock=5))
    factories.create_order(basket=elsewhere)
    partner_user = django_user_model.objects.create_user(username="p", email="p@example.com",
                                                         password="x")
    partner_user.user_permissions.add(Permission.objects.get(codename="dashboard_access"))
    Partner.objects.get(stockrecords__product__title="Espresso cup").users.add(partner_user)
    page = django_app.get(ws_url("orders-workspace"), user=partner_user)
    assert shown(page) == [str(mine.number)]


def test_query_count_does_not_grow_with_rows_or_columns(django_app, viewer,
                                                        django_assert_max_num_queries):
    bulk_orders(120, tags=[Tag.objects.create(name="T")])
    base = ws_url("orders-workspace")
    django_app.get(base, user=viewer)  # warm the session and caches
    budget = 17  # session, user, permissions, summary, rows, tags, lines, menus and choices
    with django_assert_max_num_queries(budget) as few_rows:
        django_app.get(f"{base}?page_size=25", user=viewer)
    with django_assert_max_num_queries(budget) as many_rows:
        django_app.get(f"{base}?page_size=100", user=viewer)
    assert len(few_rows.captured_queries) == len(many_rows.captured_queries)
    every_column = ",".join(c for c in ["placed", "order_type", "number", "state",
                                        "payment_status", "customer", "products",
                                        "payment_method", "shipping_method", "tags", "operator",
                                        "source", "total", "notes", "last_activity"])
    with django_assert_max_num_queries(budget):
        django_app.get(f"{base}?page_size=100&columns={every_column}", user=viewer)


def test_saved_views_private_and_shared(django_app, django_app_factory, viewer, make_staff):
    bulk_orders(2, prefix="N")
    bulk_orders(1, prefix="P", state="processing")
    page = django_app.get(f"{ws_url('orders-workspace')}?state=processing", user=viewer)
    form = next(f for f in page.forms.values() if f.action.endswith("/views/new/"))
    form["name"] = "In preparation"
    page = form.submit().follow().follow()
    assert shown(page) == ["P00000"]
    private = SavedView.objects.get()
    assert (private.owner, private.shared, private.query) == (viewer, False, "state=processing")

    colleague = make_staff("colleague", ["view_orderprocess"])
    django_app.get(f"{ws_url('orders-workspace')}?view={private.pk}", user=colleague, status=404)
    private.shared = True
    private.save()
    page = django_app.get(f"{ws_url('orders-workspace')}?view={private.pk}",
                          user=colleague).follow()
    assert shown(page) == ["P00000"]
    no_csrf = django_app_factory(csrf_checks=False)
    no_csrf.post(ws_url("orders-workspace-saved-view-delete", pk=private.pk), user=colleague,
                 status=403)
    assert SavedView.objects.exists()


def test_the_tracking_column_links_each_parcel(django_app, viewer, place_order, editor):
    from oscar_orders_ext.models import Carrier
    from oscar_orders_ext.services.logistics import record_shipment

    order = place_order()
    carrier = Carrier.objects.create(name="GLS",
                                     tracking_url_template="https://gls.example/t/{code}")
    record_shipment(order, carrier=carrier, tracking_code="1Z-9", user=editor)
    page = django_app.get(f"{ws_url('orders-workspace')}?columns=number,tracking", user=viewer)
    link = page.pyquery("td.ooe-cell-tracking a")
    assert (link.text(), link.attr("href")) == ("GLS: 1Z-9", "https://gls.example/t/1Z-9")


def test_a_row_offers_cancel_only_where_the_order_can_be_cancelled(django_app, make_staff):
    bulk_orders(1, prefix="NEW")
    bulk_orders(1, prefix="SHIP", state="shipped")
    bulk_orders(1, prefix="DONE", state="completed")
    editor = make_staff("row-canceller", WORKSPACE_EDITOR)
    page = django_app.get(ws_url("orders-workspace"), user=editor)
    with_cancel = [row.find("td.ooe-cell-number").text().strip()
                   for row in page.pyquery("#ooe-table tbody tr[data-order]").items()
                   if row.find(".ooe-row-cancel")]
    # A shipped order is not final, yet it can no longer be cancelled: no dead button.
    assert with_cancel == ["NEW00000"]


def test_a_row_cancel_asks_whether_to_email_the_customer(
        django_app, make_staff, django_capture_on_commit_callbacks):
    # The row's Cancel emailed the customer with no choice offered.
    from django.core import mail

    from oscar_orders_ext.services.transitions import notifies_by_default

    bulk_orders(1, prefix="NEW")
    editor = make_staff("row-canceller", WORKSPACE_EDITOR)
    table = django_app.get(ws_url("orders-workspace"), user=editor)
    confirm = table.click(href="transition=cancel", index=0)
    form = next(f for f in confirm.forms.values() if "notify" in f.fields)
    assert form["notify"].checked == notifies_by_default("cancelled") is True
    form["notify"] = False
    with django_capture_on_commit_callbacks(execute=True):
        form.submit().follow()
    assert OrderProcess.objects.get(number="NEW00000").state == "cancelled"
    assert mail.outbox == []
