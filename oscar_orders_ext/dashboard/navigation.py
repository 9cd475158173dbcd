"""The workspace's entries in Oscar's dashboard menu (``OSCAR_DASHBOARD_NAVIGATION``).

The entries are the workspace's one menu (``views.actions.WORKSPACE_MENU``), which Wagtail's
"Orders" menu draws too; each is shown to the users the permission registry lets open it.
"""

from __future__ import annotations

import copy
from typing import Any

from django.utils.translation import gettext_lazy as _

from oscar_orders_ext.permissions import allows_in
from oscar_orders_ext.views.actions import WORKSPACE_MENU, MenuEntry

NS = "oscar_orders_ext_dashboard"
WORKSPACE = f"{NS}:orders-workspace"
ORDER_LIST = "dashboard:order-list"


def registry_access(user: Any, url_name: str | None, url_args: Any = None,
                    url_kwargs: Any = None) -> bool:
    """Oscar's menu access function for the workspace's entries: the registry's answer."""
    if url_name is None:  # a heading
        return True
    return allows_in(NS, user, url_name.rpartition(":")[2])


def workspace_entries(menu: tuple[MenuEntry, ...] = WORKSPACE_MENU) -> list[dict[str, Any]]:
    """Menu children for the workspace's pages, in the menu's order."""
    return [{"label": entry.full_label, "url_name": f"{NS}:{entry.route}",
             "access_fn": registry_access} for entry in menu]


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
