"""django-tasks-db task rows written in SQL, by the statement that writes their work.

django-tasks-db enqueues a task by building a ``DBTaskResult`` and saving it through the ORM
(``DatabaseBackend.enqueue`` → ``_task_to_db_task``): a statement of its own, plus the Python
of a model save and of the ``TaskResult`` built for its ``task_enqueued`` signal, which a
webhook event paid on every workflow move. On PostgreSQL the deliveries' ``INSERT … SELECT``
writes their task rows too, as a data-modifying CTE (:meth:`TaskRows.insert_sql`).

The rows' columns and values are not a copy of django-tasks-db's schema: they are derived
once per task from its model (every concrete field, its default, its ``pre_save`` hooks and
its database preparation), given the keyword arguments ``_task_to_db_task`` passes.
``tests/api/test_webhook_recording.py`` compares such a row with one written by ``enqueue``
and has ``db_worker`` run it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import connection
from django.db.models import Expression
from django.db.models.signals import pre_save
from django_tasks.base import Task
from django_tasks.utils import normalize_json

#: ``DBTaskResult``'s field holding a task's arguments (``_task_to_db_task``'s ``args_kwargs``).
ARGS_FIELD = "args_kwargs"


class _Marker:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.name}>"


#: Values filled per write: the row's id, its arguments (built in SQL), the time of writing.
ID, ARGS, NOW = _Marker("id"), _Marker("args"), _Marker("now")


@dataclass(frozen=True)
class TaskRows:
    """How django-tasks-db stores a row of one task on this connection: its table, columns
    and values (database-ready constants, or :data:`ID` / :data:`ARGS` / :data:`NOW`)."""

    backend: Any
    table: str
    columns: tuple[str, ...]
    values: tuple[Any, ...]
    id_type: str
    id_field: Any
    #: The statements built so far, by (source, per_task): built once, not per event.
    built: dict[tuple[str, int], str] = field(default_factory=dict, compare=False)

    def insert_sql(self, source: str, per_task: int) -> str:
        """``INSERT`` of one task row per ``per_task`` ids of the CTE ``source`` (column
        ``id``, in their order), each task called with the list of its ids."""
        sql = self.built.get((source, per_task))
        if sql is None:
            sql = self.built[source, per_task] = self._insert_sql(source, per_task)
        return sql

    def _insert_sql(self, source: str, per_task: int) -> str:
        quote = connection.ops.quote_name
        parts = []
        for value in self.values:
            if value is ID:
                parts.append(f"(%s::{self.id_type}[])[b.batch + 1]")
            elif value is ARGS:
                # normalize_json({"args": [ids], "kwargs": {}}), as enqueue(ids) stores it.
                parts.append("jsonb_build_object('args', jsonb_build_array("
                             "jsonb_agg(b.id ORDER BY b.id)), 'kwargs', '{}'::jsonb)")
            else:
                parts.append("%s")
        return (f"INSERT INTO {quote(self.table)} ({', '.join(map(quote, self.columns))}) "
                f"SELECT {', '.join(parts)} FROM (SELECT (row_number() OVER (ORDER BY id) - 1) "
                f"/ {int(per_task)} AS batch, id FROM {source}) b GROUP BY b.batch")

    def params(self, now: Any, rows: int, per_task: int) -> list[Any]:
        """The parameters of :meth:`insert_sql` for at most ``rows`` ids written at ``now``:
        ids (from the backend's id function) for as many tasks as they could fill."""
        params: list[Any] = []
        for value in self.values:
            if value is ID:
                params.append([self.id_field.get_db_prep_save(self.backend._get_id(), connection)
                               for _ in range(math.ceil(rows / per_task))])
            elif value is NOW:
                params.append(connection.ops.adapt_datetimefield_value(now))
            elif value is not ARGS:
                params.append(value)
        return params


_known: dict[tuple[Any, ...], tuple[Any, TaskRows | None]] = {}


def task_rows(task: Task[Any, Any]) -> TaskRows | None:
    """How rows of ``task`` are written, when its backend is django-tasks-db's and the database
    PostgreSQL (None otherwise: enqueue it the usual way); derived once per backend."""
    backend: Any = task.get_backend()
    if (connection.vendor != "postgresql"
            or not type(backend).__module__.startswith("django_tasks_db")):
        return None
    key = (connection.alias, backend.alias, task.module_path, task.priority, task.queue_name,
           task.run_after)
    known = _known.get(key)
    if known is None or known[0] is not backend:  # TASKS changed: a new backend
        # An id function giving a database expression (Django 6) cannot fill an array.
        plain = not isinstance(backend._get_id(), Expression)
        known = _known[key] = (backend, _derive(task, backend) if plain else None)
    return known[1]


def _derive(task: Task[Any, Any], backend: Any) -> TaskRows:
    """Build the row ``_task_to_db_task`` would save for ``task``, without saving it, and read
    its columns' database values as the ORM's ``INSERT`` would."""
    # Through the app registry (by the app's module: its label is django_tasks_database):
    # django-tasks-db is an optional dependency, installed whenever its backend is in use.
    [app] = [config for config in apps.get_app_configs() if config.name == "django_tasks_db"]
    model = app.get_model("DBTaskResult")
    backend.validate_task(task)  # what enqueue checks first
    row = model(args_kwargs=normalize_json({"args": [[]], "kwargs": {}}),
                priority=task.priority, task_path=task.module_path,
                queue_name=task.queue_name, run_after=task.run_after,
                backend_name=backend.alias)
    # django-tasks-db's own pre_save receivers (run_after None: "any time") complete it.
    pre_save.send(sender=model, instance=row, raw=False, using=connection.alias,
                  update_fields=None)
    columns, values = [], []
    for model_field in model._meta.local_concrete_fields:
        if getattr(model_field, "generated", False):
            continue
        columns.append(model_field.column)
        if model_field.primary_key:
            values.append(ID)
        elif model_field.name == ARGS_FIELD:
            values.append(ARGS)
        elif getattr(model_field, "auto_now", False) or getattr(model_field, "auto_now_add",
                                                                False):
            values.append(NOW)
        else:
            values.append(model_field.get_db_prep_save(model_field.pre_save(row, add=True),
                                                       connection))
    pk = model._meta.pk
    return TaskRows(backend=backend, table=model._meta.db_table, columns=tuple(columns),
                    values=tuple(values), id_type=str(pk.db_type(connection)), id_field=pk)
