"""Imports of any size: the file is streamed, the dry run's orders wait on disk, the commit
streams them back in batches, each phase shows its progress, and a cancelled import writes
nothing."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from oscar.core.loading import get_model

from oscar_orders_ext.imports import jobs, planning, service, writing
from oscar_orders_ext.imports.service import ImportCancelled, commit_import, plan_import
from oscar_orders_ext.imports.sources import ImportFileError
from oscar_orders_ext.imports.staging import OrderSpool, order_from_json, order_to_json
from oscar_orders_ext.models import ImportJob, OrderProcess

from ..dashboard.conftest import ws_url
from .test_dashboard_imports import post, upload
from .test_small_files import csv_bytes, shopify_row

Order = get_model("order", "Order")

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def importer(make_staff: Any) -> Any:
    return make_staff("importer", ["view_orderprocess", "import_orders"])


def small_batches(monkeypatch: Any) -> None:
    """Batches of two orders, whichever writer the database uses (COPY or ORM)."""
    monkeypatch.setattr(writing, "BATCH_SIZE", 2)
    monkeypatch.setattr(service, "BATCH_SIZE", 2)
    monkeypatch.setattr(service.writer_class(), "batch_size", 2)


def many_orders(count: int, *, repeat_first: bool = False) -> bytes:
    rows = []
    for index in range(count):
        email = f"buyer{index % 3}@example.com"  # customers shared across chunks
        rows.append(shopify_row(f"#{5000 + index}", Email=email,
                                Billing_Name=f"Buyer {index % 3}"))
        rows.append(shopify_row(f"#{5000 + index}", first=False, Lineitem_sku=f"SKU-{index}"))
    if repeat_first:  # further down, apart from its first rows
        rows.append(shopify_row("#5000"))
    return csv_bytes(rows)


def test_a_streamed_file_plans_as_its_bytes_do_chunk_by_chunk(monkeypatch):
    data = many_orders(7, repeat_first=True)
    whole = plan_import(data, "orders_export.csv")
    monkeypatch.setattr(planning, "PLAN_CHUNK", 2)
    seen: list[tuple[int, float]] = []
    streamed = plan_import(io.BytesIO(data), "orders_export.csv",
                           progress=lambda rows, part: seen.append((rows, part)))
    assert streamed.counts == whole.counts
    assert streamed.counts.customers_to_create == 4  # 3 buyers and Ada, once across chunks
    assert streamed.rows == whole.rows == 15
    assert streamed.errors == whole.errors
    # The repeat, three chunks later, names the first row of its number.
    assert [(e.row, e.column) for e in streamed.errors] == [(16, "number")]
    assert "first read in row 2" in streamed.errors[0].reason
    assert [order_to_json(o) for o in streamed.orders] == [order_to_json(o) for o in whole.orders]
    assert isinstance(streamed.orders, OrderSpool) and len(streamed.orders) == 8
    assert [rows for rows, _part in seen] == [4, 8, 12, 15] and seen[-1][1] == 1.0
    assert "SKU-0" in " ".join(streamed.warnings)


def test_the_spool_gives_back_every_value():
    plan = plan_import(many_orders(2), "orders_export.csv")
    for order in plan.orders:
        again = order_from_json(order_to_json(order))
        assert order_to_json(again) == order_to_json(order)
        assert again.placed_at == order.placed_at and again.lines[1].sku == order.lines[1].sku


def test_the_commit_streams_batches_and_finds_customers_of_earlier_batches(monkeypatch):
    small_batches(monkeypatch)
    result = commit_import(plan_import(io.BytesIO(many_orders(7)), "orders_export.csv"))
    assert result.orders_created == 7 and result.customers_created == 3
    assert Order.objects.count() == 7
    assert Order.objects.values("user").distinct().count() == 3
    again = commit_import(plan_import(io.BytesIO(many_orders(7)), "orders_export.csv"))
    assert again.orders_created == 0 and again.orders_already_imported == 7


def test_a_cancelled_commit_writes_nothing(monkeypatch):
    small_batches(monkeypatch)
    plan = plan_import(many_orders(7), "orders_export.csv")
    asked: list[int] = []

    def cancelled() -> bool:  # after the second batch was written
        asked.append(1)
        return len(asked) > 2

    with pytest.raises(ImportCancelled):
        commit_import(plan, cancelled=cancelled)
    assert not Order.objects.exists() and not OrderProcess.objects.exists()


def test_the_job_commits_what_its_dry_run_stored_without_reading_the_file_again(
        django_app, importer, monkeypatch):
    response = upload(django_app, importer, many_orders(3), status=302)
    job = ImportJob.objects.get()
    spool = job.plan["spool"]
    assert job.file.storage.exists(spool) and job.plan["spool_orders"] == 3

    def no_second_read(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the commit read the file again")

    monkeypatch.setattr(jobs, "plan_import", no_second_read)
    post(django_app, ws_url("orders-import-commit", pk=job.pk), importer)
    job.refresh_from_db()
    assert job.status == "done" and job.result["orders_created"] == 3
    assert Order.objects.count() == 3
    assert not job.file.storage.exists(spool)  # kept only until the commit
    assert response.status_code == 302


def test_a_background_dry_run_shows_rows_read_and_an_estimate(settings, importer, monkeypatch):
    settings.OSCAR_ORDERS_EXT_IMPORT_SYNC_BYTES = 100
    monkeypatch.setattr(planning, "PLAN_CHUNK", 2)
    seen: list[tuple[int, int]] = []
    original = jobs.plan_progress

    def watching(job_id: int) -> Any:
        publish = original(job_id)

        def progress(rows: int, fraction: float) -> None:
            publish(rows, fraction)
            job = ImportJob.objects.get(pk=job_id)
            seen.append((job.done, job.total))

        return progress

    monkeypatch.setattr(jobs, "plan_progress", watching)
    job = ImportJob(uploaded_by=importer, filename="orders_export.csv")
    job.file.save("orders_export.csv", io.BytesIO(many_orders(5)), save=True)
    job = jobs.run_plan(job.pk)
    assert job.status == "planned" and job.done == 0 and job.total == 5
    assert [done for done, _total in seen] == [4, 8, 10]
    assert all(total >= done for done, total in seen) and seen[-1] == (10, 10)


def test_cancelling_a_dry_run_stops_it_and_the_job_cannot_be_imported(
        django_app, importer, settings):
    settings.OSCAR_ORDERS_EXT_IMPORT_SYNC_BYTES = 100
    upload(django_app, importer, many_orders(3), status=302)  # read in the background
    job = ImportJob.objects.get()
    assert job.status == "planning"
    page = django_app.get(ws_url("orders-import-job", pk=job.pk), user=importer)
    page = page.forms[next(key for key, form in page.forms.items()
                           if "cancel" in form.fields)].submit("cancel").follow()
    assert "The import was cancelled. Nothing was imported." in page.text
    job = jobs.run_plan(job.pk)  # the worker comes too late
    assert job.status == "cancelled" and "spool" not in job.plan
    post(django_app, ws_url("orders-import-commit", pk=job.pk), importer, status=409)
    assert not Order.objects.exists()


def test_a_commit_cancelled_before_the_worker_took_it_does_nothing(importer):
    job = ImportJob.objects.create(uploaded_by=importer, filename="x.csv",
                                   status=ImportJob.Status.CANCELLED)
    assert jobs.run_commit(job.pk).status == "cancelled"
    assert not Order.objects.exists()


def test_a_large_csv_upload_goes_to_storage_without_being_read_into_memory(
        importer, settings, monkeypatch):
    settings.OSCAR_ORDERS_EXT_IMPORT_SYNC_BYTES = 100
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    data = many_orders(40)

    def read_whole(upload: Any) -> bytes:
        raise AssertionError("a large CSV was read into memory")

    monkeypatch.setattr(jobs, "read_upload", read_whole)
    job = jobs.start_import(SimpleUploadedFile("orders_export.csv", data), importer)
    assert job.status == "planning" and job.size == len(data)
    with job.file.open("rb") as stored:
        assert stored.read() == data
    job = jobs.run_plan(job.pk)
    assert job.status == "planned" and job.plan["counts"]["orders_to_create"] == 40


def test_a_large_upload_lying_about_its_size_is_refused_and_not_kept(importer, settings):
    settings.OSCAR_ORDERS_EXT_IMPORT_SYNC_BYTES = 100
    data = many_orders(40)
    settings.OSCAR_ORDERS_EXT_IMPORT_MAX_BYTES = len(data) - 1
    upload_ = SimpleUploadedFile("orders_export.csv", data)
    upload_.size = 1000  # what the client declared
    with pytest.raises(ImportFileError, match="too large"):
        jobs.start_import(upload_, importer)
    assert not ImportJob.objects.exists()
    assert not list(settings.MEDIA_ROOT.rglob("*.csv"))


def test_a_large_upload_that_is_no_csv_of_orders_is_refused_before_it_is_stored(
        importer, settings):
    settings.OSCAR_ORDERS_EXT_IMPORT_SYNC_BYTES = 100
    data = b"Colour,Size\r\n" + b"red,12\r\n" * 100
    with pytest.raises(ImportFileError):
        jobs.start_import(SimpleUploadedFile("orders_export.csv", data), importer)
    assert not ImportJob.objects.exists()
    assert not list(settings.MEDIA_ROOT.rglob("*.csv"))
