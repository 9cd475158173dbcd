"""Webhook events are recorded inside the transaction of the change they describe: committed
with it (an event is not lost when the process dies right after the commit: the tick sends
it), rolled back with it, in one INSERT that also reads the order's tags and one task row,
whatever the number of endpoints or of orders in a batch."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from standardwebhooks.webhooks import Webhook

from oscar_orders_ext.constants import PaymentStatus
from oscar_orders_ext.models import OrderProcess, Tag, WebhookDelivery
from oscar_orders_ext.services import edits
from oscar_orders_ext.services.bulk import run_set_based, set_based_action
from oscar_orders_ext.services.transitions import transition_order, transition_orders
from oscar_orders_ext.webhooks import service
from tests.factories import bulk_orders
from tests.worker.test_worker import DATABASE_BACKEND, run_worker

pytestmark = pytest.mark.django_db


def _statements(call: Any) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        call()
    # SQLite opens a transaction with a BEGIN the other databases do not show.
    return [q["sql"] for q in queries.captured_queries if q["sql"] != "BEGIN"]


def test_a_move_s_event_commits_with_it_and_the_tick_sends_it_if_the_process_died(
        receiver, place_order, operator, django_capture_on_commit_callbacks):
    order = place_order()
    edits.add_tags(order, [Tag.objects.create(name=name) for name in ("b-list", "Émile", "VIP")],
                   user=operator)
    endpoint, secret = service.create_endpoint(receiver.url, events=["order.state_changed"])

    # The process dies right after the move's commit: nothing scheduled after it runs.
    with django_capture_on_commit_callbacks(execute=False):
        transition_order(order, "hold", user=operator, note="Waiting for stock")

    delivery = WebhookDelivery.objects.get()
    assert (delivery.endpoint_id, delivery.status, receiver.requests) == (
        endpoint.pk, "pending", [])
    data = delivery.payload["data"]
    assert (data["transition"], data["source"], data["target"]) == ("hold", "new", "on_hold")
    # The tags come from the INSERT itself, sorted as Python sorts them.
    assert data["order"]["tags"] == ["VIP", "b-list", "Émile"]
    assert data["order"]["version"] == OrderProcess.objects.get(order=order).version

    assert service.send_due_webhooks() == 1  # the tick, a minute later
    [request] = receiver.requests
    assert Webhook(secret).verify(request["body"], request["headers"]) == delivery.payload
    assert request["headers"]["webhook-id"] == delivery.message_id


def test_a_rolled_back_move_leaves_no_delivery_and_no_task(receiver, place_order, operator,
                                                           settings):
    settings.TASKS = DATABASE_BACKEND
    order = place_order()
    service.create_endpoint(receiver.url)
    from django_tasks_db.models import DBTaskResult

    tasks = DBTaskResult.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        transition_order(order, "hold", user=operator)
        assert WebhookDelivery.objects.count() == 1  # recorded inside the move's transaction
        raise RuntimeError("the request failed after the move")
    assert not WebhookDelivery.objects.exists()
    assert DBTaskResult.objects.count() == tasks


def test_an_event_adds_one_statement_to_a_move_on_postgresql_whatever_the_endpoints(
        receiver, place_order, operator, settings):
    """With django-tasks-db: the deliveries (one INSERT … SELECT reading the tags) and their
    task row, in the move's own transaction; on PostgreSQL one statement writes both (two
    elsewhere); no endpoint read (cached), no second commit."""
    settings.TASKS = DATABASE_BACKEND
    order = place_order()

    def confirm() -> list[str]:
        """Put on hold, then time the move back (the same move each time)."""
        transition_order(order, "hold", user=operator)
        service.active_endpoints()  # read once, then cached until an endpoint changes
        return _statements(lambda: transition_order(order, "confirm", user=operator))

    confirm()  # the first moves read what later moves find cached
    alone = confirm()
    one = service.create_endpoint(receiver.url, events=["order.state_changed"])[0]
    with_one = confirm()
    for _ in range(4):
        service.create_endpoint(receiver.url)
    with_five = confirm()

    fused = connection.vendor == "postgresql"
    assert len(with_one) == len(alone) + (1 if fused else 2)
    assert len(with_five) == len(with_one)
    assert not any("webhook" in sql or "dbtaskresult" in sql for sql in alone)
    deliveries = [sql for sql in with_one if "webhookdelivery" in sql]
    tasks = [sql for sql in with_one if "dbtaskresult" in sql]
    assert len(deliveries) == len(tasks) == 1
    assert deliveries[0].startswith("WITH" if fused else "INSERT") and "_tag" in deliveries[0]
    assert tasks[0].startswith("WITH" if fused else "INSERT")
    assert (deliveries == tasks) is fused
    assert WebhookDelivery.objects.filter(endpoint=one).count() == 4
    assert WebhookDelivery.objects.count() == 4 + 4 * 2
    # Each move's deliveries have one task: the move with five endpoints, one for five.
    sizes = sorted(len(args[0]) if isinstance(args[0], list) else 1 for args in (
        task.args_kwargs["args"] for task in _webhook_tasks()))
    assert sizes == [1, 1, 5, 5]


def _webhook_tasks() -> list[Any]:
    """django-tasks-db's rows of the webhook tasks, oldest first."""
    from django_tasks_db.models import DBTaskResult

    return list(DBTaskResult.objects.filter(task_path__in=[
        service.send_webhook_task.module_path, service.send_webhooks_task.module_path,
    ]).order_by("enqueued_at", "args_kwargs"))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_task_row_written_with_the_deliveries_is_enqueue_s_and_the_worker_sends_it(
        receiver, place_order, operator, settings):
    """PostgreSQL: the task row the deliveries' statement writes is, column for column, the
    one django-tasks-db's ``enqueue`` writes for the same deliveries (but its id and time),
    and ``db_worker`` runs it: the receiver gets the event once."""
    from django_tasks_db.models import DBTaskResult

    order = place_order()
    settings.TASKS = DATABASE_BACKEND
    _endpoint, secret = service.create_endpoint(receiver.url, events=["order.state_changed"])
    transition_order(order, "hold", user=operator)

    [delivery] = WebhookDelivery.objects.all()
    [written] = _webhook_tasks()
    by_enqueue = service.send_webhooks_task.enqueue([delivery.pk]).db_result
    by_enqueue.refresh_from_db()
    written.refresh_from_db()
    for field in DBTaskResult._meta.concrete_fields:
        if field.name not in {"id", "enqueued_at"}:
            assert getattr(written, field.attname) == getattr(by_enqueue, field.attname), field
    assert delivery.created_at == written.enqueued_at <= by_enqueue.enqueued_at
    assert written.task_result.args == [[delivery.pk]]
    by_enqueue.delete()

    run_worker()

    written.refresh_from_db()
    assert (written.status, written.return_value) == ("SUCCESSFUL", 1)
    [request] = receiver.requests
    assert Webhook(secret).verify(request["body"], request["headers"])["type"] == (
        "order.state_changed")
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("succeeded", 1)


