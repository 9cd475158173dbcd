"""The permission registry: who may do what in the workspace, declared once per action.

An action is a page or endpoint (named by its URL name, the same in every front end) or an
operation a service checks itself (issuing and sending documents, editing an order …). Each
declares the app permissions it needs, whether it reads orders (then staff also need the view
permission), and how Oscar partner users are scoped. Everything else derives from it:

- Oscar's ``permissions_map`` (:func:`oscar_permissions_map`);
- the Wagtail admin's checks and its menu (:func:`wagtail_allows`, :func:`wagtail_missing`);
- the services' own checks (the permission constants below);
- the templates' ``can_*`` flags, computed in views (:func:`flags`).

This module imports nothing of the app, of Oscar or of Wagtail: any layer may read it.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

APP = "oscar_orders_ext"

# --- Permission strings (the only place they are spelled) ------------------------------------
VIEW = f"{APP}.view_orderprocess"
CHANGE = f"{APP}.change_orderprocess"
CHANGE_STATE = f"{APP}.change_order_state"
CANCEL = f"{APP}.cancel_order"
REFUND = f"{APP}.refund_order"
REOPEN = f"{APP}.reopen_order"
BULK_EDIT = f"{APP}.bulk_edit_orders"
MANAGE_FUNNELS = f"{APP}.manage_funnels"
IMPORT = f"{APP}.import_orders"
CREATE_ORDERS = f"{APP}.create_manual_order"
EDIT_LINES = f"{APP}.edit_order_lines"
EDIT_SHIPPED_LINES = f"{APP}.edit_shipped_order_lines"
EDIT_DETAILS = f"{APP}.edit_order_details"
MANAGE_CARRIERS = f"{APP}.manage_carriers"
ISSUE_INVOICE = f"{APP}.issue_invoice"
ISSUE_CREDIT_NOTE = f"{APP}.issue_credit_note"
SEND_INVOICE = f"{APP}.send_invoice"
MANAGE_IDENTITY = f"{APP}.manage_shop_identity"
SEND_PAYMENT_LINK = f"{APP}.send_payment_link"
RECORD_PAYMENT = f"{APP}.record_payment"
REFUND_LARGE = f"{APP}.refund_large_amounts"
VIEW_CUSTOMERS = f"{APP}.view_customer"
MANAGE_CUSTOMERS = f"{APP}.manage_customers"
VIEW_SUBSCRIPTIONS = f"{APP}.view_subscription"
MANAGE_SUBSCRIPTIONS = f"{APP}.manage_subscriptions"
#: The webhook endpoints' own model permission (managing endpoints and their deliveries).
MANAGE_WEBHOOKS = f"{APP}.change_webhookendpoint"
#: Oscar's permission of partner users (its dashboard lets them in with it).
PARTNER_ACCESS = "partner.dashboard_access"
#: Oscar's ``permissions_map`` spelling of "the user is staff".
OSCAR_STAFF = "is_staff"


class Partners(enum.Enum):
    """How an action treats Oscar partner users (not staff, ``partner.dashboard_access``)."""

    #: Refused: the action is kept to staff.
    REFUSED = "refused"
    #: Allowed on the orders of their partners only (the selectors scope them, 404 otherwise).
    THEIR_ORDERS = "their orders"
    #: Allowed on what they own (their saved views, column choice, export jobs).
    THEIR_OWN = "their own"


@dataclass(frozen=True)
class Action:
    """One action and who may run it."""

    name: str
    #: App permissions needed, all of them.
    permissions: tuple[str, ...] = ()
    #: App permissions of which one is needed (if any are given).
    any_of: tuple[str, ...] = ()
    #: Whether it shows or changes orders, so that staff also need the view permission
    #: (settings pages, imports and manual orders do not).
    reads_orders: bool = True
    partners: Partners = Partners.THEIR_ORDERS

    @property
    def staff_only(self) -> bool:
        """Whether partner users are refused."""
        return self.partners is Partners.REFUSED

    def oscar_rules(self) -> tuple[list[str], ...]:
        """The action in Oscar's ``permissions_map`` form: a tuple of alternatives, each a
        list of permissions that must all hold."""
        staff = [OSCAR_STAFF, *([VIEW] if self.reads_orders else []), *self.permissions]
        rules = [staff + [one] for one in self.any_of] or [staff]
        if not self.staff_only:
            rules.append([PARTNER_ACCESS, *self.permissions])
        return tuple(rules)


def _orders(name: str, *permissions: str, partners: Partners = Partners.THEIR_ORDERS
            ) -> Action:
    return Action(name, permissions=permissions, partners=partners)


def _own(name: str) -> Action:
    return Action(name, partners=Partners.THEIR_OWN)


def _staff(name: str, *permissions: str, reads_orders: bool = False,
           any_of: tuple[str, ...] = ()) -> Action:
    return Action(name, permissions=permissions, any_of=any_of, reads_orders=reads_orders,
                  partners=Partners.REFUSED)


#: Every page and endpoint of the workspace, by URL name (the same in every front end).
ACTIONS: dict[str, Action] = {action.name: action for action in (
    # The table, the boards and what hangs off them.
    _orders("orders-workspace"),
    _orders("orders-workspace-inbox"),
    _orders("orders-workspace-results"),
    _orders("orders-workspace-kanban"),
    _orders("orders-workspace-kanban-default"),
    _orders("orders-workspace-cards"),
    _orders("orders-workspace-move", CHANGE_STATE),
    _staff("orders-workspace-bulk", BULK_EDIT, reads_orders=True),
    # A bulk action running on the worker: its progress and report (the user's own only).
    _staff("orders-bulk-job", BULK_EDIT, reads_orders=True),
    _own("orders-workspace-columns"),
    _own("orders-workspace-fold"),
    _own("orders-workspace-saved-view-create"),
    _own("orders-workspace-saved-view-delete"),
    _orders("orders-workspace-export"),
    _own("orders-export-job"),
    _own("orders-export-download"),
    # Imports, funnel settings, manual orders and the line editor: staff only.
    _staff("orders-import", IMPORT),
    _staff("orders-import-job", IMPORT),
    _staff("orders-import-commit", IMPORT),
    _staff("orders-funnel-list", MANAGE_FUNNELS),
    _staff("orders-funnel-create", MANAGE_FUNNELS),
    _staff("orders-funnel-update", MANAGE_FUNNELS),
    _staff("orders-funnel-delete", MANAGE_FUNNELS),
    _staff("orders-stage-reorder", MANAGE_FUNNELS),
    _staff("orders-stage-delete", MANAGE_FUNNELS),
    _staff("orders-workspace-order-create", CREATE_ORDERS),
    _staff("orders-workspace-customer-search", CREATE_ORDERS),
    _staff("orders-workspace-product-search", any_of=(CREATE_ORDERS, EDIT_LINES)),
    _staff("orders-workspace-order-lines", EDIT_LINES, reads_orders=True),
    # Documents.
    _orders("orders-document-list"),
    _orders("orders-document-print"),
    _orders("orders-document-download"),
    _orders("orders-document-issue-invoice", ISSUE_INVOICE),
    _orders("orders-document-credit-note", ISSUE_CREDIT_NOTE),
    _orders("orders-document-email", SEND_INVOICE),
    _staff("orders-document-identity", MANAGE_IDENTITY),
    # The order page and its actions.
    _orders("orders-workspace-order"),
    _orders("orders-workspace-order-transition", CHANGE_STATE),
    _orders("orders-workspace-order-workflow", CHANGE),
    _orders("orders-workspace-order-customer", EDIT_DETAILS),
    _orders("orders-workspace-order-shipment", CHANGE_STATE),
    _orders("orders-workspace-order-note", CHANGE),
    _staff("orders-workspace-order-payment-link", SEND_PAYMENT_LINK, reads_orders=True),
    _staff("orders-workspace-order-installments", SEND_PAYMENT_LINK, reads_orders=True),
    _staff("orders-workspace-order-refund", REFUND, reads_orders=True),
    _staff("orders-workspace-order-offline-payment", RECORD_PAYMENT, reads_orders=True),
    # Capture or release a pre-authorised gateway payment: taking or freeing the money.
    _staff("orders-workspace-order-gateway-payment", RECORD_PAYMENT, reads_orders=True),
    _orders("orders-workspace-order-message", CHANGE),
    _orders("orders-workspace-order-message-attachment"),
    _staff("orders-workspace-order-quote", EDIT_LINES, reads_orders=True),
    _staff("orders-workspace-order-quote-withdraw", EDIT_LINES, reads_orders=True),
    _orders("orders-workspace-order-quote-pdf"),
    # Carriers.
    _staff("orders-carrier-list", MANAGE_CARRIERS),
    _staff("orders-carrier-create", MANAGE_CARRIERS),
    _staff("orders-carrier-update", MANAGE_CARRIERS),
    _staff("orders-carrier-delete", MANAGE_CARRIERS),
    # The customer directory and profiles (they show orders, so need the view permission).
    _staff("orders-customer-list", VIEW_CUSTOMERS, reads_orders=True),
    _staff("orders-customer-create", VIEW_CUSTOMERS, MANAGE_CUSTOMERS, reads_orders=True),
    _staff("orders-customer-detail", VIEW_CUSTOMERS, reads_orders=True),
    _staff("orders-customer-update", VIEW_CUSTOMERS, MANAGE_CUSTOMERS, reads_orders=True),
    _staff("orders-customer-group-list", VIEW_CUSTOMERS, reads_orders=True),
    _staff("orders-customer-group-move", VIEW_CUSTOMERS, MANAGE_CUSTOMERS, reads_orders=True),
    _staff("orders-customer-export", VIEW_CUSTOMERS, reads_orders=True),
    # Groups, price lists and automatic tag rules: settings, kept to customer managers.
    *(_staff(f"orders-{kind}-{page}", VIEW_CUSTOMERS, MANAGE_CUSTOMERS)
      for kind in ("customer-group", "price-list", "customer-tag-rule")
      for page in ("list", "create", "update", "delete")
      if f"{kind}-{page}" != "customer-group-list"),
    # The product and category pickers of price lists and tag rules.
    _staff("orders-customer-catalogue-lookup", VIEW_CUSTOMERS, MANAGE_CUSTOMERS),
    # Subscriptions (docs/subscriptions.md): they show orders, so need the view permission.
    _staff("orders-subscription-list", VIEW_SUBSCRIPTIONS, reads_orders=True),
    _staff("orders-subscription-detail", VIEW_SUBSCRIPTIONS, reads_orders=True),
    _staff("orders-subscription-action", VIEW_SUBSCRIPTIONS, MANAGE_SUBSCRIPTIONS,
           reads_orders=True),
    _staff("orders-plan-list", MANAGE_SUBSCRIPTIONS),
    _staff("orders-plan-update", MANAGE_SUBSCRIPTIONS),
    # Webhooks and the user's own API tokens (docs/webhooks.md, docs/api.md).
    _staff("orders-webhook-list", MANAGE_WEBHOOKS),
    _staff("orders-webhook-detail", MANAGE_WEBHOOKS),
    _own("orders-api-tokens"),
    # The translations of the pages' scripts.
    _own("orders-jsi18n"),
)}

#: Operations the services check themselves (whatever front end, task or script calls them),
#: by name: the permission each needs. A ``None`` user is the system and may do anything.
OPERATIONS: dict[str, str] = {
    "change-state": CHANGE_STATE,
    "edit-order": CHANGE,
    "edit-details": EDIT_DETAILS,
    "ship": CHANGE_STATE,
    "manage-carriers": MANAGE_CARRIERS,
    "create-order": CREATE_ORDERS,
    "edit-lines": EDIT_LINES,
    "edit-shipped-lines": EDIT_SHIPPED_LINES,
    "issue-invoice": ISSUE_INVOICE,
    "issue-credit-note": ISSUE_CREDIT_NOTE,
    "send-invoice": SEND_INVOICE,
    "send-payment-link": SEND_PAYMENT_LINK,
    "record-payment": RECORD_PAYMENT,
    "refund": REFUND,
    "refund-large": REFUND_LARGE,
    "manage-customers": MANAGE_CUSTOMERS,
    "manage-subscriptions": MANAGE_SUBSCRIPTIONS,
}

#: The templates' ``can_*`` flags: each is "may the user open this action".
FLAGS: dict[str, str] = {
    "can_move": "orders-workspace-move",
    "can_bulk_edit": "orders-workspace-bulk",
    "can_import": "orders-import",
    "can_create_orders": "orders-workspace-order-create",
    "can_manage_funnels": "orders-funnel-list",
    "can_edit_lines": "orders-workspace-order-lines",
    "can_change_state": "orders-workspace-order-transition",
    "can_edit": "orders-workspace-order-workflow",
    "can_edit_details": "orders-workspace-order-customer",
    "can_manage_carriers": "orders-carrier-list",
    "can_issue_invoice": "orders-document-issue-invoice",
    "can_issue_credit_note": "orders-document-credit-note",
    "can_send_invoice": "orders-document-email",
    "can_manage_identity": "orders-document-identity",
    "can_send_payment_link": "orders-workspace-order-payment-link",
    "can_split_installments": "orders-workspace-order-installments",
    "can_refund": "orders-workspace-order-refund",
    "can_record_payment": "orders-workspace-order-offline-payment",
    "can_capture_payment": "orders-workspace-order-gateway-payment",
    "can_manage_customers": "orders-customer-update",
    "can_send_quote": "orders-workspace-order-quote",
    "can_manage_subscriptions": "orders-subscription-action",
}


def action(name: str) -> Action:
    """The registered action ``name`` (a URL name)."""
    return ACTIONS[name]


def oscar_permissions_map() -> dict[str, tuple[list[str], ...]]:
    """Oscar's ``permissions_map`` of the dashboard, every action of the registry."""
    return {name: entry.oscar_rules() for name, entry in ACTIONS.items()}


