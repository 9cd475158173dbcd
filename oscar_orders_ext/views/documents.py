"""Documents in the dashboard: print, issue, download, email; bulk print. Thin over
``documents.service``."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View

from oscar_orders_ext import permissions, selectors
from oscar_orders_ext.conf import app_settings
from oscar_orders_ext.constants import DocumentKind
from oscar_orders_ext.documents.identity import save_identity
from oscar_orders_ext.documents.service import (PRINTABLE, DeliveryDetails, IdentityIncomplete,
                                                bulk_render, email_document, issue_credit_note,
                                                issue_invoice, order_documents,
                                                render_document, start_print_job)
from oscar_orders_ext.exceptions import OrderWorkflowError
from oscar_orders_ext.models import IssuedDocument, ShopIdentity

from .common import safe_next
from .document_forms import CreditNoteForm, DeliveryNoteForm, ShopIdentityForm



def pdf_response(pdf: bytes, filename: str, *, attachment: bool = False) -> HttpResponse:
    """A PDF shown in the browser (or downloaded)."""
    response = HttpResponse(pdf, content_type="application/pdf")
    disposition = "attachment" if attachment else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response


def print_response(request: HttpRequest, kind: str, order_pks: list[int],
                   delivery: DeliveryDetails | None = None, back: str = "", *,
                   url_namespace: str) -> HttpResponse:
    """Bulk print: the PDF at once for a small selection, a background job for a large one
    (followed on the job page of the front end named by ``url_namespace``); refusals go back
    to ``back`` (the front end's table by default)."""
    back = back or reverse(f"{url_namespace}:orders-workspace")
    try:
        if len(order_pks) > app_settings.PRINT_SYNC_LIMIT:
            job = start_print_job(kind, order_pks, request.user, delivery=delivery)
            messages.info(request, ngettext("Printing %(count)d order in the background.",
                                            "Printing %(count)d orders in the background.",
                                            len(order_pks)) % {"count": len(order_pks)})
            return redirect(reverse(f"{url_namespace}:orders-export-job",
                                    kwargs={"pk": job.pk}))
        result = bulk_render(kind, order_pks, delivery=delivery)
    except OrderWorkflowError as error:
        messages.error(request, error.message)
        return redirect(back)
    if result.skipped:
        messages.warning(request, _("Skipped (no invoice): %(numbers)s")
                         % {"numbers": ", ".join(result.skipped)})
    return pdf_response(result.rendered.pdf, f"{kind}-{len(order_pks)}.pdf", attachment=True)


class OrderDocumentMixin:
    """The order named in the URL, if the user may see it (partners: their orders only).

    A front end sets ``url_namespace`` (both name their document URLs alike), its templates,
    where a form goes back to without ``next`` (``back_url_name``) and may add context in
    ``extra_page_context``; every other step is shared.
    """

    request: HttpRequest
    url_namespace = ""
    documents_template = ""
    #: The front end's access check of the registry, for the page's ``can_*`` flags.
    permission_check = staticmethod(permissions.dashboard_allows)
    back_url_name = "orders-document-list"

    def url(self, name: str, **kwargs: Any) -> str:
        """One of this front end's URLs."""
        return reverse(f"{self.url_namespace}:{name}", kwargs=kwargs or None)

    def extra_page_context(self, order: Any) -> dict[str, Any]:
        """Front-end specific context (page title, breadcrumbs …)."""
        return {}

    def render_page(self, template: str, order: Any, context: dict[str, Any] | None = None,
                    *, status: int = 200) -> HttpResponse:
        """``template`` with the order, ``context`` and the front end's extra context."""
        return render(self.request, template, {"order": order,
                                               "issued": order_documents(order.pk),
                                               **(context or {}),
                                               **permissions.flags(self.request.user,
                                                                   self.permission_check),
                                               **self.extra_page_context(order)},
                      status=status)

    def get_order(self, number: str) -> Any:
        process = get_object_or_404(
            selectors.visible_processes(self.request.user).select_related("order"),
            order__number=number)
        return process.order

    def get_document(self, order: Any, pk: int) -> IssuedDocument:
        return get_object_or_404(IssuedDocument, pk=pk, order=order)

    def refusal(self, error: OrderWorkflowError) -> str:
        """The service's refusal; an incomplete shop identity links to where it is filled in."""
        if isinstance(error, IdentityIncomplete) and self.request.user.has_perm(
                "oscar_orders_ext.manage_shop_identity"):
            try:
                return format_html('{} <a href="{}">{}</a>', error.message,
                                   self.url("orders-document-identity"),
                                   _("Fill in the shop identity"))
            except NoReverseMatch:  # a front end without the identity page
                pass
        return error.message

    def back(self, order: Any) -> HttpResponse:
        """To the page the form was on (the order page or the documents page)."""
        return redirect(safe_next(self.request, self.url(self.back_url_name,
                                                         number=order.number)))


class OrderDocumentsView(OrderDocumentMixin, View):
    """The order's documents: what was issued, and the buttons to print and issue."""

    def get(self, request: HttpRequest, number: str) -> HttpResponse:
        return self.render_page(self.documents_template, self.get_order(number))


class PrintDocumentView(OrderDocumentMixin, View):
    """A printable document of one order, rendered now, shown inline."""

    def get(self, request: HttpRequest, number: str, kind: str) -> HttpResponse:
        order = self.get_order(number)
        if kind not in PRINTABLE:
            raise Http404(_("Unknown document."))
        delivery = None
        if kind == DocumentKind.DELIVERY_NOTE:
            form = DeliveryNoteForm(request.GET)
            if not form.is_valid():
                # Forms on the redrawn page go back to the documents page, not to this URL.
                return self.render_page(self.documents_template, order, {
                    "delivery_form": form,
                    "documents_next": self.url("orders-document-list", number=order.number),
                }, status=400)
            delivery = form.details()
        rendered = render_document(kind, order, delivery=delivery)
        return pdf_response(rendered.pdf, f"{kind}-{order.number}.pdf")


class IssueInvoiceView(OrderDocumentMixin, View):
    def post(self, request: HttpRequest, number: str) -> HttpResponse:
        order = self.get_order(number)
        try:
            invoice = issue_invoice(order, user=request.user)
        except OrderWorkflowError as error:
            messages.error(request, self.refusal(error))
        else:
            messages.success(request, _("Invoice %(number)s issued.") % {"number": invoice.number})
        return self.back(order)


class CreditNoteView(OrderDocumentMixin, View):
    """Credit an invoice: the form, then the credit note."""

    template_name = ""

    def get(self, request: HttpRequest, number: str, pk: int) -> HttpResponse:
        order = self.get_order(number)
        invoice = self.get_document(order, pk)
        return self.render_page(self.template_name, order,
                                {"invoice": invoice, "form": CreditNoteForm()})

    def post(self, request: HttpRequest, number: str, pk: int) -> HttpResponse:
        order = self.get_order(number)
        invoice = self.get_document(order, pk)
        form = CreditNoteForm(request.POST)
        if form.is_valid():
            try:
                credit = issue_credit_note(invoice, user=request.user,
                                           amount=form.cleaned_data["amount"],
                                           reason=form.cleaned_data["reason"])
            except OrderWorkflowError as error:
                form.add_error(None, self.refusal(error))
            else:
                messages.success(request, _("Credit note %(number)s issued.")
                                 % {"number": credit.number})
                return self.back(order)
        return self.render_page(self.template_name, order, {"invoice": invoice, "form": form},
                                status=400)


class DownloadDocumentView(OrderDocumentMixin, View):
    """The stored PDF of an issued document, byte for byte."""

    def get(self, request: HttpRequest, number: str, pk: int) -> HttpResponseBase:
        document = self.get_document(self.get_order(number), pk)
        return FileResponse(document.file.open("rb"), filename=document.filename,
                            as_attachment="download" in request.GET,
                            content_type="application/pdf")


class EmailDocumentView(OrderDocumentMixin, View):
    def post(self, request: HttpRequest, number: str, pk: int) -> HttpResponse:
        order = self.get_order(number)
        document = self.get_document(order, pk)
        try:
            recipient = email_document(document, user=request.user)
        except OrderWorkflowError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("%(document)s %(number)s sent to %(to)s.") % {
                "document": document.get_kind_display(), "number": document.number,
                "to": recipient})
        return self.back(order)


class ShopIdentityView(View):
    """Edit who the shop is on its documents (one row).

    A front end sets ``url_namespace`` (both name the page ``orders-document-identity``),
    ``template_name`` and may add context in ``extra_page_context``.
    """

    url_namespace = ""
    template_name = ""

    def extra_page_context(self) -> dict[str, Any]:
        """Front-end specific context (page title, breadcrumbs …)."""
        return {}

    def page(self, request: HttpRequest, form: ShopIdentityForm, status: int = 200
             ) -> HttpResponse:
        return render(request, self.template_name,
                      {"form": form, **self.extra_page_context()}, status=status)

    def form(self, request: HttpRequest) -> ShopIdentityForm:
        instance = ShopIdentity.objects.order_by("pk").first()
        if request.method == "POST":
            return ShopIdentityForm(request.POST, request.FILES, instance=instance)
        return ShopIdentityForm(instance=instance)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.page(request, self.form(request))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = self.form(request)
        if not form.is_valid():
            return self.page(request, form, status=400)
        save_identity(form.save(commit=False))
        messages.success(request, _("The shop identity was saved."))
        return redirect(reverse(f"{self.url_namespace}:orders-document-identity"))