def test_a_batch_s_deliveries_go_to_the_workers_in_tasks_of_fifty(receiver, settings):
    """40 orders for 3 endpoints are 120 deliveries and 3 tasks (50, 50, 20 of them, in their
    order, each once); on PostgreSQL all written by one statement."""
    ids = [process.order_id for process in bulk_orders(40, prefix="T")]
    settings.TASKS = DATABASE_BACKEND
    for _ in range(3):
        service.create_endpoint(receiver.url, events=["order.created"])
    service.active_endpoints()

    statements = _statements(lambda: service.emit_many("order.created", ids))

    writes = [sql for sql in statements if "webhookdelivery" in sql or "dbtaskresult" in sql]
    assert len(writes) == (1 if connection.vendor == "postgresql" else 1 + 3)
    tasks = [task.args_kwargs["args"][0] for task in _webhook_tasks()]
    assert sorted(len(batch) for batch in tasks) == [20, 50, 50]
    deliveries = list(WebhookDelivery.objects.order_by("pk").values_list("pk", flat=True))
    assert sorted(tasks) == [deliveries[:50], deliveries[50:100], deliveries[100:]]


def test_no_endpoint_listening_costs_a_move_nothing(receiver, place_order, operator):
    order = place_order()
    service.create_endpoint(receiver.url, events=["order.paid"])
    transition_order(order, "hold", user=operator)
    service.active_endpoints()
    statements = _statements(lambda: transition_order(order, "confirm", user=operator))
    assert not any("webhook" in sql for sql in statements)
    assert not WebhookDelivery.objects.exists()


def test_a_batch_of_moves_records_its_events_in_one_insert(receiver, operator, settings):
    settings.TASKS = DATABASE_BACKEND
    service.create_endpoint(receiver.url, events=["order.state_changed"])
    service.active_endpoints()

    def batch(count: int, prefix: str) -> list[str]:
        pks = [process.pk for process in bulk_orders(count, prefix=prefix)]
        statements = _statements(lambda: transition_orders(pks, "confirm", user=operator))
        assert WebhookDelivery.objects.filter(
            payload__data__order__number__startswith=prefix).count() == count
        return statements

    batch(2, "W")  # the first batch reads what later ones find cached (stages)
    three, twelve = batch(3, "A"), batch(12, "B")
    assert len(three) == len(twelve)
    assert len([sql for sql in twelve if "INSERT INTO" in sql and "webhookdelivery" in sql]) == 1
    targets = set(WebhookDelivery.objects.values_list("payload__data__target", flat=True))
    assert targets == {"processing"}


def test_a_bulk_mark_paid_records_both_events_of_every_order_in_the_batch(receiver, operator,
                                                                         settings):
    settings.TASKS = DATABASE_BACKEND
    service.create_endpoint(receiver.url, events=["order.payment_status_changed",
                                                  "order.paid"])
    processes = bulk_orders(4, prefix="P")
    kind, apply = set_based_action("mark_paid", user=operator)

    statements = _statements(lambda: run_set_based([p.pk for p in processes], "mark_paid",
                                                   apply, kind=kind, user=operator))

    inserts = [sql for sql in statements if "INSERT INTO" in sql and "webhookdelivery" in sql]
    assert len(inserts) == 1
    events = sorted(WebhookDelivery.objects.values_list("event", flat=True))
    assert events == ["order.paid"] * 4 + ["order.payment_status_changed"] * 4
    for delivery in WebhookDelivery.objects.filter(event="order.payment_status_changed"):
        assert delivery.payload["data"]["change"]["to"] == PaymentStatus.PAID
        assert delivery.payload["data"]["order"]["payment_status"] == PaymentStatus.PAID


def test_an_endpoint_switched_off_elsewhere_gets_nothing_though_still_cached(
        receiver, place_order, operator):
    order = place_order()
    kept, _secret = service.create_endpoint(receiver.url)
    off, _secret = service.create_endpoint(receiver.url)
    service.active_endpoints()
    # Another process switches it off; this process's cache still lists it.
    type(off).objects.filter(pk=off.pk).update(is_active=False)
    transition_order(order, "hold", user=operator)
    assert set(WebhookDelivery.objects.values_list("endpoint_id", flat=True)) == {kept.pk}
    assert service.active_endpoints() == [(kept.pk, ())]  # forgotten, read again
