"""The workspace's one URL table: every page and endpoint, its path, its URL name (the same in
every front end, and the permission registry's action name) and the key of its view.

A front end builds its urlpatterns with :func:`urlpatterns`, from its view classes by key; it
serves every route it has a view for (the Wagtail admin alone has ``results``, the in-place
refresh of its listing).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.urls import URLPattern, path

@dataclass(frozen=True)
class Route:
    """One route: view key, path (under the front end's mount point) and URL name."""

    key: str
    path: str
    name: str
    #: Keyword arguments of the view's ``as_view()``.
    initkwargs: dict[str, Any] = field(default_factory=dict)


ORDER = "orders/<str:number>/"
DOCUMENTS = f"{ORDER}documents/"

#: In resolving order: fixed paths (``orders/new/``) before ``orders/<number>/``.
ROUTES: tuple[Route, ...] = (
    Route("table", "", "orders-workspace"),
    Route("inbox", "inbox/", "orders-workspace-inbox"),
    Route("results", "results/", "orders-workspace-results", {"results_only": True}),
    Route("kanban-default", "kanban/", "orders-workspace-kanban-default"),
    Route("kanban", "kanban/<slug:funnel>/", "orders-workspace-kanban"),
    Route("cards", "kanban/<slug:funnel>/stages/<int:stage>/cards/", "orders-workspace-cards"),
    Route("move", "move/", "orders-workspace-move"),
    Route("fold", "kanban/<slug:funnel>/stages/<int:stage>/fold/", "orders-workspace-fold"),
    Route("bulk", "bulk/", "orders-workspace-bulk"),
    Route("bulk-job", "bulk/<int:pk>/", "orders-bulk-job"),
    Route("columns", "columns/", "orders-workspace-columns"),
    Route("saved-view-create", "views/new/", "orders-workspace-saved-view-create"),
    Route("saved-view-delete", "views/<int:pk>/delete/", "orders-workspace-saved-view-delete"),
    Route("export", "export/", "orders-workspace-export"),
    Route("order-create", "orders/new/", "orders-workspace-order-create"),
    Route("customer-search", "orders/new/customers/", "orders-workspace-customer-search"),
    Route("product-search", "orders/new/products/", "orders-workspace-product-search"),
    Route("order-lines", f"{ORDER}lines/", "orders-workspace-order-lines"),
    Route("document-list", DOCUMENTS, "orders-document-list"),
    Route("document-print", f"{DOCUMENTS}print/<slug:kind>/", "orders-document-print"),
    Route("document-issue-invoice", f"{DOCUMENTS}invoice/", "orders-document-issue-invoice"),
    Route("document-download", f"{DOCUMENTS}<int:pk>/", "orders-document-download"),
    Route("document-credit-note", f"{DOCUMENTS}<int:pk>/credit-note/",
          "orders-document-credit-note"),
    Route("document-email", f"{DOCUMENTS}<int:pk>/email/", "orders-document-email"),
    Route("document-identity", "documents/identity/", "orders-document-identity"),
    Route("order", ORDER, "orders-workspace-order"),
    Route("order-transition", f"{ORDER}transition/", "orders-workspace-order-transition"),
    Route("order-workflow", f"{ORDER}workflow/", "orders-workspace-order-workflow"),
    Route("order-customer", f"{ORDER}customer/", "orders-workspace-order-customer"),
    Route("order-shipment", f"{ORDER}shipments/", "orders-workspace-order-shipment"),
    Route("order-note", f"{ORDER}notes/", "orders-workspace-order-note"),
    Route("order-payment-link", f"{ORDER}payment-link/", "orders-workspace-order-payment-link"),
    Route("order-refund", f"{ORDER}refund/", "orders-workspace-order-refund"),
    Route("order-installments", f"{ORDER}installments/",
          "orders-workspace-order-installments"),
    Route("order-offline-payment", f"{ORDER}offline-payment/",
          "orders-workspace-order-offline-payment"),
    Route("order-gateway-payment", f"{ORDER}gateway-payments/<int:pk>/",
          "orders-workspace-order-gateway-payment"),
    Route("order-message", f"{ORDER}messages/", "orders-workspace-order-message"),
    Route("order-message-attachment", f"{ORDER}messages/<int:pk>/attachment/",
          "orders-workspace-order-message-attachment"),
    Route("order-quote", f"{ORDER}quotes/", "orders-workspace-order-quote"),
    Route("order-quote-withdraw", f"{ORDER}quotes/<int:pk>/withdraw/",
          "orders-workspace-order-quote-withdraw"),
    Route("order-quote-pdf", f"{ORDER}quotes/<int:pk>/pdf/", "orders-workspace-order-quote-pdf"),
    Route("export-job", "exports/<int:pk>/", "orders-export-job"),
    Route("export-download", "exports/<int:pk>/download/", "orders-export-download"),
    Route("import", "imports/", "orders-import"),
    Route("import-job", "imports/<int:pk>/", "orders-import-job"),
    Route("import-commit", "imports/<int:pk>/commit/", "orders-import-commit"),
    Route("webhook-list", "webhooks/", "orders-webhook-list"),
    Route("webhook-detail", "webhooks/<int:pk>/", "orders-webhook-detail"),
    Route("api-tokens", "api-tokens/", "orders-api-tokens"),
    Route("carrier-list", "carriers/", "orders-carrier-list"),
    Route("carrier-create", "carriers/new/", "orders-carrier-create"),
    Route("carrier-update", "carriers/<int:pk>/", "orders-carrier-update"),
    Route("carrier-delete", "carriers/<int:pk>/delete/", "orders-carrier-delete"),
    Route("funnel-list", "funnels/", "orders-funnel-list"),
    Route("funnel-create", "funnels/new/", "orders-funnel-create"),
    Route("funnel-update", "funnels/<int:pk>/", "orders-funnel-update"),
    Route("funnel-delete", "funnels/<int:pk>/delete/", "orders-funnel-delete"),
    Route("stage-reorder", "funnels/<int:pk>/stages/order/", "orders-stage-reorder"),
    Route("stage-delete", "funnels/<int:pk>/stages/<int:stage>/delete/", "orders-stage-delete"),
    Route("customer-list", "customers/", "orders-customer-list"),
    Route("customer-create", "customers/new/", "orders-customer-create"),
    Route("customer-group-list", "customers/groups/", "orders-customer-group-list"),
    Route("customer-group-move", "customers/groups/move/", "orders-customer-group-move"),
    Route("customer-group-create", "customers/groups/new/", "orders-customer-group-create"),
    Route("customer-group-update", "customers/groups/<int:pk>/", "orders-customer-group-update"),
    Route("customer-group-delete", "customers/groups/<int:pk>/delete/",
          "orders-customer-group-delete"),
    Route("price-list-list", "customers/price-lists/", "orders-price-list-list"),
    Route("price-list-create", "customers/price-lists/new/", "orders-price-list-create"),
    Route("price-list-update", "customers/price-lists/<int:pk>/", "orders-price-list-update"),
    Route("price-list-delete", "customers/price-lists/<int:pk>/delete/",
          "orders-price-list-delete"),
    Route("customer-tag-rule-list", "customers/tag-rules/", "orders-customer-tag-rule-list"),
    Route("customer-tag-rule-create", "customers/tag-rules/new/",
          "orders-customer-tag-rule-create"),
    Route("customer-tag-rule-update", "customers/tag-rules/<int:pk>/",
          "orders-customer-tag-rule-update"),
    Route("customer-tag-rule-delete", "customers/tag-rules/<int:pk>/delete/",
          "orders-customer-tag-rule-delete"),
    Route("customer-export", "customers/export/", "orders-customer-export"),
    Route("customer-catalogue-lookup", "customers/lookup/<slug:kind>/",
          "orders-customer-catalogue-lookup"),
    Route("customer-detail", "customers/<int:pk>/", "orders-customer-detail"),
    Route("customer-update", "customers/<int:pk>/edit/", "orders-customer-update"),
    Route("subscription-list", "subscriptions/", "orders-subscription-list"),
    Route("plan-list", "subscriptions/plans/", "orders-plan-list"),
    Route("plan-update", "subscriptions/plans/<int:pk>/", "orders-plan-update"),
    Route("subscription-detail", "subscriptions/<int:pk>/", "orders-subscription-detail"),
    Route("subscription-action", "subscriptions/<int:pk>/change/",
          "orders-subscription-action"),
    Route("jsi18n", "jsi18n/", "orders-jsi18n"),
)

def urlpatterns(views: Mapping[str, Any]) -> list[URLPattern]:
    """The routes a front end has a view class for (``views``: route key → class)."""
    return [path(route.path, views[route.key].as_view(**route.initkwargs), name=route.name)
            for route in ROUTES if route.key in views]
