"""Bulk actions on every matching order run on the worker: the request only records the job,
the job page shows progress then the report (refusals order by order); set-based actions
(tags, operator, payment status) change a batch in a few statements, with one timeline entry
per changed order and the tallies exact."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from oscar_orders_ext.models import BulkJob, OrderProcess, Tag, TimelineEntry
from oscar_orders_ext.services.bulk import run_set_based, set_based_action, start_bulk_job

from ..factories import bulk_orders
from .conftest import ws_url
from .test_bulk import bulk_form, submit

pytestmark = pytest.mark.django_db


def test_every_matching_order_runs_on_the_worker_with_a_progress_page(
        django_app, editor, django_capture_on_commit_callbacks):
    bulk_orders(3, prefix="F")
    bulk_orders(2, prefix="D", state="completed")
    with django_capture_on_commit_callbacks(execute=False) as worker:
        response = submit(bulk_form(django_app, editor), all_matching=True,
                          action="transition", transition="confirm")
    job = BulkJob.objects.get()
    assert response.status_code == 302
    assert response.location.endswith(ws_url("orders-bulk-job", pk=job.pk))
    # Nothing changed yet: the request only recorded the job.
    assert not OrderProcess.objects.filter(state="processing").exists()
    page = response.follow()
    assert "Waiting for the worker" in page.text
    assert django_app.get(ws_url("orders-bulk-job", pk=job.pk), user=editor,
                          headers={"Accept": "application/json"}).json["status"] == "pending"

    for callback in worker:  # the worker runs the task
        callback()
    assert OrderProcess.objects.filter(state="processing").count() == 3
    page = django_app.get(ws_url("orders-bulk-job", pk=job.pk), user=editor)
    assert "5 orders selected." in page.text and "3 orders updated." in page.text
    refusals = page.pyquery(".ooe-refusals").text()
    assert "D00000" in refusals and "D00001" in refusals and "“Completed”" in refusals
    status = django_app.get(ws_url("orders-bulk-job", pk=job.pk), user=editor,
                            headers={"Accept": "application/json"}).json
    assert status == {"status": "done", "progress": 100, "done": 5, "total": 5,
                      "changed": 3, "refused": 2, "error": ""}


def test_the_request_costs_the_same_whatever_the_number_of_orders(
        django_app, editor, django_capture_on_commit_callbacks):
    counts = []
    for size in (5, 60):
        bulk_orders(size, prefix=f"S{size}-")
        form = bulk_form(django_app, editor)
        with CaptureQueriesContext(connection) as queries, \
                django_capture_on_commit_callbacks(execute=False):
            submit(form, all_matching=True, action="mark_paid")
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert not OrderProcess.objects.filter(payment_status="paid").exists()


def test_more_ticked_rows_than_a_page_run_on_the_worker(django_app, editor, settings,
                                                        django_capture_on_commit_callbacks):
    settings.OSCAR_ORDERS_EXT_BULK_SYNC_LIMIT = 2
    processes = bulk_orders(3)
    tag = Tag.objects.create(name="VIP")
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(bulk_form(django_app, editor), selected=processes, action="add_tag",
                          tag=str(tag.pk))
    assert "/bulk/" in response.location
    assert OrderProcess.objects.filter(tags=tag).count() == 3
    assert "3 orders updated." in response.follow().text


def test_another_users_job_is_not_shown(django_app, editor, make_staff):
    job = BulkJob.objects.create(user=editor, params={"action": "mark_paid"})
    from .conftest import WORKSPACE_EDITOR

    other = make_staff("other", WORKSPACE_EDITOR)
    django_app.get(ws_url("orders-bulk-job", pk=job.pk), user=other, status=404)


def test_a_filter_with_bad_input_changes_nothing_and_says_why(
        django_app, editor, django_capture_on_commit_callbacks):
    bulk_orders(2)
    form = bulk_form(django_app, editor)
    form["query"] = "total_min=lots"
    with django_capture_on_commit_callbacks(execute=True):
        submit(form, all_matching=True, action="mark_paid")
    job = BulkJob.objects.get()
    assert job.status == "failed"
    assert job.error == "The filter is not valid: Total between: Enter a number."
    assert not OrderProcess.objects.filter(payment_status="paid").exists()


def test_set_based_payment_writes_one_entry_per_changed_order(editor):
    processes = bulk_orders(6)
    OrderProcess.objects.filter(pk=processes[0].pk).update(payment_status="paid")
    versions = dict(OrderProcess.objects.values_list("pk", "version"))
    kind, batch = set_based_action("mark_paid", user=editor)
    with CaptureQueriesContext(connection) as queries:
        report = run_set_based([p.pk for p in processes], "mark_paid", batch, kind=kind,
                               user=editor, batch_size=3)
    assert report.done == 5
    assert not OrderProcess.objects.exclude(payment_status="paid").exists()
    entries = TimelineEntry.objects.filter(kind="payment")
    assert entries.count() == 5
    assert all(e.data == {"from": "unpaid", "to": "paid"} for e in entries)
    assert all(e.actor == editor for e in entries)
    bumped = dict(OrderProcess.objects.values_list("pk", "version"))
    assert [bumped[p.pk] - versions[p.pk] for p in processes] == [0, 1, 1, 1, 1, 1]
    # Two batches, each a handful of statements (savepoint, lock, update, insert, webhook
    # check, the unpaid renewals and open installments to settle; on PostgreSQL the tally
    # triggers' setting on and off around the update), not a few per order.
    assert len(queries) <= 2 * 9


def test_set_based_tags_and_operator(editor, make_staff):
    processes = bulk_orders(4)
    vip = Tag.objects.create(name="VIP")
    processes[0].tags.add(vip)
    pks = [p.pk for p in processes]
    kind, batch = set_based_action("add_tag", user=editor, tag=vip)
    assert run_set_based(pks, "add_tag", batch, kind=kind, user=editor).done == 3
    assert OrderProcess.objects.filter(tags=vip).count() == 4
    assert TimelineEntry.objects.filter(kind="tags").count() == 3
    kind, batch = set_based_action("remove_tag", user=editor, tag=vip)
    assert run_set_based(pks[:2], "remove_tag", batch, kind=kind, user=editor).done == 2
    assert OrderProcess.objects.filter(tags=vip).count() == 2
    assert TimelineEntry.objects.filter(kind="tags", data__removed=["VIP"]).count() == 2
    ann = make_staff("ann")
    kind, batch = set_based_action("assign_operator", user=editor, operator=ann)
    assert run_set_based(pks, "assign_operator", batch, kind=kind, user=editor).done == 4
    assert OrderProcess.objects.filter(operator=ann).count() == 4
    entry = TimelineEntry.objects.filter(kind="operator").first()
    assert entry.data == {"from": "", "to": "ann"}


def test_set_based_actions_need_the_edit_permission(django_app, make_staff,
                                                    django_capture_on_commit_callbacks):
    from .conftest import WORKSPACE_EDITOR

    bulk_only = make_staff("bulk", [c for c in WORKSPACE_EDITOR if c != "change_orderprocess"])
    bulk_orders(3)
    with django_capture_on_commit_callbacks(execute=True):
        submit(bulk_form(django_app, bulk_only), all_matching=True, action="mark_paid")
    job = BulkJob.objects.get()
    assert job.status == "failed" and job.error
    assert not OrderProcess.objects.filter(payment_status="paid").exists()


@pytest.mark.postgres
def test_set_based_changes_keep_the_tallies_exact(editor):
    from ..test_tally import live, tallied

    processes = bulk_orders(30, prefix="T")
    pks = [p.pk for p in processes]
    kind, batch = set_based_action("mark_paid", user=editor)
    run_set_based(pks[:20], "mark_paid", batch, kind=kind, user=editor, batch_size=7)
    assert tallied() == live()
    kind, batch = set_based_action("mark_unpaid", user=editor)
    run_set_based(pks[5:25], "mark_unpaid", batch, kind=kind, user=editor, batch_size=7)
    assert tallied() == live()
    assert OrderProcess.objects.filter(payment_status="paid").count() == 5


def test_the_workers_report_speaks_the_language_of_whoever_started_the_action(
        editor, django_capture_on_commit_callbacks):
    bulk_orders(1, prefix="D", state="completed")
    with translation.override("it"), django_capture_on_commit_callbacks() as worker:
        job = start_bulk_job(editor, action="transition", transition="confirm",
                             select_all=True)
    with translation.override("en"):  # the worker's own language
        for callback in worker:
            callback()
    job.refresh_from_db()
    assert (job.language, job.refused) == ("it", 1)
    assert job.refusals[0]["message"].startswith("L'ordine D00000 è “Completato”")