def _holds(user: Any, permission: str) -> bool:
    if permission == OSCAR_STAFF:
        return bool(user.is_staff)
    return bool(user.has_perm(permission))


def dashboard_allows(user: Any, name: str) -> bool:
    """Whether Oscar's dashboard lets ``user`` open action ``name`` (its own evaluation of
    ``permissions_map``: any alternative whose permissions all hold, active users only)."""
    if not user.is_authenticated or not user.is_active:
        return False
    return any(all(_holds(user, permission) for permission in rule)
               for rule in ACTIONS[name].oscar_rules())


def wagtail_missing(user: Any, name: str) -> list[str]:
    """The permissions ``user`` lacks for action ``name`` in the Wagtail admin (one of
    ``any_of`` missing counts as all of them missing). Every page there needs the view
    permission: it is what the "Orders" menu is shown for."""
    entry = ACTIONS[name]
    missing = [permission for permission in (VIEW, *entry.permissions)
               if not (user.is_active and user.has_perm(permission))]
    if entry.any_of and not any(user.is_active and user.has_perm(p) for p in entry.any_of):
        missing.extend(entry.any_of)
    return missing


def wagtail_allows(user: Any, name: str) -> bool:
    """Whether the Wagtail admin lets ``user`` open action ``name``: the view permission, the
    action's permissions, and staff status where partner users are refused."""
    entry = ACTIONS[name]
    return (not wagtail_missing(user, name)
            and (bool(user.is_staff) or not entry.staff_only))


