"""Errors as RFC 9457 problem details (``application/problem+json``)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from oscar_orders_ext.exceptions import (ConversationLinkError, ConversationLinkExpired,
                                         OrderConflict, OrderWorkflowError, TransitionNotAllowed,
                                         TransitionPermissionDenied)

#: The ``type`` of each problem: a URN naming it (docs/api.md lists them).
TYPE_PREFIX = "urn:oscar-orders-ext:problem:"


class Problem(Schema):
    """An RFC 9457 problem detail."""

    type: str
    title: str
    status: int
    detail: str = ""
    errors: list[dict[str, Any]] | None = None


def problem(api: NinjaAPI, request: HttpRequest, status: int, kind: str, title: str,
            detail: str = "", errors: list[dict[str, Any]] | None = None) -> HttpResponse:
    """A problem+json response."""
    body: dict[str, Any] = {"type": TYPE_PREFIX + kind, "title": title, "status": status,
                            "detail": detail}
    if errors is not None:
        body["errors"] = errors
    response = api.create_response(request, body, status=status)
    response["Content-Type"] = "application/problem+json"
    return response


class BadRequest(Exception):
    """Input the API refuses (400), with field errors."""

    def __init__(self, detail: str, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors


def install(api: NinjaAPI) -> None:
    """Make every error of ``api`` a problem detail."""

    def validation(request: HttpRequest, exc: Any) -> HttpResponse:
        errors = [{"loc": [str(part) for part in error.get("loc", ())],
                   "msg": str(error.get("msg", ""))} for error in exc.errors]
        return problem(api, request, 400, "bad-request", _("The request is not valid."),
                       _("Check the fields listed in “errors”."), errors)

    def bad_request(request: HttpRequest, exc: Any) -> HttpResponse:
        return problem(api, request, 400, "bad-request", _("The request is not valid."),
                       exc.detail, exc.errors)

    def not_found(request: HttpRequest, exc: Any) -> HttpResponse:
        return problem(api, request, 404, "not-found", _("Not found."))

    def forbidden(request: HttpRequest, exc: Any) -> HttpResponse:
        return problem(api, request, 403, "forbidden",
                       _("You do not have permission to make this change."), str(exc) or "")

    def http_error(request: HttpRequest, exc: Any) -> HttpResponse:
        if isinstance(exc, AuthenticationError):
            return problem(api, request, 401, "unauthorized",
                           _("Log in or send an API token."))
        return problem(api, request, exc.status_code, "error", str(exc))

    def refused(request: HttpRequest, exc: Any) -> HttpResponse:
        if isinstance(exc, ConversationLinkExpired):
            return problem(api, request, 410, "link-expired", _("This link has expired."),
                           exc.message)
        if isinstance(exc, ConversationLinkError):
            return problem(api, request, 404, "not-found", _("Not found."), exc.message)
        if isinstance(exc, OrderConflict):
            return problem(api, request, 409, "conflict", _("The order changed."), exc.message)
        if isinstance(exc, TransitionNotAllowed):
            return problem(api, request, 400, "transition-refused",
                           _("The workflow refuses this move."), exc.message)
        if isinstance(exc, TransitionPermissionDenied):
            return problem(api, request, 403, "forbidden", exc.message)
        return problem(api, request, 400, "refused", _("The change was refused."), exc.message)

    api.add_exception_handler(ValidationError, validation)
    api.add_exception_handler(BadRequest, bad_request)
    api.add_exception_handler(Http404, not_found)
    api.add_exception_handler(ObjectDoesNotExist, not_found)
    api.add_exception_handler(PermissionDenied, forbidden)
    api.add_exception_handler(HttpError, http_error)
    api.add_exception_handler(OrderWorkflowError, refused)
