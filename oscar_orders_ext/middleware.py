"""Who is making the current request, for receivers that a signal does not tell.

Oscar's dashboard changes an order's status through ``EventHandler(user=…)``, but its
``order_status_changed`` signal carries no user: without this middleware our timeline could
only say "system" for a change an operator made by hand there.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.http import HttpRequest, HttpResponse

_current_request: ContextVar[HttpRequest | None] = ContextVar("oscar_orders_ext_request",
                                                              default=None)


def current_user() -> Any:
    """The signed-in user of the request being served, or None (scripts, tasks, visitors)."""
    request = _current_request.get()
    user = getattr(request, "user", None)
    return user if getattr(user, "is_authenticated", False) else None


class CurrentUserMiddleware:
    """Remembers the request for ``current_user()`` while it is served (put it after
    ``AuthenticationMiddleware``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            _current_request.reset(token)
