"""Exports: the view's filter and columns, real dates and money in XLSX, safe CSV, background
jobs with progress and expiry, the management command."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from openpyxl import load_workbook

from oscar_orders_ext.exports.writers import neutralise
from oscar_orders_ext.models import ExportJob, OrderProcess

from ..dashboard.conftest import ws_url
from ..factories import bulk_orders

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def export(django_app: Any, user: Any, **params: Any) -> Any:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return django_app.get(f"{ws_url('orders-workspace-export')}?{query}", user=user)


def read_csv(response: Any, delimiter: str = ",") -> list[list[str]]:
    text = response.body.decode("utf-8")
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter))


def test_csv_export_follows_the_filter_and_the_columns(django_app, viewer):
    bulk_orders(3, prefix="E", currency="EUR", total=Decimal("12.50"))
    bulk_orders(2, prefix="U", currency="USD")
    response = export(django_app, viewer, format="csv", query="currency%3DEUR",
                      columns="number,total,state")
    assert response["Content-Type"].startswith("text/csv")
    rows = read_csv(response)
    assert rows[0] == ["Number", "Total", "Currency", "State"]
    assert sorted(row[0] for row in rows[1:]) == ["E00000", "E00001", "E00002"]
    assert rows[1][1:3] == ["12.50", "EUR"]


def test_csv_options_delimiter_and_bom(django_app, viewer):
    bulk_orders(1)
    response = export(django_app, viewer, format="csv", delimiter="%3B", bom="1",
                      columns="number,customer")
    assert response.body.startswith("\ufeff".encode())
    assert read_csv(response, ";")[0] == ["Number", "Customer"]


def test_formulas_are_neutralised(django_app, viewer):
    processes = bulk_orders(1)
    OrderProcess.objects.filter(pk=processes[0].pk).update(customer_name="=HYPERLINK(\"x\")")
    rows = read_csv(export(django_app, viewer, format="csv", columns="customer"))
    assert rows[1][0].startswith("'=HYPERLINK")
    assert [neutralise(v) for v in ["+1", "-2", "@a", "\tb", "\rc", "ok", 5]] == [
        "'+1", "'-2", "'@a", "'\tb", "'\rc", "ok", 5]


def test_xlsx_has_real_dates_money_formats_and_a_lines_sheet(django_app, viewer, place_order):
    order = place_order(quantity=2)
    response = export(django_app, viewer, format="xlsx", lines_sheet="1",
                      columns="number,placed,total")
    workbook = load_workbook(io.BytesIO(response.body))
    orders, lines = workbook["Orders"], workbook["Lines"]
    header = [cell.value for cell in orders[1]]
    assert header == ["Number", "Created", "Total", "Currency"]
    number, placed, total, currency = (cell for cell in orders[2])
    assert number.value == str(order.number)
    assert isinstance(placed.value, datetime)
    assert total.value == pytest.approx(20.0) and "€" in total.number_format
    assert currency.value == "EUR"
    line = [cell.value for cell in lines[2]]
    assert line[:4] == [str(order.number), "CUP-1", "Espresso cup", 2]


def test_a_bulk_selection_exports_only_the_selected_rows(django_app, editor):
    processes = bulk_orders(4)
    page = django_app.get(ws_url("orders-workspace"), user=editor)
    form = page.forms["ooe-bulk-form"]
    form["action"] = "export_csv"
    form["selected"] = f"{processes[0].pk},{processes[2].pk}"
    response = form.submit("apply", value="selected")
    numbers = sorted(row[1] for row in read_csv(response)[1:])  # second default column
    assert numbers == sorted([processes[0].number, processes[2].number])


def test_large_exports_run_in_the_background_with_progress(django_app, viewer, settings,
                                                          django_capture_on_commit_callbacks):
    settings.OSCAR_ORDERS_EXT_EXPORT_SYNC_LIMIT = 10
    bulk_orders(25)
    with django_capture_on_commit_callbacks(execute=True):
        response = export(django_app, viewer, format="xlsx", columns="number")
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/exports/{job.pk}/")
    status = django_app.get(response["Location"], user=viewer,
                            headers={"Accept": "application/json"}).json
    assert (status["status"], status["progress"], status["done"], status["total"]) == (
        "done", 100, 25, 25)
    download = django_app.get(status["download"], user=viewer)
    assert load_workbook(io.BytesIO(download.body))["Orders"].max_row == 26
    page = django_app.get(response["Location"], user=viewer)
    assert "25 of 25 orders exported." in page.text


def test_export_files_belong_to_their_user_and_expire(django_app, viewer, make_staff, settings,
                                                      django_capture_on_commit_callbacks):
    settings.OSCAR_ORDERS_EXT_EXPORT_SYNC_LIMIT = 1
    bulk_orders(3)
    with django_capture_on_commit_callbacks(execute=True):
        export(django_app, viewer, format="csv")
    job = ExportJob.objects.get()
    other = make_staff("other", ["view_orderprocess"])
    django_app.get(ws_url("orders-export-download", pk=job.pk), user=other, status=404)
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - timedelta(hours=1))
    django_app.get(ws_url("orders-export-download", pk=job.pk), user=viewer, status=410)
    out = io.StringIO()
    call_command("orders_export", "--purge-expired", stdout=out)
    assert "1 expired export deleted." in out.getvalue()  # its plural form
    assert not ExportJob.objects.exists()


def test_a_bad_format_is_refused_with_a_message(django_app, viewer):
    response = export(django_app, viewer, format="pdf").follow()
    assert "Unknown export format" in response.text


def test_the_export_command(tmp_path):
    bulk_orders(3, prefix="C")
    bulk_orders(2, prefix="P", state="processing")
    target = tmp_path / "orders.csv"
    out = io.StringIO()
    call_command("orders_export", str(target), "--filter", "state=processing",
                 "--columns", "number,state", stdout=out)
    with target.open(encoding="utf-8") as written:
        rows = list(csv.reader(written))
    assert rows == [["Number", "State"], ["P00000", "In preparation"],
                    ["P00001", "In preparation"]]
    assert "2 orders written" in out.getvalue()


def test_exports_read_in_chunks_with_a_fixed_number_of_queries_per_chunk(
        django_assert_max_num_queries, monkeypatch):
    import oscar_orders_ext.exports.service as service

    bulk_orders(30)
    original = service.chunked
    monkeypatch.setattr(service, "chunked",
                        lambda queryset, **kwargs: original(queryset, 20, **kwargs))
    # Two chunks of 20: rows, tags and products for each (one query per chunk on PostgreSQL);
    # the short second chunk ends it.
    with django_assert_max_num_queries(6):
        service.write_export(service.ExportOptions(format="csv"), None, io.BytesIO())


def test_list_cells_and_local_dates_are_the_same_on_every_database(place_order):
    """Tags, products and parcels joined in one cell, dates in the shop's time zone: read in
    the chunk's own query on PostgreSQL, by a query apiece elsewhere; the cells are the same."""
    from zoneinfo import ZoneInfo

    from oscar.core.loading import get_model

    import oscar_orders_ext.exports.service as service
    from oscar_orders_ext.models import Shipment, Tag
    from oscar_orders_ext.services.logistics import record_shipment, shipped_event_type

    order = place_order(quantity=2)
    line = order.lines.get()
    process = OrderProcess.objects.get(order=order)
    process.tags.set([Tag.objects.create(name="VIP"), Tag.objects.create(name="=cmd")])
    record_shipment(order, carrier_name="GLS", tracking_code="1Z-1", lines={line: 1})
    event = get_model("order", "ShippingEvent").objects.create(
        order=order, event_type=shipped_event_type())
    Shipment.objects.create(shipping_event=event, tracking_code="4455")  # no carrier
    summer = datetime(2025, 7, 1, 12, 0, tzinfo=ZoneInfo("UTC"))
    OrderProcess.objects.filter(pk=process.pk).update(
        placed_at=summer, last_activity_at=summer + timedelta(minutes=30))
    columns = ["number", "placed", "tags", "products", "tracking", "last_activity"]

    with timezone.override(ZoneInfo("Europe/London")):
        target = io.BytesIO()
        service.write_export(service.ExportOptions(format="csv", columns=columns), None,
                             target)
        workbook_file = io.BytesIO()
        service.write_export(service.ExportOptions(format="xlsx", columns=columns), None,
                             workbook_file)

    rows = list(csv.reader(io.StringIO(target.getvalue().decode("utf-8"))))
    assert rows[1] == [str(order.number), "2025-07-01 13:00:00", "'=cmd, VIP",
                       "2 × Espresso cup", "GLS: 1Z-1; 4455", "2025-07-01 13:30:00"]
    cells = [cell.value for cell in load_workbook(workbook_file)["Orders"][2]]
    assert cells == [str(order.number), datetime(2025, 7, 1, 13, 0), "'=cmd, VIP",
                     "2 × Espresso cup", "GLS: 1Z-1; 4455", datetime(2025, 7, 1, 13, 30)]


@pytest.mark.postgres
def test_on_postgresql_a_chunk_is_one_query(django_assert_num_queries, monkeypatch):
    import oscar_orders_ext.exports.service as service

    bulk_orders(30)
    original = service.chunked
    monkeypatch.setattr(service, "chunked",
                        lambda queryset, **kwargs: original(queryset, 20, **kwargs))
    # Two chunks, tags, products and tracking codes included; the short one ends it.
    with django_assert_num_queries(2):
        count = service.write_export(service.ExportOptions(
            format="csv", columns=["number", "tags", "products", "tracking"]), None,
            io.BytesIO())
    assert count == 30


@pytest.mark.postgres
def test_an_export_stopped_halfway_leaves_the_connection_usable():
    """A download the browser drops closes the reader while the next chunk is in flight."""
    import oscar_orders_ext.exports.service as service

    bulk_orders(30)
    chunks = service.chunked(OrderProcess.objects.all(), 10)
    assert len(next(chunks)) == 10
    chunks.close()
    assert OrderProcess.objects.count() == 30
