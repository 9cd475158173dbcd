"""Running background jobs safely: claims, heartbeats and the stale-job sweep.

django-tasks runs a task at most once and a worker that dies mid-task leaves it "running"
forever, so each job task:

- claims its phase of the job in one conditional UPDATE: a second delivery of the same task
  (two workers, an operator's re-enqueue) finds it claimed and does nothing;
- keeps a heartbeat on the job while it runs (a thread with its own connection);
- runs in the language of whoever started the job (``WorkerRun.language``), not the worker's;
- and the tick's sweep (``fail_stale_jobs``) fails jobs whose heartbeat stopped, with a message
  the job page shows, and deletes what they had half written.
"""

from __future__ import annotations

import glob
import logging
import os
import tempfile
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.core.files.storage import default_storage
from django.db import DatabaseError, connections
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import ngettext

from ..conf import app_settings
from ..i18n import in_job_language, job_language
from ..models import BulkJob, ExportJob, ImportJob

#: The job models a worker runs (all are ``WorkerRun``s).
JobModel = type[ExportJob] | type[ImportJob] | type[BulkJob]

logger = logging.getLogger(__name__)

#: Prefix of the temporary file a background export writes before storing it.
EXPORT_TEMP_PREFIX = "oscar-orders-ext-export-"


def claim_job(model: JobModel, job_id: int, phase: str) -> bool:
    """Claim one phase of a job for this worker; False when it was claimed before."""
    now = timezone.now()
    return bool(model.objects.filter(pk=job_id).exclude(claimed_for=phase).update(
        claimed_for=phase, started_at=now, heartbeat_at=now))


class Heartbeat:
    """Refresh a job's ``heartbeat_at`` every few seconds while the ``with`` block runs.

    A thread, so a long step without progress reports (a bulk print's render, an import's
    single transaction) still shows the worker alive; it writes through its own connection,
    outside the job's transaction. A process that dies stops beating, which is the point.
    """

    def __init__(self, model: JobModel, job_id: int,
                 every: float | None = None) -> None:
        self.model, self.job_id = model, job_id
        self.every = every if every is not None else app_settings.JOB_HEARTBEAT_SECONDS
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True,
                                        name=f"heartbeat-{model.__name__}-{job_id}")

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        try:
            while not self._stop.wait(self.every):
                try:
                    self.model.objects.filter(pk=self.job_id).update(
                        heartbeat_at=timezone.now())
                except DatabaseError:  # SQLite busy with the job's own write: next beat
                    logger.debug("Heartbeat of %s %s skipped", self.model.__name__,
                                 self.job_id, exc_info=True)
        finally:
            connections.close_all()  # this thread's connections only


def run_claimed(model: JobModel, job_id: int, phase: str,
                run: Callable[[int], Any]) -> None:
    """Run one phase of a job once: claimed, with a heartbeat, in the language of whoever
    started it; a second delivery does nothing."""
    if not claim_job(model, job_id, phase):
        logger.warning("%s %s: %s already claimed by a worker, not run again",
                       model.__name__, job_id, phase)
        return
    # The worker's own language is the shop's (or whatever its last task left active): what
    # the job stores for its page (warnings, refusals, errors) must read as its starter's.
    job = model.objects.only("language").get(pk=job_id)
    with Heartbeat(model, job_id), in_job_language(job):
        run(job_id)


# --- The stale-job sweep (registered on the tick) ---------------------------------------------

def _delete_partial_export(job: ExportJob) -> None:
    """What a dead worker may have left of an export: its stored file, a half-stored file in
    the job's folder, its temporary file (on this host)."""
    if job.file:
        job.file.delete(save=False)
    folder = f"oscar_orders_ext/exports/{job.pk}"
    try:
        _, files = default_storage.listdir(folder)
    except (FileNotFoundError, NotImplementedError):
        files = []
    for name in files:
        default_storage.delete(f"{folder}/{name}")
    for path in glob.glob(os.path.join(tempfile.gettempdir(), f"{EXPORT_TEMP_PREFIX}{job.pk}-*")):
        os.unlink(path)


def stale_message(kind: str) -> str:
    """Why the sweep failed a job, for its page ("export", "plan", "commit" or "bulk")."""
    minutes = max(1, round(app_settings.JOB_STALE_SECONDS / 60))
    messages = {
        "export": ngettext(
            "the worker running it stopped (no sign of life for %(minutes)d minute). "
            "Start it again.",
            "the worker running it stopped (no sign of life for %(minutes)d minutes). "
            "Start it again.", minutes),
        "plan": ngettext(
            "the worker reading the file stopped (no sign of life for %(minutes)d minute). "
            "Upload the file again.",
            "the worker reading the file stopped (no sign of life for %(minutes)d minutes). "
            "Upload the file again.", minutes),
        "bulk": ngettext(
            "the worker running it stopped (no sign of life for %(minutes)d minute). The "
            "orders counted above were done; run the action again for the others.",
            "the worker running it stopped (no sign of life for %(minutes)d minutes). The "
            "orders counted above were done; run the action again for the others.", minutes),
        "commit": ngettext(
            "the worker importing the file stopped (no sign of life for %(minutes)d minute). "
            "Upload the file again.",
            "the worker importing the file stopped (no sign of life for %(minutes)d minutes). "
            "Upload the file again.", minutes),
    }
    return messages[kind] % {"minutes": minutes}


def _fail_in_their_language(jobs: QuerySet[Any], kind: str, **changes: Any) -> int:
    """Fail ``jobs`` with the stale message of ``kind``, written in each job's language (the
    tick runs in the shop's): one UPDATE per language among them."""
    field = "error" if jobs.model is not ImportJob else "message"
    count = 0
    for language in list(jobs.order_by().values_list("language", flat=True).distinct()):
        with translation.override(job_language(language)):
            count += jobs.filter(language=language).update(
                **changes, **{field: stale_message(kind)})
    return count


def fail_stale_jobs(now: Any = None) -> int:
    """Fail the jobs whose worker stopped beating; returns how many."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=app_settings.JOB_STALE_SECONDS)
    unfinished = (ExportJob.Status.PENDING, ExportJob.Status.RUNNING)
    count = 0
    for job in ExportJob.objects.filter(status__in=unfinished, heartbeat_at__lt=cutoff).exclude(
            claimed_for=""):
        _delete_partial_export(job)
        # Conditional: a worker that was only slow and finished meanwhile keeps its result.
        with in_job_language(job):
            count += ExportJob.objects.filter(
                pk=job.pk, status__in=unfinished, heartbeat_at__lt=cutoff).update(
                status=ExportJob.Status.FAILED, file="", done=0, error=stale_message("export"))
    count += _fail_in_their_language(ImportJob.objects.filter(
        status=ImportJob.Status.PLANNING, claimed_for="plan", heartbeat_at__lt=cutoff),
        "plan", status=ImportJob.Status.FAILED, finished_at=now)
    # The commit is one transaction: a dead worker's commit was rolled back whole.
    count += _fail_in_their_language(ImportJob.objects.filter(
        status=ImportJob.Status.RUNNING, claimed_for="commit", heartbeat_at__lt=cutoff),
        "commit", status=ImportJob.Status.FAILED, finished_at=now)
    # A bulk action commits batch by batch: what it did stays, the page says how far it got.
    count += _fail_in_their_language(BulkJob.objects.filter(
        status__in=(BulkJob.Status.PENDING, BulkJob.Status.RUNNING), claimed_for="bulk",
        heartbeat_at__lt=cutoff), "bulk", status=BulkJob.Status.FAILED, finished_at=now)
    if count:
        logger.warning("%d stale background jobs marked failed", count)
    return count
