"""The customer directory's upkeep of a new order, off the request when tasks run on a worker.

Checkout's placement once recounted a first-time buyer (seven statements) or applied the
order's delta to a returning one (two), and read the customer tag rules, inside the request.
With a task worker (any backend but django-tasks' ``ImmediateBackend``), a new order instead
queues one task (one ``INSERT`` with django-tasks-db, in the order's transaction so that the
order and its task commit together) that recounts its buyer from every order and applies the
tag rules: the figures are a full recount, exact whatever happened to the order before the
worker ran. Without a worker nothing changes: the delta, in the order's transaction.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django_tasks import task
from django_tasks.backends.immediate import ImmediateBackend

from .customer_summaries import COUNTED, contribution, email_key, refresh_customers
from .customer_tags import apply_tag_rules, rules_apply_on_placement

#: Where an order instance notes that its new process's upkeep (recount, tags) was queued.
QUEUED = "_oscar_orders_ext_upkeep_queued"


@task()
def customer_upkeep_task(emails: list[str], order_ids: list[int]) -> int:
    """Recount these customers, then apply the tag rules to these orders (the worker's half
    of a new order's upkeep); returns the tag links added."""
    refresh_customers(emails)
    return apply_tag_rules(order_ids) if order_ids else 0


def on_worker() -> bool:
    """Whether tasks run on a worker (else inline, where queuing would only add work)."""
    return not isinstance(customer_upkeep_task.get_backend(), ImmediateBackend)


def queue_new_order_upkeep(process: Any) -> bool:
    """Queue the upkeep of a just created process's order (its buyer's recount, and the tag
    rules when they apply on placement); False, with nothing done, without a worker."""
    if not on_worker():
        return False
    values = process.__dict__
    # Later saves in this transaction apply their deltas from here; the worker's recount
    # settles the row whatever they did.
    values[COUNTED] = contribution(values)
    key = email_key(values.get("customer_email"))
    order_ids = [process.order_id] if rules_apply_on_placement() else []
    if not key and not order_ids:
        return True
    emails = [key] if key else []

    def enqueue() -> None:
        customer_upkeep_task.enqueue(emails, order_ids)

    if type(customer_upkeep_task.get_backend()).__module__.startswith("django_tasks_db"):
        enqueue()  # the queue is a table of this database: one commit for the order and task
    else:
        transaction.on_commit(enqueue)  # another store: the worker must find the order
    if type(process).order.is_cached(process):
        process.order.__dict__[QUEUED] = True
    return True


def upkeep_queued(order: Any) -> bool:
    """Whether this order's new-order upkeep was queued (its tag rules need nothing more)."""
    return bool(order.__dict__.get(QUEUED))
