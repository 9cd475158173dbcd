"""Wagtail admin views of the workspace: Wagtail's templates around the shared front-end steps.

Every step between the request and the models goes through ``oscar_orders_ext.views``,
``selectors`` and ``services``, exactly as the Oscar dashboard's views do.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from django.contrib import messages
from django.contrib.auth.models import Permission
from django import forms
from django.forms import Media
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.decorators import method_decorator
from django.utils.functional import cached_property
from django.views.decorators.csrf import csrf_exempt
from wagtail.admin.views.generic.base import BaseListingView, WagtailAdminTemplateMixin
from wagtail.admin.widgets.button import HeaderButton

from oscar_orders_ext import permissions, selectors
from oscar_orders_ext.views import common, workspace
from oscar_orders_ext.views import customer_settings
from oscar_orders_ext.views import customers as customer_views
from oscar_orders_ext.views import documents as document_views
from oscar_orders_ext.views import exports as export_views
from oscar_orders_ext.views import funnels as funnel_views
from oscar_orders_ext.views import imports as import_views
from oscar_orders_ext.views import integrations as integration_views
from oscar_orders_ext.views import manual as manual_views
from oscar_orders_ext.views import orders as order_views
from oscar_orders_ext.views import payments as payment_views
from oscar_orders_ext.views import subscriptions as subscription_views
from oscar_orders_ext.views.common import wants_json
from oscar_orders_ext.models import Funnel, OrderProcess

from .permissions import allows

NAMESPACE = "oscar_orders_ext_wagtail"
CARDS_TEMPLATE = "oscar_orders_ext/wagtail/partials/cards.html"


def url(name: str, **kwargs: Any) -> str:
    """Reverse one of the workspace's Wagtail admin URLs."""
    return reverse(f"{NAMESPACE}:{name}", kwargs=kwargs or None)


def page_chrome(title: str, *trail: dict[str, str], icon: str = "clipboard-list"
                ) -> dict[str, Any]:
    """The title, header and breadcrumbs (Home › Orders › ``trail`` › title) of a workspace
    page drawn with ``render()`` on Wagtail's ``generic/base.html``."""
    return {
        "page_title": title, "header_title": title, "header_icon": icon,
        "breadcrumbs_items": [*WagtailAdminTemplateMixin.breadcrumbs_items,
                              {"url": url("orders-workspace"), "label": _("Orders")}, *trail,
                              {"url": "", "label": title}],
    }


def order_crumb(number: str) -> dict[str, str]:
    """The breadcrumb of an order's Wagtail page."""
    return {"url": url("orders-workspace-order", number=number),
            "label": _("Order %(number)s") % {"number": number}}


def forbidden(request: HttpRequest, *, missing: list[str] | None = None,
              staff_only: bool = False) -> HttpResponse:
    """A 403 in Wagtail's look (Wagtail itself would redirect to its dashboard) naming what the
    user lacks: the names of the ``missing`` permissions, or staff status."""
    if wants_json(request):
        return JsonResponse({"ok": False, "message": _("You may not do this."),
                             "conflict": False}, status=403)
    names = list(Permission.objects.filter(content_type__app_label="oscar_orders_ext",
                                           codename__in=missing or [])
                 .order_by("name").values_list("name", flat=True))
    return TemplateResponse(request, "oscar_orders_ext/wagtail/forbidden.html",
                            {"page_title": _("Permission denied"), "missing": names,
                             "staff_only": staff_only}, status=403)


class PermissionRequiredMixin:
    """Refuse (403) users the permission registry does not let open this page.

    The page is the registry's action of the URL name it is served under; ``action`` names
    another one.
    """

    request: HttpRequest
    action = ""
    url_namespace = NAMESPACE
    #: The registry's check in this front end (the shared views compute ``can_*`` with it).
    permission_check = staticmethod(allows)

    def action_name(self) -> str:
        """The registry action deciding access to this view."""
        match = self.request.resolver_match
        return self.action or (match.url_name if match else None) or ""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user, action = request.user, self.action_name()
        if not allows(user, action):
            missing = [permission.split(".", 1)[1]
                       for permission in permissions.wagtail_missing(user, action)]
            return forbidden(request, missing=missing, staff_only=not missing)
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


