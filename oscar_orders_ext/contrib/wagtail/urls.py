"""URLs of the workspace in Wagtail's admin, mounted at ``<admin>/orders/`` by wagtail_hooks."""

from django.urls import path

from oscar_orders_ext.dashboard.apps import document_urls, shared_urls

from . import views

app_name = "oscar_orders_ext_wagtail"

urlpatterns = [
    path("", views.OrderTableView.as_view(), name="table"),
    path("results/", views.OrderTableView.as_view(results_only=True), name="table-results"),
    path("bulk/", views.BulkActionView.as_view(), name="bulk"),
    path("kanban/", views.KanbanView.as_view(), name="kanban-default"),
    path("kanban/<slug:funnel>/", views.KanbanView.as_view(), name="kanban"),
    path("kanban/<slug:funnel>/stages/<int:stage>/cards/", views.StageCardsView.as_view(),
         name="cards"),
    path("move/", views.MoveOrderView.as_view(), name="move"),
    path("columns/", views.ColumnPreferenceView.as_view(), name="columns"),
    # Manual orders, the line editor, the documents and the order page keep the dashboard's
    # URL names: the shared views reverse them by name.
    path("orders/new/", views.OrderCreateView.as_view(), name="orders-workspace-order-create"),
    path("orders/new/customers/", views.CustomerSearchView.as_view(),
         name="orders-workspace-customer-search"),
    path("orders/new/products/", views.ProductSearchView.as_view(),
         name="orders-workspace-product-search"),
    path("orders/<str:number>/lines/", views.OrderLinesView.as_view(),
         name="orders-workspace-order-lines"),
    *document_urls({"list": views.OrderDocumentsView, "print": views.PrintDocumentView,
                    "issue-invoice": views.IssueInvoiceView, "credit-note": views.CreditNoteView,
                    "download": views.DownloadDocumentView, "email": views.EmailDocumentView,
                    "identity": views.ShopIdentityView}),
    path("orders/<str:number>/", views.OrderPageView.as_view(), name="orders-workspace-order"),
    path("orders/<str:number>/transition/", views.OrderTransitionView.as_view(),
         name="orders-workspace-order-transition"),
    path("orders/<str:number>/workflow/", views.OrderWorkflowView.as_view(),
         name="orders-workspace-order-workflow"),
    path("orders/<str:number>/customer/", views.OrderCustomerView.as_view(),
         name="orders-workspace-order-customer"),
    path("orders/<str:number>/shipments/", views.OrderShipmentView.as_view(),
         name="orders-workspace-order-shipment"),
    path("orders/<str:number>/notes/", views.OrderNoteView.as_view(),
         name="orders-workspace-order-note"),
    path("views/new/", views.SavedViewCreateView.as_view(), name="saved-view-create"),
    path("views/<int:pk>/delete/", views.SavedViewDeleteView.as_view(),
         name="saved-view-delete"),
    path("export/", views.ExportView.as_view(), name="export"),
    # Job pages, imports, carriers and funnel settings keep the dashboard's paths and URL names:
    # the shared views reverse them by name.
    *shared_urls({
        "export-job": views.ExportJobView, "export-download": views.ExportDownloadView,
        "import": views.ImportUploadView, "import-job": views.ImportJobView,
        "import-commit": views.ImportCommitView,
        "carrier-list": views.CarrierListView, "carrier-create": views.CarrierCreateView,
        "carrier-update": views.CarrierUpdateView, "carrier-delete": views.CarrierDeleteView,
        "funnel-list": views.FunnelListView, "funnel-create": views.FunnelCreateView,
        "funnel-update": views.FunnelUpdateView, "funnel-delete": views.FunnelDeleteView,
        "stage-reorder": views.StageReorderView, "stage-delete": views.StageDeleteView}),
]
