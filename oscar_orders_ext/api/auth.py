"""Who calls the API: a bearer token (``Authorization: Bearer ooe_…``) or the browser's
session (CSRF-checked for writes, as Django's own forms)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import HttpBearer, SessionAuth

from oscar_orders_ext import permissions
from oscar_orders_ext.services.api_tokens import user_for_key


class TokenAuth(HttpBearer):
    """A bearer API token; the request then acts as the token's user."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = user_for_key(token)
        if user is not None:
            request.user = user
        return user


class ActiveSessionAuth(SessionAuth):
    """Django's session, for an active user only."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        return user if user is not None and user.is_active else None


#: Every endpoint accepts either.
AUTH = [TokenAuth(), ActiveSessionAuth()]


def require(request: HttpRequest, action: str) -> Any:
    """The caller, if the permission registry lets them run the staff ``action``; else 403."""
    user = request.auth  # type: ignore[attr-defined]
    if not permissions.api_allows(user, action):
        raise PermissionDenied(_("You do not have permission to do this."))
    return user