def with_checkbox_lists(order_filter: selectors.OrderFilter) -> selectors.OrderFilter:
    """Multiple choices drawn as lists of checkboxes, as Wagtail's own listings draw them,
    instead of multi-select boxes needing Ctrl-click."""
    for field in order_filter.form.fields.values():
        if type(field.widget) is forms.SelectMultiple:
            field.widget = forms.CheckboxSelectMultiple(
                choices=field.widget.choices,
                attrs={**field.widget.attrs, "class": "ooe-w-checklist"})
    return order_filter


class FilterDrilldown:
    """The workspace filter as Wagtail's filter drill-down shows it: every field but the
    search, which Wagtail's header renders as its own search box."""

    def __init__(self, order_filter: selectors.OrderFilter, exclude: tuple[str, ...]) -> None:
        self.order_filter = order_filter
        self.exclude = exclude

    @property
    def form(self) -> list[Any]:
        form = self.order_filter.form
        return [form[name] for name in form.fields if name not in self.exclude]

    def __bool__(self) -> bool:
        return bool(self.form)


class OrderTableView(PermissionRequiredMixin, BaseListingView):
    """The table on Wagtail's listing view: its header search, filter drill-down, active
    filter pills and in-place refresh, around the workspace's columns, summary and bulk bar.

    The rows, totals and pagination come from ``common.table_page``, as in the dashboard.
    """

    template_name = "oscar_orders_ext/wagtail/table.html"
    results_template_name = "oscar_orders_ext/wagtail/table_results.html"
    index_url_name = f"{NAMESPACE}:orders-workspace"
    index_results_url_name = f"{NAMESPACE}:orders-workspace-results"
    page_title = gettext_lazy("Orders")

    def get_page_title(self) -> str:
        return _("Inbox") if workspace.is_inbox(self.request.GET) else str(self.page_title)
    verbose_name_plural = gettext_lazy("orders")
    header_icon = "list-ul"
    is_searchable = True
    search_kwarg = "q"  # the workspace filter's own search field
    paginate_by = None  # the workspace's paginator pages the table (see get_table)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        view = request.GET.get("view")
        if view:  # open a saved view: its filter and columns become the URL
            query = common.saved_view_query(request.user, view)
            if query is None:
                messages.error(request, _("This saved view does not exist or is not shared "
                                          "with you."))
                return redirect(url("orders-workspace"))
            return redirect(f"{url('orders-workspace')}?{query}")
        return super().get(request, *args, **kwargs)

    @cached_property
    def filters(self) -> selectors.OrderFilter:
        return with_checkbox_lists(common.order_filter_for(self.request))

    @cached_property
    def active_filters(self) -> list[Any]:
        search_id = self.filters.form["q"].auto_id
        return [active for active in super().active_filters if active.auto_id != search_id]

    @property
    def header_buttons(self) -> list[HeaderButton]:
        """"New order" and "Import", for those who may take manual orders or import them."""
        buttons = []
        if allows(self.request.user, "orders-workspace-order-create"):
            buttons.append(HeaderButton(_("New order"), url=url("orders-workspace-order-create"),
                                        icon_name="plus", attrs={"id": "ooe-new-order"}))
        if allows(self.request.user, "orders-import"):
            buttons.append(HeaderButton(_("Import"), url=url("orders-import"),
                                        icon_name="upload", attrs={"id": "ooe-import-link"},
                                        priority=20))
        return buttons

    def get_queryset(self) -> Any:
        return self.filters.qs  # lazy: table_page orders, counts and pages it

    def get_table(self, object_list: Any) -> Any:
        self.table_page = common.table_page(self.filters, self.request.GET,
                                               common.chosen_column_keys(self.request))
        # Wagtail asks its table for media; ours come with the page template.
        return SimpleNamespace(media=Media())

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        table = self.table_page
        page_query = self.request.GET.copy()
        page_query.pop("_w_filter_fragment", None)  # Wagtail's refresh flag, not state
        query = common.filter_query(page_query)
        context.update(workspace.table_context(table, page_query))
        context.update({
            "table": table,
            "columns_next": f"{context.get('index_url', '')}?{page_query.urlencode()}",
            "order_namespace": NAMESPACE,
            "filters": FilterDrilldown(self.filters, exclude=("q",)),
            "query_string": query,
            "funnels": Funnel.objects.all(),
            "is_paginated": True,
            "keep_params": [(key, self.request.GET[key]) for key in ("sort", "page_size",
                                                                    "columns")
                            if self.request.GET.get(key)],
            "saved_views": common.saved_views_for(self.request.user),
            **permissions.flags(self.request.user, allows),
        })
        return context


