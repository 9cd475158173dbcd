"""Set-based bulk actions (tags, operator, paid/unpaid) on many orders: each batch costs the
same few statements whatever its size, every changed order gets its timeline entry (and its
webhook events while an endpoint listens), untouched orders get none, and on PostgreSQL the
tallies behind the summary, the board and the tag and date filters equal a recount after
every action. A tag change leaves the orders' version and last activity alone."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from oscar_orders_ext.models import (OrderProcess, Tag, TimelineEntry, WebhookDelivery,
                                     WebhookEndpoint)
from oscar_orders_ext.services.bulk import run_set_based, set_based_action

from .factories import bulk_orders
from .test_facet_tally import live as live_facets
from .test_facet_tally import live_customers, tallied_customers
from .test_facet_tally import tallied as tallied_facets
from .test_tag_day_tallies import live_days, live_tags, tallied_days, tallied_tags
from .test_tally import live, tallied

pytestmark = pytest.mark.django_db


def run(action: str, pks: list[int], user: Any, batch_size: int = 7, **target: Any) -> int:
    kind, batch = set_based_action(action, user=user, **target)
    return run_set_based(pks, action, batch, kind=kind, user=user,
                         batch_size=batch_size).done


def entries(kind: str) -> dict[str, dict[str, Any]]:
    """The entries of ``kind`` by order number."""
    return {entry.order.number: entry.data
            for entry in TimelineEntry.objects.filter(kind=kind).select_related("order")}


def test_each_changed_order_gets_one_entry_and_the_others_none(editor, make_staff):
    processes = bulk_orders(10, prefix="E")
    pks = [p.pk for p in processes]
    vip = Tag.objects.create(name="VIP")
    processes[0].tags.add(vip)
    OrderProcess.objects.filter(pk=processes[1].pk).update(payment_status="paid")

    assert run("add_tag", pks, editor, tag=vip) == 9
    tagged = entries("tags")
    assert set(tagged) == {p.number for p in processes[1:]}
    assert all(data == {"added": ["VIP"], "removed": []} for data in tagged.values())
    assert OrderProcess.objects.filter(tags=vip).count() == 10

    assert run("mark_paid", pks, editor) == 9
    paid = entries("payment")
    assert set(paid) == {p.number for p in processes if p.pk != processes[1].pk}
    assert all(data == {"from": "unpaid", "to": "paid"} for data in paid.values())

    ann = make_staff("ann")
    OrderProcess.objects.filter(pk=processes[2].pk).update(operator=ann)
    bob = make_staff("bob")
    assert run("assign_operator", pks, editor, operator=bob) == 10
    assigned = entries("operator")
    assert assigned[processes[2].number] == {"from": "ann", "to": "bob"}
    assert assigned[processes[3].number] == {"from": "", "to": "bob"}
    assert run("assign_operator", pks[:4], editor, operator=None) == 4
    assert OrderProcess.objects.filter(operator=None).count() == 4

    assert run("remove_tag", pks[:3], editor, tag=vip) == 3
    assert TimelineEntry.objects.filter(kind="tags", data__removed=["VIP"]).count() == 3
    assert all(entry.actor == editor for entry in TimelineEntry.objects.exclude(kind="created"))


def test_a_tag_change_leaves_version_and_last_activity_alone(editor):
    processes = bulk_orders(4, prefix="V")
    pks = [p.pk for p in processes]
    before = dict(OrderProcess.objects.values_list("pk", "version"))
    activity = dict(OrderProcess.objects.values_list("pk", "last_activity_at"))
    vip = Tag.objects.create(name="VIP")

    run("add_tag", pks, editor, tag=vip)
    run("remove_tag", pks[:2], editor, tag=vip)
    assert dict(OrderProcess.objects.values_list("pk", "version")) == before
    assert dict(OrderProcess.objects.values_list("pk", "last_activity_at")) == activity

    # A payment is a field of the row: its version moves (open forms are stale).
    run("mark_paid", pks, editor)
    after = dict(OrderProcess.objects.values_list("pk", "version"))
    assert all(after[pk] == before[pk] + 1 for pk in pks)
    assert all(p.last_activity_at > activity[p.pk] for p in OrderProcess.objects.all())


@pytest.mark.parametrize("action", ["add_tag", "remove_tag", "mark_paid", "mark_unpaid",
                                    "assign_operator"])
def test_each_batch_costs_the_same_statements_whatever_its_size(editor, make_staff, action):
    small, large = bulk_orders(6, prefix="S"), bulk_orders(60, prefix="L")
    vip, ann = Tag.objects.create(name="VIP"), make_staff("ann")
    for process in small + large:  # every order changes, whatever the action
        process.tags.add(vip)
    OrderProcess.objects.update(payment_status="paid")
    target = {"tag": vip} if "tag" in action else {"operator": ann} if "operator" in action \
        else {}
    if action in {"add_tag", "mark_paid"}:
        OrderProcess.tags.through.objects.all().delete()
        OrderProcess.objects.update(payment_status="unpaid")
    counts = []
    for processes in (small, large):
        kind, batch = set_based_action(action, user=editor, **target)
        with CaptureQueriesContext(connection) as queries:
            done = run_set_based([p.pk for p in processes], action, batch, kind=kind,
                                 user=editor, batch_size=len(processes) // 2).done
        assert done == len(processes)
        counts.append(len(queries))
    assert counts[0] == counts[1]  # two batches each


def test_webhook_events_for_every_changed_order_while_an_endpoint_listens(editor):
    processes = bulk_orders(5, prefix="W")
    vip = Tag.objects.create(name="VIP")
    processes[0].tags.add(vip)
    WebhookEndpoint.objects.create(url="https://hooks.example.com/in", secret="whsec_x",
                                   events=["order.tags_changed", "order.paid"])

    run("add_tag", [p.pk for p in processes], editor, batch_size=2, tag=vip)
    run("mark_paid", [p.pk for p in processes[:3]], editor, batch_size=2)
    events = list(WebhookDelivery.objects.values_list("event", flat=True))
    assert sorted(events) == ["order.paid"] * 3 + ["order.tags_changed"] * 4


@pytest.mark.postgres
def test_the_tallies_equal_a_recount_after_every_action(editor, make_staff):
    processes = bulk_orders(30, prefix="T") + bulk_orders(12, prefix="U", currency="USD")
    pks = [p.pk for p in processes]
    vip, gift = Tag.objects.create(name="VIP"), Tag.objects.create(name="Gift")
    processes[0].tags.add(vip, gift)
    ann = make_staff("ann")

    for action, chosen, target in [
            ("add_tag", pks[:25], {"tag": vip}), ("add_tag", pks[10:], {"tag": gift}),
            ("mark_paid", pks[:20], {}), ("remove_tag", pks[5:30], {"tag": vip}),
            ("mark_unpaid", pks[5:35], {}), ("assign_operator", pks, {"operator": ann}),
            ("remove_tag", pks, {"tag": gift})]:
        run(action, chosen, editor, **target)
        assert recounted(), action
    assert OrderProcess.objects.filter(tags=vip).count() == 5
    assert not OrderProcess.objects.filter(tags=gift).exists()
    assert OrderProcess.objects.filter(payment_status="paid").count() == 5


def recounted() -> bool:
    """Every tally (process, tag, day, facet, customer) equals a recount of the orders."""
    return ((tallied(), tallied_tags(), tallied_days(), tallied_facets(), tallied_customers())
            == (live(), live_tags(), live_days(), live_facets(), live_customers()))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_batches_on_two_connections_change_every_order_once(editor, make_staff):
    """On PostgreSQL a job's batches run two at a time, each on its own connection: every
    order changes once, gets one entry, the tallies stay exact and the progress adds up."""
    processes = bulk_orders(45, prefix="P") + bulk_orders(8, prefix="Q", currency="USD")
    pks = [p.pk for p in processes]
    vip, ann = Tag.objects.create(name="VIP"), make_staff("ann")
    for action, target in [("add_tag", {"tag": vip}), ("mark_paid", {}),
                           ("assign_operator", {"operator": ann}), ("remove_tag", {"tag": vip}),
                           ("mark_unpaid", {})]:
        kind, batch = set_based_action(action, user=editor, **target)
        seen: list[int] = []
        report = run_set_based(pks, action, batch, kind=kind, user=editor, batch_size=6,
                               connections=2,
                               progress=lambda _report, n, seen=seen: seen.append(n))
        assert report.done == 53, action
        # Batches end in any order: the count after each one, up to every order.
        assert len(seen) == 9 and seen == sorted(set(seen)) and seen[-1] == 53, action
        assert recounted(), action
    assert TimelineEntry.objects.filter(kind="tags").count() == 2 * 53
    assert TimelineEntry.objects.filter(kind="payment").count() == 2 * 53
    assert TimelineEntry.objects.filter(kind="operator", actor=editor).count() == 53
    assert not OrderProcess.objects.filter(tags=vip).exists()
    assert OrderProcess.objects.filter(operator=ann, payment_status="unpaid").count() == 53


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_failing_batch_fails_the_job_and_the_committed_ones_stay(editor):
    processes = bulk_orders(30, prefix="F")
    pks = [p.pk for p in processes]
    vip = Tag.objects.create(name="VIP")
    kind, tag_batch = set_based_action("add_tag", user=editor, tag=vip)

    def batch(chunk: list[int]) -> dict[int, dict[str, Any]]:
        if pks[12] in chunk:
            raise RuntimeError("the database went away")
        return tag_batch(chunk)

    with pytest.raises(RuntimeError, match="went away"):
        run_set_based(pks, "add_tag", batch, kind=kind, user=editor, batch_size=6,
                      connections=2)
    tagged = set(OrderProcess.objects.filter(tags=vip).values_list("pk", flat=True))
    assert not tagged & set(pks[12:18])  # the failed batch wrote nothing
    assert set(pks[:12]) <= tagged  # the batches before it committed
    assert TimelineEntry.objects.filter(kind="tags").count() == len(tagged)
    assert recounted()
