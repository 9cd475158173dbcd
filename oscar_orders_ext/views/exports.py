"""Export views of the dashboard workspace: thin layers over ``exports.service``."""

from __future__ import annotations

import tempfile
from typing import Any

from django.contrib import messages
from django.http import (FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse,
                         StreamingHttpResponse)
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from oscar_orders_ext.exceptions import OrderWorkflowError
from oscar_orders_ext.exports.service import (ExportOptions, csv_stream, exceeds_sync_limit,
                                              start_export, write_export)
from oscar_orders_ext.models import ColumnPreference, ExportJob

from .common import SkinMixin


CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",  # bulk prints of documents share the export jobs
}


def options_from(request: HttpRequest, data: Any, *, selected: list[int] | None = None
                 ) -> ExportOptions:
    """Export options from a submitted form; the user's columns unless the form names some."""
    columns = [c for c in (data.get("columns") or "").split(",") if c]
    if not columns:
        user = request.user if request.user.is_authenticated else None
        preference = ColumnPreference.objects.filter(user=user).first()
        columns = preference.columns if preference else []
    return ExportOptions(format=data.get("format", "xlsx"), query=data.get("query", ""),
                         columns=columns, selected=selected or [],
                         delimiter=data.get("delimiter", ","), bom=bool(data.get("bom")),
                         lines_sheet=bool(data.get("lines_sheet")))


def export_response(request: HttpRequest, options: ExportOptions, *,
                    url_namespace: str) -> HttpResponseBase:
    """The file itself for a small export, or a background job for a large one, followed on
    the job page of the front end named by ``url_namespace``."""
    if exceeds_sync_limit(options, request.user):
        job = start_export(options, request.user)
        messages.info(request, _("Exporting the orders in the background."))
        return redirect(reverse(f"{url_namespace}:orders-export-job", kwargs={"pk": job.pk}))
    if options.format == "csv":
        response = StreamingHttpResponse(csv_stream(options, request.user),
                                         content_type=CONTENT_TYPES["csv"])
        response["Content-Disposition"] = f'attachment; filename="{options.filename}"'
        return response
    target = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    write_export(options, request.user, target)
    target.seek(0)
    return FileResponse(target, as_attachment=True, filename=options.filename,
                        content_type=CONTENT_TYPES["xlsx"])


class ExportView(SkinMixin, View):
    """Export every order matching the current filter with the chosen columns (large exports
    continue on the front end's job page)."""

    def get(self, request: HttpRequest) -> HttpResponseBase:
        try:
            options = options_from(request, request.GET)
        except OrderWorkflowError as error:
            messages.error(request, error.message)
            return redirect(f"{self.url('orders-workspace')}?{request.GET.get('query', '')}")
        return export_response(request, options, url_namespace=self.url_namespace)


class ExportJobView(View):
    """A background export (or bulk print): progress (HTML, or JSON for the progress bar) and
    its download.

    Both front ends name these URLs alike; a front end sets ``url_namespace``,
    ``template_name`` and may add context in ``extra_page_context``.
    """

    url_namespace = ""
    template_name = ""

    def url(self, name: str, **kwargs: Any) -> str:
        """One of this front end's URLs."""
        return reverse(f"{self.url_namespace}:{name}", kwargs=kwargs or None)

    def extra_page_context(self, job: ExportJob) -> dict[str, Any]:
        """Front-end specific context (page title, breadcrumbs …)."""
        return {}

    def job(self, request: HttpRequest, pk: int) -> ExportJob:
        return get_object_or_404(ExportJob, pk=pk, user=request.user)

    def page(self, request: HttpRequest, job: ExportJob, status: int = 200) -> HttpResponse:
        return render(request, self.template_name,
                      {"job": job, **self.extra_page_context(job)}, status=status)

    def get(self, request: HttpRequest, pk: int) -> HttpResponseBase:
        job = self.job(request, pk)
        if "application/json" in request.headers.get("Accept", ""):
            return JsonResponse({"status": job.status, "progress": job.progress,
                                 "done": job.done, "total": job.total, "error": job.error,
                                 "download": self.url("orders-export-download", pk=job.pk)
                                 if job.status == ExportJob.Status.DONE else ""})
        return self.page(request, job)


class ExportDownloadView(ExportJobView):
    """The finished file (410 with the job page once it has expired)."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponseBase:
        job = self.job(request, pk)
        if job.status != ExportJob.Status.DONE or not job.file:
            raise Http404(_("This export is not ready."))
        if job.expired:
            return self.page(request, job, status=410)
        name = job.file.name.rsplit("/", 1)[-1]
        return FileResponse(job.file.open("rb"), as_attachment=True, filename=name,
                            content_type=CONTENT_TYPES.get(job.params.get("format"), None))
