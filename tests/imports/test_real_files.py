"""Importing the real exports in ../shared/data/order-exports (MANIFEST.md gives the figures)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from oscar.core.loading import get_model

from oscar_orders_ext.constants import PaymentStatus, StockStatus, TimelineKind
from oscar_orders_ext.imports.formats import detect_format
from oscar_orders_ext.imports.service import commit_import, plan_import, read_orders
from oscar_orders_ext.imports.sources import read_table
from oscar_orders_ext.models import OrderProcess, TimelineEntry

Line = get_model("order", "Line")
Order = get_model("order", "Order")

EXPORTS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "order-exports"


@dataclass(frozen=True)
class Expected:
    filename: str
    format: str
    rows: int
    orders: int
    multi_row_orders: int
    currencies: frozenset[str]


FILES = [
    Expected("shopify_devstore_forezia_orders_export.csv", "shopify", 40, 19, 10,
             frozenset({"EUR"})),
    Expected("shopify_devstore_ramkumar_orders_export_1.redacted.csv", "shopify", 121, 51, 34,
             frozenset({"INR"})),
    Expected("shopify_bibiwatson_orders_export_1.redacted.csv", "shopify", 3912, 3087, 646,
             frozenset({"CAD"})),
    Expected("shopify_looker101_orders_export.redacted.csv", "shopify", 68, 50, 9,
             frozenset({"EUR"})),
    Expected("shopify_antiqua_orders_export.redacted.csv", "shopify", 54, 50, 3,
             frozenset({"EUR"})),
    Expected("shopify_jihyangt_orders_export.redacted.csv", "shopify", 64, 20, 17,
             frozenset({"CAD"})),
    Expected("woocommerce_style_synthetic_farazrawala_orders.csv", "woocommerce", 101, 50, 32,
             frozenset({"USD"})),
    Expected("etsy_soldorders2023_epicrae.redacted.csv", "etsy", 1605, 1605, 0,
             frozenset({"USD"})),
]


def export_bytes(filename: str) -> bytes:
    path = EXPORTS / filename
    if not path.is_file():
        pytest.skip(f"{path} is absent (the shared order exports are not checked out)")
    return path.read_bytes()


@pytest.mark.parametrize("expected", FILES, ids=lambda expected: expected.filename)
def test_reading_matches_the_manifest(expected: Expected) -> None:
    data = export_bytes(expected.filename)
    table = read_table(data, expected.filename)
    assert detect_format(table.headers).name == expected.format  # type: ignore[union-attr]
    plan = read_orders(data, expected.filename)
    assert plan.errors == []
    assert plan.rows == expected.rows
    assert len(plan.orders) == expected.orders
    assert sum(len(order.rows) > 1 for order in plan.orders) == expected.multi_row_orders
    assert sum(len(order.rows) for order in plan.orders) == expected.rows
    assert {order.currency for order in plan.orders} == expected.currencies


@pytest.mark.django_db
@pytest.mark.parametrize("expected", FILES, ids=lambda expected: expected.filename)
def test_dry_run_commit_and_reimport(expected: Expected) -> None:
    data = export_bytes(expected.filename)
    plan = plan_import(data, expected.filename)
    assert plan.counts.orders_to_create == expected.orders
    assert Order.objects.count() == 0 and get_user_model().objects.count() == 0

    result = commit_import(plan)

    assert result.orders_created == Order.objects.count() == expected.orders
    line_count = sum(len(order.lines) for order in plan.orders)
    assert result.lines_created == Line.objects.count() == line_count
    processes = OrderProcess.objects.filter(source=f"import:{expected.format}")
    assert processes.count() == expected.orders
    assert set(processes.values_list("currency", flat=True)) == expected.currencies
    assert set(processes.values_list("stock_status", flat=True)) == {StockStatus.UNTRACKED}
    assert TimelineEntry.objects.filter(kind=TimelineKind.IMPORT).count() == expected.orders

    again = plan_import(data, expected.filename)
    assert again.counts.orders_to_create == 0
    assert again.counts.orders_already_imported == expected.orders
    assert commit_import(again).orders_created == 0
    assert Order.objects.count() == expected.orders
    assert Line.objects.count() == line_count


@pytest.mark.django_db
def test_shopify_multi_row_order_is_grouped_with_customer_and_statuses() -> None:
    filename = "shopify_looker101_orders_export.redacted.csv"
    commit_import(plan_import(export_bytes(filename), filename))
    process = OrderProcess.objects.get(number="2220")
    assert process.order.lines.count() == 4
    assert process.total == Decimal("903.27")
    assert process.currency == "EUR"
    assert process.customer_email == "customer0001@example.com"
    assert process.state == "shipped"
    assert process.payment_status == PaymentStatus.PARTIALLY_REFUNDED
    assert process.payment_method
    assert process.order.user.email == "customer0001@example.com"
    assert not process.order.user.has_usable_password()
    entry = TimelineEntry.objects.get(order=process.order, kind=TimelineKind.IMPORT)
    assert entry.data["file"] == filename
    assert entry.data["rows"] == [2, 3, 4, 5]
    payment_statuses = set(OrderProcess.objects.values_list("payment_status", flat=True))
    assert PaymentStatus.REFUNDED in payment_statuses
    refunded = OrderProcess.objects.filter(payment_status=PaymentStatus.REFUNDED)
    assert set(refunded.values_list("state", flat=True)) == {"refunded"}


@pytest.mark.django_db
def test_trimmed_shopify_file_with_spreadsheet_dates() -> None:
    filename = "shopify_bibiwatson_orders_export_1.redacted.csv"
    plan = plan_import(export_bytes(filename), filename)
    assert any("lineitem price" in warning for warning in plan.warnings)
    order = next(order for order in plan.orders if order.number == "4087")
    assert (order.placed_at.year, order.placed_at.month, order.placed_at.day) == (2023, 12, 31)
    assert order.currency == "CAD"
    notes_with_newlines = [order for order in plan.orders if "\n" in order.notes]
    assert notes_with_newlines


@pytest.mark.django_db
def test_woocommerce_addresses_and_customers() -> None:
    filename = "woocommerce_style_synthetic_farazrawala_orders.csv"
    plan = plan_import(export_bytes(filename), filename)
    emails = {order.email for order in plan.orders}
    assert plan.counts.customers_to_create == len(emails)
    commit_import(plan)
    process = OrderProcess.objects.get(number="10001")
    assert process.state == "completed" and process.payment_status == PaymentStatus.PAID
    assert process.total == Decimal("855.25")
    assert process.customer_email == "ryan.moore82@example.com"
    order: Any = process.order
    assert order.shipping_address.country.iso_3166_1_a2 == "US"
    assert order.billing_address.line4 == "San Diego"
    assert get_user_model().objects.filter(email__in=emails).count() == len(emails)


@pytest.mark.django_db
def test_etsy_us_dates_country_names_and_mojibake_kept() -> None:
    filename = "etsy_soldorders2023_epicrae.redacted.csv"
    plan = plan_import(export_bytes(filename), filename)
    assert any("double-encoded" in warning for warning in plan.warnings)
    first = plan.orders[0]
    assert (first.placed_at.month, first.placed_at.day) == (12, 31)
    assert any("Ã" in order.first_name for order in plan.orders)
    commit_import(plan)
    process = OrderProcess.objects.get(number="3159107009")
    assert process.order.shipping_address.country.iso_3166_1_a2 == "US"
    assert process.total == Decimal("16.88")
    assert process.state == "shipped"
