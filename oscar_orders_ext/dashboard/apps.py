from typing import Any

from django.urls import URLPattern, path
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from django.views.i18n import JavaScriptCatalog
from oscar.core.application import OscarDashboardConfig

VIEW = "oscar_orders_ext.view_orderprocess"
PARTNER = "partner.dashboard_access"
STAFF = "is_staff"
CHANGE_STATE = "oscar_orders_ext.change_order_state"
MANAGE_FUNNELS = "oscar_orders_ext.manage_funnels"
IMPORT = "oscar_orders_ext.import_orders"
CREATE_ORDERS = "oscar_orders_ext.create_manual_order"
EDIT_LINES = "oscar_orders_ext.edit_order_lines"
ISSUE_INVOICE = "oscar_orders_ext.issue_invoice"
ISSUE_CREDIT_NOTE = "oscar_orders_ext.issue_credit_note"
SEND_INVOICE = "oscar_orders_ext.send_invoice"
MANAGE_IDENTITY = "oscar_orders_ext.manage_shop_identity"
DOCUMENT_VIEWS = {
    "list": "OrderDocumentsView", "print": "PrintDocumentView",
    "issue-invoice": "IssueInvoiceView", "credit-note": "CreditNoteView",
    "download": "DownloadDocumentView", "email": "EmailDocumentView",
    "identity": "ShopIdentityView",
}
CHANGE = "oscar_orders_ext.change_orderprocess"
EDIT_DETAILS = "oscar_orders_ext.edit_order_details"
MANAGE_CARRIERS = "oscar_orders_ext.manage_carriers"


