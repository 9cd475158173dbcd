"""An importer brings an order file in through Wagtail's admin: upload, dry run with its row
errors, progress while it runs in the background, commit; the dashboard's import views and
services behind Wagtail's pages and URLs."""

from __future__ import annotations

from typing import Any

import pytest
from oscar.core.loading import get_model
from webtest import Upload

from oscar_orders_ext.models import ImportJob, OrderProcess

from ..dashboard.conftest import WORKSPACE_VIEWER
from ..imports.test_small_files import csv_bytes, shopify_row, two_orders
from .conftest import wt_url

Order = get_model("order", "Order")
Partner = get_model("partner", "Partner")

pytestmark = pytest.mark.django_db

IMPORTER = [*WORKSPACE_VIEWER, "import_orders"]


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def importer(make_wagtail_user: Any) -> Any:
    return make_wagtail_user("cms-importer", IMPORTER)


def upload(page: Any, data: bytes, name: str = "orders_export.csv",
           status: int | str = "*") -> Any:
    form = page.forms["ooe-import-form"]
    form["file"] = Upload(name, data, "text/csv")
    return form.submit(status=status)


def count(page: Any, key: str) -> int:
    return int(page.pyquery(f".ooe-count-{key}").text())


def commit_form(page: Any) -> Any:
    return page.forms["ooe-import-commit"]


def in_wagtail(page: Any) -> bool:
    """Drawn by Wagtail's admin layout, not Oscar's dashboard."""
    return bool(page.pyquery(".w-header, #wagtail")) and "oscar/dashboard" not in page.text


def test_the_tables_import_button_leads_to_a_round_trip_inside_wagtail(django_app, importer):
    table = django_app.get(wt_url("orders-workspace"), user=importer)
    assert table.pyquery("#ooe-import-link").attr("href") == wt_url("orders-import")
    upload_page = table.click(href=wt_url("orders-import"))
    assert in_wagtail(upload_page)

    response = upload(upload_page, csv_bytes(two_orders()), status=302)
    job = ImportJob.objects.get()
    assert response["Location"] == wt_url("orders-import-job", pk=job.pk)
    assert not Order.objects.exists()  # the dry run writes no order

    preview = response.follow()
    assert in_wagtail(preview)
    assert "Shopify file: 3 rows, 2 orders." in preview.text
    assert (count(preview, "orders_to_create"), count(preview, "customers_to_create"),
            count(preview, "lines_to_create")) == (2, 2, 3)
    assert commit_form(preview).action == wt_url("orders-import-commit", pk=job.pk)

    done = commit_form(preview).submit()
    assert done["Location"] == wt_url("orders-import-job", pk=job.pk)
    done = done.follow()
    assert "The file was imported." in done.pyquery(".messages").text()
    assert "2 orders created" in done.pyquery(".ooe-import-result").text()
    assert set(Order.objects.values_list("number", flat=True)) == {"1001", "1002"}
    assert OrderProcess.objects.filter(source="import:shopify").count() == 2
    job.refresh_from_db()
    assert (job.status, job.uploaded_by) == ("done", importer)

    # The upload page lists the import, linked to its Wagtail page; it cannot be committed twice.
    recent = django_app.get(wt_url("orders-import"), user=importer)
    assert recent.pyquery(".ooe-import-jobs a").attr("href") == wt_url("orders-import-job",
                                                                         pk=job.pk)
    # Submitting the dry run's form again shows the job's result, inside Wagtail.
    again = commit_form(preview).submit(status=302).follow()
    assert "already been imported" not in again.text and in_wagtail(again)
    assert Order.objects.count() == 2


def test_row_errors_are_listed_per_row_and_block_the_commit(django_app, django_app_factory,
                                                            importer):
    rows = [shopify_row("#2001", Total="lots"), shopify_row("#2002", Lineitem_quantity="0")]
    preview = upload(django_app.get(wt_url("orders-import"), user=importer),
                     csv_bytes(rows), status=302).follow()
    errors = [[cell.text for cell in row.findall("td")]
              for row in preview.pyquery(".ooe-import-errors tbody tr")]
    assert errors == [["2", "total", "“lots” is not an amount."],
                      ["3", "lineitem quantity", "“0” is not a positive whole quantity."]]
    assert "ooe-import-commit" not in preview.forms
    job = ImportJob.objects.get()
    no_csrf = django_app_factory(csrf_checks=False)
    no_csrf.post(wt_url("orders-import-commit", pk=job.pk), user=importer, status=409)
    assert not Order.objects.exists()


