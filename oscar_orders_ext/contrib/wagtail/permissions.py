"""The Wagtail permission policy of the workspace: Django's model permissions on OrderProcess."""

from __future__ import annotations

from typing import Any

from wagtail.permission_policies import ModelPermissionPolicy

from oscar_orders_ext.models import OrderProcess

#: ``user_has_permission(user, "view")`` checks ``oscar_orders_ext.view_orderprocess``.
permission_policy = ModelPermissionPolicy(OrderProcess)

#: The app's permissions offered in Wagtail's group editor: viewing and editing orders, every
#: action permission the app declares on OrderProcess (imports and carriers among them), the
#: document actions of the order page and the shop identity on documents.
CODENAMES = ["view_orderprocess", "change_orderprocess",
             *(codename for codename, _label in OrderProcess._meta.permissions),
             "issue_invoice", "issue_credit_note", "send_invoice", "manage_shop_identity"]


def can_view(user: Any) -> bool:
    """Whether ``user`` may open the workspace in Wagtail's admin."""
    return bool(user.is_active and permission_policy.user_has_permission(user, "view"))


def has(user: Any, codename: str) -> bool:
    """Whether ``user`` holds one of the app's permissions (``change_order_state`` …)."""
    return bool(user.is_active and user.has_perm(f"oscar_orders_ext.{codename}"))


def has_as_staff(user: Any, codename: str) -> bool:
    """Whether ``user`` is staff and holds ``codename``: Oscar's dashboard keeps manual orders,
    line edits, bulk actions, imports and the funnel, carrier and shop identity settings to
    staff, so partner users (not staff) get none of them in Wagtail either."""
    return bool(user.is_staff and has(user, codename))