class OrdersWorkspaceDashboardConfig(OscarDashboardConfig):
    """Mount with ``path("dashboard/workspace/", include("oscar_orders_ext.dashboard.urls"))``."""

    name = "oscar_orders_ext.dashboard"
    label = "oscar_orders_ext_dashboard"
    verbose_name = _("Order workspace dashboard")
    default_auto_field = "django.db.models.BigAutoField"
    default_permissions = ["is_staff"]

    # Oscar evaluates a tuple as "any of these lists", each list as "all of these".
    permissions_map = {
        "orders-workspace": ([STAFF, VIEW], [PARTNER]),
        "orders-workspace-kanban": ([STAFF, VIEW], [PARTNER]),
        "orders-workspace-kanban-default": ([STAFF, VIEW], [PARTNER]),
        "orders-workspace-cards": ([STAFF, VIEW], [PARTNER]),
        "orders-workspace-move": ([STAFF, VIEW, CHANGE_STATE], [PARTNER, CHANGE_STATE]),
        "orders-workspace-bulk": ([STAFF, VIEW, "oscar_orders_ext.bulk_edit_orders"],),
        "orders-workspace-columns": ([STAFF, VIEW], [PARTNER]),
        "orders-workspace-saved-view-create": ([STAFF, VIEW], [PARTNER]),
        "orders-workspace-saved-view-delete": ([STAFF, VIEW], [PARTNER]),
        "orders-workspace-export": ([STAFF, VIEW], [PARTNER]),
        "orders-export-job": ([STAFF, VIEW], [PARTNER]),
        "orders-export-download": ([STAFF, VIEW], [PARTNER]),
        "orders-import": ([STAFF, IMPORT],),
        "orders-import-job": ([STAFF, IMPORT],),
        "orders-import-commit": ([STAFF, IMPORT],),
        "orders-funnel-list": ([STAFF, MANAGE_FUNNELS],),
        "orders-funnel-create": ([STAFF, MANAGE_FUNNELS],),
        "orders-funnel-update": ([STAFF, MANAGE_FUNNELS],),
        "orders-funnel-delete": ([STAFF, MANAGE_FUNNELS],),
        "orders-stage-reorder": ([STAFF, MANAGE_FUNNELS],),
        "orders-stage-delete": ([STAFF, MANAGE_FUNNELS],),
        "orders-workspace-order-create": ([STAFF, CREATE_ORDERS],),
        "orders-workspace-customer-search": ([STAFF, CREATE_ORDERS],),
        "orders-workspace-product-search": ([STAFF, CREATE_ORDERS], [STAFF, EDIT_LINES]),
        "orders-workspace-order-lines": ([STAFF, VIEW, EDIT_LINES],),
        "orders-document-list": ([STAFF, VIEW], [PARTNER]),
        "orders-document-print": ([STAFF, VIEW], [PARTNER]),
        "orders-document-download": ([STAFF, VIEW], [PARTNER]),
        "orders-document-issue-invoice": ([STAFF, VIEW, ISSUE_INVOICE],
                                          [PARTNER, ISSUE_INVOICE]),
        "orders-document-credit-note": ([STAFF, VIEW, ISSUE_CREDIT_NOTE],
                                        [PARTNER, ISSUE_CREDIT_NOTE]),
        "orders-document-email": ([STAFF, VIEW, SEND_INVOICE], [PARTNER, SEND_INVOICE]),
        "orders-document-identity": ([STAFF, MANAGE_IDENTITY],),
        # The order page; partner users reach only their partner's orders (404 otherwise).
        "orders-workspace-order": ([STAFF, VIEW], [PARTNER]),
        "orders-workspace-order-transition": ([STAFF, VIEW, CHANGE_STATE],
                                              [PARTNER, CHANGE_STATE]),
        "orders-workspace-order-workflow": ([STAFF, VIEW, CHANGE], [PARTNER, CHANGE]),
        "orders-workspace-order-customer": ([STAFF, VIEW, EDIT_DETAILS],
                                            [PARTNER, EDIT_DETAILS]),
        "orders-workspace-order-shipment": ([STAFF, VIEW, CHANGE_STATE],
                                            [PARTNER, CHANGE_STATE]),
        "orders-workspace-order-note": ([STAFF, VIEW, CHANGE], [PARTNER, CHANGE]),
        "orders-carrier-list": ([STAFF, MANAGE_CARRIERS],),
        "orders-carrier-create": ([STAFF, MANAGE_CARRIERS],),
        "orders-carrier-update": ([STAFF, MANAGE_CARRIERS],),
        "orders-carrier-delete": ([STAFF, MANAGE_CARRIERS],),
    }

    def ready(self) -> None:
        from django.conf import settings

        from oscar_orders_ext.conf import app_settings

        from .navigation import with_workspace

        if app_settings.ADD_TO_NAVIGATION:
            settings.OSCAR_DASHBOARD_NAVIGATION = with_workspace(
                settings.OSCAR_DASHBOARD_NAVIGATION,
                replace_order_list=app_settings.REPLACE_ORDER_LIST)
        self.table_view = import_string("oscar_orders_ext.dashboard.views.OrderTableView")
        self.kanban_view = import_string("oscar_orders_ext.dashboard.views.KanbanView")
        self.cards_view = import_string("oscar_orders_ext.dashboard.views.StageCardsView")
        self.move_view = import_string("oscar_orders_ext.dashboard.views.MoveOrderView")
        self.bulk_view = import_string("oscar_orders_ext.dashboard.views.BulkActionView")
        self.columns_view = import_string("oscar_orders_ext.dashboard.views.ColumnPreferenceView")
        self.saved_view_create = import_string("oscar_orders_ext.dashboard.views.SavedViewCreateView")
        self.saved_view_delete = import_string("oscar_orders_ext.dashboard.views.SavedViewDeleteView")
        self.export_view = import_string("oscar_orders_ext.dashboard.export_views.ExportView")
        self.export_job_view = import_string(
            "oscar_orders_ext.dashboard.export_views.ExportJobView")
        self.export_download_view = import_string(
            "oscar_orders_ext.dashboard.export_views.ExportDownloadView")
        self.import_view = import_string(
            "oscar_orders_ext.dashboard.import_views.ImportUploadView")
        self.import_job_view = import_string(
            "oscar_orders_ext.dashboard.import_views.ImportJobView")
        self.import_commit_view = import_string(
            "oscar_orders_ext.dashboard.import_views.ImportCommitView")
        self.funnel_list_view = import_string("oscar_orders_ext.dashboard.funnel_views.FunnelListView")
        self.funnel_create_view = import_string("oscar_orders_ext.dashboard.funnel_views.FunnelCreateView")
        self.funnel_update_view = import_string("oscar_orders_ext.dashboard.funnel_views.FunnelUpdateView")
        self.funnel_delete_view = import_string("oscar_orders_ext.dashboard.funnel_views.FunnelDeleteView")
        self.stage_reorder_view = import_string("oscar_orders_ext.dashboard.funnel_views.StageReorderView")
        self.stage_delete_view = import_string("oscar_orders_ext.dashboard.funnel_views.StageDeleteView")
        self.order_create_view = import_string(
            "oscar_orders_ext.dashboard.manual_views.OrderCreateView")
        self.customer_search_view = import_string(
            "oscar_orders_ext.dashboard.manual_views.CustomerSearchView")
        self.product_search_view = import_string(
            "oscar_orders_ext.dashboard.manual_views.ProductSearchView")
        self.order_lines_view = import_string(
            "oscar_orders_ext.dashboard.manual_views.OrderLinesView")
        self.document_views = {
            name: import_string(f"oscar_orders_ext.dashboard.document_views.{view}")
            for name, view in DOCUMENT_VIEWS.items()}
        order_views = "oscar_orders_ext.dashboard.order_views."
        self.order_view = import_string(order_views + "OrderDetailView")
        self.order_transition_view = import_string(order_views + "TransitionView")
        self.order_workflow_view = import_string(order_views + "WorkflowFieldsView")
        self.order_customer_view = import_string(order_views + "CustomerDetailsView")
        self.order_shipment_view = import_string(order_views + "ShipmentView")
        self.order_note_view = import_string(order_views + "NoteView")
        self.carrier_list_view = import_string(order_views + "CarrierListView")
        self.carrier_create_view = import_string(order_views + "CarrierCreateView")
        self.carrier_update_view = import_string(order_views + "CarrierUpdateView")
        self.carrier_delete_view = import_string(order_views + "CarrierDeleteView")

    def get_urls(self):  # type: ignore[no-untyped-def]
        urls = [
            path("", self.table_view.as_view(), name="orders-workspace"),
            path("kanban/", self.kanban_view.as_view(), name="orders-workspace-kanban-default"),
            path("kanban/<slug:funnel>/", self.kanban_view.as_view(),
                 name="orders-workspace-kanban"),
            path("kanban/<slug:funnel>/stages/<int:stage>/cards/", self.cards_view.as_view(),
                 name="orders-workspace-cards"),
            path("move/", self.move_view.as_view(), name="orders-workspace-move"),
            path("bulk/", self.bulk_view.as_view(), name="orders-workspace-bulk"),
            path("columns/", self.columns_view.as_view(), name="orders-workspace-columns"),
            path("views/new/", self.saved_view_create.as_view(),
                 name="orders-workspace-saved-view-create"),
            path("views/<int:pk>/delete/", self.saved_view_delete.as_view(),
                 name="orders-workspace-saved-view-delete"),
            path("export/", self.export_view.as_view(), name="orders-workspace-export"),
            path("orders/new/", self.order_create_view.as_view(),
                 name="orders-workspace-order-create"),
            path("orders/new/customers/", self.customer_search_view.as_view(),
                 name="orders-workspace-customer-search"),
            path("orders/new/products/", self.product_search_view.as_view(),
                 name="orders-workspace-product-search"),
            path("orders/<str:number>/lines/", self.order_lines_view.as_view(),
                 name="orders-workspace-order-lines"),
            *self.document_urls(),
            path("orders/<str:number>/", self.order_view.as_view(),
                 name="orders-workspace-order"),
            path("orders/<str:number>/transition/", self.order_transition_view.as_view(),
                 name="orders-workspace-order-transition"),
            path("orders/<str:number>/workflow/", self.order_workflow_view.as_view(),
                 name="orders-workspace-order-workflow"),
            path("orders/<str:number>/customer/", self.order_customer_view.as_view(),
                 name="orders-workspace-order-customer"),
            path("orders/<str:number>/shipments/", self.order_shipment_view.as_view(),
                 name="orders-workspace-order-shipment"),
            path("orders/<str:number>/notes/", self.order_note_view.as_view(),
                 name="orders-workspace-order-note"),
            *shared_urls({
                "export-job": self.export_job_view, "export-download": self.export_download_view,
                "import": self.import_view, "import-job": self.import_job_view,
                "import-commit": self.import_commit_view,
                "carrier-list": self.carrier_list_view, "carrier-create": self.carrier_create_view,
                "carrier-update": self.carrier_update_view,
                "carrier-delete": self.carrier_delete_view,
                "funnel-list": self.funnel_list_view, "funnel-create": self.funnel_create_view,
                "funnel-update": self.funnel_update_view, "funnel-delete": self.funnel_delete_view,
                "stage-reorder": self.stage_reorder_view, "stage-delete": self.stage_delete_view}),
        ]
        return self.post_process_urls(urls)

    def document_urls(self) -> list[URLPattern]:
        return document_urls(self.document_views)


