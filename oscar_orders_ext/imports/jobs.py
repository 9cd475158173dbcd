"""Import jobs: an uploaded file, its dry run and its commit, in the request or in the
background (django-tasks), with progress a job page can poll.

The file is kept in Django storage; so are the orders its dry run read (a spool of JSON
lines beside it), which the commit streams back instead of reading the file again. The commit
still checks each batch against the database as it is then (a re-import stays idempotent); a
round trip plans its file again (it compares with the orders' current values). Each phase
reports its progress (rows read, then orders written) and can be cancelled; a cancelled commit
is rolled back.
"""

from __future__ import annotations

import threading
from dataclasses import asdict
from datetime import timedelta
from typing import Any

from django.core.files.base import ContentFile, File
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from oscar_orders_ext.conf import app_settings
from oscar_orders_ext.i18n import starting_language
from oscar_orders_ext.models import ImportJob
from oscar_orders_ext.services.jobs import run_claimed

from .formats import reader_named
from .planning import ImportCounts, PlanProgress
from .service import (ImportCancelled, ImportPlan, ImportRefused, commit_import, format_for,
                      plan_import)
from .staging import OrderSpool
from .sources import (STREAM_CHUNK, ImportFileError, check_size, check_type, file_kind,
                      read_headers, readable_in_request)

#: Per-order changes of a round trip kept with the job (and shown); the rest are counted.
UPDATES_STORED = 1000


def _expiry() -> Any:
    return timezone.now() + timedelta(hours=app_settings.IMPORT_EXPIRY_HOURS)


def read_upload(upload: UploadedFile) -> bytes:
    """The upload's bytes, refusing a file too large or of the wrong type before reading it."""
    check_size(upload.size or 0)
    check_type(upload.name or "")
    data = b"".join(upload.chunks())
    check_size(len(data))  # the declared size can lie
    return data


def start_import(upload: UploadedFile, user: Any) -> ImportJob:
    """Store an upload and make its dry run: now for small files, in the background for large
    ones (their header is checked first). ImportFileError means nothing was stored."""
    filename = (upload.name or "orders.csv").rsplit("/", 1)[-1]
    # Size and type are checked by file_kind (a large CSV) or read_upload (the rest).
    if (upload.size or 0) > app_settings.IMPORT_SYNC_BYTES:
        head = _head(upload)
        if file_kind(head, filename, size=upload.size) == "csv":
            return _start_streamed(upload, filename, head, user)
    data = read_upload(upload)
    # An XLSX expanding beyond what a request may inflate is read in the background only.
    readable_now = readable_in_request(data, filename)
    background = len(data) > app_settings.IMPORT_SYNC_BYTES or not readable_now
    plan = None
    if background and readable_now:
        format_for(read_headers(data, filename))
    elif not background:
        plan = plan_import(data, filename)
    job = ImportJob(uploaded_by=user, filename=filename[:255], size=len(data),
                    expires_at=_expiry(), language=starting_language())
    job.file.save(filename, ContentFile(data), save=False)
    if plan is None:
        job.save()
        transaction.on_commit(lambda: _enqueue_plan(job.pk))
    else:
        store_plan(job, plan)
        try:
            job.save()
            keep_spool(job, plan)
            job.save(update_fields=["plan"])
        finally:
            if isinstance(plan.orders, OrderSpool):
                plan.orders.close()
    return job


def _head(upload: UploadedFile) -> bytes:
    """The upload's first bytes (its header row), the upload rewound."""
    upload.seek(0)
    head = upload.read(STREAM_CHUNK)
    upload.seek(0)
    return head


def _start_streamed(upload: UploadedFile, filename: str, head: bytes, user: Any) -> ImportJob:
    """A large CSV: its header checked, then copied to storage chunk by chunk (Django keeps
    such an upload in a temporary file): a file of a million orders never sits in memory."""
    # Up to the last whole line: a multi-byte character cut at the end must not change how
    # the header row decodes.
    complete = head[:head.rfind(b"\n") + 1] or head
    format_for(read_headers(complete, filename))
    job = ImportJob(uploaded_by=user, filename=filename[:255], size=upload.size or 0,
                    expires_at=_expiry(), language=starting_language())
    job.file.save(filename, upload, save=False)
    if job.file.size > int(app_settings.IMPORT_MAX_BYTES):  # the declared size can lie
        size = job.file.size
        job.file.delete(save=False)
        check_size(size)
    job.size = job.file.size
    job.save()
    transaction.on_commit(lambda: _enqueue_plan(job.pk))
    return job


def _enqueue_plan(job_id: int) -> None:
    plan_import_task.enqueue(job_id)


