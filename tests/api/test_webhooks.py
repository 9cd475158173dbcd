"""Webhooks: a local receiver gets every signed event exactly as documented, retries follow
the schedule (on a fake clock), 410 switches the endpoint off, nothing leaves for a rolled-back
change, and private addresses are refused."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from oscar_orders_ext import tick
from oscar_orders_ext.constants import PaymentStatus
from oscar_orders_ext.exceptions import WebhookError
from oscar_orders_ext.models import OrderProcess, Tag, WebhookDelivery, WebhookEndpoint
from oscar_orders_ext.services import edits
from oscar_orders_ext.services.transitions import transition_order
from oscar_orders_ext.webhooks import service

pytestmark = pytest.mark.django_db(transaction=True)


def verify(secret: str, request: dict[str, Any]) -> Any:
    return Webhook(secret).verify(request["body"], request["headers"])


def test_a_new_order_reaches_the_receiver_signed(receiver, place_order):
    endpoint, secret = service.create_endpoint(receiver.url, events=["order.created"])
    order = place_order()

    [request] = receiver.requests
    body = verify(secret, request)
    assert body["type"] == "order.created" and body["version"] == 1
    assert body["data"]["order"]["number"] == str(order.number)
    assert body["data"]["order"]["state"] == "new"
    with pytest.raises(WebhookVerificationError):
        verify(service.new_secret(), request)
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
        "succeeded", 1, 200)
    assert request["headers"]["webhook-id"] == delivery.message_id
    [attempt] = delivery.attempt_log.all()
    assert attempt.response_excerpt == "thanks"


def test_only_subscribed_events_are_sent(receiver, place_order, operator):
    service.create_endpoint(receiver.url, events=["order.paid", "order.state_changed"])
    order = place_order()
    edits.set_payment_status(order, PaymentStatus.PAID, user=operator)
    edits.add_tags(order, [Tag.objects.create(name="VIP")], user=operator)

    assert [body["type"] for body in receiver.bodies] == ["order.paid"]


def test_every_service_change_is_an_event(receiver, place_order, operator):
    service.create_endpoint(receiver.url)
    order = place_order()
    edits.set_payment_status(order, PaymentStatus.PAID, user=operator)
    edits.add_tags(order, [Tag.objects.create(name="VIP")], user=operator)
    edits.add_note(order, "Gift wrapped", user=operator, for_customer=True)
    edits.assign_operator(order, operator, user=operator)
    transition_order(order, "cancel", user=operator)

    assert [body["type"] for body in receiver.bodies] == [
        "order.created", "order.payment_status_changed", "order.paid", "order.tags_changed",
        "order.note_added", "order.operator_changed", "order.state_changed"]
    assert receiver.bodies[3]["data"]["change"] == {"added": ["VIP"], "removed": []}
    assert receiver.bodies[-1]["data"]["target"] == "cancelled"


def test_nothing_is_sent_for_a_rolled_back_change(receiver, place_order, operator):
    order = place_order()
    service.create_endpoint(receiver.url)
    with pytest.raises(RuntimeError), transaction.atomic():
        transition_order(order, "cancel", user=operator)
        raise RuntimeError("the request failed after the move")

    assert receiver.requests == []
    assert not WebhookDelivery.objects.exists()


def test_a_receiver_down_for_a_while_gets_every_event_afterwards(receiver, place_order,
                                                                  operator):
    service.create_endpoint(receiver.url, events=["order.payment_status_changed"])
    order = place_order()
    receiver.answer(503, times=3)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        edits.set_payment_status(order, PaymentStatus.PAID, user=operator)
        delivery = WebhookDelivery.objects.get()
        assert delivery.next_attempt_at == start + timedelta(seconds=5)
        assert service.send_due_webhooks() == 0  # not due yet
        clock.shift(timedelta(seconds=5))
        service.send_due_webhooks()
        delivery.refresh_from_db()
        assert delivery.next_attempt_at == start + timedelta(seconds=5, minutes=5)
        clock.shift(timedelta(minutes=5))
        service.send_due_webhooks()
        clock.shift(timedelta(minutes=30))
        service.send_due_webhooks()

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("succeeded", 4)
    assert [a.status_code for a in delivery.attempt_log.all()] == [503, 503, 503, 200]
    ids = {request["headers"]["webhook-id"] for request in receiver.requests}
    assert ids == {delivery.message_id}  # every attempt is the same message


def test_retry_after_is_honoured(receiver, place_order, operator):
    service.create_endpoint(receiver.url, events=["order.payment_status_changed"])
    order = place_order()
    receiver.answer(429, Retry_After="120")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        edits.set_payment_status(order, PaymentStatus.PAID, user=operator)
    assert WebhookDelivery.objects.get().next_attempt_at == start + timedelta(seconds=120)


def test_deliveries_give_up_after_the_schedule(receiver, place_order, operator):
    service.create_endpoint(receiver.url, events=["order.payment_status_changed"])
    order = place_order()
    receiver.answer(500, times=20)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        edits.set_payment_status(order, PaymentStatus.PAID, user=operator)
        for wait in service.RETRY_SCHEDULE:
            clock.shift(wait)
            service.send_due_webhooks()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (
        "failed", 10, None)


def test_410_switches_the_endpoint_off(receiver, place_order, operator):
    endpoint, _ = service.create_endpoint(receiver.url)
    receiver.answer(410)
    place_order()
    endpoint.refresh_from_db()
    assert not endpoint.is_active and "410" in endpoint.disabled_reason
    assert WebhookDelivery.objects.get().status == "failed"

    place_order()  # nothing more is recorded for it
    assert WebhookDelivery.objects.count() == 1 and len(receiver.requests) == 1


def test_redeliver_keeps_the_id(receiver, place_order):
    service.create_endpoint(receiver.url)
    place_order()
    delivery = WebhookDelivery.objects.get()
    service.redeliver(delivery)

    first, second = receiver.requests
    assert first["headers"]["webhook-id"] == second["headers"]["webhook-id"] == (
        delivery.message_id)
    assert first["body"] == second["body"]
    assert WebhookDelivery.objects.get().attempts == 2


def test_a_rotated_secret_signs_with_both_during_the_overlap(receiver, place_order):
    endpoint, old = service.create_endpoint(receiver.url)
    new = service.rotate_secret(endpoint)
    place_order()
    request = receiver.requests[0]
    assert len(request["headers"]["webhook-signature"].split(" ")) == 2
    verify(old, request)  # a receiver not updated yet still accepts it
    verify(new, request)

    with time_machine.travel(timezone.now() + timedelta(hours=25), tick=False):
        service.redeliver(WebhookDelivery.objects.get())
    late = receiver.requests[1]
    assert len(late["headers"]["webhook-signature"].split(" ")) == 1
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(late["body"], late["headers"])


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/hooks", "http://localhost:8000/x", "http://10.1.2.3/x",
    "http://169.254.169.254/latest/meta-data", "http://[::1]/x", "http://192.168.0.10/x",
    "ftp://example.com/x", "not a url",
])
def test_private_and_odd_urls_are_refused(url):
    with pytest.raises(WebhookError):
        service.create_endpoint(url)
    assert not WebhookEndpoint.objects.exists()


def test_unknown_events_are_refused(settings):
    settings.OSCAR_ORDERS_EXT_WEBHOOKS_ALLOW_PRIVATE_URLS = True
    with pytest.raises(WebhookError, match="order.exploded"):
        service.create_endpoint("http://127.0.0.1/x", events=["order.exploded"])


def test_an_unreachable_receiver_is_an_attempt_not_a_crash(settings, place_order):
    settings.OSCAR_ORDERS_EXT_WEBHOOKS_ALLOW_PRIVATE_URLS = True
    service.create_endpoint("http://127.0.0.1:9/nothing-listens")
    place_order()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
        "pending", 1, None)
    assert delivery.last_error


def test_the_tick_hands_due_retries_to_the_workers(receiver, place_order):
    service.create_endpoint(receiver.url)
    receiver.answer(502)
    place_order()
    assert WebhookDelivery.objects.get().status == "pending"
    with time_machine.travel(timezone.now() + timedelta(seconds=6), tick=False):
        [outcome] = tick.run_due(only="send-due-webhooks", force=True)
    assert outcome.result == "1" and not outcome.failed
    assert WebhookDelivery.objects.get().status == "succeeded"


@pytest.mark.django_db(transaction=True)  # autocommit, as after a move's commit
def test_an_endpoint_deleted_elsewhere_does_not_lose_the_others_events(receiver,
                                                                        place_order):
    """A per-process cache may still list an endpoint another process deleted: the event is
    recorded for the endpoints that remain."""
    from django.core.cache import cache

    order = place_order()
    endpoint, _secret = service.create_endpoint(receiver.url)
    cache.set(service.ACTIVE_CACHE_KEY, [(endpoint.pk + 1000, ()), (endpoint.pk, ())], 60)
    process = OrderProcess.objects.get(order=order)
    recorded = service.emit("order.state_changed", process, transition="hold",
                            source="new", target="on_hold")
    assert [d.endpoint_id for d in WebhookDelivery.objects.filter(pk__in=recorded)] == [
        endpoint.pk]
    assert service.active_endpoints() == [(endpoint.pk, ())]
