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

from . import urls
from .permissions import CODENAMES, allows, can_view


@hooks.register("register_admin_urls")
def register_admin_urls() -> list[URLPattern | URLResolver]:
    """Mount the workspace at ``<admin>/orders/``."""
    return [path("orders/", include((urls.build_urlpatterns(), urls.app_name),
                                    namespace="oscar_orders_ext_wagtail"))]


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
        from oscar_orders_ext.models import Funnel

        items: list[MenuItem] = [WorkspaceMenuItem(
            _("Table"), reverse("oscar_orders_ext_wagtail:orders-workspace"), name="orders-table",
            icon_name="list-ul", order=100)]
        items.append(WorkspaceMenuItem(
            _("New order"), reverse("oscar_orders_ext_wagtail:orders-workspace-order-create"),
            name="orders-new", icon_name="plus", order=150,
            action="orders-workspace-order-create"))
        items.append(WorkspaceMenuItem(
            _("Import"), reverse("oscar_orders_ext_wagtail:orders-import"),
            name="orders-import", icon_name="upload", order=160, action="orders-import"))
        for position, funnel in enumerate(Funnel.objects.all()):
            items.append(WorkspaceMenuItem(
                funnel.name, reverse("oscar_orders_ext_wagtail:orders-workspace-kanban",
                                     kwargs={"funnel": funnel.slug}),
                name=f"orders-board-{funnel.slug}", icon_name="table", order=200 + position))
        items.append(WorkspaceMenuItem(
            _("Funnels"), reverse("oscar_orders_ext_wagtail:orders-funnel-list"),
            name="orders-funnels",
            icon_name="cogs", order=10_000,
            action="orders-funnel-list"))
        items.append(WorkspaceMenuItem(
            _("Carriers"), reverse("oscar_orders_ext_wagtail:orders-carrier-list"),
            name="orders-carriers", icon_name="globe", order=10_100,
            action="orders-carrier-list"))
        items.append(WorkspaceMenuItem(
            _("Shop identity"), reverse("oscar_orders_ext_wagtail:orders-document-identity"),
            name="orders-shop-identity", icon_name="site", order=10_200,
            action="orders-document-identity"))
        items.append(WorkspaceMenuItem(
            _("Webhooks"), reverse("oscar_orders_ext_wagtail:orders-webhook-list"),
            name="orders-webhooks", icon_name="link", order=10_300,
            action="orders-webhook-list"))
        items.append(WorkspaceMenuItem(
            _("API tokens"), reverse("oscar_orders_ext_wagtail:orders-api-tokens"),
            name="orders-api-tokens", icon_name="key", order=10_400,
            action="orders-api-tokens"))
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
