"""A merchant imports an order file through the dashboard: upload, dry run, commit, progress."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone, translation
from oscar.core.loading import get_model
from webtest import Upload

from oscar_orders_ext.constants import TimelineKind
from oscar_orders_ext.imports.jobs import ProgressReporter, purge_expired_imports
from oscar_orders_ext.imports.service import plan_import
from oscar_orders_ext.models import ImportJob, OrderProcess, TimelineEntry

from ..dashboard.conftest import ws_url
from .test_small_files import csv_bytes, shopify_row, two_orders

Order = get_model("order", "Order")

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def importer(make_staff: Any) -> Any:
    return make_staff("importer", ["view_orderprocess", "import_orders"])


def upload(django_app: Any, user: Any, data: bytes, name: str = "orders_export.csv",
           status: int | str = "*") -> Any:
    page = django_app.get(ws_url("orders-import"), user=user)
    form = next(form for form in page.forms.values() if "file" in form.fields)
    form["file"] = Upload(name, data, "text/csv")
    return form.submit(status=status)


def post(django_app: Any, url: str, user: Any, status: int | str = "*") -> Any:
    """A POST with a valid CSRF token (taken from the cookie a dashboard page sets)."""
    django_app.get(ws_url("orders-workspace"), user=user)
    return django_app.post(url, {"csrfmiddlewaretoken": django_app.cookies["csrftoken"]},
                           user=user, status=status)


def count(page: Any, key: str) -> int:
    return int(page.pyquery(f".ooe-count-{key}").text())


def test_upload_preview_then_commit_creates_the_orders(django_app, importer):
    response = upload(django_app, importer, csv_bytes(two_orders()), status=302)
    job = ImportJob.objects.get()
    assert response["Location"] == ws_url("orders-import-job", pk=job.pk)
    assert not Order.objects.exists()  # the dry run writes no order

    preview = response.follow()
    assert "Shopify file: 3 rows, 2 orders." in preview.text
    assert (count(preview, "orders_to_create"), count(preview, "customers_to_create"),
            count(preview, "lines_to_create")) == (2, 2, 3)
    assert "MUG-1" in preview.pyquery(".ooe-import-warning").text()  # unknown SKUs named

    done = preview.forms[next(key for key, form in preview.forms.items()
                              if "commit" in form.action)].submit().follow()
    assert "2 orders created" in done.pyquery(".ooe-import-result").text()
    assert set(Order.objects.values_list("number", flat=True)) == {"1001", "1002"}
    assert OrderProcess.objects.filter(source="import:shopify").count() == 2
    order = Order.objects.get(number="1001")
    entry = TimelineEntry.objects.get(order=order, kind=TimelineKind.IMPORT)
    assert entry.actor == importer and entry.summary == \
        "Imported from the file orders_export.csv"
    job.refresh_from_db()
    assert (job.status, job.result["orders_created"], job.uploaded_by) == ("done", 2, importer)

    # The same dry run cannot be committed twice; a second click (double-click, reload) shows
    # the job's result, not a false "already imported" error over a successful import.
    again = post(django_app, ws_url("orders-import-commit", pk=job.pk), importer, status=302)
    assert again["Location"] == ws_url("orders-import-job", pk=job.pk)
    shown = again.follow()
    assert "already been imported" not in shown.text
    assert "2 orders created" in shown.pyquery(".ooe-import-result").text()
    assert Order.objects.count() == 2


def test_row_errors_are_listed_and_block_the_commit(django_app, importer):
    rows = [shopify_row("#2001", Total="lots"), shopify_row("#2002", Lineitem_quantity="0")]
    preview = upload(django_app, importer, csv_bytes(rows), status=302).follow()
    errors = [[cell.text for cell in row.findall("td")]
              for row in preview.pyquery(".ooe-import-errors tbody tr")]
    assert errors == [["2", "total", "“lots” is not an amount."],
                      ["3", "lineitem quantity", "“0” is not a positive whole quantity."]]
    assert not preview.pyquery(".ooe-import-commit")
    job = ImportJob.objects.get()
    post(django_app, ws_url("orders-import-commit", pk=job.pk), importer, status=409)
    assert not Order.objects.exists()


def test_a_file_over_the_limit_is_refused_and_nothing_is_stored(django_app, importer,
                                                                 settings, tmp_path):
    settings.OSCAR_ORDERS_EXT_IMPORT_MAX_BYTES = 300
    page = upload(django_app, importer, csv_bytes(two_orders()), status=400)
    assert "The file is too large" in page.pyquery(".ooe-upload-error").text()
    assert not ImportJob.objects.exists() and not list(tmp_path.rglob("*.csv"))


def test_an_envelope_far_over_the_limit_is_refused_before_reading(django_app, importer,
                                                                   settings):
    settings.OSCAR_ORDERS_EXT_IMPORT_MAX_BYTES = 10
    data = b"x" * (70 * 1024)
    page = django_app.post(ws_url("orders-import"), user=importer,
                           upload_files=[("file", "big.csv", data)], status=400)
    assert "The file is too large" in page.text
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize(("name", "data", "message"), [
    ("orders.pdf", b"%PDF-1.4 not orders", "is not a CSV or XLSX file"),
    ("orders.csv", b"\x00\x01\x02\x03" * 300, "could not be decoded"),
    ("orders.xlsx", b"PK\x03\x04 broken zip", "cannot be opened"),
    ("orders.csv", b"colour,size\nred,L\n", "match no known export"),
])
def test_unreadable_files_get_a_clear_error_and_nothing_is_stored(django_app, importer,
                                                                  tmp_path, name, data,
                                                                  message):
    page = upload(django_app, importer, data, name=name, status=400)
    assert message in page.pyquery(".ooe-upload-error").text()
    assert not ImportJob.objects.exists() and not any(tmp_path.rglob("*.*"))


def test_staff_without_the_import_permission_are_refused(django_app, make_staff, importer):
    viewer = make_staff("viewer", ["view_orderprocess"])
    django_app.get(ws_url("orders-import"), user=viewer, status=403)
    django_app.post(ws_url("orders-import"), user=viewer, status=403)
    # The upload is CSRF protected even though its size check runs before CSRF parsing.
    django_app.post(ws_url("orders-import"), user=importer, status=403,
                    upload_files=[("file", "orders.csv", csv_bytes(two_orders()))])
    assert not ImportJob.objects.exists()
    upload(django_app, importer, csv_bytes(two_orders()), status=302)
    job = ImportJob.objects.get()
    post(django_app, ws_url("orders-import-commit", pk=job.pk), viewer, status=403)
    # Another importer cannot see or commit someone else's upload either.
    other = make_staff("other", ["view_orderprocess", "import_orders"])
    django_app.get(ws_url("orders-import-job", pk=job.pk), user=other, status=404)
    post(django_app, ws_url("orders-import-commit", pk=job.pk), other, status=404)
    assert not Order.objects.exists()


def test_the_workspace_and_the_menu_link_to_the_import_for_those_allowed(django_app, importer,
                                                                         make_staff):
    table = django_app.get(ws_url("orders-workspace"), user=importer)
    assert table.pyquery(".ooe-import-link").attr("href") == ws_url("orders-import")
    viewer = make_staff("viewer", ["view_orderprocess"])
    assert not django_app.get(ws_url("orders-workspace"), user=viewer).pyquery(
        ".ooe-import-link")
    assert ws_url("orders-import") in django_app.get("/dashboard/", user=importer).text
    assert ws_url("orders-import") not in django_app.get("/dashboard/", user=viewer).text


def test_large_files_are_read_and_committed_in_the_background_with_progress(
        django_app, importer, settings, django_capture_on_commit_callbacks):
    settings.OSCAR_ORDERS_EXT_IMPORT_SYNC_BYTES = 100
    settings.OSCAR_ORDERS_EXT_IMPORT_SYNC_LIMIT = 1
    with django_capture_on_commit_callbacks(execute=False) as planning:
        response = upload(django_app, importer, csv_bytes(two_orders()), status=302)
    job = ImportJob.objects.get()
    status_url = ws_url("orders-import-job", pk=job.pk)
    waiting = django_app.get(status_url, user=importer, headers={"Accept": "application/json"})
    assert (waiting.json["status"], waiting.json["can_commit"]) == ("planning", False)
    assert "Reading the file" in response.follow().text
    post(django_app, ws_url("orders-import-commit", pk=job.pk), importer, status=409)

    for callback in planning:  # the worker reads the file
        callback()
    preview = django_app.get(status_url, user=importer)
    assert count(preview, "orders_to_create") == 2

    with django_capture_on_commit_callbacks(execute=False) as committing:
        page = preview.forms[next(key for key, form in preview.forms.items()
                                  if "commit" in form.action)].submit().follow()
    assert "Importing 2 orders in the background." in page.text
    running = django_app.get(status_url, user=importer,
                             headers={"Accept": "application/json"}).json
    assert (running["status"], running["done"], running["total"]) == ("running", 0, 2)
    assert not Order.objects.exists()
    for callback in committing:
        callback()
    finished = django_app.get(status_url, user=importer,
                              headers={"Accept": "application/json"}).json
    assert (finished["status"], finished["progress"], finished["done"]) == ("done", 100, 2)
    assert finished["result"]["orders_created"] == 2
    assert Order.objects.count() == 2


def test_a_background_read_that_fails_says_why(django_app, importer, settings,
                                               django_capture_on_commit_callbacks):
    settings.OSCAR_ORDERS_EXT_IMPORT_SYNC_BYTES = 100
    # The header is fine (the quick check passes); a later field is beyond what csv reads.
    data = csv_bytes(two_orders()) + b'"#3001","' + b"x" * 200_000 + b'"\r\n'
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(django_app, importer, data, status=302)
    job = ImportJob.objects.get()
    assert job.status == "failed" and "malformed" in job.message
    assert "The import failed" in response.follow().pyquery(".ooe-import-failure").text()
    assert not Order.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_progress_is_visible_while_the_import_transaction_is_open(importer):
    from django.db import transaction

    job = ImportJob.objects.create(uploaded_by=importer, filename="x.csv", total=10,
                                   status=ImportJob.Status.RUNNING)
    with transaction.atomic():
        OrderProcess.objects.update(version=1)  # the import's own writes, not yet committed
        ProgressReporter(job.pk)(4)
        # Written and committed by another connection: READ COMMITTED sees it at once.
        assert ImportJob.objects.values_list("done", flat=True).get(pk=job.pk) == 4


def test_an_expired_dry_run_cannot_be_committed_and_is_purged(django_app, importer):
    upload(django_app, importer, csv_bytes(two_orders()), status=302)
    job = ImportJob.objects.get()
    ImportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - timedelta(hours=1))
    page = post(django_app, ws_url("orders-import-commit", pk=job.pk), importer, status=409)
    assert "expired" in page.text
    assert purge_expired_imports() == 1
    assert not ImportJob.objects.exists() and not Order.objects.exists()


def test_a_number_taken_in_both_forms_is_a_row_error_not_a_crash():
    from ..factories import bulk_orders

    bulk_orders(1, prefix="1001-")  # not a collision: a different number
    Order.objects.filter(number="1001-00000").update(number="1001")
    plan = plan_import(csv_bytes(two_orders()), "orders_export.csv")
    assert plan.errors == [] and plan.counts.orders_to_create == 2  # 1001 → shopify-1001
    bulk_orders(1, prefix="shopify-1001-")
    Order.objects.filter(number="shopify-1001-00000").update(number="shopify-1001")
    plan = plan_import(csv_bytes(two_orders()), "orders_export.csv")
    assert [(error.row, error.column) for error in plan.errors] == [(2, "number")]
    assert "both belong to other orders" in plan.errors[0].reason


def test_the_import_pages_speak_the_merchants_language(django_app, importer):
    page = django_app.get(ws_url("orders-import"), user=importer,
                          headers={"Accept-Language": "it"})
    assert "File degli ordini" in page.text and "Order file" not in page.text
    form = page.forms[next(key for key, form in page.forms.items() if "file" in form.fields)]
    form["file"] = Upload("orders_export.csv", csv_bytes(two_orders()), "text/csv")
    dry_run = form.submit(headers={"Accept-Language": "it"}).follow(
        headers={"Accept-Language": "it"})
    assert "Ordini da creare" in dry_run.text and "Orders to create" not in dry_run.text


def test_a_dry_run_read_by_the_worker_speaks_the_uploaders_language(
        django_app, importer, settings, django_capture_on_commit_callbacks):
    settings.OSCAR_ORDERS_EXT_IMPORT_SYNC_BYTES = 100  # read in the background
    rows = [*two_orders(), shopify_row("#1003", Lineitem_quantity="many")]
    page = django_app.get(ws_url("orders-import"), user=importer,
                          headers={"Accept-Language": "it"})
    form = page.forms[next(key for key, form in page.forms.items() if "file" in form.fields)]
    form["file"] = Upload("orders_export.csv", csv_bytes(rows), "text/csv")
    with django_capture_on_commit_callbacks(execute=False) as planning:
        response = form.submit(headers={"Accept-Language": "it"})
    with translation.override("en"):  # the worker's own language
        for callback in planning:
            callback()

    dry_run = response.follow(headers={"Accept-Language": "it"})
    warnings = dry_run.pyquery(".ooe-import-warning").text()
    assert "righe non corrispondono a nessun prodotto del negozio" in warnings
    assert "match no product" not in warnings
    stored = ImportJob.objects.get().errors
    with translation.override("it"):
        italian = plan_import(csv_bytes(rows), "orders_export.csv").errors
    with translation.override("en"):
        english = plan_import(csv_bytes(rows), "orders_export.csv").errors
    assert [error["reason"] for error in stored] == [error.reason for error in italian]
    assert italian[0].reason != english[0].reason
    assert italian[0].reason in dry_run.pyquery(".ooe-import-errors").text()