def store_plan(job: ImportJob, plan: ImportPlan) -> None:
    """Copy a dry run onto the job (not saved): counts, warnings, capped errors and changes."""
    job.format = plan.reader.name
    job.status = ImportJob.Status.PLANNED
    job.error_count = len(plan.errors)
    job.errors = [asdict(error) for error in plan.errors[:app_settings.IMPORT_ERRORS_STORED]]
    job.total = plan.actionable
    job.done = 0
    job.plan = {
        "format_label": str(plan.reader.label),
        "edits_orders": plan.reader.edits_orders,
        "encoding": plan.encoding,
        "delimiter": {"\t": "tab"}.get(plan.delimiter, plan.delimiter),
        "rows": plan.rows,
        "orders": len(plan.orders) or len(plan.edits),
        "counts": asdict(plan.counts),
        "warnings": [str(warning) for warning in plan.warnings],
        "actionable": plan.actionable,
        "updates": [update.as_json() for update in plan.updates[:UPDATES_STORED]],
        "update_count": len(plan.updates),
    }


def spool_name(job: ImportJob) -> str:
    """Where the orders of a job's dry run are kept: beside its file."""
    return f"{job.file.name}.plan.jsonl"


def keep_spool(job: ImportJob, plan: ImportPlan) -> None:
    """Store the dry run's orders beside the job's file, for the commit (not saved)."""
    if not isinstance(plan.orders, OrderSpool):
        return
    plan.orders.handle.flush()
    plan.orders.handle.seek(0)
    name = job.file.storage.save(spool_name(job), File(plan.orders.handle, name="plan.jsonl"))
    job.plan["spool"] = name
    job.plan["spool_orders"] = len(plan.orders)


def delete_spool(job: ImportJob) -> None:
    """Delete a job's stored dry run (after the commit, or with the job)."""
    name = job.plan.get("spool") if job.plan else None
    if name and job.file:
        job.file.storage.delete(name)


def cancelled(job_id: int) -> bool:
    """Whether the job was cancelled (asked between chunks and batches)."""
    return ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.CANCELLED).exists()


def cancel_job(job: ImportJob) -> bool:
    """Cancel an import that is being read, waits for its commit or runs: a running commit
    stops at its next batch and rolls back (nothing is written). False when it had ended."""
    updated = ImportJob.objects.filter(pk=job.pk, status__in=(
        ImportJob.Status.PLANNING, ImportJob.Status.PLANNED, ImportJob.Status.RUNNING)).update(
        status=ImportJob.Status.CANCELLED, message=_("Cancelled."), finished_at=timezone.now())
    job.refresh_from_db()
    if updated and job.status == ImportJob.Status.CANCELLED and \
            job.claimed_for != "commit":
        delete_spool(job)
    return bool(updated)


def plan_progress(job_id: int) -> PlanProgress:
    """Publishes the rows a dry run has read and the rows it will read (estimated from how
    much of the file that was); stops the dry run when the job was cancelled."""

    def progress(rows: int, fraction: float) -> None:
        total = max(rows, int(rows / fraction)) if fraction > 0 else rows
        ImportJob.objects.filter(pk=job_id).update(done=rows, total=total)
        if cancelled(job_id):
            raise ImportCancelled(_("The import was cancelled. Nothing was imported."))

    return progress


def run_plan(job_id: int) -> ImportJob:
    """The dry run of a stored file (the background half of start_import)."""
    job = ImportJob.objects.get(pk=job_id)
    try:
        with job.file.open("rb") as handle:
            plan = plan_import(handle, job.filename, progress=plan_progress(job.pk))
    except ImportCancelled:
        job.refresh_from_db()
        return job
    except ImportFileError as error:
        return _fail(job, error.message)
    except Exception as error:  # the job page must say it failed, whatever happened
        _fail(job, str(error))
        raise
    try:
        store_plan(job, plan)
        keep_spool(job, plan)
    finally:
        if isinstance(plan.orders, OrderSpool):
            plan.orders.close()
    # Cancelled while the last chunk was read: the job stays cancelled.
    if not ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.PLANNING).update(
            format=job.format, status=job.status, error_count=job.error_count,
            errors=job.errors, total=job.total, done=0, plan=job.plan):
        delete_spool(job)
        job.refresh_from_db()
    return job


def _fail(job: ImportJob, message: str) -> ImportJob:
    job.status, job.message, job.finished_at = ImportJob.Status.FAILED, message, timezone.now()
    job.save()
    return job


def commit_refusal(job: ImportJob) -> str:
    """Why the job cannot be committed now, or ""."""
    if job.status == ImportJob.Status.PLANNING:
        return _("The file is still being read.")
    if job.status in (ImportJob.Status.RUNNING, ImportJob.Status.DONE):
        return _("This file has already been imported.")
    if job.status == ImportJob.Status.FAILED:
        return _("This import failed; upload the file again.")
    if job.status == ImportJob.Status.CANCELLED:
        return _("This import was cancelled; upload the file again.")
    if job.expired:
        return _("This dry run has expired; upload the file again.")
    if job.error_count:
        return _("The file has row errors; fix them and upload it again.")
    if not job.plan.get("actionable"):
        return _("The file creates and changes nothing.")
    return ""


