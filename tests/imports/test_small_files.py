"""Importing small files the tests write themselves: errors, limits, XLSX, SKUs, all or nothing."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from oscar.core.loading import get_model
from oscar.test import factories

from oscar_orders_ext.constants import PaymentStatus, StockStatus
from oscar_orders_ext.imports import service, writing
from oscar_orders_ext.imports.formats import detect_format
from oscar_orders_ext.imports.formats.base import ImportedOrder
from oscar_orders_ext.imports.service import (ImportRefused, commit_import, plan_import,
                                              read_orders)
from oscar_orders_ext.imports.sources import ImportFileError, read_table
from oscar_orders_ext.models import OrderProcess

Line = get_model("order", "Line")
Order = get_model("order", "Order")
StockRecord = get_model("partner", "StockRecord")

SHOPIFY_HEADERS = ["Name", "Email", "Financial Status", "Fulfillment Status", "Currency",
                   "Subtotal", "Shipping", "Taxes", "Total", "Discount Code", "Discount Amount",
                   "Created at", "Lineitem quantity", "Lineitem name", "Lineitem price",
                   "Lineitem sku", "Billing Name", "Billing Address1", "Billing City",
                   "Billing Zip", "Billing Country", "Shipping Name", "Shipping Address1",
                   "Shipping City", "Shipping Zip", "Shipping Country", "Notes", "Cancelled at",
                   "Payment Method", "Tags"]


def shopify_row(name: str, *, first: bool = True, **cells: str) -> list[str]:
    values = dict.fromkeys(SHOPIFY_HEADERS, "")
    values.update({"Name": name, "Lineitem quantity": "1", "Lineitem name": "Mug",
                   "Lineitem price": "12.00", "Lineitem sku": "MUG-1"})
    if first:
        values.update({"Email": "ada@example.com", "Financial Status": "paid",
                       "Fulfillment Status": "fulfilled", "Currency": "GBP", "Subtotal": "24.00",
                       "Shipping": "4.00", "Taxes": "0.00", "Total": "28.00",
                       "Created at": "2023-01-05 10:12:33 -0500", "Billing Name": "Ada Lovelace",
                       "Billing Address1": "1 Analytical Row", "Billing City": "London",
                       "Billing Zip": "N1 1AA", "Billing Country": "GB",
                       "Shipping Name": "Ada Lovelace", "Shipping Address1": "1 Analytical Row",
                       "Shipping City": "London", "Shipping Zip": "N1 1AA",
                       "Shipping Country": "GB", "Payment Method": "Shopify Payments",
                       "Tags": "VIP, gift"})
    values.update({key.replace("_", " "): value for key, value in cells.items()})
    return [values[header] for header in SHOPIFY_HEADERS]


def csv_bytes(rows: list[list[str]], *, delimiter: str = ",", headers: list[str] | None = None,
              encoding: str = "utf-8") -> bytes:
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(headers or SHOPIFY_HEADERS)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def two_orders() -> list[list[str]]:
    return [shopify_row("#1001"), shopify_row("#1001", first=False, Lineitem_sku="CUP-9"),
            shopify_row("#1002", Email="bob@example.com", Financial_Status="pending",
                        Fulfillment_Status="", Billing_Name="Bob Byte",
                        Shipping_Name="Bob Byte")]


@pytest.mark.django_db
def test_small_shopify_file_commits_orders_lines_customers_tags_and_discounts() -> None:
    plan = plan_import(csv_bytes(two_orders()), "orders_export.csv")
    assert plan.reader.name == "shopify"
    assert (plan.counts.orders_to_create, plan.counts.customers_to_create,
            plan.counts.lines_to_create) == (2, 2, 3)
    result = commit_import(plan)
    assert result.orders_created == 2
    first = OrderProcess.objects.get(number="1001")
    assert first.state == "shipped" and first.payment_status == PaymentStatus.PAID
    assert first.source == "import:shopify"
    assert first.customer_name == "Ada Lovelace"
    assert sorted(tag.name for tag in first.tags.all()) == ["VIP", "gift"]
    assert first.order.lines.count() == 2
    assert first.placed_at.isoformat() == "2023-01-05T15:12:33+00:00"
    second = OrderProcess.objects.get(number="1002")
    assert second.state == "awaiting_payment" and second.payment_status == PaymentStatus.UNPAID


@pytest.mark.django_db
def test_malformed_rows_are_listed_with_row_column_and_reason() -> None:
    rows = [shopify_row("#1001"), shopify_row("#1002", Total="lots", Taxes="x"),
            shopify_row("#1003", Created_at="yesterday"),
            shopify_row("#1004", Lineitem_quantity="-2"), shopify_row(""),
            shopify_row("#1005")]
    plan = plan_import(csv_bytes(rows), "orders.csv")
    assert [(error.row, error.column) for error in plan.errors] == [
        (3, "taxes"), (3, "total"), (4, "created at"), (5, "lineitem quantity"), (6, "name")]
    assert [order.number for order in plan.orders] == ["1001", "1005"]
    assert "lots" in plan.errors[1].reason
    assert not plan.can_commit
    with pytest.raises(ImportRefused):
        commit_import(plan)
    assert Order.objects.count() == 0


def test_missing_required_column_is_a_clear_error() -> None:
    headers = [header for header in SHOPIFY_HEADERS if header != "Created at"]
    rows = [[cell for header, cell in zip(SHOPIFY_HEADERS, shopify_row("#1"), strict=True)
             if header != "Created at"]]
    with pytest.raises(ImportFileError, match="created at"):
        read_orders(csv_bytes(rows, headers=headers), "orders.csv")
    woo = "order_number,status,billing_first_name,product_name\n1,completed,Ada,Mug\n"
    with pytest.raises(ImportFileError, match="order_date"):
        read_orders(woo.encode(), "woo.csv")


def test_unknown_columns_are_refused() -> None:
    with pytest.raises(ImportFileError, match="no known export"):
        read_orders(b"foo,bar\n1,2\n", "something.csv")


def test_undecodable_and_wrong_type_files_are_refused() -> None:
    with pytest.raises(ImportFileError, match="decoded"):
        read_table(bytes(range(256)) * 20, "orders.csv")
    with pytest.raises(ImportFileError, match="not a CSV or XLSX"):
        read_table(b"%PDF-1.7", "orders.pdf")
    with pytest.raises(ImportFileError, match="cannot be opened"):
        read_table(b"PK\x03\x04 not really a zip", "orders.xlsx")


def test_a_csv_record_python_cannot_read_is_a_clear_error_even_after_good_rows() -> None:
    # Python's csv module refuses a field longer than 131,072 characters; the records before
    # it have already been read when it does (they are read as the file is walked).
    rows = two_orders()
    rows[2][SHOPIFY_HEADERS.index("Notes")] = "x" * 200_000
    with pytest.raises(ImportFileError, match="malformed"):
        read_table(csv_bytes(rows), "orders.csv")


def test_oversized_file_is_refused(settings: Any) -> None:
    settings.OSCAR_ORDERS_EXT_IMPORT_MAX_BYTES = 100
    with pytest.raises(ImportFileError, match="too large"):
        read_table(csv_bytes(two_orders()), "orders.csv")


@pytest.mark.django_db
def test_semicolon_delimited_cp1252_file_with_day_first_dates() -> None:
    rows = [shopify_row("#2001", Created_at="31/01/2024 09:15", Billing_Name="Zoë Café",
                        Total="28,00")]
    data = csv_bytes(rows, delimiter=";", encoding="cp1252")
    table = read_table(data, "orders.csv")
    assert (table.delimiter, table.encoding) == (";", "cp1252")
    plan = plan_import(data, "orders.csv")
    assert plan.errors == []
    order = plan.orders[0]
    assert (order.placed_at.day, order.placed_at.month) == (31, 1)
    assert order.first_name == "Zoë" and order.total == Decimal("28.00")


@pytest.mark.django_db
def test_xlsx_file() -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(SHOPIFY_HEADERS)
    for row in two_orders():
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    plan = plan_import(buffer.getvalue(), "orders.xlsx")
    assert plan.errors == []
    assert [order.number for order in plan.orders] == ["1001", "1002"]
    assert commit_import(plan).orders_created == 2


@pytest.mark.django_db
def test_known_sku_matches_the_product_unknown_sku_is_kept_without_stock_effect() -> None:
    product = factories.create_product(title="Mug", price=Decimal("12.00"), num_in_stock=5,
                                       partner_sku="MUG-1")
    plan = plan_import(csv_bytes(two_orders()), "orders.csv")
    assert plan.counts.lines_matched_to_products == 2
    assert plan.counts.lines_without_product == 1
    assert any("CUP-9" in warning for warning in plan.warnings)
    commit_import(plan)
    matched = Line.objects.filter(partner_sku="MUG-1")
    assert {line.product_id for line in matched} == {product.pk}
    unknown = Line.objects.get(partner_sku="CUP-9")
    assert unknown.product is None and unknown.title == "Mug"
    assert unknown.unit_price_incl_tax == Decimal("12.00")
    record = StockRecord.objects.get(product=product)
    assert (record.num_in_stock, record.num_allocated or 0) == (5, 0)
    assert set(OrderProcess.objects.values_list("stock_status", flat=True)) == {
        StockStatus.UNTRACKED}


@pytest.mark.django_db
def test_existing_customer_is_matched_by_email_and_names_filled_in() -> None:
    from django.contrib.auth import get_user_model

    existing = get_user_model().objects.create_user(username="ada", email="Ada@Example.com")
    plan = plan_import(csv_bytes(two_orders()), "orders.csv")
    assert (plan.counts.customers_to_create, plan.counts.customers_to_update) == (1, 1)
    commit_import(plan)
    existing.refresh_from_db()
    assert existing.first_name == "Ada"
    assert Order.objects.get(number="1001").user == existing


@pytest.mark.django_db
def test_number_taken_by_another_source_is_prefixed_and_reimport_still_finds_it() -> None:
    factories.create_order(number="1001")
    commit_import(plan_import(csv_bytes(two_orders()), "orders.csv"))
    assert OrderProcess.objects.filter(source="import:shopify", number="shopify-1001").exists()
    again = plan_import(csv_bytes(two_orders()), "orders.csv")
    assert again.counts.orders_to_create == 0
    assert Order.objects.count() == 3


@pytest.mark.django_db
@pytest.mark.parametrize("writer", ["orm", pytest.param("copy", marks=pytest.mark.postgres)])
def test_commit_is_all_or_nothing(monkeypatch: pytest.MonkeyPatch, writer: str) -> None:
    plan = plan_import(csv_bytes(two_orders()), "orders.csv")
    if writer == "copy":
        from oscar_orders_ext.imports.pgcopy import CopyOrderWriter as writer_class
    else:
        writer_class = writing.OrderWriter
    monkeypatch.setattr(service, "writer_class", lambda: writer_class)
    monkeypatch.setattr(writer_class, "batch_size", 1)
    original = writer_class.write
    calls = []

    def fail_on_second_batch(self: Any, batch: list[ImportedOrder]) -> None:
        calls.append(batch)
        if len(calls) == 2:
            raise RuntimeError("database went away")
        original(self, batch)

    monkeypatch.setattr(writer_class, "write", fail_on_second_batch)
    with pytest.raises(RuntimeError):
        commit_import(plan)
    assert len(calls) == 2
    assert Order.objects.count() == 0
    assert OrderProcess.objects.count() == 0


@pytest.mark.django_db
def test_dry_run_writes_nothing() -> None:
    plan_import(csv_bytes(two_orders()), "orders.csv")
    assert Order.objects.count() == 0


def test_detect_format_by_header_names_in_any_order() -> None:
    assert detect_format(reversed(SHOPIFY_HEADERS)).name == "shopify"  # type: ignore[union-attr]
    assert detect_format(["Sale Date", "Order ID", "Order Value"]).name == "etsy"  # type: ignore[union-attr]
    assert detect_format(["order_number", "status", "billing_email"]).name == "woocommerce"  # type: ignore[union-attr]
    assert detect_format(["Number", "Total"]) is None


@pytest.mark.django_db
def test_command_prints_dry_run_and_commits(tmp_path: Any) -> None:
    path = tmp_path / "orders.csv"
    path.write_bytes(csv_bytes(two_orders()))
    out = io.StringIO()
    call_command("orders_import", str(path), stdout=out)
    assert "orders to create:" in out.getvalue()
    assert "lines to create:            3" in out.getvalue()
    assert Order.objects.count() == 0
    call_command("orders_import", str(path), "--commit", stdout=out)
    assert Order.objects.count() == 2
    bad = tmp_path / "orders.pdf"
    bad.write_bytes(b"%PDF")
    with pytest.raises(CommandError):
        call_command("orders_import", str(bad), stdout=out)


@pytest.mark.django_db
def test_the_filter_panel_offers_an_imports_new_values_at_once(
        django_capture_on_commit_callbacks) -> None:
    # The source and payment-method choices lagged minutes behind an import (cached lists).
    from oscar_orders_ext.selectors import distinct_values

    assert "import:shopify" not in distinct_values("source")  # cached now
    with django_capture_on_commit_callbacks(execute=True):
        commit_import(plan_import(csv_bytes(two_orders()), "orders_export.csv"))
    assert "import:shopify" in distinct_values("source")