#: Pages every front end serves at the same paths under the same URL names (the shared views
#: reverse them by name in the front end's namespace): key, path, name.
SHARED_PAGES = (
    ("export-job", "exports/<int:pk>/", "orders-export-job"),
    ("export-download", "exports/<int:pk>/download/", "orders-export-download"),
    ("import", "imports/", "orders-import"),
    ("import-job", "imports/<int:pk>/", "orders-import-job"),
    ("import-commit", "imports/<int:pk>/commit/", "orders-import-commit"),
    ("carrier-list", "carriers/", "orders-carrier-list"),
    ("carrier-create", "carriers/new/", "orders-carrier-create"),
    ("carrier-update", "carriers/<int:pk>/", "orders-carrier-update"),
    ("carrier-delete", "carriers/<int:pk>/delete/", "orders-carrier-delete"),
    ("funnel-list", "funnels/", "orders-funnel-list"),
    ("funnel-create", "funnels/new/", "orders-funnel-create"),
    ("funnel-update", "funnels/<int:pk>/", "orders-funnel-update"),
    ("funnel-delete", "funnels/<int:pk>/delete/", "orders-funnel-delete"),
    ("stage-reorder", "funnels/<int:pk>/stages/order/", "orders-stage-reorder"),
    ("stage-delete", "funnels/<int:pk>/stages/<int:stage>/delete/", "orders-stage-delete"),
)


