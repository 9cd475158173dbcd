"""Background jobs followed in Wagtail's admin, in a real browser: the import and export job
pages poll their status, move the progress bar and reload when the job ends."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.urls import reverse

from oscar_orders_ext.models import ExportJob, ImportJob

from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def importer(live_server: Any, page: Any, make_staff: Any, settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path
    user = make_staff("cms-importer", ["view_orderprocess", "import_orders"])
    user.user_permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin",
                                                     codename="access_admin"))
    sign_in(page, live_server, "cms-importer")
    return user


def test_an_import_running_in_the_background_shows_its_result_when_it_ends(
        live_server, page, importer):
    job = ImportJob.objects.create(uploaded_by=importer, filename="orders.csv", size=10,
                                   status=ImportJob.Status.RUNNING, total=4, done=1,
                                   plan={"format_label": "Shopify", "counts": {}})
    page.goto(live_server.url + reverse("oscar_orders_ext_wagtail:orders-import-job",
                                        kwargs={"pk": job.pk}))
    assert page.locator(".ooe-import-job .progress-bar").get_attribute("aria-valuenow") == "25"
    ImportJob.objects.filter(pk=job.pk).update(done=3)
    page.wait_for_function("document.querySelector('.ooe-import-job .progress-bar')"
                           ".getAttribute('aria-valuenow') === '75'")
    result = {"orders_created": 4, "lines_created": 6, "customers_created": 2,
              "customers_updated": 0, "orders_already_imported": 0}
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.DONE, done=4,
                                               result=result)
    page.locator(".ooe-import-result").wait_for()  # the page reloaded with the result
    assert "4 orders created" in page.locator(".ooe-import-result").inner_text()


def test_a_background_export_offers_its_download_when_it_ends(live_server, page, importer):
    job = ExportJob.objects.create(user=importer, status=ExportJob.Status.RUNNING, total=10,
                                   done=5, params={"format": "csv"})
    page.goto(live_server.url + reverse("oscar_orders_ext_wagtail:orders-export-job",
                                        kwargs={"pk": job.pk}))
    assert page.locator(".ooe-export-job .progress-bar").inner_text() == "50%"
    assert page.locator(".ooe-download").count() == 0
    job.file.save("orders.csv", ContentFile(b"number\n1\n"), save=False)
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.DONE, done=10,
                                               file=job.file.name)
    page.locator(".ooe-download").wait_for()  # the page reloaded with the link
    assert page.locator(".ooe-download").get_attribute("href") == reverse(
        "oscar_orders_ext_wagtail:orders-export-download", kwargs={"pk": job.pk})