class BulkActionView(PermissionRequiredMixin, workspace.BaseBulkActionView):
    """Apply an action to the selected orders or to every order matching the filter."""


    report_template = "oscar_orders_ext/wagtail/bulk_report.html"
    url_namespace = NAMESPACE

    def table_url(self) -> str:
        return url("orders-workspace")

    def report_context(self) -> dict[str, Any]:
        return {"page_title": _("Bulk action"), "header_icon": "list-ul"}


class BulkJobView(PermissionRequiredMixin, workspace.BaseBulkJobView):
    """A bulk action running on the worker: its progress, then its report."""

    url_namespace = NAMESPACE
    template_name = "oscar_orders_ext/wagtail/bulk_job.html"

    def extra_page_context(self, job: Any) -> dict[str, Any]:
        return page_chrome(_("Bulk action"), icon="list-ul")


class KanbanView(PermissionRequiredMixin, WagtailAdminTemplateMixin, workspace.KanbanView):
    """One board per funnel (the shared board view) in Wagtail's page: its title, breadcrumbs,
    filter chips, and the filter's multiple choices as checkbox lists."""

    template_name = "oscar_orders_ext/wagtail/kanban.html"
    header_icon = "table"

    @cached_property
    def order_filter(self) -> selectors.OrderFilter:
        return with_checkbox_lists(common.order_filter_for(
            self.request, hidden=self.filter_fields_hidden))

    def get_page_title(self) -> str:
        return _("Board: %(funnel)s") % {"funnel": self.funnel.display_name}

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return self.breadcrumbs_items + [{"url": url("orders-workspace"), "label": _("Orders")},
                                         {"url": "", "label": self.get_page_title()}]


class StageCardsView(PermissionRequiredMixin, workspace.StageCardsView):
    """The next cards of a column ("load more"), as an HTML fragment."""

    cards_template = CARDS_TEMPLATE
    filter_fields_hidden = ("funnel", "stage")


class MoveOrderView(PermissionRequiredMixin, workspace.MoveOrderView):
    """Move one order (a Kanban drop or a "Move to…" form), with the dashboard's JSON contract:
    ok, message, conflict, card, stage, state, version; 400 refused, 409 conflict."""

    cards_template = CARDS_TEMPLATE
    choose_template = "oscar_orders_ext/wagtail/move_choose.html"
    confirm_template = "oscar_orders_ext/wagtail/move_confirm.html"

    def page_context(self, title: str) -> dict[str, Any]:
        return {"title": title, "page_title": title, "header_icon": "list-ul"}


class FunnelPageMixin(PermissionRequiredMixin, WagtailAdminTemplateMixin):
    """Funnel settings in Wagtail: the dashboard's funnel views, Wagtail's templates and URLs."""

    url_namespace = NAMESPACE
    header_icon = "cogs"

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return self.breadcrumbs_items + [
            {"url": url("orders-workspace"), "label": _("Orders")},
            {"url": url("orders-funnel-list"), "label": _("Funnels")},
            {"url": "", "label": self.get_page_title()}]


class FunnelListView(FunnelPageMixin, funnel_views.FunnelListView):
    """Every funnel with its stages and how many orders each holds."""

    template_name = "oscar_orders_ext/wagtail/funnels/funnel_list.html"
    page_title = gettext_lazy("Funnels")

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return self.breadcrumbs_items + [{"url": url("orders-workspace"), "label": _("Orders")},
                                         {"url": "", "label": self.get_page_title()}]


class FunnelCreateView(FunnelPageMixin, funnel_views.FunnelCreateView):
    """A new funnel."""

    template_name = "oscar_orders_ext/wagtail/funnels/funnel_create.html"
    page_title = gettext_lazy("New funnel")


class FunnelUpdateView(FunnelPageMixin, funnel_views.FunnelUpdateView):
    """A funnel's settings and its stages (sortable)."""

    template_name = "oscar_orders_ext/wagtail/funnels/funnel_form.html"

    def get_page_title(self) -> str:
        return self.funnel.display_name


