"""A large export or bulk print started in Wagtail's admin runs in the background and is
followed on Wagtail's own job page: progress bar, then the download link."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from oscar_orders_ext.models import ExportJob

from ..factories import bulk_orders
from .conftest import wt_url

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


def export_form(django_app: Any, user: Any) -> Any:
    return django_app.get(wt_url("orders-workspace"), user=user).forms["ooe-export-form"]


def test_a_large_export_continues_on_the_wagtail_job_page(django_app, cms_viewer, settings,
                                                          django_capture_on_commit_callbacks):
    settings.OSCAR_ORDERS_EXT_EXPORT_SYNC_LIMIT = 10
    bulk_orders(25)
    form = export_form(django_app, cms_viewer)
    form["format"] = "xlsx"
    with django_capture_on_commit_callbacks(execute=False) as worker:
        response = form.submit()
    job = ExportJob.objects.get()
    assert response["Location"] == wt_url("orders-export-job", pk=job.pk)  # not the dashboard

    waiting = response.follow()
    assert waiting.pyquery(".w-header, #wagtail") and "oscar/dashboard" not in waiting.text
    assert "Exporting the orders in the background." in waiting.pyquery(".messages").text()
    box = waiting.pyquery(".ooe-export-job")
    assert box.attr("data-status-url") == wt_url("orders-export-job", pk=job.pk)
    assert box.find(".progress-bar").attr("aria-valuenow") == "0"
    assert "Waiting for the worker to start the export…" in box.text()
    assert not box.find(".ooe-download")

    for callback in worker:
        callback()
    status = django_app.get(wt_url("orders-export-job", pk=job.pk), user=cms_viewer,
                            headers={"Accept": "application/json"}).json
    assert (status["status"], status["progress"], status["done"]) == ("done", 100, 25)
    assert status["download"] == wt_url("orders-export-download", pk=job.pk)
    finished = django_app.get(wt_url("orders-export-job", pk=job.pk), user=cms_viewer)
    assert "25 of 25 orders exported." in finished.text
    download = finished.click(href=wt_url("orders-export-download", pk=job.pk))
    assert load_workbook(io.BytesIO(download.body))["Orders"].max_row == 26


def test_a_large_bulk_export_continues_on_the_wagtail_job_page(
        django_app, cms_editor, settings, django_capture_on_commit_callbacks):
    settings.OSCAR_ORDERS_EXT_EXPORT_SYNC_LIMIT = 2
    bulk_orders(3)
    form = django_app.get(wt_url("orders-workspace"), user=cms_editor).forms["ooe-bulk-form"]
    form["action"], form["select_all"] = "export_csv", "1"
    with django_capture_on_commit_callbacks(execute=True):
        response = form.submit("apply", value="all")
    job = ExportJob.objects.get()
    assert response["Location"] == wt_url("orders-export-job", pk=job.pk)
    assert "3 of 3 orders exported." in response.follow().text


def test_export_jobs_belong_to_their_user_and_expire(django_app, cms_viewer, cms_outsider,
                                                     make_wagtail_user, settings,
                                                     django_capture_on_commit_callbacks):
    settings.OSCAR_ORDERS_EXT_EXPORT_SYNC_LIMIT = 1
    bulk_orders(3)
    form = export_form(django_app, cms_viewer)
    form["format"] = "csv"
    with django_capture_on_commit_callbacks(execute=True):
        form.submit()
    job = ExportJob.objects.get()
    colleague = make_wagtail_user("cms-colleague", ["view_orderprocess"])
    for address in [wt_url("orders-export-job", pk=job.pk),
                    wt_url("orders-export-download", pk=job.pk)]:
        django_app.get(address, user=colleague, status=404)
        django_app.get(address, user=cms_outsider, status=403)
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - timedelta(hours=1))
    gone = django_app.get(wt_url("orders-export-download", pk=job.pk), user=cms_viewer,
                          status=410)
    assert "This export has expired." in gone.text and gone.pyquery(".w-header, #wagtail")


@pytest.mark.parametrize("namespace", ["oscar_orders_ext_dashboard", "oscar_orders_ext_wagtail"])
def test_the_expiry_date_ends_the_sentence_once(django_app, cms_viewer, namespace):
    # "Available until Dec. 4, 2026, 2:06 p.m.." ended with two full stops.
    from django.urls import reverse

    job = ExportJob.objects.create(user=cms_viewer, status=ExportJob.Status.DONE,
                                   expires_at=timezone.now() + timedelta(hours=48))
    page = django_app.get(reverse(f"{namespace}:orders-export-job", kwargs={"pk": job.pk}),
                          user=cms_viewer)
    assert "Available until" in page.text and ".." not in page.pyquery("p").text()
