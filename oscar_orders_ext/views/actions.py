"""Menus and row actions of the workspace, declared once and filtered by the permission registry.

Each entry names a route (a URL name of ``views.routes``, which is also the registry's action), so
who sees it is the registry's answer in the skin drawing the page (``permissions.allows_in``). The
skins draw these lists; templates loop over them instead of naming URLs and permissions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from oscar_orders_ext.permissions import allows_in
from oscar_orders_ext.workflow import get_workflow


@dataclass(frozen=True)
class MenuEntry:
    """One entry of a skin's workspace menu: a page without URL arguments."""

    key: str
    label: str | Promise
    #: URL name (and registry action).
    route: str
    #: Icon name (Wagtail's icon set; the dashboard maps it to Font Awesome).
    icon: str
    #: Position among the menu's entries (the Kanban boards sit between 200 and 10 000).
    order: int
    #: The label where the entry stands among other apps' entries (Oscar's dashboard menu,
    #: beside its own "Orders"); the short label otherwise.
    long_label: str | Promise | None = None
    #: The Kanban boards: a skin that lists one entry per funnel puts them here instead.
    boards: bool = False

    @property
    def full_label(self) -> str | Promise:
        """The label that names the entry outside the workspace's own menu."""
        return self.long_label or self.label


#: The workspace's menu, both skins': the dashboard lists it in this order in Oscar's menu,
#: Wagtail's "Orders" menu sorts it by ``order``. A shop adds an entry by appending to a copy in
#: its skin.
WORKSPACE_MENU: tuple[MenuEntry, ...] = (
    MenuEntry("table", _("Table"), "orders-workspace", "list-ul", 100,
              long_label=_("Order workspace")),
    MenuEntry("boards", _("Kanban boards"), "orders-workspace-kanban-default", "table", 200,
              boards=True),
    MenuEntry("inbox", _("Inbox"), "orders-workspace-inbox", "mail", 120),
    MenuEntry("new", _("New order"), "orders-workspace-order-create", "plus", 150),
    MenuEntry("import", _("Import"), "orders-import", "upload", 160,
              long_label=_("Import orders")),
    MenuEntry("customers", _("Customer directory"), "orders-customer-list", "group", 170),
    MenuEntry("customer-groups", _("Customer groups"), "orders-customer-group-list", "group",
              175),
    MenuEntry("price-lists", _("Price lists"), "orders-price-list-list", "tag", 176),
    MenuEntry("customer-tag-rules", _("Automatic customer tags"),
              "orders-customer-tag-rule-list", "tag", 177),
    MenuEntry("subscriptions", _("Subscriptions"), "orders-subscription-list", "rotate", 180),
    MenuEntry("plans", _("Plans"), "orders-plan-list", "calendar", 185),
    MenuEntry("funnels", _("Funnels"), "orders-funnel-list", "cogs", 10_000),
    MenuEntry("carriers", _("Carriers"), "orders-carrier-list", "globe", 10_100),
    MenuEntry("shop-identity", _("Shop identity"), "orders-document-identity", "site", 10_200),
    MenuEntry("webhooks", _("Webhooks"), "orders-webhook-list", "link", 10_300),
    MenuEntry("api-tokens", _("API tokens"), "orders-api-tokens", "key", 10_400),
)


def menu_for(user: Any, namespace: str,
             entries: tuple[MenuEntry, ...] = WORKSPACE_MENU) -> list[MenuEntry]:
    """The entries ``user`` may open in the skin mounted under ``namespace``."""
    return [entry for entry in entries if allows_in(namespace, user, entry.route)]


@dataclass(frozen=True)
class RowAction:
    """A button of a table row. Its link is built from the row (``href``), reversed once per
    page, not once per row."""

    key: str
    label: str | Promise
    route: str
    #: Bootstrap button style (``outline-primary``…); the Wagtail skin maps these classes.
    style: str
    #: The row's URL argument: ``number`` (order pages) or none (the move endpoint).
    by_number: bool = True
    #: Extra CSS class of the button (tests and scripts find it by that).
    css_class: str = ""


ROW_ACTIONS: tuple[RowAction, ...] = (
    RowAction("view", _("View"), "orders-workspace-order", "outline-primary"),
    # A context: Oscar's Italian catalogue, read first, says "Righi" for "Lines".
    RowAction("lines", pgettext_lazy("order lines", "Lines"), "orders-workspace-order-lines",
              "outline-secondary"),
    RowAction("cancel", _("Cancel"), "orders-workspace-move", "outline-danger", by_number=False,
              css_class="ooe-row-cancel"),
)


@dataclass(frozen=True)
class BoundRowAction:
    """A row action the user may run in this skin, with its URL reversed once."""

    action: RowAction
    url: str
    back: str

    def href(self, row: Any) -> str | None:
        """The button's link for ``row``; None where it does not apply (no cancel move)."""
        if self.action.key == "cancel":
            if not getattr(row, "cancellable", False):
                return None
            query = urlencode({"order": row.order_id, "transition": row.cancel_transition,
                               "next": self.back})
            return f"{self.url}?{query}"
        if self.action.by_number:
            prefix, _sep, suffix = self.url.rpartition("/0/")
            return f"{prefix}/{quote(str(row.number))}/{suffix}"
        return self.url


@dataclass(frozen=True)
class RowLink:
    """A row button as the table prints it: its classes, link and label, plain strings."""

    css_class: str
    href: str
    label: str


def attach_row_links(rows: Iterable[Any], bound: list[BoundRowAction]) -> None:
    """Give each row ``action_links``: its buttons (``RowLink``), the classes and labels made
    once per page. Looping over the actions in the template cost a third of drawing the
    table: a filter call, a ``{% with %}`` and a lazy label translated again on every row."""
    made = [(action, f"btn btn-sm btn-{action.action.style}"
                     + (f" {action.action.css_class}" if action.action.css_class else ""),
             str(action.action.label)) for action in bound]
    for row in rows:
        row.action_links = [RowLink(css_class, href, label) for action, css_class, label in made
                            if (href := action.href(row))]


def row_actions(user: Any, namespace: str, back: str,
                actions: tuple[RowAction, ...] = ROW_ACTIONS) -> list[BoundRowAction]:
    """The row buttons ``user`` may use in this skin; ``back`` is where a confirmation page
    returns. The row's Cancel also needs the permission of the workflow's cancel move."""
    bound = []
    for action in actions:
        if not allows_in(namespace, user, action.route):
            continue
        if action.key == "cancel":
            name = get_workflow().cancel_transition
            if not name or not get_workflow().may_ever_run(name, user):
                continue
        kwargs = {"number": "0"} if action.by_number else None
        bound.append(BoundRowAction(action, reverse(f"{namespace}:{action.route}", kwargs=kwargs),
                                    back))
    return bound
