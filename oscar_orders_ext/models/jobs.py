"""Background exports, imports and bulk actions, with their progress; the scheduler tick's runs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class WorkerRun(models.Model):
    """What a worker records while it runs a job, so that a job whose worker died is noticed.

    A task claims its phase of the job once (a second delivery of the same task finds it
    claimed and does nothing); while it runs, a heartbeat refreshes ``heartbeat_at``. The
    tick's stale-job sweep fails jobs whose heartbeat stopped (``oscar_orders_ext.tasks``).
    """

    #: The phase a worker claimed ("export", "print", "plan", "commit"); "" before any.
    claimed_for = models.CharField(_("claimed for"), max_length=16, blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    #: The language of the person who started the job (active in their request); the worker
    #: writes the job's messages, warnings and reports in it. "" means ``LANGUAGE_CODE``.
    #: db_default: a process still running the previous release inserts jobs without it.
    language = models.CharField(_("language"), max_length=15, blank=True, default="",
                                db_default="")

    class Meta:
        abstract = True


def percent_done(done: int, total: int, *, finished: bool) -> int:
    """A job's percentage done, 0–100 (100 once it is done, whatever the counters say)."""
    if finished:
        return 100
    return min(100, int(100 * done / total)) if total else 0


def export_upload_to(job: ExportJob, filename: str) -> str:
    return f"oscar_orders_ext/exports/{job.pk}/{filename}"


class ExportJob(WorkerRun):
    """A large export written in the background; its file expires."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("user"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.PENDING)
    #: What to export: filter query string, columns, format and options.
    params = models.JSONField(_("parameters"), default=dict)
    total = models.PositiveIntegerField(_("orders to export"), default=0)
    done = models.PositiveIntegerField(_("orders exported"), default=0)
    file = models.FileField(_("file"), upload_to=export_upload_to, blank=True, max_length=255)
    error = models.TextField(_("error"), blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("export")
        verbose_name_plural = _("exports")

    def __str__(self) -> str:
        return f"{self.params.get('format', '?')} export {self.pk} ({self.status})"

    @property
    def progress(self) -> int:
        """Percentage done, 0–100."""
        return percent_done(self.done, self.total, finished=self.status == self.Status.DONE)

    @property
    def expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()


def import_upload_to(job: ImportJob, filename: str) -> str:
    return f"oscar_orders_ext/imports/{job.uploaded_by_id}/{filename}"


class ImportJob(WorkerRun):
    """An uploaded order file: its dry run, then its commit, each possibly in the background.

    The file itself stays in Django storage so the commit reads exactly what was previewed;
    the job and its file expire like background exports.
    """

    class Status(models.TextChoices):
        PLANNING = "planning", _("Reading the file")
        PLANNED = "planned", _("Ready to import")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                    related_name="+", verbose_name=_("uploaded by"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.PLANNING)
    file = models.FileField(_("file"), upload_to=import_upload_to, max_length=255)
    filename = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size in bytes"), default=0)
    #: The reader that recognised the file ("shopify", "native", …), once read.
    format = models.CharField(_("format"), max_length=32, blank=True)
    #: The dry run: counts, warnings, detected encoding and delimiter, per-order changes.
    plan = models.JSONField(_("dry run"), default=dict, blank=True)
    #: Row errors of the dry run (the first IMPORT_ERRORS_STORED); ``error_count`` has them all.
    errors = models.JSONField(_("row errors"), default=list, blank=True)
    error_count = models.PositiveIntegerField(_("row errors"), default=0)
    total = models.PositiveIntegerField(_("orders"), default=0)
    done = models.PositiveIntegerField(_("orders done"), default=0)
    #: What the commit did: counts and the orders it refused.
    result = models.JSONField(_("result"), default=dict, blank=True)
    #: Why the job failed (a file that cannot be read, an unexpected error).
    message = models.TextField(_("message"), blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return f"{self.filename} ({self.status})"

    @property
    def progress(self) -> int:
        """Percentage done, 0–100."""
        return percent_done(self.done, self.total, finished=self.status == self.Status.DONE)

    @property
    def expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def seconds_left(self) -> int | None:
        """An estimate of the seconds the running phase still needs (reading the file, or
        importing), from its pace so far; None before there is a pace."""
        if self.status not in (self.Status.PLANNING, self.Status.RUNNING) or \
                not self.started_at or not self.done or self.total <= self.done:
            return None
        elapsed = (timezone.now() - self.started_at).total_seconds()
        return max(1, int(elapsed * (self.total - self.done) / self.done))

    @property
    def can_cancel(self) -> bool:
        """Being read, waiting for its commit, or importing."""
        return self.status in (self.Status.PLANNING, self.Status.PLANNED, self.Status.RUNNING)

    @property
    def can_commit(self) -> bool:
        """Planned, without row errors, something to do, not expired."""
        return (self.status == self.Status.PLANNED and not self.error_count
                and not self.expired and bool(self.plan.get("actionable")))


class BulkJob(WorkerRun):
    """A bulk action on many orders run by the worker: its progress and its per-order report.

    Set-based actions (tags, operator, payment status) write a batch per statement; state
    changes go through the transition service order by order. Each batch commits on its own,
    so the orders done before a failure stay done and the report says how far it went.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("user"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.PENDING)
    #: The action and its parameter (transition, tag, operator, notify) and the selection:
    #: ticked process ids, or the filter's query string for every matching order.
    params = models.JSONField(_("parameters"), default=dict)
    #: The action's label in the user's language when it was started (for the page).
    label = models.CharField(_("action"), max_length=255, blank=True)
    total = models.PositiveIntegerField(_("orders selected"), default=0)
    #: Orders looked at so far (changed, unchanged or refused).
    done = models.PositiveIntegerField(_("orders processed"), default=0)
    changed = models.PositiveIntegerField(_("orders updated"), default=0)
    emailed = models.PositiveIntegerField(_("customers emailed"), default=0)
    #: The refusals, order by order ({"number", "message"}); the first BULK_REFUSALS_STORED.
    refusals = models.JSONField(_("refusals"), default=list, blank=True)
    refused = models.PositiveIntegerField(_("orders refused"), default=0)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("bulk action")
        verbose_name_plural = _("bulk actions")

    def __str__(self) -> str:
        return f"{self.params.get('action', '?')} bulk action {self.pk} ({self.status})"

    @property
    def progress(self) -> int:
        """Percentage done, 0–100."""
        return percent_done(self.done, self.total, finished=self.status == self.Status.DONE)

    @property
    def finished(self) -> bool:
        """Whether the worker is done with it (successfully or not)."""
        return self.status in {self.Status.DONE, self.Status.FAILED}


class TickRun(models.Model):
    """The last run of one piece of due work registered on the tick (``oscar_orders_ext.tick``).

    Kept in the database so every host running ``orders_tick`` agrees on what is due.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    last_started_at = models.DateTimeField(_("last started"), null=True, blank=True)
    last_finished_at = models.DateTimeField(_("last finished"), null=True, blank=True)
    #: What the last run reported (a count, a sentence), or its error.
    last_result = models.TextField(_("last result"), blank=True)
    last_failed = models.BooleanField(_("last run failed"), default=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tick run")
        verbose_name_plural = _("tick runs")

    def __str__(self) -> str:
        return self.name
