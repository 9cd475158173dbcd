"""The Wagtail side of the permission registry (``oscar_orders_ext.permissions``): its policy
and the permissions offered in Wagtail's group editor."""

from __future__ import annotations

from typing import Any

from wagtail.permission_policies import ModelPermissionPolicy

from oscar_orders_ext import permissions
from oscar_orders_ext.models import OrderProcess

#: ``user_has_permission(user, "view")`` checks ``oscar_orders_ext.view_orderprocess``.
permission_policy = ModelPermissionPolicy(OrderProcess)

#: The app's permissions offered in Wagtail's group editor: viewing and editing orders, every
#: action permission the app declares on OrderProcess (imports and carriers among them), the
#: document actions of the order page and the shop identity on documents.
CODENAMES = ["view_orderprocess", "change_orderprocess",
             *(codename for codename, _label in OrderProcess._meta.permissions),
             *(permission.split(".", 1)[1] for permission in (
                 permissions.ISSUE_INVOICE, permissions.ISSUE_CREDIT_NOTE,
                 permissions.SEND_INVOICE, permissions.MANAGE_IDENTITY,
                 permissions.VIEW_CUSTOMERS, permissions.MANAGE_CUSTOMERS))]


def can_view(user: Any) -> bool:
    """Whether ``user`` may open the workspace in Wagtail's admin (its "Orders" menu)."""
    return permissions.wagtail_allows(user, "orders-workspace")


def allows(user: Any, action: str) -> bool:
    """Whether ``user`` may open ``action`` (a URL name) in Wagtail's admin."""
    return permissions.wagtail_allows(user, action)
