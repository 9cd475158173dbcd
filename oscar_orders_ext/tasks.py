"""Every background task of the app, run through Django's task API (django-tasks).

Each task is defined beside the work it runs (so the services that enqueue it need not import
this module); this module lists them all in one place. With the default ``ImmediateBackend``
tasks run inline; a production shop points ``TASKS`` at a real worker
(``django_tasks_db.DatabaseBackend`` and ``manage.py db_worker``, or
``django_tasks_rq.RQBackend``) and nothing else changes: ``docs/deployment.md`` has the set-up.
Job tasks claim their job and keep a heartbeat (``services/jobs.py``), so a second delivery
does nothing and a dead worker's job is failed by the tick.
"""

from .documents.service import run_print_task
from .exports.service import run_export_task
from .imports.jobs import commit_import_task, plan_import_task
from .payments.service import send_payment_email_task
from .services.conversations import send_message_email_task
from .services.customer_upkeep import customer_upkeep_task
from .services.notifications import send_state_email_task
from .webhooks.service import send_webhook_task, send_webhooks_task

__all__ = ["commit_import_task", "customer_upkeep_task", "plan_import_task", "run_export_task",
           "run_print_task", "send_message_email_task", "send_payment_email_task",
           "send_state_email_task", "send_webhook_task", "send_webhooks_task"]
