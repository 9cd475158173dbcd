"""The customer directory, a customer's profile and adding a customer: the steps between the
request and the selectors and services, shared by both skins (which set ``url_namespace``,
templates and chrome)."""

from __future__ import annotations

import tempfile
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import FormView, TemplateView

from oscar_orders_ext import permissions, selectors
from oscar_orders_ext.conf import app_settings
from oscar_orders_ext.exceptions import CustomerExists, OrderWorkflowError
from oscar_orders_ext.exports import customers as customer_exports
from oscar_orders_ext.exports.service import start_customer_export
from oscar_orders_ext.models import Customer
from oscar_orders_ext.services import customer_profiles

from .common import SkinMixin
from .exports import CONTENT_TYPES
from .customer_forms import CustomerDetailsForm, MoveGroupForm, NewCustomerForm


class CustomerPageMixin(SkinMixin):
    """The skin's permission check, and the templates' ``can_*`` flags."""

    request: HttpRequest
    permission_check = staticmethod(permissions.dashboard_allows)

    def customer_context(self) -> dict[str, Any]:
        """What every customer page gets: the flags and the namespace for shared partials."""
        return {**permissions.flags(self.request.user, self.permission_check),
                "order_namespace": self.url_namespace}


class CustomerDirectoryView(CustomerPageMixin, TemplateView):
    """Every customer, surname first: search, filters, sorting and pages."""

    template_name = ""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        directory = selectors.customer_directory(self.request.GET or None)
        customers = directory.qs if directory.is_bound and directory.is_valid() else (
            selectors.customer_directory(None).qs)
        paginator = Paginator(customers, app_settings.CUSTOMERS_PER_PAGE)
        page = paginator.get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(self.customer_context(), filter=directory, filter_form=directory.form,
                       customers=page.object_list, page_obj=page, paginator=paginator,
                       query_string=query.urlencode(),
                       is_filtered=any(value for key, value in self.request.GET.items()
                                       if key not in {"page", "sort"}))
        return context


class CustomerDetailView(CustomerPageMixin, TemplateView):
    """A customer's profile: details, addresses, tags, notes, loyalty summary, latest orders."""

    template_name = ""
    customer: Customer

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.customer = get_object_or_404(Customer.objects.select_related("user", "group"),
                                          pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        customer = self.customer
        context.update(
            self.customer_context(), customer=customer,
            summary=selectors.loyalty_summary(customer),
            latest_orders=selectors.customer_latest_orders(customer),
            addresses=selectors.customer_addresses(customer),
            tags=list(customer.tags.all()),
            price_list=selectors.current_price_list(customer),
            all_orders_url=(self.url("orders-workspace") + "?"
                            + urlencode({"customer": customer.email})),
            form=kwargs.get("form") or CustomerDetailsForm(instance=customer))
        return context


class CustomerUpdateView(CustomerDetailView):
    """Save the profile's details form (POST); invalid input shows the profile with errors."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return redirect(self.url("orders-customer-detail", pk=self.customer.pk))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = CustomerDetailsForm(request.POST, instance=Customer.objects.get(
            pk=self.customer.pk))
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        data = form.cleaned_data
        try:
            customer_profiles.update_customer(
                self.customer, first_name=data["first_name"], last_name=data["last_name"],
                company=data["company"], phone=data["phone"], notes=data["notes"],
                tags=data["tags"], group=data["group"], user=request.user)
        except OrderWorkflowError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Customer saved."))
        return redirect(self.url("orders-customer-detail", pk=self.customer.pk))


class CustomerCreateView(CustomerPageMixin, FormView):
    """Add a customer by hand; an existing email is refused with a link to that customer."""

    template_name = ""
    form_class = NewCustomerForm

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), **self.customer_context()}

    def form_valid(self, form: NewCustomerForm) -> HttpResponse:
        data = form.cleaned_data
        try:
            customer = customer_profiles.create_customer(
                data["email"], first_name=data["first_name"], last_name=data["last_name"],
                password=data["password"], invite=data["invite"], company=data["company"],
                phone=data["phone"], user=self.request.user)
        except CustomerExists as error:
            form.add_error("email", error.message)
            return self.render_to_response(self.get_context_data(
                form=form, existing=error.customer), status=400)
        except OrderWorkflowError as error:
            form.add_error(None, error.message)
            return self.render_to_response(self.get_context_data(form=form), status=400)
        if data["invite"]:
            messages.success(self.request, _("Customer added; the invitation is on its way."))
        else:
            messages.success(self.request, _("Customer added; they can log in now."))
        return redirect(self.url("orders-customer-detail", pk=customer.pk))

    def form_invalid(self, form: NewCustomerForm) -> HttpResponse:
        return self.render_to_response(self.get_context_data(form=form), status=400)


class CustomerGroupListView(CustomerPageMixin, TemplateView):
    """The groups: name, price lists, number of customers, creation date; and the form that
    moves a group's customers to another."""

    template_name = ""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(self.customer_context(), groups=selectors.customer_groups(),
                       move_form=kwargs.get("move_form") or MoveGroupForm())
        return context


class CustomerGroupMoveView(CustomerGroupListView):
    """Move every customer of one group to another (POST)."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return redirect(self.url("orders-customer-group-list"))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = MoveGroupForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(move_form=form), status=400)
        source, target = form.cleaned_data["source"], form.cleaned_data["target"]
        try:
            moved = customer_profiles.move_group_customers(source, target, user=request.user)
        except OrderWorkflowError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, ngettext(
                "%(count)d customer moved from “%(source)s”.",
                "%(count)d customers moved from “%(source)s”.", moved) % {
                    "count": moved, "source": source})
        return redirect(self.url("orders-customer-group-list"))


class CustomerExportView(SkinMixin, View):
    """Export every customer matching the directory's search and filters (``query``, the
    directory's query string) as CSV or XLSX; more than the sync limit go to the worker and
    continue on the export job page, as the order table's exports do."""

    def get(self, request: HttpRequest) -> HttpResponseBase:
        query = request.GET.get("query", "")
        try:
            options = customer_exports.CustomerExportOptions(
                format=request.GET.get("format", "xlsx"), query=query,
                delimiter=request.GET.get("delimiter", ","), bom=bool(request.GET.get("bom")))
        except OrderWorkflowError as error:
            messages.error(request, error.message)
            return redirect(f"{self.url('orders-customer-list')}?{query}")
        if customer_exports.exceeds_sync_limit(options):
            job = start_customer_export(options, request.user)
            messages.info(request, _("Exporting the customers in the background."))
            return redirect(self.url("orders-export-job", pk=job.pk))
        if options.format == "csv":
            response = StreamingHttpResponse(customer_exports.csv_stream(options),
                                             content_type=CONTENT_TYPES["csv"])
            response["Content-Disposition"] = f'attachment; filename="{options.filename}"'
            return response
        target = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
        customer_exports.write_customer_export(options, target)
        target.seek(0)
        return FileResponse(target, as_attachment=True, filename=options.filename,
                            content_type=CONTENT_TYPES["xlsx"])