class FunnelDeleteView(FunnelPageMixin, funnel_views.FunnelDeleteView):
    """Delete a funnel, moving its orders to another one."""

    template_name = "oscar_orders_ext/wagtail/funnels/funnel_delete.html"

    def get_page_title(self) -> str:
        return _("Delete funnel “%(name)s”?") % {"name": self.funnel.display_name}


class StageDeleteView(FunnelPageMixin, funnel_views.StageDeleteView):
    """Delete a stage, moving its orders to a stage of the same workflow state."""

    template_name = "oscar_orders_ext/wagtail/funnels/stage_delete.html"

    def get_page_title(self) -> str:
        return _("Delete stage “%(name)s”?") % {"name": self.stage.display_name}


class StageReorderView(PermissionRequiredMixin, funnel_views.StageReorderView):
    """Save a new stage order (the drag and drop of the funnel page)."""

    url_namespace = NAMESPACE


class OrderPageMixin(PermissionRequiredMixin):
    """The order page in Wagtail: the dashboard's order views with Wagtail's template."""

    url_namespace = NAMESPACE
    page_template = "oscar_orders_ext/wagtail/order_detail.html"
    page_base_template = "oscar_orders_ext/wagtail/order_base.html"

    def extra_page_context(self, process: OrderProcess) -> dict[str, Any]:
        return {
            **page_chrome(_("Order %(number)s") % {"number": process.order.number}),
            "dashboard_order_url": order_views.dashboard_url(
                "oscar_orders_ext_dashboard:orders-workspace-order",
                number=process.order.number),
        }


class OrderPageView(OrderPageMixin, order_views.OrderDetailView):
    """State and moves, payment, operator, funnel, tags, customer, shipments, notes, timeline."""


class OrderTransitionView(OrderPageMixin, order_views.TransitionView):
    """A move of the order through the workflow, with its note and customer message."""



class OrderWorkflowView(OrderPageMixin, order_views.WorkflowFieldsView):
    """Payment status, order type, operator, funnel and tags."""



class OrderCustomerView(OrderPageMixin, order_views.CustomerDetailsView):
    """Buyer email and addresses."""



class OrderShipmentView(OrderPageMixin, order_views.ShipmentView):
    """Record a parcel."""



class OrderNoteView(OrderPageMixin, order_views.NoteView):
    """Add an internal note or a note for the buyer."""


class OrderPaymentLinkView(OrderPageMixin, payment_views.PaymentLinkView):
    """Send a payment link."""


class OrderRefundView(OrderPageMixin, payment_views.RefundView):
    """Refund all, an amount, or chosen lines."""


class OrderInstallmentsView(OrderPageMixin, payment_views.InstallmentsView):
    """Split what is left to pay into installments."""


class OrderOfflinePaymentView(OrderPageMixin, payment_views.OfflinePaymentView):
    """Mark the order paid by hand (bank transfer, cash on delivery, pay in store)."""


class OrderGatewayPaymentView(OrderPageMixin, payment_views.GatewayPaymentView):
    """Capture or release a pre-authorised gateway payment."""


class OrderMessageView(OrderPageMixin, order_views.MessageView):
    """Write to the customer."""


class OrderMessageAttachmentView(OrderPageMixin, order_views.MessageAttachmentView):
    """A message's attachment."""


class OrderQuoteView(OrderPageMixin, order_views.QuoteView):
    """Send a price proposal."""


class OrderQuoteWithdrawView(OrderPageMixin, order_views.QuoteWithdrawView):
    """Withdraw the open price proposal."""


class OrderQuotePdfView(OrderPageMixin, order_views.QuotePdfView):
    """A price proposal's PDF."""


class InboxView(PermissionRequiredMixin, workspace.InboxView):
    """The inbox: the table filtered on new orders and unread customer messages."""

    url_namespace = NAMESPACE



# --- Documents, line edits and manual orders: the dashboard's views, Wagtail's templates ---

class DocumentPageMixin(PermissionRequiredMixin):
    """The dashboard's document views in Wagtail: same services, forms and partner scoping;
    forms without ``next`` go back to the Wagtail order page."""

    url_namespace = NAMESPACE
    documents_template = "oscar_orders_ext/wagtail/documents.html"
    back_url_name = "orders-workspace-order"

    def extra_page_context(self, order: Any) -> dict[str, Any]:
        return page_chrome(_("Documents"), order_crumb(order.number))


