"""The scheduler tick: due work runs once per period whoever ticks, failures are recorded and
do not stop the rest, and a second host finds PostgreSQL's advisory lock taken."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connections
from django.utils import timezone

from oscar_orders_ext import tick
from oscar_orders_ext.models import ExportJob, TickRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def registry(monkeypatch: Any) -> dict[str, Any]:
    """A registry holding only what the test registers."""
    fresh: dict[str, Any] = {}
    monkeypatch.setattr(tick, "_registry", fresh)
    return fresh


def test_due_work_runs_once_per_period(registry):
    calls: list[str] = []
    tick.register("count", every=timedelta(minutes=5))(lambda: calls.append("x") or 7)

    first = tick.run_due()
    again = tick.run_due()
    later = tick.run_due(now=timezone.now() + timedelta(minutes=6))

    assert [(o.name, o.result) for o in first] == [("count", "7")]
    assert again == [] and len(later) == 1 and calls == ["x", "x"]
    run = TickRun.objects.get(name="count")
    assert (run.last_result, run.last_failed) == ("7", False)


def test_a_failing_piece_is_recorded_and_the_others_still_run(registry):
    def broken() -> None:
        raise RuntimeError("provider down")

    tick.register("a-broken", every=timedelta(minutes=1))(broken)
    tick.register("b-fine", every=timedelta(minutes=1))(lambda: "ok")

    outcomes = tick.run_due()

    assert [(o.name, o.failed) for o in outcomes] == [("a-broken", True), ("b-fine", False)]
    assert TickRun.objects.get(name="a-broken").last_result == "RuntimeError: provider down"


def test_a_name_cannot_be_registered_twice(registry):
    tick.register("same", every=timedelta(minutes=1))(lambda: None)
    with pytest.raises(ValueError):
        tick.register("same", every=timedelta(minutes=1))(lambda: None)


def test_the_command_purges_expired_exports_and_lists_its_work(viewer):
    job = ExportJob.objects.create(user=viewer, params={"format": "csv"},
                                   expires_at=timezone.now() - timedelta(hours=1))
    out = io.StringIO()
    call_command("orders_tick", stdout=out)
    assert "purge-expired-exports: 1" in out.getvalue()
    assert not ExportJob.objects.filter(pk=job.pk).exists()

    out = io.StringIO()
    call_command("orders_tick", stdout=out)
    assert out.getvalue().strip() == "Nothing due."

    out = io.StringIO()
    call_command("orders_tick", "--list", stdout=out)
    listed = out.getvalue()
    assert "fail-stale-jobs, every 0:01:00" in listed and "purge-expired-imports" in listed


def test_an_unknown_name_is_refused_with_the_registered_ones():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="fail-stale-jobs"):
        call_command("orders_tick", "--only", "nope")


@pytest.mark.postgres
def test_a_second_host_finds_the_lock_taken(registry, django_db_blocker):
    calls: list[int] = []
    tick.register("once", every=timedelta(minutes=1))(lambda: calls.append(1))
    other = connections.create_connection("default")  # another host's session
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [tick.LOCK_KEY])
            assert cursor.fetchone()[0]
        assert tick.run_due() is None and calls == []
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [tick.LOCK_KEY])
        assert len(tick.run_due()) == 1 and calls == [1]
    finally:
        other.close()
