"""The Oscar dashboard skin: the shared views (``oscar_orders_ext.views``) with the dashboard's
URL namespace and templates. The app config loads them (``OrdersWorkspaceDashboardConfig``);
a shop replaces one by subclassing the config (see docs/extending.md)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from oscar_orders_ext.views import (customer_settings, customers, documents, exports, funnels,
                                    imports, integrations, manual, orders, payments, subscriptions,
                                    workspace)
from oscar_orders_ext.views.common import SkinMixin, WorkspaceJavaScriptCatalog

NAMESPACE = "oscar_orders_ext_dashboard"
T = "oscar_orders_ext/dashboard/"


class DashboardMixin(SkinMixin):
    """The dashboard's URL namespace."""

    url_namespace = NAMESPACE


# --- Table, board, moves, bulk actions, columns, saved views ---------------------------------

class OrderTableView(DashboardMixin, workspace.OrderTableView):
    template_name = T + "table.html"
    filter_panel_template = T + "partials/filter_panel.html"


class KanbanView(DashboardMixin, workspace.KanbanView):
    template_name = T + "kanban.html"
    filter_panel_template = T + "partials/filter_panel.html"


class StageCardsView(DashboardMixin, workspace.StageCardsView):
    cards_template = T + "partials/cards.html"


class MoveOrderView(DashboardMixin, workspace.MoveOrderView):
    cards_template = T + "partials/cards.html"
    choose_template = T + "move_choose.html"
    confirm_template = T + "move_confirm.html"


class BulkActionView(DashboardMixin, workspace.BulkActionView):
    report_template = T + "bulk_report.html"


class BulkJobView(DashboardMixin, workspace.BulkJobView):
    template_name = T + "bulk_job.html"


class ColumnPreferenceView(DashboardMixin, workspace.ColumnPreferenceView):
    pass


class FoldStageView(DashboardMixin, workspace.FoldStageView):
    pass


class SavedViewCreateView(DashboardMixin, workspace.SavedViewCreateView):
    pass


class SavedViewDeleteView(DashboardMixin, workspace.SavedViewDeleteView):
    pass


# --- Exports and imports ----------------------------------------------------------------------

class ExportView(DashboardMixin, exports.ExportView):
    pass


class ExportJobView(DashboardMixin, exports.ExportJobView):
    template_name = T + "export_job.html"


class ExportDownloadView(DashboardMixin, exports.ExportDownloadView):
    template_name = T + "export_job.html"


class ImportPageMixin(DashboardMixin):
    upload_template = T + "imports/upload.html"
    job_template = T + "imports/job.html"


class ImportUploadView(ImportPageMixin, imports.ImportUploadView):
    pass


class ImportJobView(ImportPageMixin, imports.ImportJobView):
    pass


class ImportCommitView(ImportPageMixin, imports.ImportCommitView):
    pass


# --- Funnel settings --------------------------------------------------------------------------

class FunnelListView(DashboardMixin, funnels.FunnelListView):
    template_name = T + "funnels/funnel_list.html"


class FunnelCreateView(DashboardMixin, funnels.FunnelCreateView):
    template_name = T + "funnels/funnel_create.html"


class FunnelUpdateView(DashboardMixin, funnels.FunnelUpdateView):
    template_name = T + "funnels/funnel_form.html"


class FunnelDeleteView(DashboardMixin, funnels.FunnelDeleteView):
    template_name = T + "funnels/funnel_delete.html"


class StageReorderView(DashboardMixin, funnels.StageReorderView):
    pass


class StageDeleteView(DashboardMixin, funnels.StageDeleteView):
    template_name = T + "funnels/stage_delete.html"


# --- Manual orders and the line editor --------------------------------------------------------

class OrderCreateView(DashboardMixin, manual.OrderCreateView):
    template_name = T + "order_create.html"
    cart_template = T + "partials/cart.html"


class CustomerSearchView(DashboardMixin, manual.CustomerSearchView):
    pass


class ProductSearchView(DashboardMixin, manual.ProductSearchView):
    pass