class OrderDocumentsView(DocumentPageMixin, document_views.OrderDocumentsView):
    """The documents panel on a page of its own (the delivery note's errors are shown here)."""


class PrintDocumentView(DocumentPageMixin, document_views.PrintDocumentView):
    """Summary, receipts and delivery note, rendered now, shown inline."""


class DownloadDocumentView(DocumentPageMixin, document_views.DownloadDocumentView):
    """The stored PDF of an issued invoice or credit note."""


class IssueInvoiceView(DocumentPageMixin, document_views.IssueInvoiceView):
    """Issue the order's invoice (its number is final)."""



class EmailDocumentView(DocumentPageMixin, document_views.EmailDocumentView):
    """Email an issued document to the customer, as a PDF attachment."""



class CreditNoteView(DocumentPageMixin, document_views.CreditNoteView):
    """Credit an invoice: the form, then the credit note."""

    template_name = "oscar_orders_ext/wagtail/credit_note_form.html"

    def extra_page_context(self, order: Any) -> dict[str, Any]:
        return page_chrome(_("Credit note"), order_crumb(order.number))


class OrderLinesView(PermissionRequiredMixin, manual_views.OrderLinesView):
    """Add, remove and change the lines of a placed order (cart_editor.js, same JSON)."""

    url_namespace = NAMESPACE
    template_name = "oscar_orders_ext/wagtail/order_lines.html"
    rows_template = "oscar_orders_ext/wagtail/partials/line_rows.html"

    def extra_page_context(self, process: Any) -> dict[str, Any]:
        return page_chrome(_("Edit lines"), order_crumb(process.number))


class OrderCreateView(PermissionRequiredMixin, manual_views.OrderCreateView):
    """A manual order in the cart editor; once placed, its Wagtail order page opens."""

    url_namespace = NAMESPACE
    template_name = "oscar_orders_ext/wagtail/order_create.html"
    cart_template = "oscar_orders_ext/wagtail/partials/cart.html"

    def extra_page_context(self) -> dict[str, Any]:
        return page_chrome(_("New order"))


class CustomerSearchView(PermissionRequiredMixin, manual_views.CustomerSearchView):
    """Customers by name or email, as JSON, for the customer picker."""



class ProductSearchView(PermissionRequiredMixin, manual_views.ProductSearchView):
    """Products by title, SKU or UPC, as JSON, for the cart and the line editor."""



class ColumnPreferenceView(PermissionRequiredMixin, workspace.ColumnPreferenceView):
    """Remember the columns (and their order) a user picked."""


class FoldStageView(PermissionRequiredMixin, workspace.FoldStageView):
    """Fold or unfold a column of the user's board."""


class SavedViewCreateView(PermissionRequiredMixin, workspace.SavedViewCreateView):
    """Save the current filter and columns under a name, private or shared."""


class SavedViewDeleteView(PermissionRequiredMixin, workspace.SavedViewDeleteView):
    """Delete one of the user's own saved views (others get Wagtail's 403 page)."""

    def refuse(self, request: HttpRequest) -> HttpResponse:
        return forbidden(request)


class ExportView(PermissionRequiredMixin, export_views.ExportView):
    """Export every order matching the filter, as the dashboard's export does (same service;
    large exports continue on the Wagtail job page)."""


class ExportJobPageMixin(PermissionRequiredMixin):
    """A background export or bulk print in Wagtail: the dashboard's job views (the user's own
    jobs only), Wagtail's template and URLs."""

    url_namespace = NAMESPACE
    template_name = "oscar_orders_ext/wagtail/export_job.html"

    def extra_page_context(self, job: Any) -> dict[str, Any]:
        title = _("Print documents") if job.params.get("document") else _("Export")
        return page_chrome(title, icon="download")


class ExportJobView(ExportJobPageMixin, export_views.ExportJobView):
    """Progress of a large export (HTML, or JSON for the progress bar), then its download link."""


class ExportDownloadView(ExportJobPageMixin, export_views.ExportDownloadView):
    """The finished file; 410 with the job page once it has expired."""


# --- Imports, carriers and the shop identity: the dashboard's views, Wagtail's templates ---

