"""Webhook endpoints and deliveries: every write about them, and the sending.

Events are recorded as one ``WebhookDelivery`` per subscribed endpoint inside the transaction
of the change they describe (the ``in_transaction`` twins of the app's signals), so they commit
with it or not at all, then sent by a worker (``send_webhook_task``). A failed attempt is
retried on the Standard Webhooks schedule (:data:`RETRY_SCHEDULE`), or later if the
receiver's ``Retry-After`` asks; a 410 answer switches the endpoint off. Requests are signed
per Standard Webhooks with the ``standardwebhooks`` package: during a secret rotation's
overlap, with both secrets.
"""

from __future__ import annotations

import base64
import functools
import ipaddress
import json
import logging
import secrets
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task
from standardwebhooks.webhooks import Webhook

from oscar_orders_ext.conf import app_settings
from oscar_orders_ext.exceptions import WebhookError
from oscar_orders_ext.models import (OrderProcess, Tag, WebhookAttempt, WebhookDelivery,
                                     WebhookEndpoint)

from .events import EVENTS, payload
from .task_rows import TaskRows, task_rows

logger = logging.getLogger(__name__)

#: Wait before each retry, after the first attempt (the specification's example schedule):
#: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h; then the delivery is given up.
RETRY_SCHEDULE: tuple[timedelta, ...] = (
    timedelta(seconds=5), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
    timedelta(hours=5), timedelta(hours=10), timedelta(hours=14), timedelta(hours=20),
    timedelta(hours=24),
)
#: Longest wait a receiver's ``Retry-After`` can ask for.
MAX_RETRY_AFTER = timedelta(hours=24)
#: Characters of a receiver's answer kept in the delivery log.
EXCERPT_CHARS = 500


def new_secret() -> str:
    """A fresh signing secret in the Standard Webhooks form (``whsec_`` + base64)."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return not (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved
                or ip.is_multicast or ip.is_unspecified)


def check_url(url: str) -> None:
    """Refuse a URL that is not http(s), or whose host resolves to a loopback, link-local or
    private address (unless ``WEBHOOKS_ALLOW_PRIVATE_URLS``): webhooks must not reach into
    the shop's own network."""
    parts = urlsplit(url or "")
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise WebhookError(_("Enter an http or https URL."))
    if app_settings.WEBHOOKS_ALLOW_PRIVATE_URLS:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise WebhookError(_("The host of this URL cannot be found.")) from error
    if not infos or not all(_is_public(str(info[4][0])) for info in infos):
        raise WebhookError(_("Webhooks cannot be sent to loopback, link-local or private "
                             "addresses."))


def check_events(events: list[str]) -> list[str]:
    """The events, sorted and once each; unknown ones are refused."""
    unknown = sorted(set(events) - set(EVENTS))
    if unknown:
        raise WebhookError(_("Unknown events: %(events)s.") % {"events": ", ".join(unknown)})
    return sorted(set(events))


def create_endpoint(url: str, *, events: list[str] | None = None, description: str = ""
                    ) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its secret (shown to the user this once)."""
    check_url(url)
    secret = new_secret()
    endpoint = WebhookEndpoint.objects.create(url=url, events=check_events(events or []),
                                              description=description, secret=secret)
    return endpoint, secret


def update_endpoint(endpoint: WebhookEndpoint, *, url: str | None = None,
                    events: list[str] | None = None, description: str | None = None,
                    is_active: bool | None = None) -> WebhookEndpoint:
    """Change an endpoint; switching it back on clears why it was switched off."""
    if url is not None:
        check_url(url)
        endpoint.url = url
    if events is not None:
        endpoint.events = check_events(events)
    if description is not None:
        endpoint.description = description
    if is_active is not None:
        endpoint.is_active = is_active
        if is_active:
            endpoint.disabled_reason = ""
    endpoint.save()
    return endpoint


def rotate_secret(endpoint: WebhookEndpoint, *, now: datetime | None = None) -> str:
    """Give the endpoint a new secret; the old one keeps signing during the overlap."""
    now = now or timezone.now()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = now + timedelta(
        hours=app_settings.WEBHOOK_SECRET_OVERLAP_HOURS)
    endpoint.secret = new_secret()
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at"])
    return endpoint.secret


def signing_secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """The secrets that sign a request now: the current one, and the previous one during a
    rotation's overlap."""
    keys = [endpoint.secret]
    if (endpoint.previous_secret and endpoint.previous_secret_expires_at
            and now < endpoint.previous_secret_expires_at):
        keys.append(endpoint.previous_secret)
    return keys


