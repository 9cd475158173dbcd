"""A shop workflow without a cancel move (the print shop scraps jobs instead): the table and
the bulk actions offer no "Cancel" that could only fail, and one declared by name is used."""

from __future__ import annotations

import pytest

from oscar_orders_ext.checks import check_workflow
from oscar_orders_ext.display import prepare_rows
from oscar_orders_ext.models import OrderProcess
from oscar_orders_ext.exceptions import OrderWorkflowError
from oscar_orders_ext.services.bulk import SIMPLE_ACTIONS, resolve_action, run_bulk_action

from django.urls import reverse

from ..dashboard.conftest import WORKSPACE_EDITOR, ws_url
from ..factories import bulk_orders
from ..wagtail.conftest import with_wagtail_access
from .workflow import PrintShopWorkflow

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(make_staff):
    return make_staff("editor", WORKSPACE_EDITOR)


def test_the_table_has_no_cancel_buttons_and_the_bulk_menu_no_cancel(django_app, editor):
    bulk_orders(2)
    page = django_app.get(ws_url("orders-workspace"), user=editor)
    assert len(page.pyquery("tbody tr[data-order]")) == 2
    assert not page.pyquery(".ooe-row-cancel")
    actions = [option.attrib["value"] for option in page.pyquery("#ooe-bulk-action option")]
    assert "mark_paid" in actions and "cancel" not in actions
    assert "cancel" not in SIMPLE_ACTIONS


def test_a_bulk_cancel_posted_anyway_is_refused_and_changes_nothing(django_app, editor):
    processes = bulk_orders(2)
    form = django_app.get(ws_url("orders-workspace"), user=editor).forms["ooe-bulk-form"]
    form["selected"] = ",".join(str(process.pk) for process in processes)
    form["action"].force_value("cancel")
    page = form.submit("apply", value="selected").follow()
    assert "Unknown action." in page.text
    assert set(OrderProcess.objects.values_list("state", flat=True)) == {"briefed"}


def test_rows_offer_the_cancel_move_the_workflow_names(monkeypatch, django_app, editor):
    monkeypatch.setattr(PrintShopWorkflow, "cancel_transition", "scrap")
    briefed, = bulk_orders(1, prefix="B")
    printing, = bulk_orders(1, prefix="P", state="printing")
    rows = list(OrderProcess.objects.filter(pk__in=[briefed.pk, printing.pk]).order_by("number"))
    prepare_rows(rows, columns=["number"])
    assert [(row.number, row.cancel_transition) for row in rows] == [
        ("B00000", "scrap"), ("P00000", "")]
    page = django_app.get(ws_url("orders-workspace"), user=editor)
    links = [link.attrib["href"] for link in page.pyquery(".ooe-row-cancel")]
    assert len(links) == 1 and "transition=scrap" in links[0]


def test_a_cancel_move_naming_no_transition_fails_the_system_checks(monkeypatch):
    monkeypatch.setattr(PrintShopWorkflow, "cancel_transition", "cancel")
    assert [error.id for error in check_workflow()] == ["oscar_orders_ext.E005"]


def test_a_bulk_cancel_runs_the_move_the_workflow_names(monkeypatch, editor):
    # The bulk "Cancel" used to run a transition called "cancel" whatever the workflow said.
    processes = bulk_orders(2)
    with pytest.raises(OrderWorkflowError):
        resolve_action("cancel", notify=False)  # no cancel move declared: refused up front
    monkeypatch.setattr(PrintShopWorkflow, "cancel_transition", "scrap")
    report = run_bulk_action([process.pk for process in processes], "cancel",
                             resolve_action("cancel", notify=False), user=editor)
    assert (report.done, report.refused) == (2, [])
    assert set(OrderProcess.objects.values_list("state", flat=True)) == {"scrapped"}


@pytest.mark.parametrize("namespace", ["oscar_orders_ext_dashboard", "oscar_orders_ext_wagtail"])
def test_the_order_page_offers_the_shops_moves_and_no_cancel(django_app, editor, namespace):
    job, = bulk_orders(1, prefix="J")
    page = django_app.get(reverse(f"{namespace}:orders-workspace-order",
                                  kwargs={"number": job.number}),
                          user=with_wagtail_access(editor))
    moves = {item.attrib["data-transition"] for item in page.pyquery("#ooe-state .ooe-transition")}
    assert moves == {"send_proof", "scrap"}
    assert not page.pyquery(".ooe-row-cancel")