class ImportPageMixin(PermissionRequiredMixin):
    """The dashboard's import views in Wagtail: same form, size limit, services and jobs."""

    url_namespace = NAMESPACE
    upload_template = "oscar_orders_ext/wagtail/imports/upload.html"
    job_template = "oscar_orders_ext/wagtail/imports/job.html"

    def extra_page_context(self, job: Any = None) -> dict[str, Any]:
        if job is None:
            return page_chrome(_("Import orders"), icon="upload")
        return page_chrome(_("Import of %(name)s") % {"name": job.filename},
                           {"url": url("orders-import"), "label": _("Import orders")},
                           icon="upload")


# The dashboard's upload view reads the body only once its size limit is in place, so CSRF
# is checked inside it; this dispatch (the permission check) must stay csrf_exempt too.
@method_decorator(csrf_exempt, name="dispatch")
class ImportUploadView(ImportPageMixin, import_views.ImportUploadView):
    """Upload a file: it is read into a dry run, nothing is imported yet."""


class ImportJobView(ImportPageMixin, import_views.ImportJobView):
    """The dry run (counts, row errors, changes) with the commit button, or the progress and
    result of the import."""


class ImportCommitView(ImportPageMixin, import_views.ImportCommitView):
    """Commit a dry run (POST)."""


class CarrierPageMixin(PermissionRequiredMixin, WagtailAdminTemplateMixin):
    """Carrier settings in Wagtail: the dashboard's carrier views, Wagtail's templates and URLs."""

    url_namespace = NAMESPACE
    header_icon = "globe"

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return self.breadcrumbs_items + [
            {"url": url("orders-workspace"), "label": _("Orders")},
            {"url": url("orders-carrier-list"), "label": _("Carriers")},
            {"url": "", "label": self.get_page_title()}]


class CarrierListView(CarrierPageMixin, order_views.CarrierListView):
    """The managed carriers, with how many shipments each has."""

    template_name = "oscar_orders_ext/wagtail/carriers/carrier_list.html"
    page_title = gettext_lazy("Carriers")

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return self.breadcrumbs_items + [{"url": url("orders-workspace"), "label": _("Orders")},
                                         {"url": "", "label": self.get_page_title()}]

    def get_header_buttons(self) -> list[HeaderButton]:
        return [HeaderButton(_("New carrier"), url=url("orders-carrier-create"),
                             icon_name="plus", attrs={"id": "ooe-new-carrier"})]


class CarrierCreateView(CarrierPageMixin, order_views.CarrierCreateView):
    """A new carrier."""

    template_name = "oscar_orders_ext/wagtail/carriers/carrier_form.html"
    page_title = gettext_lazy("New carrier")


class CarrierUpdateView(CarrierPageMixin, order_views.CarrierUpdateView):
    """A carrier's name, tracking page, order and whether operators may choose it."""

    template_name = "oscar_orders_ext/wagtail/carriers/carrier_form.html"

    def get_page_title(self) -> str:
        return self.object.name


class CarrierDeleteView(CarrierPageMixin, order_views.CarrierDeleteView):
    """Confirm, then delete a carrier (kept if shipments use it)."""

    template_name = "oscar_orders_ext/wagtail/carriers/carrier_delete.html"

    def get_page_title(self) -> str:
        return _("Delete carrier “%(carrier)s”?") % {"carrier": self.carrier.name}


class WebhookListView(PermissionRequiredMixin, integration_views.WebhookListView):
    """The webhook endpoints and the form for a new one."""

    url_namespace = NAMESPACE
    template_name = "oscar_orders_ext/wagtail/integrations/webhook_list.html"

    def extra_page_context(self) -> dict[str, Any]:
        return page_chrome(_("Webhooks"), icon="link")


class WebhookDetailView(PermissionRequiredMixin, integration_views.WebhookDetailView):
    """One endpoint and its delivery log."""

    url_namespace = NAMESPACE
    template_name = "oscar_orders_ext/wagtail/integrations/webhook_detail.html"

    def extra_page_context(self) -> dict[str, Any]:
        return page_chrome(_("Webhook endpoint"),
                           {"url": url("orders-webhook-list"), "label": _("Webhooks")},
                           icon="link")


class ApiTokensView(PermissionRequiredMixin, integration_views.ApiTokensView):
    """The user's own API tokens."""

    url_namespace = NAMESPACE
    template_name = "oscar_orders_ext/wagtail/integrations/api_tokens.html"

    def extra_page_context(self) -> dict[str, Any]:
        return page_chrome(_("API tokens"), icon="key")