def signed_headers(endpoint: WebhookEndpoint, message_id: str, body: str, now: datetime
                   ) -> dict[str, str]:
    """The Standard Webhooks headers of one request (several signatures during a rotation)."""
    signatures = [Webhook(key).sign(message_id, now, body)
                  for key in signing_secrets(endpoint, now)]
    return {"webhook-id": message_id, "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": " ".join(signatures), "content-type": "application/json"}


def _queue_in_this_database() -> bool:
    """Whether the task queue is a table of this database (django-tasks-db): then a delivery
    and its task commit together, so the worker never sees one without the other."""
    return type(send_webhook_task.get_backend()).__module__.startswith("django_tasks_db")


def _hand_over(enqueue: Callable[[], Any]) -> None:
    """Run ``enqueue`` in the current transaction when the queue shares it (one commit for an
    event, whatever the number of endpoints), else once the transaction commits."""
    if _queue_in_this_database():
        enqueue()
    else:
        transaction.on_commit(enqueue)


#: Django cache key of the active endpoints (``active_endpoints``).
ACTIVE_CACHE_KEY = "oscar_orders_ext:webhooks:active"


def active_endpoints() -> list[tuple[int, tuple[str, ...]]]:
    """The active endpoints as (id, events wanted), remembered in Django's cache for
    ``WEBHOOK_ACTIVE_CACHE_SECONDS`` and forgotten whenever an endpoint is saved or deleted:
    recording an event then reads no endpoint row."""
    seconds = app_settings.WEBHOOK_ACTIVE_CACHE_SECONDS
    known = cache.get(ACTIVE_CACHE_KEY) if seconds else None
    if known is None:
        known = [(pk, tuple(events or ())) for pk, events in WebhookEndpoint.objects.filter(
            is_active=True).order_by("pk").values_list("pk", "events")]
        if seconds:
            cache.set(ACTIVE_CACHE_KEY, known, seconds)
    return list(known)


def any_active_endpoint() -> bool:
    """Whether any endpoint is active (from the cache of :func:`active_endpoints`)."""
    return bool(active_endpoints())


def forget_active_endpoints() -> None:
    """Make the next ``active_endpoints`` ask the database (an endpoint changed)."""
    cache.delete(ACTIVE_CACHE_KEY)


def subscribed(event: str, active: list[tuple[int, tuple[str, ...]]] | None = None
               ) -> list[int]:
    """The ids of the active endpoints that want ``event`` (no query while cached); ``active``:
    the endpoints already read from :func:`active_endpoints`."""
    endpoints = active_endpoints() if active is None else active
    return [pk for pk, events in endpoints if not events or event in events]


#: One event about one order: (event, the order's process, the event's own ``data`` fields).
Event = tuple[str, OrderProcess, dict[str, Any]]
#: One delivery to write: (endpoint id, message id, event, payload, the order's process id).
_Row = tuple[int, str, str, dict[str, Any], int]


def emit(event: str, process: OrderProcess, **extra: Any) -> list[int]:
    """Record ``event`` for every active endpoint subscribed to it, in the current transaction
    (committed with the change it describes), and have it sent; the deliveries' ids."""
    return record_events([(event, process, extra)])


def emit_for_order(event: str, order_id: int, **extra: Any) -> list[int]:
    """:func:`emit` about the order ``order_id``, read only when an endpoint listens."""
    if not subscribed(event):
        return []
    process = OrderProcess.objects.filter(order_id=order_id).first()
    if process is None:  # an order without its companion row: nothing to describe
        return []
    return record_events([(event, process, extra)])


#: Orders read, and deliveries written, per round of :func:`emit_many`.
EMIT_BATCH = 1000
#: Deliveries handed to one worker task.
TASK_BATCH = 50


def _enqueue(ids: list[int]) -> None:
    """Hand deliveries to the workers: one task for one, one per :data:`TASK_BATCH` for more."""
    if len(ids) == 1:
        _hand_over(lambda: send_webhook_task.enqueue(ids[0]))
        return
    batches = [ids[i:i + TASK_BATCH] for i in range(0, len(ids), TASK_BATCH)]
    _hand_over(lambda: [send_webhooks_task.enqueue(batch) for batch in batches])


