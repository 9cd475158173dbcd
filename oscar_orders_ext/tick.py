"""The scheduler tick: due work that runs every so often, on one host at a time.

``manage.py orders_tick`` (from cron every minute, or ``--loop 60`` in a container) runs every
registered piece of work that is due, under a PostgreSQL advisory lock: two hosts ticking at
the same moment never run the same work twice, the second one finds the lock taken and leaves.
When each piece last ran is kept in the database (``TickRun``), so all hosts agree on what is
due and running the tick again straight away does nothing. On other databases the lock is a
no-op: run the tick on one host only there.

Register due work in a module named ``tick`` of any installed app (the command imports them
all, as the admin does with ``admin`` modules)::

    from datetime import timedelta
    from oscar_orders_ext import tick

    @tick.register("expire-payment-links", every=timedelta(minutes=5))
    def expire_payment_links() -> int:
        ...  # idempotent: may run late, never twice at once
        return expired_count

The function takes no argument; what it returns (a count, a sentence) is recorded and printed.
It must be idempotent: a run that fails is tried again at the next due time.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone

from .exports import service as exports_service
from .imports import jobs as import_jobs
from .models import TickRun
from .payments import service as payment_service
from .services import jobs as services_jobs
from .subscriptions import installments
from .subscriptions import service as subscriptions
from .services import quotes as quote_service
from .webhooks import service as webhooks_service

logger = logging.getLogger(__name__)

#: The advisory lock's key: one number for every host running the tick of this app.
LOCK_KEY = zlib.crc32(b"oscar_orders_ext.tick")


@dataclass(frozen=True)
class DueWork:
    """One piece of work the tick runs every ``every``."""

    name: str
    every: timedelta
    function: Callable[[], Any]

    @property
    def description(self) -> str:
        return (self.function.__doc__ or self.name).strip().splitlines()[0]


_registry: dict[str, DueWork] = {}


def register(name: str, *, every: timedelta) -> Callable[[Callable[[], Any]], Callable[[], Any]]:
    """Register a function as due work run by the tick every ``every`` (a decorator)."""

    def decorator(function: Callable[[], Any]) -> Callable[[], Any]:
        existing = _registry.get(name)
        if existing is not None and existing.function is not function:
            raise ValueError(f"Tick work {name!r} is registered twice.")
        _registry[name] = DueWork(name, every, function)
        return function

    return decorator


def registered() -> list[DueWork]:
    """The registered due work, by name."""
    return [_registry[name] for name in sorted(_registry)]


@contextmanager
def tick_lock(using: str = DEFAULT_DB_ALIAS) -> Iterator[bool]:
    """Hold the tick's PostgreSQL advisory lock if free; yields whether this process has it.

    A session lock, released at the end (and by PostgreSQL if the process dies). On other
    databases it always yields True: one host only.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY])
        acquired = cursor.fetchone()[0]
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])


@dataclass
class Outcome:
    """What one piece of work did in this tick."""

    name: str
    result: str
    failed: bool = False


def is_due(work: DueWork, last_started_at: datetime | None, now: datetime) -> bool:
    """Never run, or last started at least ``every`` ago."""
    return last_started_at is None or now - last_started_at >= work.every


def run_due(*, force: bool = False, only: str | None = None,
            now: datetime | None = None) -> list[Outcome] | None:
    """Run the due work (all of it with ``force``); None when another host holds the lock."""
    with tick_lock() as acquired:
        if not acquired:
            return None
        outcomes: list[Outcome] = []
        for work in registered():
            if only and work.name != only:
                continue
            run, _ = TickRun.objects.get_or_create(name=work.name)
            moment = now or timezone.now()
            if not force and not is_due(work, run.last_started_at, moment):
                continue
            run.last_started_at = moment
            run.save(update_fields=["last_started_at"])
            try:
                result = work.function()
            except Exception as error:  # one failing piece must not stop the others
                logger.exception("Tick work %s failed", work.name)
                outcome = Outcome(work.name, f"{type(error).__name__}: {error}", failed=True)
            else:
                outcome = Outcome(work.name, "" if result is None else str(result))
            run.last_finished_at = timezone.now()
            run.last_result, run.last_failed = outcome.result, outcome.failed
            run.save(update_fields=["last_finished_at", "last_result", "last_failed"])
            outcomes.append(outcome)
        return outcomes


# --- The app's own due work -------------------------------------------------------------------

@register("fail-stale-jobs", every=timedelta(minutes=1))
def fail_stale_jobs() -> int:
    """Fail background jobs whose worker stopped beating (died) and delete their partial files."""
    return services_jobs.fail_stale_jobs()


@register("purge-expired-exports", every=timedelta(hours=1))
def purge_expired_exports() -> int:
    """Delete expired background export files and their jobs."""
    return exports_service.purge_expired_exports()


@register("purge-expired-imports", every=timedelta(hours=1))
def purge_expired_imports() -> int:
    """Delete expired uploaded order files and their dry runs."""
    return import_jobs.purge_expired_imports()


@register("expire-payment-links", every=timedelta(minutes=5))
def expire_payment_links() -> int:
    """Expire payment links past their expiry date, so the staff see them as expired."""
    return payment_service.expire_payment_links()


@register("expire-quotes", every=timedelta(hours=1))
def expire_quotes() -> int:
    """Mark price proposals past their validity date expired: their links refuse."""
    return quote_service.expire_quotes()


@register("send-due-webhooks", every=timedelta(minutes=1))
def send_due_webhooks() -> int:
    """Hand due webhook deliveries (retries, and any a dead worker left) to the workers."""
    return webhooks_service.send_due_webhooks()


@register("renew-subscriptions", every=timedelta(minutes=5))
def renew_subscriptions() -> int:
    """Bill the subscription periods that are due: a renewal order each, and its payment."""
    return subscriptions.renew_due()


@register("chase-unpaid-renewals", every=timedelta(minutes=15))
def chase_unpaid_renewals() -> int:
    """Dunning: unpaid renewals make their subscriptions past due, get reminders, then end."""
    return subscriptions.chase_unpaid()


@register("send-installment-links", every=timedelta(hours=1))
def send_installment_links() -> int:
    """Installments falling due get their payment links; unpaid ones turn overdue, reminded."""
    return installments.send_due_links()