def test_a_file_over_the_limit_is_refused_with_a_clear_error(django_app, importer, settings,
                                                             tmp_path):
    # Also proves the size limit is in place before the body is read under Wagtail's URLs:
    # reading it first (for CSRF) would make Django refuse the limit handler with an error.
    settings.OSCAR_ORDERS_EXT_IMPORT_MAX_BYTES = 300
    page = upload(django_app.get(wt_url("orders-import"), user=importer),
                  csv_bytes(two_orders()), status=400)
    assert "The file is too large" in page.pyquery("#ooe-import-form").text()
    assert in_wagtail(page)
    assert not ImportJob.objects.exists() and not list(tmp_path.rglob("*.csv"))


def test_a_file_that_is_not_an_order_export_is_refused(django_app, importer):
    page = upload(django_app.get(wt_url("orders-import"), user=importer),
                  b"colour,size\nred,L\n", status=400)
    assert "match no known export" in page.pyquery("#ooe-import-form").text()
    assert not ImportJob.objects.exists()


def test_large_files_show_their_progress_on_the_wagtail_page(
        django_app, importer, settings, django_capture_on_commit_callbacks):
    settings.OSCAR_ORDERS_EXT_IMPORT_SYNC_BYTES = 100
    settings.OSCAR_ORDERS_EXT_IMPORT_SYNC_LIMIT = 1
    with django_capture_on_commit_callbacks(execute=False) as planning:
        response = upload(django_app.get(wt_url("orders-import"), user=importer),
                          csv_bytes(two_orders()), status=302)
    job = ImportJob.objects.get()
    status_url = wt_url("orders-import-job", pk=job.pk)
    waiting = response.follow()
    box = waiting.pyquery(".ooe-import-job")
    assert (box.attr("data-status"), box.attr("data-status-url")) == ("planning", status_url)
    assert "Reading the file" in box.text() and box.find(".progress-bar")
    for callback in planning:  # the worker reads the file
        callback()

    preview = django_app.get(status_url, user=importer)
    with django_capture_on_commit_callbacks(execute=False) as committing:
        running = commit_form(preview).submit().follow()
    assert "Importing 2 orders in the background." in running.pyquery(".messages").text()
    box = running.pyquery(".ooe-import-job")
    assert box.attr("data-status") == "running" and "0 of 2 orders imported." in box.text()
    assert box.find(".progress-bar").attr("aria-valuenow") == "0"
    polled = django_app.get(status_url, user=importer, headers={"Accept": "application/json"})
    assert (polled.json["status"], polled.json["done"], polled.json["total"]) == ("running", 0, 2)
    for callback in committing:
        callback()
    polled = django_app.get(status_url, user=importer, headers={"Accept": "application/json"})
    assert (polled.json["status"], polled.json["progress"]) == ("done", 100)
    assert Order.objects.count() == 2


def test_an_import_belongs_to_its_uploader(django_app, importer, make_wagtail_user):
    upload(django_app.get(wt_url("orders-import"), user=importer), csv_bytes(two_orders()),
           status=302)
    job = ImportJob.objects.get()
    colleague = make_wagtail_user("cms-colleague", IMPORTER)
    django_app.get(wt_url("orders-import-job", pk=job.pk), user=colleague, status=404)


def test_the_import_pages_are_refused_without_the_permission(django_app, django_app_factory,
                                                             cms_viewer, make_partner_user):
    job = ImportJob.objects.create(uploaded_by=cms_viewer, filename="x.csv", size=1)
    partner = make_partner_user(Partner.objects.create(name="Gardners"), IMPORTER)  # not staff
    no_csrf = django_app_factory(csrf_checks=False)  # the refusal is the permission's
    for user in [cms_viewer, partner]:
        table = django_app.get(wt_url("orders-workspace"), user=user)
        assert not table.pyquery("#ooe-import-link")
        for address in [wt_url("orders-import"), wt_url("orders-import-job", pk=job.pk)]:
            django_app.get(address, user=user, status=403)
        for address in [wt_url("orders-import"), wt_url("orders-import-commit", pk=job.pk)]:
            answer = no_csrf.post(address, user=user, status=403)
            assert "CSRF verification failed" not in answer.text
    anonymous = django_app_factory().get(wt_url("orders-import"), status=302)
    assert anonymous.location.startswith("/cms/login/")
