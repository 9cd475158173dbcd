"""Import views of the dashboard workspace: upload, dry-run preview, commit, progress.

Thin layers over ``imports.jobs``: the views check the request, the service does the work.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.datastructures import MultiValueDict
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from oscar_orders_ext.conf import app_settings
from .common import wants_json
from oscar_orders_ext.imports.jobs import cancel_job, commit_job, commit_refusal, start_import
from oscar_orders_ext.imports.service import ImportRefused
from oscar_orders_ext.imports.sources import ImportFileError
from oscar_orders_ext.models import ImportJob


#: Room for the multipart envelope around the file when comparing Content-Length.
ENVELOPE_BYTES = 64 * 1024
RECENT_JOBS = 10


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Order file"),
        help_text=gettext_lazy("CSV or XLSX: a Shopify, WooCommerce or Etsy order export, or an "
                        "export of this workspace with edited states, tags or operators."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.tsv,.txt,.xlsx"}))


class SizeLimitHandler(FileUploadHandler):
    """Stops storing an upload as soon as it passes the limit (whatever Content-Length said)."""

    def __init__(self, request: HttpRequest, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.received = 0
        self.exceeded = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.exceeded = True
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def too_large_message() -> str:
    return _("The file is too large; the limit is %(limit)s bytes.") % {
        "limit": app_settings.IMPORT_MAX_BYTES}


class ImportPageMixin:
    """Where a front end's import pages live and how they look.

    Both front ends name their import URLs alike (``orders-import-job`` …); a front end sets
    ``url_namespace``, its two templates and may add context in ``extra_page_context``; every
    other step is shared.
    """

    url_namespace = ""
    upload_template = ""
    job_template = ""

    def url(self, name: str, **kwargs: Any) -> str:
        """One of this front end's URLs."""
        return reverse(f"{self.url_namespace}:{name}", kwargs=kwargs or None)

    def extra_page_context(self, job: ImportJob | None = None) -> dict[str, Any]:
        """Front-end specific context (page title, breadcrumbs …); ``job`` on a job's page."""
        return {}


# The size limit must be in place before the body is parsed, and CSRF checking parses it:
# Django's documented pattern is csrf_exempt on the view and csrf_protect on the handling.
# (A subclass that overrides ``dispatch`` must mark its own ``dispatch`` csrf_exempt again.)
@method_decorator(csrf_exempt, name="dispatch")
class ImportUploadView(ImportPageMixin, View):
    """The upload form and the user's recent imports."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.page(request, ImportUploadForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        limit = int(app_settings.IMPORT_MAX_BYTES)
        if int(request.META.get("CONTENT_LENGTH") or 0) > limit + ENVELOPE_BYTES:
            # Refused before a byte of the body is read: nothing is stored, CSRF is moot.
            return self.page(request, self.refused_form(too_large_message()), status=400)
        handler = SizeLimitHandler(request, limit)
        request.upload_handlers = [handler, *request.upload_handlers]  # before any is read
        return self.upload(request, handler)

    @method_decorator(csrf_protect)
    def upload(self, request: HttpRequest, handler: SizeLimitHandler) -> HttpResponse:
        if handler.exceeded:
            return self.page(request, self.refused_form(too_large_message()), status=400)
        form = ImportUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.page(request, form, status=400)
        try:
            job = start_import(form.cleaned_data["file"], request.user)
        except ImportFileError as error:
            form.add_error("file", error.message)
            return self.page(request, form, status=400)
        if job.status == ImportJob.Status.PLANNING:
            messages.info(request, _("The file is being read in the background."))
        return redirect(self.url("orders-import-job", pk=job.pk))

    def refused_form(self, message: str) -> ImportUploadForm:
        form = ImportUploadForm(data={}, files=MultiValueDict())
        form.is_valid()
        form.errors.clear()
        form.add_error("file", message)
        return form

    def page(self, request: HttpRequest, form: ImportUploadForm, status: int = 200
             ) -> HttpResponse:
        user = request.user if request.user.is_authenticated else None
        jobs = ImportJob.objects.filter(uploaded_by=user)[:RECENT_JOBS]
        return render(request, self.upload_template,
                      {"form": form, "jobs": jobs, "max_bytes": app_settings.IMPORT_MAX_BYTES,
                       **self.extra_page_context()}, status=status)


def job_status(job: ImportJob) -> dict[str, Any]:
    """What the job page's progress bar polls."""
    return {"status": job.status, "progress": job.progress, "done": job.done,
            "total": job.total, "seconds_left": job.seconds_left, "message": job.message,
            "result": job.result, "can_commit": job.can_commit}