def operation_allowed(user: Any, operation: str) -> bool:
    """Whether ``user`` may run a service operation (``None`` is the system: always)."""
    return user is None or bool(user.has_perm(OPERATIONS[operation]))


def flags(user: Any, allows: Callable[[Any, str], bool]) -> dict[str, bool]:
    """The templates' ``can_*`` flags for ``user``, by a front end's check (``allows``)."""
    return {flag: allows(user, name) for flag, name in FLAGS.items()}


#: Each front end's check, by its URL namespace (what shared templates and views know of
#: the front end they are drawn in).
CHECKS: dict[str, Callable[[Any, str], bool]] = {
    "oscar_orders_ext_dashboard": dashboard_allows,
    "oscar_orders_ext_wagtail": wagtail_allows,
}


def allows_in(namespace: str, user: Any, name: str) -> bool:
    """Whether the front end mounted under ``namespace`` lets ``user`` open action ``name``."""
    return CHECKS.get(namespace, dashboard_allows)(user, name)


#: The staff side of the JSON API (``oscar_orders_ext.api``), by operation: the same rules as
#: the pages doing the same thing (partner users are scoped to their orders by the selectors).
API_ACTIONS: dict[str, Action] = {entry.name: entry for entry in (
    _orders("api-orders-list"),
    _orders("api-orders-detail"),
    _orders("api-orders-transition", CHANGE_STATE),
    _orders("api-orders-edit", CHANGE),
    _staff("api-orders-bulk", BULK_EDIT, reads_orders=True),
    # The order's conversation: read by who may see the order, written with the edit
    # permission (as the order page); price proposals, payment links and refunds: staff only.
    _orders("api-orders-messages"),
    _orders("api-orders-message", CHANGE),
    _staff("api-orders-quote", EDIT_LINES, reads_orders=True),
    _staff("api-orders-payment-link", SEND_PAYMENT_LINK, reads_orders=True),
    _staff("api-orders-refund", REFUND, reads_orders=True),
    _staff("api-webhooks", MANAGE_WEBHOOKS),
)}


def api_allows(user: Any, name: str) -> bool:
    """Whether the JSON API lets ``user`` call staff operation ``name`` (Oscar's rules, as in
    the dashboard: staff with the permissions, or partner users where allowed)."""
    if not user.is_authenticated or not user.is_active:
        return False
    return any(all(_holds(user, permission) for permission in rule)
               for rule in API_ACTIONS[name].oscar_rules())
