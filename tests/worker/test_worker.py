"""Background jobs with a real worker: django-tasks' database backend and ``db_worker``, a job
run once however often it is delivered, a dead worker's job failed by the tick's sweep with
its partial files deleted, the heartbeat, the system check."""

from __future__ import annotations

import os
import tempfile
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from oscar_orders_ext.checks import check_background_tasks
from oscar_orders_ext.exports.service import ExportOptions, start_export
from oscar_orders_ext.models import BulkJob, ExportJob, ImportJob, OrderProcess, Tag
from oscar_orders_ext.exports.service import run_export_task
from oscar_orders_ext.services.jobs import EXPORT_TEMP_PREFIX, Heartbeat, fail_stale_jobs

from ..dashboard.conftest import ws_url
from ..factories import bulk_orders

DATABASE_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
IMMEDIATE_BACKEND = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


def run_worker(worker_id: str = "worker-1") -> None:
    """Run every ready task, then return (``db_worker --batch``, without its signal set-up)."""
    Worker(queue_names=["default"], interval=0, batch=True, backend_name="default",
           startup_delay=False, max_tasks=None, worker_id=worker_id).run()


def claimed_export(viewer: Any, *, minutes_ago: int, status: str = "running") -> ExportJob:
    beat = timezone.now() - timedelta(minutes=minutes_ago)
    return ExportJob.objects.create(user=viewer, params={"format": "csv"}, status=status,
                                    total=10, done=5, claimed_for="export",
                                    started_at=beat, heartbeat_at=beat)


@pytest.mark.django_db(transaction=True)
def test_a_large_export_waits_for_the_worker_then_is_downloadable(django_app, viewer,
                                                                   settings):
    settings.TASKS = DATABASE_BACKEND
    settings.OSCAR_ORDERS_EXT_EXPORT_SYNC_LIMIT = 2
    bulk_orders(5)
    with CaptureQueriesContext(connection) as request_queries:
        response = django_app.get(f"{ws_url('orders-workspace-export')}?format=csv",
                                  user=viewer)
    job = ExportJob.objects.get()
    assert job.status == ExportJob.Status.PENDING  # the request only queued it
    # The request counts no further than the limit, whatever the export's size: the worker
    # counts the rest, so the request stays short at 100,000 orders.
    counts = [q["sql"] for q in request_queries.captured_queries if "COUNT(" in q["sql"]]
    assert counts and all("LIMIT 3" in sql for sql in counts)
    assert job.total == 0
    assert DBTaskResult.objects.ready().count() == 1
    waiting = django_app.get(response["Location"], user=viewer,
                             headers={"Accept": "application/json"}).json
    assert (waiting["status"], waiting["download"]) == ("pending", "")

    run_worker()

    status = django_app.get(response["Location"], user=viewer,
                            headers={"Accept": "application/json"}).json
    assert (status["status"], status["done"], status["total"]) == ("done", 5, 5)
    assert django_app.get(status["download"], user=viewer).body.count(b"\n") == 6
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


@pytest.mark.django_db
@override_settings(TASKS=IMMEDIATE_BACKEND)
def test_a_job_delivered_twice_runs_once(viewer, caplog):
    bulk_orders(3)
    job = ExportJob.objects.create(user=viewer, params={"format": "csv"}, total=3)
    run_export_task.call(job.pk)
    job.refresh_from_db()
    first_file, first_start = job.file.name, job.started_at
    assert (job.status, job.claimed_for) == (ExportJob.Status.DONE, "export")

    run_export_task.call(job.pk)  # a second delivery: a re-enqueue, another worker

    job.refresh_from_db()
    assert (job.file.name, job.started_at) == (first_file, first_start)
    assert "already claimed" in caplog.text


