from typing import Any

from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from oscar.core.application import OscarDashboardConfig

from oscar_orders_ext.permissions import oscar_permissions_map
from oscar_orders_ext.views import routes

_VIEWS = "oscar_orders_ext.dashboard.views."
#: The dashboard's view of each route of ``oscar_orders_ext.views.routes`` (by key): the app
#: config attribute holding it (a shop's subclass of this config replaces one there) and the
#: class loaded by default.
VIEWS = {
    "table": ("table_view", _VIEWS + "OrderTableView"),
    "kanban-default": ("kanban_view", _VIEWS + "KanbanView"),
    "kanban": ("kanban_view", _VIEWS + "KanbanView"),
    "cards": ("cards_view", _VIEWS + "StageCardsView"),
    "move": ("move_view", _VIEWS + "MoveOrderView"),
    "bulk": ("bulk_view", _VIEWS + "BulkActionView"),
    "bulk-job": ("bulk_job_view", _VIEWS + "BulkJobView"),
    "columns": ("columns_view", _VIEWS + "ColumnPreferenceView"),
    "fold": ("fold_view", _VIEWS + "FoldStageView"),
    "saved-view-create": ("saved_view_create", _VIEWS + "SavedViewCreateView"),
    "saved-view-delete": ("saved_view_delete", _VIEWS + "SavedViewDeleteView"),
    "export": ("export_view", _VIEWS + "ExportView"),
    "export-job": ("export_job_view", _VIEWS + "ExportJobView"),
    "export-download": ("export_download_view", _VIEWS + "ExportDownloadView"),
    "import": ("import_view", _VIEWS + "ImportUploadView"),
    "import-job": ("import_job_view", _VIEWS + "ImportJobView"),
    "import-commit": ("import_commit_view", _VIEWS + "ImportCommitView"),
    "funnel-list": ("funnel_list_view", _VIEWS + "FunnelListView"),
    "funnel-create": ("funnel_create_view", _VIEWS + "FunnelCreateView"),
    "funnel-update": ("funnel_update_view", _VIEWS + "FunnelUpdateView"),
    "funnel-delete": ("funnel_delete_view", _VIEWS + "FunnelDeleteView"),
    "stage-reorder": ("stage_reorder_view", _VIEWS + "StageReorderView"),
    "stage-delete": ("stage_delete_view", _VIEWS + "StageDeleteView"),
    "order-create": ("order_create_view", _VIEWS + "OrderCreateView"),
    "customer-search": ("customer_search_view", _VIEWS + "CustomerSearchView"),
    "product-search": ("product_search_view", _VIEWS + "ProductSearchView"),
    "order-lines": ("order_lines_view", _VIEWS + "OrderLinesView"),
    "order": ("order_view", _VIEWS + "OrderDetailView"),
    "order-transition": ("order_transition_view", _VIEWS + "TransitionView"),
    "order-workflow": ("order_workflow_view", _VIEWS + "WorkflowFieldsView"),
    "order-customer": ("order_customer_view", _VIEWS + "CustomerDetailsView"),
    "order-shipment": ("order_shipment_view", _VIEWS + "ShipmentView"),
    "order-note": ("order_note_view", _VIEWS + "NoteView"),
    "order-payment-link": ("order_payment_link_view", _VIEWS + "PaymentLinkView"),
    "order-refund": ("order_refund_view", _VIEWS + "RefundView"),
    "order-installments": ("order_installments_view", _VIEWS + "InstallmentsView"),
    "order-offline-payment": ("order_offline_payment_view", _VIEWS + "OfflinePaymentView"),
    "order-gateway-payment": ("order_gateway_payment_view", _VIEWS + "GatewayPaymentView"),
    "order-message": ("order_message_view", _VIEWS + "MessageView"),
    "order-message-attachment": ("order_message_attachment_view",
                                 _VIEWS + "MessageAttachmentView"),
    "order-quote": ("order_quote_view", _VIEWS + "QuoteView"),
    "order-quote-withdraw": ("order_quote_withdraw_view", _VIEWS + "QuoteWithdrawView"),
    "order-quote-pdf": ("order_quote_pdf_view", _VIEWS + "QuotePdfView"),
    "inbox": ("inbox_view", _VIEWS + "InboxView"),
    "webhook-list": ("webhook_list_view", _VIEWS + "WebhookListView"),
    "webhook-detail": ("webhook_detail_view", _VIEWS + "WebhookDetailView"),
    "api-tokens": ("api_tokens_view", _VIEWS + "ApiTokensView"),
    "carrier-list": ("carrier_list_view", _VIEWS + "CarrierListView"),
    "carrier-create": ("carrier_create_view", _VIEWS + "CarrierCreateView"),
    "carrier-update": ("carrier_update_view", _VIEWS + "CarrierUpdateView"),
    "carrier-delete": ("carrier_delete_view", _VIEWS + "CarrierDeleteView"),
    "customer-list": ("customer_list_view", _VIEWS + "CustomerDirectoryView"),
    "customer-create": ("customer_create_view", _VIEWS + "CustomerCreateView"),
    "customer-detail": ("customer_detail_view", _VIEWS + "CustomerDetailView"),
    "customer-update": ("customer_update_view", _VIEWS + "CustomerUpdateView"),
    "customer-group-list": ("customer_group_list_view", _VIEWS + "CustomerGroupListView"),
    "customer-group-move": ("customer_group_move_view", _VIEWS + "CustomerGroupMoveView"),
    "customer-group-create": ("customer_group_create_view", _VIEWS + "GroupCreateView"),
    "customer-group-update": ("customer_group_update_view", _VIEWS + "GroupUpdateView"),
    "customer-group-delete": ("customer_group_delete_view", _VIEWS + "GroupDeleteView"),
    "price-list-list": ("price_list_list_view", _VIEWS + "PriceListListView"),
    "price-list-create": ("price_list_create_view", _VIEWS + "PriceListCreateView"),
    "price-list-update": ("price_list_update_view", _VIEWS + "PriceListUpdateView"),
    "price-list-delete": ("price_list_delete_view", _VIEWS + "PriceListDeleteView"),
    "customer-tag-rule-list": ("tag_rule_list_view", _VIEWS + "TagRuleListView"),
    "customer-tag-rule-create": ("tag_rule_create_view", _VIEWS + "TagRuleCreateView"),
    "customer-tag-rule-update": ("tag_rule_update_view", _VIEWS + "TagRuleUpdateView"),
    "customer-tag-rule-delete": ("tag_rule_delete_view", _VIEWS + "TagRuleDeleteView"),
    "customer-export": ("customer_export_view", _VIEWS + "CustomerExportView"),
    "customer-catalogue-lookup": ("catalogue_lookup_view", _VIEWS + "CatalogueLookupView"),
    "subscription-list": ("subscription_list_view", _VIEWS + "SubscriptionListView"),
    "subscription-detail": ("subscription_detail_view", _VIEWS + "SubscriptionDetailView"),
    "subscription-action": ("subscription_action_view", _VIEWS + "SubscriptionActionView"),
    "plan-list": ("plan_list_view", _VIEWS + "PlanListView"),
    "plan-update": ("plan_update_view", _VIEWS + "PlanUpdateView"),
    "jsi18n": ("jsi18n_view", _VIEWS + "JavaScriptCatalogView"),
}
#: The document pages' views, by the key after ``document-`` in the route table.
DOCUMENT_VIEWS = {
    "list": "OrderDocumentsView", "print": "PrintDocumentView",
    "issue-invoice": "IssueInvoiceView", "credit-note": "CreditNoteView",
    "download": "DownloadDocumentView", "email": "EmailDocumentView",
    "identity": "ShopIdentityView",
}