#: The dry run's counts, in the order a page lists them: a round trip of our own export
#: updates orders, any other file creates them.
UPDATE_COUNTS = (("orders_to_update", gettext_lazy("Orders to update")),
                 ("orders_unchanged", gettext_lazy("Orders unchanged")))
CREATE_COUNTS = (("orders_to_create", gettext_lazy("Orders to create")),
                 ("orders_already_imported",
                  gettext_lazy("Orders already imported (left as they are)")),
                 ("customers_to_create", gettext_lazy("Customers to create")),
                 ("customers_to_update", gettext_lazy("Customers to update")),
                 ("lines_to_create", gettext_lazy("Lines to create")),
                 ("lines_matched_to_products", gettext_lazy("Lines matched to products")),
                 ("lines_without_product", gettext_lazy("Lines without product")))


def count_rows(job: ImportJob) -> list[dict[str, Any]]:
    """The dry run's counts as (key, label, value) rows for the job page."""
    counts = job.plan.get("counts", {})
    rows = UPDATE_COUNTS if job.plan.get("edits_orders") else CREATE_COUNTS
    return [{"key": key, "label": label, "value": counts.get(key, 0)} for key, label in rows]


class ImportJobView(ImportPageMixin, View):
    """An import: its dry run with the Commit button, its progress, then its result."""

    def job(self, request: HttpRequest, pk: int) -> ImportJob:
        return get_object_or_404(ImportJob, pk=pk, uploaded_by=request.user)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        job = self.job(request, pk)
        if wants_json(request):
            return JsonResponse(job_status(job))
        return self.page(request, job)

    def page(self, request: HttpRequest, job: ImportJob, *, refusal: str = "",
             status: int = 200) -> HttpResponse:
        return render(request, self.job_template, {
            "job": job, "refusal": refusal or commit_refusal(job), "count_rows": count_rows(job),
            "more_errors": job.error_count - len(job.errors),
            "more_updates": job.plan.get("update_count", 0) - len(job.plan.get("updates", [])),
            "more_refusals": job.result.get("refusal_count", 0)
            - len(job.result.get("refusals", [])),
            **self.extra_page_context(job)}, status=status)


class ImportCommitView(ImportJobView):
    """Commit a dry run (POST): once, while it is planned, has no errors and has not expired."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        job = self.job(request, pk)
        if "cancel" in request.POST:
            if cancel_job(job):
                messages.info(request, _("The import was cancelled. Nothing was imported."))
            return redirect(self.url("orders-import-job", pk=job.pk))
        try:
            job = commit_job(job)
        except ImportRefused as error:
            if wants_json(request):
                return JsonResponse({"error": error.message}, status=409)
            job.refresh_from_db()
            if job.status in (ImportJob.Status.RUNNING, ImportJob.Status.DONE):
                # A second click on "Import" (or a reload of the POST): the job page already
                # says how the first one went; an error over it would be false.
                return redirect(self.url("orders-import-job", pk=job.pk))
            messages.error(request, error.message)
            return self.page(request, job, refusal=error.message, status=409)
        if job.status == ImportJob.Status.RUNNING:
            messages.info(request, ngettext("Importing %(count)d order in the background.",
                                            "Importing %(count)d orders in the background.",
                                            job.total) % {"count": job.total})
        elif job.status == ImportJob.Status.DONE:
            messages.success(request, _("The file was imported."))
        return redirect(self.url("orders-import-job", pk=job.pk))