def emit_many(event: str, order_ids: Sequence[int]) -> int:
    """Record ``event`` for many orders at once (an import's ``order.created``), in the current
    transaction: two statements per :data:`EMIT_BATCH` orders (the orders, the deliveries
    with their tags) and one worker task per :data:`TASK_BATCH` deliveries; how many
    deliveries were recorded."""
    if not subscribed(event) or not order_ids:
        return 0
    recorded = 0
    for start in range(0, len(order_ids), EMIT_BATCH):
        processes = (OrderProcess.objects.filter(order_id__in=order_ids[start:start + EMIT_BATCH])
                     .order_by("placed_at", "pk"))
        recorded += len(record_events([(event, process, {}) for process in processes]))
    return recorded


def record_events(events: list[Event]) -> list[int]:
    """Record events as deliveries for the active endpoints subscribed to each, and queue
    their worker tasks, in the current transaction (or one of their own): one ``INSERT … SELECT``
    that also reads each order's tags and skips an endpoint deleted or switched off since the
    cache was filled. With django-tasks-db on PostgreSQL that same statement writes the task
    rows (one per :data:`TASK_BATCH` deliveries); on another database they are one more
    statement, and other queues (RQ) are handed the tasks once the transaction commits. No
    query at all while no endpoint listens. The deliveries' ids."""
    active = active_endpoints()  # one read of the cache for every event of the batch
    if not active:
        return []
    now = timezone.now()
    rows: list[_Row] = []
    for event, process, extra in events:
        endpoints = subscribed(event, active)
        if not endpoints:
            continue
        # The tags are filled in by the INSERT (one statement, not a read per order).
        body = payload(event, process, order_tags=(), **extra)
        rows.extend((pk, f"msg_{secrets.token_hex(16)}", event, body, process.pk)
                    for pk in endpoints)
    if not rows:
        return []
    tasks = task_rows(send_webhooks_task)
    with transaction.atomic(savepoint=False):  # no statement of its own inside a caller's
        ids: list[int] = []
        for start in range(0, len(rows), EMIT_BATCH):
            ids += _insert(rows[start:start + EMIT_BATCH], now, tasks)
        if ids and tasks is None:
            _enqueue(ids)
    if len(ids) < len(rows):  # an endpoint deleted or switched off since the cache was filled
        forget_active_endpoints()
    return ids


#: Columns of an inserted delivery, in the order of :func:`_insert`'s statements.
_COLUMNS = ("endpoint_id", "message_id", "event", "payload", "status", "created_at",
            "next_attempt_at", "attempts", "last_error")


@functools.cache
def _insert_sql(vendor: str) -> str | None:
    """The ``INSERT … SELECT`` of deliveries for ``vendor`` (None: no such statement; the
    rows are then written by the ORM), in the rows' order. The payload's ``data.order.tags``
    is filled from the order's tags, sorted by code point as Python's ``sorted`` does. Built
    once per vendor (the tables' names do not change)."""
    quote = connection.ops.quote_name
    delivery, endpoint = (quote(WebhookDelivery._meta.db_table),
                          quote(WebhookEndpoint._meta.db_table))
    tag = quote(Tag._meta.db_table)
    links = OrderProcess.tags.through._meta
    link = quote(links.db_table)
    columns = ", ".join(quote(column) for column in _COLUMNS)
    if vendor == "postgresql":
        return (
            f"INSERT INTO {delivery} ({columns}) "
            "SELECT r.endpoint_id, r.message_id, r.event, "
            "jsonb_set(r.payload::jsonb, '{data,order,tags}', COALESCE(("
            f"SELECT jsonb_agg(t.name ORDER BY t.name COLLATE \"C\") FROM {tag} t "
            f"JOIN {link} l ON l.tag_id = t.id WHERE l.orderprocess_id = r.process_id), "
            "'[]'::jsonb)), 'pending', %s, %s, 0, '' "
            "FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::bigint[]) "
            "WITH ORDINALITY AS r(endpoint_id, message_id, event, payload, process_id, n) "
            f"JOIN {endpoint} e ON e.id = r.endpoint_id AND e.is_active ORDER BY r.n "
            "RETURNING id")
    if vendor == "sqlite":
        return (
            f"INSERT INTO {delivery} ({columns}) "
            "SELECT json_extract(r.value, '$[0]'), json_extract(r.value, '$[1]'), "
            "json_extract(r.value, '$[2]'), json_set(json_extract(r.value, '$[3]'), "
            "'$.data.order.tags', json((SELECT json_group_array(name) FROM ("
            f"SELECT t.name FROM {tag} t JOIN {link} l ON l.tag_id = t.id "
            "WHERE l.orderprocess_id = json_extract(r.value, '$[4]') ORDER BY t.name)))), "
            "'pending', %s, %s, 0, '' FROM json_each(%s) r "
            f"JOIN {endpoint} e ON e.id = json_extract(r.value, '$[0]') AND e.is_active "
            "ORDER BY r.key RETURNING id")
    return None


