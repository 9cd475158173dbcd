"""The workspace's entries in Oscar's dashboard menu (``OSCAR_DASHBOARD_NAVIGATION``)."""

from __future__ import annotations

import copy
from typing import Any

from django.utils.translation import gettext_lazy as _

NS = "oscar_orders_ext_dashboard"
WORKSPACE = f"{NS}:orders-workspace"
ORDER_LIST = "dashboard:order-list"


def workspace_entries() -> list[dict[str, Any]]:
    """Menu children for the table, the boards, funnels, carriers and imports."""
    return [
        {"label": _("Order workspace"), "url_name": WORKSPACE},
        {"label": _("Kanban boards"), "url_name": f"{NS}:orders-workspace-kanban-default"},
        {"label": _("Inbox"), "url_name": f"{NS}:orders-workspace-inbox"},
        {"label": _("Funnels"), "url_name": f"{NS}:orders-funnel-list"},
        {"label": _("Import orders"), "url_name": f"{NS}:orders-import"},
        {"label": _("Carriers"), "url_name": f"{NS}:orders-carrier-list"},
        {"label": _("Customer directory"), "url_name": f"{NS}:orders-customer-list"},
        {"label": _("Customer groups"), "url_name": f"{NS}:orders-customer-group-list"},
        {"label": _("Subscriptions"), "url_name": f"{NS}:orders-subscription-list"},
        {"label": _("Plans"), "url_name": f"{NS}:orders-plan-list"},
        {"label": _("Webhooks"), "url_name": f"{NS}:orders-webhook-list"},
        {"label": _("API tokens"), "url_name": f"{NS}:orders-api-tokens"},
    ]


def with_workspace(navigation: list[dict[str, Any]], *, replace_order_list: bool = False
                   ) -> list[dict[str, Any]]:
    """A copy of ``navigation`` with the workspace beside Oscar's order list (idempotent)."""
    navigation = copy.deepcopy(navigation)
    names = {child.get("url_name") for section in navigation
             for child in section.get("children", [])} | {
        section.get("url_name") for section in navigation}
    if WORKSPACE in names:
        return navigation
    for section in navigation:
        children = section.get("children", [])
        for index, child in enumerate(children):
            if child.get("url_name") != ORDER_LIST:
                continue
            entries = workspace_entries()
            if replace_order_list:
                entries[0] = {**entries[0], "label": child["label"]}
                children[index] = {**child, "label": _("Orders (classic)")}
                children[index:index] = entries
            else:
                children[index + 1:index + 1] = entries
            return navigation
    navigation.append({"label": _("Order workspace"), "icon": "fas fa-columns",
                       "children": workspace_entries()})
    return navigation
