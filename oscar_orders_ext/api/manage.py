"""Managing access: a user's own API tokens; webhook endpoints and their delivery log."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from oscar_orders_ext.models import ApiToken, WebhookDelivery, WebhookEndpoint
from oscar_orders_ext.services import api_tokens
from oscar_orders_ext.webhooks import service as webhooks

from .auth import require
from .errors import Problem
from .schemas import (DeliveryOut, EndpointIn, EndpointOut, EndpointPatch, EndpointSecretOut,
                      NewTokenOut, TokenIn, TokenOut)

router = Router()

ERRORS: dict[int | tuple[int, ...], Any] = {(400, 401, 403, 404): Problem}


def _token(token: ApiToken) -> dict[str, Any]:
    return {"id": token.pk, "name": token.name, "prefix": token.prefix,
            "created_at": token.created_at, "last_used_at": token.last_used_at,
            "revoked_at": token.revoked_at}


@router.get("/tokens", response={200: list[TokenOut], **ERRORS}, tags=["tokens"],
            url_name="token-list")
def list_tokens(request: HttpRequest) -> Any:
    """The caller's tokens (keys are never shown again)."""
    return [_token(t) for t in ApiToken.objects.filter(user=request.auth)]  # type: ignore


@router.post("/tokens", response={201: NewTokenOut, **ERRORS}, tags=["tokens"],
             url_name="token-create")
def create_token(request: HttpRequest, body: TokenIn) -> Any:
    """A new token acting as the caller; its key is in this answer only."""
    token, key = api_tokens.create_token(request.auth, body.name)  # type: ignore[attr-defined]
    return Status(201, {**_token(token), "key": key})


@router.delete("/tokens/{token_id}", response={204: None, **ERRORS}, tags=["tokens"],
               url_name="token-revoke")
def revoke_token(request: HttpRequest, token_id: int) -> Any:
    """Revoke one of the caller's tokens."""
    token = ApiToken.objects.get(pk=token_id, user=request.auth)  # type: ignore[attr-defined]
    api_tokens.revoke_token(token)
    return Status(204, None)


def _endpoint(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {"id": endpoint.pk, "url": endpoint.url, "description": endpoint.description,
            "events": endpoint.events, "is_active": endpoint.is_active,
            "disabled_reason": endpoint.disabled_reason, "created_at": endpoint.created_at}


@router.get("/webhooks", response={200: list[EndpointOut], **ERRORS}, tags=["webhooks"],
            url_name="webhook-list")
def list_endpoints(request: HttpRequest) -> Any:
    """Every webhook endpoint."""
    require(request, "api-webhooks")
    return [_endpoint(e) for e in WebhookEndpoint.objects.all()]


@router.post("/webhooks", response={201: EndpointSecretOut, **ERRORS}, tags=["webhooks"],
             url_name="webhook-create")
def create_endpoint(request: HttpRequest, body: EndpointIn) -> Any:
    """A new endpoint; its signing secret is in this answer only."""
    require(request, "api-webhooks")
    endpoint, secret = webhooks.create_endpoint(body.url, events=body.events,
                                                description=body.description)
    return Status(201, {**_endpoint(endpoint), "secret": secret})


@router.patch("/webhooks/{endpoint_id}", response={200: EndpointOut, **ERRORS},
              tags=["webhooks"], url_name="webhook-update")
def update_endpoint(request: HttpRequest, endpoint_id: int, body: EndpointPatch) -> Any:
    """Change an endpoint's URL, events, description or switch it on or off."""
    require(request, "api-webhooks")
    endpoint = WebhookEndpoint.objects.get(pk=endpoint_id)
    webhooks.update_endpoint(endpoint, url=body.url, events=body.events,
                             description=body.description, is_active=body.is_active)
    return _endpoint(endpoint)


@router.post("/webhooks/{endpoint_id}/rotate-secret", response={200: EndpointSecretOut,
                                                                **ERRORS},
             tags=["webhooks"], url_name="webhook-rotate")
def rotate_secret(request: HttpRequest, endpoint_id: int) -> Any:
    """A new secret; the old one keeps signing during the overlap (both signatures sent)."""
    require(request, "api-webhooks")
    endpoint = WebhookEndpoint.objects.get(pk=endpoint_id)
    secret = webhooks.rotate_secret(endpoint)
    return {**_endpoint(endpoint), "secret": secret}


def _delivery(delivery: WebhookDelivery) -> dict[str, Any]:
    return {"id": delivery.pk, "message_id": delivery.message_id, "event": delivery.event,
            "status": delivery.status, "created_at": delivery.created_at,
            "attempts": delivery.attempts, "next_attempt_at": delivery.next_attempt_at,
            "last_status_code": delivery.last_status_code, "last_error": delivery.last_error,
            "payload": delivery.payload,
            "attempt_log": [{"at": a.at, "status_code": a.status_code,
                             "latency_ms": a.latency_ms,
                             "response_excerpt": a.response_excerpt, "error": a.error}
                            for a in delivery.attempt_log.all()]}


@router.get("/webhooks/{endpoint_id}/deliveries", response={200: list[DeliveryOut], **ERRORS},
            tags=["webhooks"], url_name="webhook-deliveries")
def deliveries(request: HttpRequest, endpoint_id: int) -> Any:
    """The endpoint's latest 100 deliveries with their attempts."""
    require(request, "api-webhooks")
    endpoint = WebhookEndpoint.objects.get(pk=endpoint_id)
    return [_delivery(d) for d in
            endpoint.deliveries.prefetch_related("attempt_log")[:100]]


@router.post("/webhooks/deliveries/{delivery_id}/redeliver",
             response={200: DeliveryOut, **ERRORS}, tags=["webhooks"],
             url_name="webhook-redeliver")
def redeliver(request: HttpRequest, delivery_id: int) -> Any:
    """Send a delivery again, with the same id."""
    require(request, "api-webhooks")
    delivery = webhooks.redeliver(WebhookDelivery.objects.get(pk=delivery_id))
    delivery.refresh_from_db()
    return _delivery(delivery)