class OrderLinesView(DashboardMixin, manual.OrderLinesView):
    template_name = T + "order_lines.html"
    rows_template = T + "partials/line_rows.html"


# --- The order page and carriers --------------------------------------------------------------

class OrderPageMixin(DashboardMixin):
    page_template = T + "order_detail.html"
    page_base_template = T + "order_base.html"


class OrderDetailView(OrderPageMixin, orders.OrderDetailView):
    pass


class TransitionView(OrderPageMixin, orders.TransitionView):
    pass


class WorkflowFieldsView(OrderPageMixin, orders.WorkflowFieldsView):
    pass


class CustomerDetailsView(OrderPageMixin, orders.CustomerDetailsView):
    pass


class ShipmentView(OrderPageMixin, orders.ShipmentView):
    pass


class NoteView(OrderPageMixin, orders.NoteView):
    pass


class PaymentLinkView(OrderPageMixin, payments.PaymentLinkView):
    pass


class RefundView(OrderPageMixin, payments.RefundView):
    pass


class InstallmentsView(OrderPageMixin, payments.InstallmentsView):
    pass


class OfflinePaymentView(OrderPageMixin, payments.OfflinePaymentView):
    pass


class GatewayPaymentView(OrderPageMixin, payments.GatewayPaymentView):
    pass


class MessageView(OrderPageMixin, orders.MessageView):
    pass


class MessageAttachmentView(OrderPageMixin, orders.MessageAttachmentView):
    pass


class QuoteView(OrderPageMixin, orders.QuoteView):
    pass


class QuoteWithdrawView(OrderPageMixin, orders.QuoteWithdrawView):
    pass


class QuotePdfView(OrderPageMixin, orders.QuotePdfView):
    pass


class InboxView(DashboardMixin, workspace.InboxView):
    pass


class CarrierListView(DashboardMixin, orders.CarrierListView):
    template_name = T + "carriers/carrier_list.html"


class CarrierCreateView(DashboardMixin, orders.CarrierCreateView):
    template_name = T + "carriers/carrier_form.html"


class CarrierUpdateView(DashboardMixin, orders.CarrierUpdateView):
    template_name = T + "carriers/carrier_form.html"


class CarrierDeleteView(DashboardMixin, orders.CarrierDeleteView):
    template_name = T + "carriers/carrier_delete.html"


# --- Documents --------------------------------------------------------------------------------

class DocumentPageMixin(DashboardMixin):
    documents_template = T + "documents/order_documents.html"


class OrderDocumentsView(DocumentPageMixin, documents.OrderDocumentsView):
    pass


class PrintDocumentView(DocumentPageMixin, documents.PrintDocumentView):
    pass


class IssueInvoiceView(DocumentPageMixin, documents.IssueInvoiceView):
    pass


class CreditNoteView(DocumentPageMixin, documents.CreditNoteView):
    template_name = T + "documents/credit_note_form.html"


class DownloadDocumentView(DocumentPageMixin, documents.DownloadDocumentView):
    pass


class EmailDocumentView(DocumentPageMixin, documents.EmailDocumentView):
    pass


class ShopIdentityView(DashboardMixin, documents.ShopIdentityView):
    template_name = T + "documents/identity_form.html"


# --- Customers --------------------------------------------------------------------------------

class CustomerDirectoryView(DashboardMixin, customers.CustomerDirectoryView):
    template_name = T + "customers/customer_list.html"


class CustomerCreateView(DashboardMixin, customers.CustomerCreateView):
    template_name = T + "customers/customer_create.html"


class CustomerDetailView(DashboardMixin, customers.CustomerDetailView):
    template_name = T + "customers/customer_detail.html"


class CustomerUpdateView(DashboardMixin, customers.CustomerUpdateView):
    template_name = T + "customers/customer_detail.html"


class CustomerGroupListView(DashboardMixin, customers.CustomerGroupListView):
    template_name = T + "customers/group_list.html"


class CustomerGroupMoveView(DashboardMixin, customers.CustomerGroupMoveView):
    template_name = T + "customers/group_list.html"