def commit_job(job: ImportJob) -> ImportJob:
    """Commit a planned job once: now for small imports, in the background for large ones.

    Raises ImportRefused when the job cannot be committed (already committed, expired,
    errors). Two concurrent commits cannot both start: the status moves from planned to
    running in one conditional UPDATE.
    """
    refusal = commit_refusal(job)
    if refusal:
        raise ImportRefused(refusal)
    claimed = ImportJob.objects.filter(
        pk=job.pk, status=ImportJob.Status.PLANNED).update(status=ImportJob.Status.RUNNING)
    if not claimed:
        raise ImportRefused(_("This file has already been imported."))
    job.status = ImportJob.Status.RUNNING
    if job.total > app_settings.IMPORT_SYNC_LIMIT:
        transaction.on_commit(lambda: _enqueue_commit(job.pk))
        return job
    return run_commit(job.pk)


def _enqueue_commit(job_id: int) -> None:
    commit_import_task.enqueue(job_id)


class ProgressReporter:
    """Publishes how many orders a commit has written.

    The commit is one transaction, so an UPDATE of the job inside it would stay invisible to
    the page polling it until the end. On PostgreSQL the progress is written from a short-lived
    thread, which has its own connection and so its own transaction; elsewhere (SQLite locks the
    whole database for the duration of a write) it is written at the end only.
    """

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id

    def __call__(self, done: int) -> None:
        if connection.in_atomic_block:
            if connection.vendor == "postgresql":
                thread = threading.Thread(target=self._write_elsewhere, args=(done,))
                thread.start()
                thread.join()
            return
        ImportJob.objects.filter(pk=self.job_id).update(done=done)

    def _write_elsewhere(self, done: int) -> None:
        try:
            ImportJob.objects.filter(pk=self.job_id).update(done=done)
        finally:
            connections.close_all()


def stored_plan(job: ImportJob) -> ImportPlan | None:
    """The dry run kept with the job, its orders read from the stored spool (to be closed
    by the caller); None when there is none (a round trip, or a job planned before)."""
    name = job.plan.get("spool")
    if not name or not job.file.storage.exists(name):
        return None
    handle = job.file.storage.open(name, "rb")
    counts = ImportCounts(**job.plan.get("counts", {}))
    return ImportPlan(filename=job.filename, reader=reader_named(job.format),
                      orders=OrderSpool(handle, count=int(job.plan.get("spool_orders", 0))),
                      rows=int(job.plan.get("rows", 0)), counts=counts)


def run_commit(job_id: int) -> ImportJob:
    """Import a claimed (running) job's file, recording the result or the failure: the
    orders its dry run stored, streamed; a round trip (or an older job) plans the file again."""
    job = ImportJob.objects.select_related("uploaded_by").get(pk=job_id)
    if job.status != ImportJob.Status.RUNNING:  # cancelled before the worker took it
        return job
    plan = None
    try:
        plan = stored_plan(job)
        if plan is None:
            with job.file.open("rb") as handle:
                plan = plan_import(handle, job.filename)
        result = commit_import(plan, user=job.uploaded_by, progress=ProgressReporter(job.pk),
                               cancelled=lambda: cancelled(job.pk))
    except ImportCancelled:
        job.refresh_from_db()
        delete_spool(job)
        return job
    except (ImportFileError, ImportRefused) as error:
        return _fail(job, error.message)
    except Exception as error:  # the job page must say it failed, whatever happened
        _fail(job, str(error))
        raise
    finally:
        if plan is not None and isinstance(plan.orders, OrderSpool):
            plan.orders.close()
    delete_spool(job)
    job.status, job.finished_at = ImportJob.Status.DONE, timezone.now()
    job.done = result.orders_created + result.orders_updated + len(result.refusals)
    job.total = max(job.total, job.done)
    job.result = {
        "orders_created": result.orders_created,
        "orders_already_imported": result.orders_already_imported,
        "customers_created": result.customers_created,
        "customers_updated": result.customers_updated,
        "lines_created": result.lines_created,
        "orders_updated": result.orders_updated,
        "refusals": result.refusals[:UPDATES_STORED],
        "refusal_count": len(result.refusals),
    }
    job.save()
    return job


@task()
def plan_import_task(job_id: int) -> None:
    """Read an uploaded order file (the dry run of a large import)."""
    run_claimed(ImportJob, job_id, "plan", run_plan)


@task()
def commit_import_task(job_id: int) -> None:
    """Import a large order file whose dry run was accepted."""
    run_claimed(ImportJob, job_id, "commit", run_commit)


def purge_expired_imports() -> int:
    """Delete expired import jobs and their files (not the orders they imported)."""
    count = 0
    for job in ImportJob.objects.filter(expires_at__lte=timezone.now()).exclude(
            status=ImportJob.Status.RUNNING):
        if job.file:
            delete_spool(job)
            job.file.delete(save=False)
        job.delete()
        count += 1
    return count
