"""Wagtail hooks: the admin URLs, the "Orders" menu and the permissions for the group editor."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Permission
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import URLPattern, URLResolver, include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem

from oscar_orders_ext.models import Funnel
from oscar_orders_ext.views.actions import WORKSPACE_MENU

from . import urls
from .permissions import CODENAMES, allows, can_view

NAMESPACE = "oscar_orders_ext_wagtail"


@hooks.register("register_admin_urls")
def register_admin_urls() -> list[URLPattern | URLResolver]:
    """Mount the workspace at ``<admin>/orders/``."""
    return [path("orders/", include((urls.build_urlpatterns(), urls.app_name),
                                    namespace=NAMESPACE))]


class WorkspaceMenuItem(MenuItem):
    """A menu entry shown to users the permission registry lets open its ``action``."""

    def __init__(self, *args: Any, action: str = "orders-workspace", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.action = action

    def is_shown(self, request: HttpRequest) -> bool:
        """Shown when the registry allows the entry's action."""
        return allows(request.user, self.action)


class OrdersMenu(Menu):
    """The submenu: the table, "New order", "Import", one board per funnel (read at each
    request), then the settings: funnels, carriers, the shop identity on documents."""

    def __init__(self) -> None:
        super().__init__(register_hook_name=None, construct_hook_name=None, items=None)

    def items_for(self) -> list[MenuItem]:
        """Every entry, before permission checks."""
        # The entries come from the one menu of views.actions; its boards entry becomes one
        # entry per funnel.
        items: list[MenuItem] = []
        for entry in WORKSPACE_MENU:
            if not entry.boards:
                items.append(WorkspaceMenuItem(
                    entry.label, reverse(f"{NAMESPACE}:{entry.route}"),
                    name=f"orders-{entry.key}", icon_name=entry.icon, order=entry.order,
                    action=entry.route))
                continue
            for position, funnel in enumerate(Funnel.objects.all()):
                items.append(WorkspaceMenuItem(
                    funnel.display_name, reverse(f"{NAMESPACE}:orders-workspace-kanban",
                                         kwargs={"funnel": funnel.slug}),
                    name=f"orders-board-{funnel.slug}", icon_name=entry.icon,
                    order=entry.order + position, action="orders-workspace-kanban"))
        items.sort(key=lambda item: item.order)
        return items

    def menu_items_for_request(self, request: HttpRequest) -> list[MenuItem]:
        """The entries this user may see; none (so no "Orders" menu) without view permission."""
        if not can_view(request.user):
            return []
        cached = getattr(request, "_oscar_orders_ext_menu", None)
        if cached is None:  # asked twice per page (is_shown, then render): one query
            cached = [item for item in self.items_for() if item.is_shown(request)]
            request._oscar_orders_ext_menu = cached  # type: ignore[attr-defined]
        return cached


@hooks.register("register_admin_menu_item")
def register_orders_menu_item() -> MenuItem:
    """The "Orders" entry of Wagtail's sidebar."""
    return SubmenuMenuItem(_("Orders"), OrdersMenu(), name="orders", icon_name="clipboard-list",
                           order=250)


@hooks.register("register_permissions")
def register_permissions() -> QuerySet[Permission]:
    """The app's permissions, offered in Wagtail's group editor."""
    return Permission.objects.filter(content_type__app_label="oscar_orders_ext",
                                     codename__in=CODENAMES)