class ShopIdentityView(PermissionRequiredMixin, document_views.ShopIdentityView):
    """Who the shop is on its documents: name, address, tax numbers, logo, bank details."""

    url_namespace = NAMESPACE
    template_name = "oscar_orders_ext/wagtail/identity_form.html"

    def extra_page_context(self) -> dict[str, Any]:
        return page_chrome(_("Shop identity on documents"), icon="site")


# --- Customers --------------------------------------------------------------------------------

class CustomerPageMixin(PermissionRequiredMixin, WagtailAdminTemplateMixin):
    """The customer pages in Wagtail: the shared views, Wagtail's chrome and URLs."""

    url_namespace = NAMESPACE
    header_icon = "group"

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return self.breadcrumbs_items + [
            {"url": url("orders-workspace"), "label": _("Orders")},
            {"url": url("orders-customer-list"), "label": _("Customer directory")},
            {"url": "", "label": self.get_page_title()}]


class CustomerDirectoryView(CustomerPageMixin, customer_views.CustomerDirectoryView):
    """Every customer, surname first, with search, filters and pages."""

    template_name = "oscar_orders_ext/wagtail/customers/customer_list.html"
    page_title = gettext_lazy("Customer directory")

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return self.breadcrumbs_items + [{"url": url("orders-workspace"), "label": _("Orders")},
                                         {"url": "", "label": self.get_page_title()}]

    def get_header_buttons(self) -> list[HeaderButton]:
        buttons = [HeaderButton(_("Customer groups"), url=url("orders-customer-group-list"),
                                icon_name="group", attrs={"id": "ooe-customer-groups-link"})]
        if allows(self.request.user, "orders-customer-create"):
            buttons.append(HeaderButton(_("New customer"), url=url("orders-customer-create"),
                                        icon_name="plus", attrs={"id": "ooe-new-customer"}))
        return buttons


class CustomerCreateView(CustomerPageMixin, customer_views.CustomerCreateView):
    """Add a customer by hand."""

    template_name = "oscar_orders_ext/wagtail/customers/customer_create.html"
    page_title = gettext_lazy("New customer")


class CustomerDetailView(CustomerPageMixin, customer_views.CustomerDetailView):
    """A customer's profile."""

    template_name = "oscar_orders_ext/wagtail/customers/customer_detail.html"

    def get_page_title(self) -> str:
        return str(self.customer)


class CustomerUpdateView(CustomerPageMixin, customer_views.CustomerUpdateView):
    """Save a customer's details."""

    template_name = "oscar_orders_ext/wagtail/customers/customer_detail.html"

    def get_page_title(self) -> str:
        return str(self.customer)


class CustomerGroupListView(CustomerPageMixin, customer_views.CustomerGroupListView):
    """The customer groups, and moving a group's customers to another."""

    template_name = "oscar_orders_ext/wagtail/customers/group_list.html"
    page_title = gettext_lazy("Customer groups")

    def get_header_buttons(self) -> list[HeaderButton]:
        if not allows(self.request.user, "orders-customer-group-create"):
            return []
        return [HeaderButton(_("New customer group"), url=url("orders-customer-group-create"),
                             icon_name="plus", attrs={"id": "ooe-settings-new"})]


class CustomerGroupMoveView(CustomerPageMixin, customer_views.CustomerGroupMoveView):
    """Move a group's customers (POST)."""

    template_name = "oscar_orders_ext/wagtail/customers/group_list.html"
    page_title = gettext_lazy("Customer groups")


class SettingsPageMixin(CustomerPageMixin):
    """Groups, price lists and tag rules in Wagtail: their list is the breadcrumb's parent;
    the title is the shared view's heading."""

    header_icon = "tag"

    def get_page_title(self) -> str:
        return str(self.settings_context()["heading"])

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return self.breadcrumbs_items + [
            {"url": url("orders-workspace"), "label": _("Orders")},
            {"url": self.list_url(), "label": str(self.plural)},
            {"url": "", "label": self.get_page_title()}]


class SettingsFormPageMixin(SettingsPageMixin):
    template_name: str | None = "oscar_orders_ext/wagtail/customers/settings_form.html"


class SettingsDeletePageMixin(SettingsPageMixin):
    template_name: str | None = "oscar_orders_ext/wagtail/customers/settings_delete.html"