@pytest.mark.django_db
def test_the_sweep_fails_a_dead_workers_export_and_deletes_its_files(django_app, viewer,
                                                                     settings):
    settings.OSCAR_ORDERS_EXT_JOB_STALE_SECONDS = 300
    dead = claimed_export(viewer, minutes_ago=6)
    dead.file.save("half.csv", ContentFile(b"number\n1\n"), save=True)
    stored = dead.file.path
    handle, temporary = tempfile.mkstemp(prefix=f"{EXPORT_TEMP_PREFIX}{dead.pk}-")
    os.close(handle)
    alive = claimed_export(viewer, minutes_ago=1)
    queued = ExportJob.objects.create(user=viewer, params={"format": "csv"})  # no worker yet

    assert fail_stale_jobs() == 1

    dead.refresh_from_db()
    assert dead.status == ExportJob.Status.FAILED and not dead.file
    assert not os.path.exists(stored) and not os.path.exists(temporary)
    page = django_app.get(ws_url("orders-export-job", pk=dead.pk), user=viewer)
    assert ("The export failed: the worker running it stopped (no sign of life for 5 minutes). "
            "Start it again." in page.text)
    assert ExportJob.objects.get(pk=alive.pk).status == ExportJob.Status.RUNNING
    assert ExportJob.objects.get(pk=queued.pk).status == ExportJob.Status.PENDING
    assert fail_stale_jobs() == 0  # idempotent


@pytest.mark.django_db
def test_the_sweep_fails_a_dead_workers_import_with_a_message(viewer):
    beat = timezone.now() - timedelta(hours=1)
    common = {"uploaded_by": viewer, "file": "x.csv", "filename": "x.csv",
              "started_at": beat, "heartbeat_at": beat}
    reading = ImportJob.objects.create(status=ImportJob.Status.PLANNING, claimed_for="plan",
                                       **common)
    importing = ImportJob.objects.create(status=ImportJob.Status.RUNNING,
                                         claimed_for="commit", **common)
    done = ImportJob.objects.create(status=ImportJob.Status.DONE, claimed_for="commit",
                                    **common)

    assert fail_stale_jobs() == 2

    reading.refresh_from_db()
    importing.refresh_from_db()
    assert reading.status == importing.status == ImportJob.Status.FAILED
    assert "the worker reading the file stopped" in reading.message
    assert "the worker importing the file stopped" in importing.message
    assert ImportJob.objects.get(pk=done.pk).status == ImportJob.Status.DONE


@pytest.mark.django_db
def test_the_sweep_says_why_in_the_language_of_whoever_started_each_job(viewer, editor):
    beat = timezone.now() - timedelta(hours=1)
    dead = {"started_at": beat, "heartbeat_at": beat}
    upload = {"uploaded_by": viewer, "file": "x.csv", "filename": "x.csv", **dead}
    reading = ImportJob.objects.create(status=ImportJob.Status.PLANNING, claimed_for="plan",
                                       language="it", **upload)
    importing = ImportJob.objects.create(status=ImportJob.Status.RUNNING,
                                         claimed_for="commit", language="", **upload)
    exporting = ExportJob.objects.create(user=viewer, params={"format": "csv"},
                                         status="running", claimed_for="export",
                                         language="it", **dead)
    acting = BulkJob.objects.create(user=editor, params={"action": "mark_paid"},
                                    status=BulkJob.Status.RUNNING, claimed_for="bulk",
                                    language="fr", **dead)

    with translation.override("en"):  # the tick's own language
        assert fail_stale_jobs() == 4

    assert ImportJob.objects.get(pk=reading.pk).message.startswith(
        "il processo in background che leggeva il file si è fermato")
    # No language recorded (a job started before they were): the shop's.
    assert ImportJob.objects.get(pk=importing.pk).message.startswith(
        "the worker importing the file stopped")
    assert ExportJob.objects.get(pk=exporting.pk).error.startswith(
        "il processo in background che la eseguiva si è fermato")
    assert BulkJob.objects.get(pk=acting.pk).error.startswith(
        "le worker qui l'exécutait s'est arrêté")


