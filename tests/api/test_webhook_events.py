"""The conversation's and the price proposals' webhook events, and imports' ``order.created``:
a local receiver gets each one signed, with the documented payload."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from oscar_orders_ext.imports.service import commit_import, plan_import
from oscar_orders_ext.models import OrderProcess, WebhookDelivery
from oscar_orders_ext.services import conversations, quotes
from oscar_orders_ext.webhooks import service
from tests.imports.test_small_files import csv_bytes, shopify_row, two_orders
from tests.worker.test_worker import DATABASE_BACKEND, run_worker

pytestmark = pytest.mark.django_db(transaction=True)

QUOTER = ["view_orderprocess", "change_orderprocess", "change_order_state", "edit_order_lines"]


def test_messages_both_ways_are_order_message_events(receiver, place_order, make_staff):
    clerk = make_staff("clerk", QUOTER)
    endpoint, secret = service.create_endpoint(receiver.url, events=["order.message"])
    order = place_order(guest_email="guest@example.com")

    conversations.post_customer_message(order, "Can you gift-wrap it?")
    conversations.post_staff_message(order, "Of course.", user=clerk)

    assert [body["type"] for body in receiver.bodies] == ["order.message", "order.message"]
    first, second = (Webhook(secret).verify(r["body"], r["headers"]) for r in receiver.requests)
    assert first["version"] == 1
    assert first["data"]["order"]["number"] == str(order.number)
    assert first["data"]["message"]["side"] == "customer"
    assert first["data"]["message"]["body"] == "Can you gift-wrap it?"
    assert first["data"]["message"]["author"] is None
    assert first["data"]["message"]["attachment"] is None
    assert second["data"]["message"]["side"] == "staff"
    assert second["data"]["message"]["author"]
    # The first staff message moved the order: the payload tells the state after it.
    assert second["data"]["order"]["state"] == OrderProcess.objects.get(order=order).state


def _propose(order: Any, user: Any, price: str) -> Any:
    line = order.lines.get()
    return quotes.send_quote(order, unit_prices={line.pk: Decimal(price)},
                             shipping=Decimal("2.00"), user=user)


def test_a_proposal_s_life_is_told_by_quote_events(receiver, place_order, make_staff):
    quoter = make_staff("quoter", QUOTER)
    service.create_endpoint(receiver.url, events=["quote.sent", "quote.accepted",
                                                  "quote.rejected", "quote.withdrawn"])
    order = place_order(guest_email="guest@example.com")

    first = _propose(order, quoter, "8.00")
    quotes.withdraw_quote(first, user=quoter)
    second = _propose(order, quoter, "7.00")
    quotes.decide_quote(second.pk, accept=False)
    third = _propose(order, quoter, "7.50")
    quotes.decide_quote(third.pk, accept=True)

    assert [(b["type"], b["data"]["quote"]["version"]) for b in receiver.bodies] == [
        ("quote.sent", 1), ("quote.withdrawn", 1), ("quote.sent", 2), ("quote.rejected", 2),
        ("quote.sent", 3), ("quote.accepted", 3)]
    sent = receiver.bodies[0]["data"]["quote"]
    assert sent["status"] == "sent" and sent["total"] == "18.00" and sent["old_total"] == "20.00"
    assert sent["lines"][0]["old_unit_price"] == "10.00"
    assert sent["lines"][0]["new_unit_price"] == "8.00"
    accepted = receiver.bodies[-1]["data"]
    assert accepted["quote"]["status"] == "accepted" and accepted["quote"]["decided_at"]
    # The order in the payload is the re-priced one.
    assert accepted["order"]["total"] == "17.00"


def test_an_import_sends_order_created_for_every_new_order(receiver):
    endpoint, secret = service.create_endpoint(receiver.url, events=["order.created"])

    result = commit_import(plan_import(csv_bytes(two_orders()), "orders.csv"))

    assert result.orders_created == 2
    bodies = [Webhook(secret).verify(r["body"], r["headers"]) for r in receiver.requests]
    assert sorted(body["data"]["order"]["number"] for body in bodies) == ["1001", "1002"]
    assert {body["type"] for body in bodies} == {"order.created"}
    ada = next(body for body in bodies if body["data"]["order"]["number"] == "1001")
    assert ada["data"]["order"]["customer_email"] == "ada@example.com"
    assert ada["data"]["order"]["tags"] == ["VIP", "gift"]
    assert WebhookDelivery.objects.filter(endpoint=endpoint, status="succeeded").count() == 2


def test_nothing_is_recorded_for_an_import_while_no_endpoint_listens(receiver):
    service.create_endpoint(receiver.url, events=["order.paid"])
    commit_import(plan_import(csv_bytes(two_orders()), "orders.csv"))
    assert receiver.requests == [] and not WebhookDelivery.objects.exists()


def _import_queries(count: int, offset: int) -> int:
    rows = [shopify_row(f"#{offset + n}", Email=f"c{offset + n}@example.com")
            for n in range(count)]
    plan = plan_import(csv_bytes(rows), "orders.csv")
    ids = list(commit_import(plan).order_ids)
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        assert service.emit_many("order.created", ids) == count
    return len(queries)


def test_recording_an_import_s_events_costs_the_same_queries_for_3_or_30_orders(receiver):
    service.create_endpoint(receiver.url, events=["order.created"])
    service.update_endpoint(service.create_endpoint(receiver.url)[0], is_active=False)
    assert _import_queries(3, 5000) == _import_queries(30, 6000)


def test_a_replayed_request_is_refused_while_a_late_retry_verifies(receiver, place_order):
    """Replay protection as Standard Webhooks defines it: the timestamp is signed, receivers
    refuse one more than 5 minutes off; each attempt is signed afresh, with the same id."""
    endpoint, secret = service.create_endpoint(receiver.url, events=["order.created"])
    receiver.answer(503)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        place_order()
        first = receiver.requests[0]
        Webhook(secret).verify(first["body"], first["headers"])
        clock.shift(timedelta(minutes=10))
        with pytest.raises(WebhookVerificationError):  # the same request, captured and replayed
            Webhook(secret).verify(first["body"], first["headers"])
        service.send_due_webhooks()  # the retry, due 5 s after the first attempt
        retry = receiver.requests[1]
        Webhook(secret).verify(retry["body"], retry["headers"])
    assert retry["headers"]["webhook-id"] == first["headers"]["webhook-id"]
    assert int(retry["headers"]["webhook-timestamp"]) > int(first["headers"]["webhook-timestamp"])
    tampered = retry["body"].replace('"version":1', '"version":2')
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(tampered, retry["headers"])


def test_with_the_database_queue_an_event_is_written_with_its_task_then_the_worker_sends_it(
        receiver, place_order, make_staff, settings):
    """django-tasks-db: the deliveries of an event and their one worker task are written
    together, whatever the number of endpoints (one statement on PostgreSQL, two elsewhere: a
    worker never finds a task without its deliveries); one worker then sends them, each
    signed with its endpoint's secret."""
    from django_tasks_db.models import DBTaskResult

    clerk = make_staff("clerk", QUOTER)
    order = place_order(guest_email="guest@example.com")
    settings.TASKS = DATABASE_BACKEND
    keys = [service.create_endpoint(receiver.url, events=["order.message"])[1]
            for _ in range(3)]
    service.active_endpoints()  # read once, then cached until an endpoint changes
    with CaptureQueriesContext(connection) as queries:
        ids = service.emit_for_order("order.message", order.pk, message={"id": 0})
    webhook_tasks = DBTaskResult.objects.filter(task_path=service.send_webhooks_task.module_path)
    [task] = webhook_tasks
    assert task.args_kwargs == {"args": [ids], "kwargs": {}} and len(ids) == 3
    writes = [q["sql"] for q in queries.captured_queries
              if q["sql"].startswith(("INSERT", "WITH"))]
    assert len(writes) == (1 if connection.vendor == "postgresql" else 2)
    selects = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    assert len(selects) == 1 and "webhookendpoint" not in selects[0]  # the order alone
    WebhookDelivery.objects.all().delete()
    DBTaskResult.objects.all().delete()
    conversations.post_staff_message(order, "Shipped today.", user=clerk)

    [task] = webhook_tasks.all()
    assert len(task.args_kwargs["args"][0]) == 3
    assert receiver.requests == []  # queued for the worker, not sent in the request
    run_worker()
    assert WebhookDelivery.objects.filter(status="succeeded").count() == 3
    for key in keys:  # each endpoint got its own, signed with its own secret
        verified = []
        for request in receiver.requests:
            try:
                verified.append(Webhook(key).verify(request["body"], request["headers"]))
            except WebhookVerificationError:
                pass
        assert len(verified) == 1 and verified[0]["type"] == "order.message"
