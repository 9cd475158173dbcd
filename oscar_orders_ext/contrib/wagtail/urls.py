"""URLs of the workspace in Wagtail's admin, mounted at ``<admin>/orders/`` by wagtail_hooks:
the workspace's route table (``oscar_orders_ext.views.routes``) with Wagtail's views."""

from django.urls import URLPattern
from wagtail import hooks

from oscar_orders_ext.views import routes

from . import views

app_name = "oscar_orders_ext_wagtail"

#: Wagtail's view of each route, by route key.
VIEWS = {
    "table": views.OrderTableView, "results": views.OrderTableView,
    "kanban-default": views.KanbanView, "kanban": views.KanbanView,
    "cards": views.StageCardsView, "move": views.MoveOrderView, "bulk": views.BulkActionView,
    "bulk-job": views.BulkJobView,
    "columns": views.ColumnPreferenceView, "fold": views.FoldStageView,
    "saved-view-create": views.SavedViewCreateView,
    "saved-view-delete": views.SavedViewDeleteView, "export": views.ExportView,
    "order-create": views.OrderCreateView, "customer-search": views.CustomerSearchView,
    "product-search": views.ProductSearchView, "order-lines": views.OrderLinesView,
    "document-list": views.OrderDocumentsView, "document-print": views.PrintDocumentView,
    "document-issue-invoice": views.IssueInvoiceView,
    "document-credit-note": views.CreditNoteView,
    "document-download": views.DownloadDocumentView, "document-email": views.EmailDocumentView,
    "document-identity": views.ShopIdentityView,
    "order": views.OrderPageView, "order-transition": views.OrderTransitionView,
    "order-workflow": views.OrderWorkflowView, "order-customer": views.OrderCustomerView,
    "order-shipment": views.OrderShipmentView, "order-note": views.OrderNoteView,
    "order-payment-link": views.OrderPaymentLinkView, "order-refund": views.OrderRefundView,
    "order-installments": views.OrderInstallmentsView,
    "order-offline-payment": views.OrderOfflinePaymentView,
    "order-gateway-payment": views.OrderGatewayPaymentView,
    "order-message": views.OrderMessageView, "inbox": views.InboxView,
    "order-message-attachment": views.OrderMessageAttachmentView,
    "order-quote": views.OrderQuoteView, "order-quote-withdraw": views.OrderQuoteWithdrawView,
    "order-quote-pdf": views.OrderQuotePdfView,
    "export-job": views.ExportJobView, "export-download": views.ExportDownloadView,
    "import": views.ImportUploadView, "import-job": views.ImportJobView,
    "import-commit": views.ImportCommitView,
    "webhook-list": views.WebhookListView, "webhook-detail": views.WebhookDetailView,
    "api-tokens": views.ApiTokensView,
    "carrier-list": views.CarrierListView, "carrier-create": views.CarrierCreateView,
    "carrier-update": views.CarrierUpdateView, "carrier-delete": views.CarrierDeleteView,
    "funnel-list": views.FunnelListView, "funnel-create": views.FunnelCreateView,
    "funnel-update": views.FunnelUpdateView, "funnel-delete": views.FunnelDeleteView,
    "stage-reorder": views.StageReorderView, "stage-delete": views.StageDeleteView,
    "customer-list": views.CustomerDirectoryView,
    "customer-create": views.CustomerCreateView,
    "customer-detail": views.CustomerDetailView,
    "customer-update": views.CustomerUpdateView,
    "customer-group-list": views.CustomerGroupListView,
    "customer-group-move": views.CustomerGroupMoveView,
    "customer-group-create": views.GroupCreateView,
    "customer-group-update": views.GroupUpdateView,
    "customer-group-delete": views.GroupDeleteView,
    "price-list-list": views.PriceListListView, "price-list-create": views.PriceListCreateView,
    "price-list-update": views.PriceListUpdateView,
    "price-list-delete": views.PriceListDeleteView,
    "customer-tag-rule-list": views.TagRuleListView,
    "customer-tag-rule-create": views.TagRuleCreateView,
    "customer-tag-rule-update": views.TagRuleUpdateView,
    "customer-tag-rule-delete": views.TagRuleDeleteView,
    "customer-export": views.CustomerExportView,
    "customer-catalogue-lookup": views.CatalogueLookupView,
    "subscription-list": views.SubscriptionListView,
    "subscription-detail": views.SubscriptionDetailView,
    "subscription-action": views.SubscriptionActionView,
    "plan-list": views.PlanListView, "plan-update": views.PlanUpdateView,
    "jsi18n": views.JavaScriptCatalogView,
}

#: Wagtail hook through which a shop replaces views: ``fn(views)`` may change the dict.
VIEWS_HOOK = "oscar_orders_ext_wagtail_views"


def build_urlpatterns() -> list[URLPattern]:
    """The routes with Wagtail's views, after the shop's ``VIEWS_HOOK`` functions."""
    views = dict(VIEWS)
    for replace in hooks.get_hooks(VIEWS_HOOK):
        replace(views)
    return routes.urlpatterns(views)


urlpatterns = routes.urlpatterns(VIEWS)