class OrdersWorkspaceDashboardConfig(OscarDashboardConfig):
    """Mount with ``path("dashboard/workspace/", include("oscar_orders_ext.dashboard.urls"))``."""

    name = "oscar_orders_ext.dashboard"
    label = "oscar_orders_ext_dashboard"
    verbose_name = _("Order workspace dashboard")
    default_auto_field = "django.db.models.BigAutoField"
    default_permissions = ["is_staff"]

    # Derived from the permission registry: Oscar evaluates a tuple as "any of these lists",
    # each list as "all of these".
    permissions_map = oscar_permissions_map()

    def ready(self) -> None:
        from django.conf import settings

        from oscar_orders_ext.conf import app_settings

        from .navigation import with_workspace

        if app_settings.ADD_TO_NAVIGATION:
            settings.OSCAR_DASHBOARD_NAVIGATION = with_workspace(
                getattr(settings, "OSCAR_DASHBOARD_NAVIGATION", []),
                replace_order_list=app_settings.REPLACE_ORDER_LIST)
        self.load_views()

    def load_views(self) -> None:
        """Put the view of every route on this config; a shop's subclass replaces one after
        ``super().load_views()`` (see docs/extending.md)."""
        for attribute, dotted_path in VIEWS.values():
            setattr(self, attribute, import_string(dotted_path))
        self.document_views = {
            name: import_string(_VIEWS + view)
            for name, view in DOCUMENT_VIEWS.items()}

    def get_urls(self) -> list[Any]:
        views = {key: getattr(self, attribute) for key, (attribute, _path) in VIEWS.items()}
        views.update({f"document-{name}": view for name, view in self.document_views.items()})
        return self.post_process_urls(routes.urlpatterns(views))