def _insert(rows: list[_Row], now: datetime, tasks: TaskRows | None = None) -> list[int]:
    """Write one batch of deliveries in one statement, with their task rows when ``tasks``
    says how (PostgreSQL); their ids."""
    sql = _insert_sql(connection.vendor)
    when = connection.ops.adapt_datetimefield_value(now)
    if sql is None:
        return _insert_with_orm(rows, now)
    if connection.vendor == "postgresql":
        # An event's payload is the same for each of its endpoints: serialised once.
        texts: dict[int, str] = {}
        for row in rows:
            if id(row[3]) not in texts:
                texts[id(row[3])] = json.dumps(row[3], cls=DjangoJSONEncoder)
        params: list[Any] = [when, when, [row[0] for row in rows], [row[1] for row in rows],
                             [row[2] for row in rows], [texts[id(row[3])] for row in rows],
                             [row[4] for row in rows]]
        if tasks is not None:
            # One statement: the deliveries, then a task row per TASK_BATCH of them, built from
            # the ids they were given (a worker never finds a task without its deliveries).
            sql = (f"WITH d AS ({sql}), t AS ({tasks.insert_sql('d', TASK_BATCH)}) "
                   "SELECT id FROM d")
            params += tasks.params(now, len(rows), TASK_BATCH)
    else:
        params = [when, when, json.dumps([list(row) for row in rows], cls=DjangoJSONEncoder)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        # Ids follow the rows' order (ORDER BY): the events of a change are sent as they came.
        return sorted(row[0] for row in cursor.fetchall())


def _insert_with_orm(rows: list[_Row], now: datetime) -> list[int]:
    """:func:`_insert` on another database: the tags and the live endpoints read, then
    ``bulk_create``."""
    tags: dict[int, list[str]] = {}
    links = OrderProcess.tags.through.objects.filter(
        orderprocess_id__in={row[4] for row in rows}).values_list("orderprocess_id", "tag__name")
    for process_pk, name in links:
        tags.setdefault(process_pk, []).append(name)
    live = set(WebhookEndpoint.objects.filter(pk__in={row[0] for row in rows}, is_active=True)
               .values_list("pk", flat=True))
    created = WebhookDelivery.objects.bulk_create([
        WebhookDelivery(endpoint_id=pk, message_id=message_id, event=event, created_at=now,
                        next_attempt_at=now,
                        payload={**body, "data": {**body["data"], "order": {
                            **body["data"]["order"], "tags": sorted(tags.get(process_pk, []))}}})
        for pk, message_id, event, body, process_pk in rows if pk in live])
    return [delivery.pk for delivery in created]


def redeliver(delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again, with the same ``webhook-id`` (receivers deduplicate on it)."""
    delivery.status = WebhookDelivery.Status.PENDING
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["status", "next_attempt_at"])
    _enqueue([delivery.pk])
    return delivery


def _claim(delivery_id: int, now: datetime) -> bool:
    """Take the delivery for this worker: push its next attempt past the request's time, so a
    second worker (or a tick) does not send it too; a worker that dies leaves it due again."""
    lease = now + timedelta(seconds=app_settings.WEBHOOK_TIMEOUT_SECONDS + 60)
    return bool(WebhookDelivery.objects.filter(
        pk=delivery_id, status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now,
    ).update(next_attempt_at=lease))


@dataclass
class Answer:
    """What the receiver answered (or why there was no answer)."""

    status_code: int | None = None
    body: str = ""
    retry_after: str | None = None
    error: str = ""
    latency_ms: int = 0


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are answers, not instructions: following one could reach a private host."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def post(url: str, body: bytes, headers: dict[str, str]) -> Answer:
    """POST ``body`` to ``url``; every outcome (even a refused connection) is an Answer."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    started = time.monotonic()
    answer = Answer()
    try:
        with _opener.open(request, timeout=app_settings.WEBHOOK_TIMEOUT_SECONDS) as response:
            answer.status_code = response.status
            answer.body = response.read(EXCERPT_CHARS * 4).decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        answer.status_code = error.code
        answer.retry_after = error.headers.get("Retry-After")
        answer.body = error.read(EXCERPT_CHARS * 4).decode("utf-8", "replace")
    except (OSError, ValueError) as error:
        answer.error = f"{type(error).__name__}: {error}"[:300]
    answer.latency_ms = int((time.monotonic() - started) * 1000)
    return answer


def retry_after(value: str | None, now: datetime) -> timedelta | None:
    """A ``Retry-After`` header (seconds or an HTTP date) as a wait, at most a day."""
    if not value:
        return None
    try:
        wait = timedelta(seconds=max(int(value.strip()), 0))
    except ValueError:
        try:
            wait = parsedate_to_datetime(value) - now
        except (TypeError, ValueError):
            return None
    return min(max(wait, timedelta(0)), MAX_RETRY_AFTER)


def deliver(delivery_id: int, *, now: datetime | None = None) -> str:
    """Make one attempt at a due delivery and schedule what follows; returns its status
    (or "skipped" when it was not due or another worker has it)."""
    now = now or timezone.now()
    if not _claim(delivery_id, now):
        return "skipped"
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        delivery.status, delivery.next_attempt_at = WebhookDelivery.Status.FAILED, None
        delivery.last_error = _("The endpoint is switched off.")
        delivery.save(update_fields=["status", "next_attempt_at", "last_error"])
        return delivery.status
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True)
    try:
        check_url(endpoint.url)  # again: the name may resolve elsewhere by now
    except WebhookError as error:
        answer = Answer(error=error.message)
    else:
        answer = post(endpoint.url, body.encode(),
                      signed_headers(endpoint, delivery.message_id, body, now))
    with transaction.atomic():  # the attempt and its outcome, in one commit
        _record_attempt(delivery, endpoint, answer, now)
    return delivery.status


def _record_attempt(delivery: WebhookDelivery, endpoint: WebhookEndpoint, answer: Answer,
                    now: datetime) -> None:
    """Log one attempt and schedule what follows (retry, done, given up, endpoint off)."""
    WebhookAttempt.objects.create(
        delivery=delivery, at=now, status_code=answer.status_code,
        latency_ms=answer.latency_ms, response_excerpt=answer.body[:EXCERPT_CHARS],
        error=answer.error)
    delivery.attempts += 1
    delivery.last_status_code = answer.status_code
    delivery.last_error = answer.error
    if answer.status_code is not None and 200 <= answer.status_code < 300:
        delivery.status, delivery.next_attempt_at = WebhookDelivery.Status.SUCCEEDED, None
    elif answer.status_code == 410:
        delivery.status, delivery.next_attempt_at = WebhookDelivery.Status.FAILED, None
        endpoint.is_active = False
        endpoint.disabled_reason = _("The receiver answered 410 Gone.")
        endpoint.save(update_fields=["is_active", "disabled_reason"])
    elif delivery.attempts > len(RETRY_SCHEDULE):
        delivery.status, delivery.next_attempt_at = WebhookDelivery.Status.FAILED, None
    else:
        wait = (retry_after(answer.retry_after, now)
                or RETRY_SCHEDULE[delivery.attempts - 1])
        delivery.next_attempt_at = now + wait
    delivery.save(update_fields=["attempts", "last_status_code", "last_error", "status",
                                 "next_attempt_at"])


@task()
def send_webhook_task(delivery_id: int) -> str:
    """Send one webhook delivery (a worker task; a delivery not due is left alone)."""
    return deliver(delivery_id)


@task()
def send_webhooks_task(delivery_ids: list[int]) -> int:
    """Send several deliveries in turn (an import's events); how many succeeded."""
    return sum(deliver(pk) == WebhookDelivery.Status.SUCCEEDED for pk in delivery_ids)


def send_due_webhooks(*, now: datetime | None = None, limit: int = 1000) -> int:
    """Hand every due delivery (retries, and any a dead worker left) to the workers."""
    now = now or timezone.now()
    due = list(WebhookDelivery.objects.filter(
        Q(status=WebhookDelivery.Status.PENDING) & Q(next_attempt_at__lte=now))
        .order_by("next_attempt_at").values_list("pk", flat=True)[:limit])
    for pk in due:
        send_webhook_task.enqueue(pk)
    return len(due)
