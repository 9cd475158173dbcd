"""The Redis alternative: a background export queued through django-tasks-rq and run by an RQ
worker (Redis at 127.0.0.1:6379, database 5; skipped when Redis is not there)."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from oscar_orders_ext.exports.service import ExportOptions, start_export
from oscar_orders_ext.models import ExportJob

from ..factories import bulk_orders

REDIS_URL = "redis://127.0.0.1:6379/5"


def redis_running() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


pytestmark = pytest.mark.skipif(not redis_running(), reason="needs Redis on 127.0.0.1:6379")


@pytest.mark.django_db(transaction=True)
def test_an_export_runs_through_an_rq_worker(viewer: Any, settings: Any, tmp_path: Any) -> None:
    import django_rq
    from django_tasks_rq.backend import Job
    from rq import SimpleWorker

    settings.MEDIA_ROOT = tmp_path
    settings.RQ_QUEUES = {"default": {"URL": REDIS_URL}}
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend"}}
    queue = django_rq.get_queue("default", job_class=Job)
    queue.empty()
    bulk_orders(4)
    job = start_export(ExportOptions(format="csv", columns=["number"]), viewer)  # autocommit
    assert ExportJob.objects.get(pk=job.pk).status == ExportJob.Status.PENDING
    assert queue.count == 1

    # In this process (no fork), so the job sees the test database.
    SimpleWorker([queue], connection=queue.connection, job_class=Job).work(burst=True)

    job.refresh_from_db()
    assert (job.status, job.done, job.claimed_for) == (ExportJob.Status.DONE, 4, "export")
    assert job.file.read().count(b"\n") == 5
    job.file.close()