def shared_urls(views: dict[str, Any]) -> list[URLPattern]:
    """The ``SHARED_PAGES`` routes, from their view classes by key, and the JavaScript
    catalogue of the workspace's static files (``gettext()`` there)."""
    return [*(path(route, views[key].as_view(), name=name) for key, route, name in SHARED_PAGES),
            path("jsi18n/", JavaScriptCatalog.as_view(packages=["oscar_orders_ext"]),
                 name="orders-jsi18n")]


def document_urls(views: dict[str, Any]) -> list[URLPattern]:
    """The document pages, from their view classes by ``DOCUMENT_VIEWS`` key; every front end
    names them alike, so the shared views reverse them in any namespace ("identity" is
    optional)."""
    views = {name: view.as_view() for name, view in views.items()}
    base = "orders/<str:number>/documents/"
    urls = [
        path(base, views["list"], name="orders-document-list"),
        path(f"{base}print/<slug:kind>/", views["print"], name="orders-document-print"),
        path(f"{base}invoice/", views["issue-invoice"], name="orders-document-issue-invoice"),
        path(f"{base}<int:pk>/", views["download"], name="orders-document-download"),
        path(f"{base}<int:pk>/credit-note/", views["credit-note"],
             name="orders-document-credit-note"),
        path(f"{base}<int:pk>/email/", views["email"], name="orders-document-email"),
    ]
    if "identity" in views:
        urls.append(path("documents/identity/", views["identity"],
                         name="orders-document-identity"))
    return urls