class SettingsListPageMixin(SettingsPageMixin):
    template_name: str | None = "oscar_orders_ext/wagtail/customers/settings_list.html"

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return self.breadcrumbs_items + [{"url": url("orders-workspace"), "label": _("Orders")},
                                         {"url": "", "label": self.get_page_title()}]

    def get_header_buttons(self) -> list[HeaderButton]:
        route = f"{self.route}-create"
        if not allows(self.request.user, route):
            return []
        return [HeaderButton(str(self.new_label),
                             url=url(route), icon_name="plus", attrs={"id": "ooe-settings-new"})]


class GroupCreateView(SettingsFormPageMixin, customer_settings.GroupCreateView):
    """A new customer group."""


class GroupUpdateView(SettingsFormPageMixin, customer_settings.GroupUpdateView):
    """A group's name and price lists."""


class GroupDeleteView(SettingsDeletePageMixin, customer_settings.GroupDeleteView):
    """Delete a group."""


class PriceListListView(SettingsListPageMixin, customer_settings.PriceListListView):
    """The price lists."""


class PriceListCreateView(SettingsFormPageMixin, customer_settings.PriceListCreateView):
    """A new price list and its prices."""


class PriceListUpdateView(SettingsFormPageMixin, customer_settings.PriceListUpdateView):
    """A price list and its prices."""


class PriceListDeleteView(SettingsDeletePageMixin, customer_settings.PriceListDeleteView):
    """Delete a price list."""


class TagRuleListView(SettingsListPageMixin, customer_settings.TagRuleListView):
    """The automatic tag rules."""


class TagRuleCreateView(SettingsFormPageMixin, customer_settings.TagRuleCreateView):
    """A new automatic tag rule."""


class TagRuleUpdateView(SettingsFormPageMixin, customer_settings.TagRuleUpdateView):
    """An automatic tag rule."""


class TagRuleDeleteView(SettingsDeletePageMixin, customer_settings.TagRuleDeleteView):
    """Delete an automatic tag rule."""


class CustomerExportView(PermissionRequiredMixin, customer_views.CustomerExportView):
    """The directory's export (CSV/XLSX, large ones on the worker)."""

    url_namespace = NAMESPACE


class CatalogueLookupView(PermissionRequiredMixin, customer_settings.CatalogueLookupView):
    """Products or categories as JSON, for the price and tag rule forms' pickers."""

    url_namespace = NAMESPACE


class JavaScriptCatalogView(PermissionRequiredMixin, common.WorkspaceJavaScriptCatalog):
    """The translations of the workspace's scripts."""


# --- Subscriptions ----------------------------------------------------------------------------

class SubscriptionListView(PermissionRequiredMixin, subscription_views.SubscriptionListView):
    """Every subscription, a tab per state with its count, and search."""

    template_name = "oscar_orders_ext/wagtail/subscriptions/subscription_list.html"

    def extra_page_context(self) -> dict[str, Any]:
        return page_chrome(_("Subscriptions"), icon="rotate")


class SubscriptionDetailView(PermissionRequiredMixin,
                             subscription_views.SubscriptionDetailView):
    """One subscription and the merchant's changes."""

    template_name = "oscar_orders_ext/wagtail/subscriptions/subscription_detail.html"

    def extra_page_context(self) -> dict[str, Any]:
        return page_chrome(_("Subscription %(pk)s") % {"pk": self.subscription.pk},
                           {"url": url("orders-subscription-list"), "label": _("Subscriptions")},
                           icon="rotate")


class SubscriptionActionView(SubscriptionDetailView, subscription_views.SubscriptionActionView):
    """Change the plan, cancel or resume (POST)."""


class PlanListView(PermissionRequiredMixin, subscription_views.PlanListView):
    """The plans, their prices and products, and a new plan."""

    template_name = "oscar_orders_ext/wagtail/subscriptions/plan_list.html"

    def extra_page_context(self) -> dict[str, Any]:
        return page_chrome(_("Plans"), icon="calendar")


class PlanUpdateView(PermissionRequiredMixin, subscription_views.PlanUpdateView):
    """A plan: its interval, prices per currency and products."""

    template_name = "oscar_orders_ext/wagtail/subscriptions/plan_form.html"

    def extra_page_context(self) -> dict[str, Any]:
        return page_chrome(_("Plan “%(plan)s”") % {"plan": self.plan.name},
                           {"url": url("orders-plan-list"), "label": _("Plans")},
                           icon="calendar")
