"""Background work, run through Django's task API (django-tasks).

With the default ``ImmediateBackend`` tasks run inline; a production shop points ``TASKS`` at
a real worker (django-tasks' database backend, for example) and nothing else changes.
"""

from __future__ import annotations

from django_tasks import task


@task()
def send_state_email_task(order_id: int, state: str, note: str = "") -> bool:
    """Send the state-change email of one order."""
    from .notifications import send_state_email

    return send_state_email(order_id, state, note)


@task()
def run_export_task(job_id: int) -> None:
    """Write a background export."""
    from .exports.service import run_export

    run_export(job_id)


@task()
def plan_import_task(job_id: int) -> None:
    """Read an uploaded order file (the dry run of a large import)."""
    from .imports.jobs import run_plan

    run_plan(job_id)


@task()
def commit_import_task(job_id: int) -> None:
    """Import a large order file whose dry run was accepted."""
    from .imports.jobs import run_commit

    run_commit(job_id)


@task()
def run_print_task(job_id: int) -> None:
    """Render a background bulk print of documents."""
    from .documents.service import run_print_job

    run_print_job(job_id)