@pytest.mark.django_db
def test_the_sweep_fails_a_dead_workers_bulk_action_keeping_what_it_did(django_app, editor):
    beat = timezone.now() - timedelta(hours=1)
    dead = BulkJob.objects.create(user=editor, params={"action": "mark_paid"}, label="Mark paid",
                                  status=BulkJob.Status.RUNNING, claimed_for="bulk", total=10,
                                  done=4, changed=4, started_at=beat, heartbeat_at=beat)
    assert fail_stale_jobs() == 1
    page = django_app.get(ws_url("orders-bulk-job", pk=dead.pk), user=editor)
    assert "The bulk action failed: the worker running it stopped" in page.text
    assert "4 orders updated." in page.text


@pytest.mark.django_db(transaction=True)
def test_a_bulk_action_on_every_order_waits_for_the_worker(django_app, editor, settings):
    settings.TASKS = DATABASE_BACKEND
    bulk_orders(30)
    vip = Tag.objects.create(name="VIP")
    form = django_app.get(ws_url("orders-workspace"), user=editor).forms["ooe-bulk-form"]
    form["action"], form["tag"], form["select_all"] = "add_tag", str(vip.pk), "1"
    job_page = form.submit("apply", value="all").follow()
    assert "Waiting for the worker" in job_page.text
    assert not OrderProcess.objects.filter(tags=vip).exists()

    run_worker()

    job = BulkJob.objects.get()
    assert (job.status, job.total, job.changed, job.claimed_for) == ("done", 30, 30, "bulk")
    assert OrderProcess.objects.filter(tags=vip).count() == 30
    assert "30 orders updated." in django_app.get(ws_url("orders-bulk-job", pk=job.pk),
                                                  user=editor).text


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_keeps_a_long_job_alive(viewer):
    job = claimed_export(viewer, minutes_ago=60)
    with Heartbeat(ExportJob, job.pk, every=0.05):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            job.refresh_from_db()
            if job.heartbeat_at > timezone.now() - timedelta(minutes=1):
                break
            time.sleep(0.05)
    assert job.heartbeat_at > timezone.now() - timedelta(minutes=1)
    assert fail_stale_jobs() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_run_each_job_exactly_once(viewer, settings):
    settings.TASKS = DATABASE_BACKEND
    bulk_orders(20)
    options = ExportOptions(format="csv", columns=["number"])
    jobs = [start_export(options, viewer) for _ in range(8)]  # autocommit: enqueued at once
    errors: list[BaseException] = []

    def work(worker_id: str) -> None:
        try:
            run_worker(worker_id)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            from django.db import connections
            connections.close_all()

    threads = [threading.Thread(target=work, args=(f"w{n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    results = list(DBTaskResult.objects.all())
    assert len(results) == 8 and all(result.status == "SUCCESSFUL" for result in results)
    assert all(len(result.worker_ids) == 1 for result in results)
    assert {job.status for job in ExportJob.objects.filter(pk__in=[j.pk for j in jobs])} == {
        ExportJob.Status.DONE}


@pytest.mark.parametrize("debug, backend, warned", [
    (False, IMMEDIATE_BACKEND, True),
    (True, IMMEDIATE_BACKEND, False),
    (False, DATABASE_BACKEND, False),
])
def test_production_settings_running_jobs_inline_are_warned(settings, debug, backend, warned):
    settings.DEBUG, settings.TASKS = debug, backend
    assert [message.id for message in check_background_tasks()] == (
        ["oscar_orders_ext.W001"] if warned else [])



def test_the_deployment_warning_is_in_the_shops_language(settings):
    from django.utils import translation

    settings.DEBUG, settings.TASKS = False, IMMEDIATE_BACKEND
    with translation.override("it"):
        (warning,) = check_background_tasks()
    assert warning.msg.startswith("Esportazioni, importazioni e stampe in blocco")
    assert "manage.py db_worker" in warning.hint
