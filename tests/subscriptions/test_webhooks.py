"""Subscription changes are webhook events (``subscription.*``), sent once committed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from oscar_orders_ext.models import Subscription, WebhookDelivery, WebhookEndpoint
from oscar_orders_ext.subscriptions import service
from oscar_orders_ext.webhooks import service as webhooks

pytestmark = pytest.mark.django_db


def test_creation_renewal_and_cancellation_are_events(
        subscribe: Callable[..., Subscription], tick: Any, committed: Any,
        monkeypatch: Any) -> None:
    monkeypatch.setattr(webhooks, "_enqueue", lambda deliveries: None)  # not sent: recorded
    WebhookEndpoint.objects.create(url="https://hooks.example.com/", secret="whsec_x",
                                   events=["subscription.created", "subscription.renewed",
                                           "subscription.state_changed"])
    with time_machine.travel(datetime(2026, 1, 10, 9, tzinfo=ZoneInfo("UTC")), tick=False):
        sub = committed(subscribe)
    with time_machine.travel(datetime(2026, 2, 10, 9, tzinfo=ZoneInfo("UTC")), tick=False):
        tick()
    committed(service.cancel, sub)
    deliveries = list(WebhookDelivery.objects.order_by("pk"))
    assert [d.event for d in deliveries] == ["subscription.created", "subscription.renewed",
                                             "subscription.state_changed"]
    created, renewed, cancelled = (d.payload["data"] for d in deliveries)
    assert created["subscription"]["id"] == sub.pk
    assert created["order"]["number"] == sub.order.number
    assert renewed["change"]["period"] == 1
    assert renewed["subscription"]["next_renewal_on"] == date(2026, 3, 10).isoformat()
    assert cancelled["change"]["to"] == "inactive"