# Groups, price lists and automatic tag rules: one list, form and delete page each kind.
class GroupCreateView(DashboardMixin, customer_settings.GroupCreateView):
    template_name = T + "customers/settings_form.html"


class GroupUpdateView(DashboardMixin, customer_settings.GroupUpdateView):
    template_name = T + "customers/settings_form.html"


class GroupDeleteView(DashboardMixin, customer_settings.GroupDeleteView):
    template_name = T + "customers/settings_delete.html"


class PriceListListView(DashboardMixin, customer_settings.PriceListListView):
    template_name = T + "customers/settings_list.html"


class PriceListCreateView(DashboardMixin, customer_settings.PriceListCreateView):
    template_name = T + "customers/settings_form.html"


class PriceListUpdateView(DashboardMixin, customer_settings.PriceListUpdateView):
    template_name = T + "customers/settings_form.html"


class PriceListDeleteView(DashboardMixin, customer_settings.PriceListDeleteView):
    template_name = T + "customers/settings_delete.html"


class TagRuleListView(DashboardMixin, customer_settings.TagRuleListView):
    template_name = T + "customers/settings_list.html"


class TagRuleCreateView(DashboardMixin, customer_settings.TagRuleCreateView):
    template_name = T + "customers/settings_form.html"


class TagRuleUpdateView(DashboardMixin, customer_settings.TagRuleUpdateView):
    template_name = T + "customers/settings_form.html"


class TagRuleDeleteView(DashboardMixin, customer_settings.TagRuleDeleteView):
    template_name = T + "customers/settings_delete.html"


class CustomerExportView(DashboardMixin, customers.CustomerExportView):
    """The directory's export (CSV/XLSX, large ones on the worker)."""


class CatalogueLookupView(DashboardMixin, customer_settings.CatalogueLookupView):
    """Products or categories as JSON, for the price and tag rule forms' pickers."""


# --- Webhooks and API tokens --------------------------------------------------------------------

class WebhookListView(DashboardMixin, integrations.WebhookListView):
    template_name = T + "integrations/webhook_list.html"

    def extra_page_context(self) -> dict[str, Any]:
        return {"page_title": _("Webhooks")}


class WebhookDetailView(DashboardMixin, integrations.WebhookDetailView):
    template_name = T + "integrations/webhook_detail.html"

    def extra_page_context(self) -> dict[str, Any]:
        return {"page_title": _("Webhook endpoint")}


class ApiTokensView(DashboardMixin, integrations.ApiTokensView):
    template_name = T + "integrations/api_tokens.html"

    def extra_page_context(self) -> dict[str, Any]:
        return {"page_title": _("API tokens")}


# --- Subscriptions --------------------------------------------------------------------------

class SubscriptionListView(DashboardMixin, subscriptions.SubscriptionListView):
    template_name = T + "subscriptions/subscription_list.html"

    def extra_page_context(self) -> dict[str, Any]:
        return {"page_title": _("Subscriptions")}


class SubscriptionDetailView(DashboardMixin, subscriptions.SubscriptionDetailView):
    template_name = T + "subscriptions/subscription_detail.html"

    def extra_page_context(self) -> dict[str, Any]:
        return {"page_title": _("Subscription %(pk)s") % {"pk": self.subscription.pk}}


class SubscriptionActionView(SubscriptionDetailView, subscriptions.SubscriptionActionView):
    pass


class PlanListView(DashboardMixin, subscriptions.PlanListView):
    template_name = T + "subscriptions/plan_list.html"

    def extra_page_context(self) -> dict[str, Any]:
        return {"page_title": _("Plans")}


class PlanUpdateView(DashboardMixin, subscriptions.PlanUpdateView):
    template_name = T + "subscriptions/plan_form.html"

    def extra_page_context(self) -> dict[str, Any]:
        return {"page_title": _("Plan “%(plan)s”") % {"plan": self.plan.name}}


class JavaScriptCatalogView(DashboardMixin, WorkspaceJavaScriptCatalog):
    pass
