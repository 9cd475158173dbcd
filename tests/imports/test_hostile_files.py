"""Files built to hurt: zip bombs, endless rows, values the database cannot hold, numbers given
twice. Each is refused with a clear message in the dry run; nothing is written."""

from __future__ import annotations

import io
import tracemalloc
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook
from oscar.core.loading import get_model

from oscar_orders_ext.imports.jobs import start_import
from oscar_orders_ext.imports.service import ImportRefused, commit_import, plan_import
from oscar_orders_ext.imports.sources import ImportFileError, read_table

from .test_small_files import SHOPIFY_HEADERS, csv_bytes, shopify_row

Order = get_model("order", "Order")

pytestmark = pytest.mark.django_db

ETSY_HEADERS = ["Sale Date", "Order ID", "Full Name", "Number of Items", "Order Value",
                "Order Total", "Currency", "Ship Country"]


def xlsx_bytes(rows: list[list[str]]) -> bytes:
    """A real workbook of these rows, written by openpyxl."""
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def bomb(inflated_megabytes: int) -> bytes:
    """An XLSX whose sheet is ``inflated_megabytes`` MB of empty rows, a few hundred KB zipped."""
    valid = zipfile.ZipFile(io.BytesIO(xlsx_bytes([["Name", "Total"], ["#1", "1.00"]])))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for member in valid.infolist():
            content = valid.read(member)
            if member.filename == "xl/worksheets/sheet1.xml":
                padding = b"<row/>" * (inflated_megabytes * 1024 * 1024 // 6)
                content = content.replace(b"<sheetData>", b"<sheetData>" + padding, 1)
            archive.writestr(member, content, compress_type=zipfile.ZIP_DEFLATED,
                             compresslevel=9)
    return buffer.getvalue()


# --- archives ---------------------------------------------------------------------------------

def test_an_xlsx_zip_bomb_is_refused_before_anything_is_inflated() -> None:
    data = bomb(200)
    assert len(data) < 1024 * 1024
    tracemalloc.start()
    try:
        with pytest.raises(ImportFileError, match="zip bomb"):
            plan_import(data, "orders.xlsx")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 * 1024 * 1024  # the bomb's 200 MB were never inflated


def test_an_upload_is_never_inflated_in_the_request_beyond_the_bound(settings) -> None:
    settings.OSCAR_ORDERS_EXT_IMPORT_MAX_COMPRESSION_RATIO = 10_000
    settings.OSCAR_ORDERS_EXT_IMPORT_MAX_UNCOMPRESSED_BYTES = 8 * 1024 * 1024
    with pytest.raises(ImportFileError, match="expands to 10.0 MB; at most 8.0 MB"):
        plan_import(bomb(10), "orders.xlsx")


def test_an_xlsx_too_large_for_the_request_is_read_in_the_background(settings, operator
                                                                     ) -> None:
    settings.OSCAR_ORDERS_EXT_IMPORT_MAX_COMPRESSION_RATIO = 10_000
    settings.OSCAR_ORDERS_EXT_IMPORT_REQUEST_UNCOMPRESSED_BYTES = 4 * 1024 * 1024
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    job = start_import(SimpleUploadedFile("orders.xlsx", bomb(6)), operator)
    assert job.status == job.Status.PLANNING  # not planned in the request


def test_a_file_with_too_many_rows_or_columns_is_refused(settings) -> None:
    settings.OSCAR_ORDERS_EXT_IMPORT_MAX_ROWS = 3
    rows = [shopify_row(f"#{number}") for number in range(1001, 1005)]
    with pytest.raises(ImportFileError, match="more than 3 rows"):
        read_table(csv_bytes(rows), "orders.csv")
    settings.OSCAR_ORDERS_EXT_IMPORT_MAX_ROWS = 1000
    wide = ",".join(f"c{index}" for index in range(600)).encode() + b"\r\n1\r\n"
    with pytest.raises(ImportFileError, match="600 columns; at most 512"):
        read_table(wide, "orders.csv")


def test_an_endless_csv_field_is_refused() -> None:
    data = b"Name,Total\r\n\"" + b"x" * 200_000 + b"\",1\r\n"
    with pytest.raises(ImportFileError, match="malformed"):
        read_table(data, "orders.csv")


# --- values the columns cannot hold -----------------------------------------------------------

@pytest.mark.parametrize("total", ["1" * 40, "Infinity", "1e30", "-NaN", "99999999999.99"])
def test_totals_the_database_cannot_hold_are_row_errors_in_the_dry_run(total: str) -> None:
    plan = plan_import(csv_bytes([shopify_row("#1001", Total=total)]), "orders.csv")
    assert not plan.can_commit
    assert any(error.row == 2 for error in plan.errors), plan.errors
    assert all(error.reason for error in plan.errors)


def test_a_total_in_scientific_notation_is_read_as_its_value() -> None:
    plan = plan_import(csv_bytes([shopify_row("#1001", Total="2.8e1")]), "orders.csv")
    assert plan.can_commit, plan.errors
    assert str(plan.orders[0].total) == "28.00"


@pytest.mark.parametrize("quantity", ["99999999999", "1e999999999", "10001", "Infinity"])
def test_quantities_beyond_oscars_basket_bounds_are_row_errors(quantity: str) -> None:
    plan = plan_import(csv_bytes([shopify_row("#1001", Lineitem_quantity=quantity)]),
                       "orders.csv")
    assert [error.row for error in plan.errors] == [2], plan.errors


def test_a_line_total_beyond_the_column_is_a_row_error() -> None:
    # Each value fits, their product (quantity × price) does not.
    plan = plan_import(csv_bytes([shopify_row("#1001", Lineitem_quantity="9000",
                                              Lineitem_price="9999999.00")]), "orders.csv")
    assert any("too large" in error.reason for error in plan.errors), plan.errors


@pytest.mark.parametrize("created", ["9999-12-31 23:59:59 -1000", "0001-01-01 00:00:00 +1400",
                                     "1850-01-01"])
def test_dates_out_of_range_are_row_errors(created: str) -> None:
    plan = plan_import(csv_bytes([shopify_row("#1001", Created_at=created)]), "orders.csv")
    assert [error.row for error in plan.errors] == [2], plan.errors


@pytest.mark.parametrize("number", ["#10/01", "#" + "9" * 200, "#10\x0101"])
def test_order_numbers_unfit_for_the_column_or_a_url_are_row_errors(number: str) -> None:
    plan = plan_import(csv_bytes([shopify_row(number)]), "orders.csv")
    assert [(error.row, error.column) for error in plan.errors] == [(2, "number")]


def test_order_numbers_with_url_characters_import_and_their_page_opens(admin_client) -> None:
    plan = plan_import(csv_bytes([shopify_row("#A?1#2%3 4")]), "orders.csv")
    assert plan.can_commit, plan.errors
    commit_import(plan)
    order = Order.objects.get(number="A?1#2%3 4")
    response = admin_client.get(reverse("dashboard:order-detail", args=[order.number]))
    assert response.status_code == 200


def test_an_email_longer_than_the_column_is_a_row_error() -> None:
    plan = plan_import(csv_bytes([shopify_row("#1001", Email="a" * 250 + "@example.com")]),
                       "orders.csv")
    assert [error.column for error in plan.errors] == ["email"]


# --- order numbers given twice ----------------------------------------------------------------

def test_shopify_numbers_given_twice_are_row_errors_not_a_failed_commit() -> None:
    plan = plan_import(csv_bytes([shopify_row("#1001"), shopify_row("1001")]), "orders.csv")
    assert [(error.row, error.column) for error in plan.errors] == [(3, "number")]
    assert "first read in row 2" in plan.errors[0].reason


def test_an_etsy_order_id_given_twice_is_reported_not_dropped() -> None:
    rows = [["12/31/23", "555", "Ada Lovelace", "1", "10.00", "10.00", "USD", "US"],
            ["12/31/23", "555", "Ada Lovelace", "1", "99.00", "99.00", "USD", "US"]]
    plan = plan_import(csv_bytes(rows, headers=ETSY_HEADERS), "EtsySoldOrders.csv")
    assert plan.reader.name == "etsy"
    assert [(error.row, error.column) for error in plan.errors] == [(3, "order id")]


def test_a_hostile_xlsx_value_is_a_row_error_too() -> None:
    row = shopify_row("#1001")
    row[SHOPIFY_HEADERS.index("Total")] = 1e30  # a number cell, not text
    plan = plan_import(xlsx_bytes([SHOPIFY_HEADERS, row]), "orders.xlsx")
    assert [error.row for error in plan.errors] == [2], plan.errors


def test_nothing_hostile_reaches_the_database() -> None:
    before = Order.objects.count()
    plan = plan_import(csv_bytes([shopify_row("#2001", Total="1e30"), shopify_row("#2002"),
                                  shopify_row("2002")]), "orders.csv")
    assert [error.row for error in plan.errors] == [2, 4]
    with pytest.raises(ImportRefused):
        commit_import(plan)
    assert Order.objects.count() == before
