"""Round trip: export the workspace, edit states, tags and operators in the spreadsheet, import
it again; the preview shows each order's changes and committing applies them through the
services, reporting the orders the workflow refuses."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.utils import translation
from openpyxl import load_workbook
from webtest import Upload

from oscar_orders_ext.constants import TimelineKind
from oscar_orders_ext.exports.service import ExportOptions, write_export
from oscar_orders_ext.imports.service import commit_import, plan_import
from oscar_orders_ext.models import ImportJob, OrderProcess, Tag, TimelineEntry

from ..dashboard.conftest import WORKSPACE_EDITOR, ws_url
from ..factories import bulk_orders

pytestmark = pytest.mark.django_db

COLUMNS = ["number", "placed", "state", "tags", "operator", "total", "customer"]


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def merchant(make_staff: Any) -> Any:
    user = make_staff("merchant", [*WORKSPACE_EDITOR, "import_orders"])
    user.first_name, user.last_name = "Mia", "Merchant"
    user.save()
    return user


@pytest.fixture
def orders() -> dict[str, OrderProcess]:
    """RT00000 and RT00001 new, RT00002 completed, RT00003 new and tagged "gift"."""
    processes = {p.number: p for p in bulk_orders(4, prefix="RT")}
    OrderProcess.objects.filter(number="RT00002").update(state="completed")
    processes["RT00003"].tags.add(Tag.objects.create(name="gift"))
    return processes


def exported(fmt: str, columns: list[str] = COLUMNS) -> bytes:
    target = io.BytesIO()
    write_export(ExportOptions(format=fmt, columns=columns), None, target)
    return target.getvalue()


def edit_csv(data: bytes, edits: dict[str, dict[str, str]]) -> bytes:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    header = rows[0]
    for row in rows[1:]:
        for column, value in edits.get(row[header.index("Number")], {}).items():
            row[header.index(column)] = value
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode()


def edit_xlsx(data: bytes, edits: dict[str, dict[str, str]]) -> bytes:
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        for column, value in edits.get(row[header.index("Number")].value, {}).items():
            row[header.index(column)].value = value
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


EDITS = {
    "RT00000": {"State": "In preparation", "Tags": "VIP, fragile"},  # allowed: confirm
    "RT00001": {"Operator": "merchant"},
    "RT00002": {"State": "New", "Tags": "VIP"},  # completed → new: no transition
    "RT00003": {"Tags": ""},  # tags removed
}


@pytest.mark.parametrize(("fmt", "edit", "name"), [("csv", edit_csv, "orders.csv"),
                                                   ("xlsx", edit_xlsx, "orders.xlsx")])
def test_edited_export_previews_a_diff_and_applies_it_through_the_workflow(
        django_app, merchant, orders, fmt, edit, name):
    data = edit(exported(fmt), EDITS)
    page = django_app.get(ws_url("orders-import"), user=merchant)
    form = next(form for form in page.forms.values() if "file" in form.fields)
    form["file"] = Upload(name, data)
    preview = form.submit(status=302).follow()

    assert "this shop's export file: 4 rows, 4 orders." in preview.pyquery(
        ".ooe-import-job").text()
    assert preview.pyquery(".ooe-count-orders_to_update").text() == "4"
    diff = [[cell.text_content().strip() for cell in row.findall("td")]
            for row in preview.pyquery(".ooe-import-diff tbody tr")]
    assert ["RT00000", "2", "Tags", "–", "→ VIP, fragile", ""] in diff
    assert ["", "", "State", "New", "→ In preparation", ""] in diff
    assert ["RT00001", "3", "Operator", "–", "→ Mia Merchant", ""] in diff
    assert ["", "", "State", "Completed", "→ New",
            "No transition leads from “Completed” to “New”."] in diff
    assert ["RT00003", "5", "Tags", "gift", "→ –", ""] in diff
    assert "Ignored: Created, Total, Currency, Customer." in preview.pyquery(
        ".ooe-import-warning").text()

    result = preview.forms[next(key for key, f in preview.forms.items()
                                if "commit" in f.action)].submit().follow()
    assert "3 orders updated" in result.text and "1 order refused" in result.text
    refusal = [cell.text for cell in result.pyquery(".ooe-import-refusals tbody td")]
    assert refusal[:3] == ["RT00002", "4", "State"]
    assert "cannot go from “Completed” to “New”" in refusal[3]

    state = dict(OrderProcess.objects.values_list("number", "state"))
    assert (state["RT00000"], state["RT00002"]) == ("processing", "completed")
    tags = {p.number: sorted(t.name for t in p.tags.all())
            for p in OrderProcess.objects.prefetch_related("tags")}
    assert tags == {"RT00000": ["VIP", "fragile"], "RT00001": [], "RT00002": [],
                    "RT00003": []}  # the refused order keeps its tags too
    assert OrderProcess.objects.get(number="RT00001").operator == merchant

    first = orders["RT00000"].order_id
    kinds = list(TimelineEntry.objects.filter(order_id=first).values_list("kind", flat=True))
    assert {TimelineKind.STATE, TimelineKind.TAGS, TimelineKind.IMPORT} <= set(kinds)
    state_entry = TimelineEntry.objects.get(order_id=first, kind=TimelineKind.STATE)
    assert (state_entry.actor, state_entry.data["transition"]) == (merchant, "confirm")
    entry = TimelineEntry.objects.get(order_id=first, kind=TimelineKind.IMPORT)
    assert entry.summary == f"Updated from the file {name} (tags, state)"
    assert not TimelineEntry.objects.filter(order_id=orders["RT00002"].order_id,
                                            kind=TimelineKind.IMPORT).exists()
    job = ImportJob.objects.get()
    assert (job.format, job.result["orders_updated"], job.result["refusal_count"]) == (
        "native", 3, 1)


def test_a_commit_run_by_the_worker_reports_refusals_in_the_uploaders_language(
        django_app, merchant, orders, settings, django_capture_on_commit_callbacks):
    settings.OSCAR_ORDERS_EXT_IMPORT_SYNC_LIMIT = 1  # committed in the background
    data = edit_csv(exported("csv"), EDITS)
    italian = {"Accept-Language": "it"}
    page = django_app.get(ws_url("orders-import"), user=merchant, headers=italian)
    form = next(form for form in page.forms.values() if "file" in form.fields)
    form["file"] = Upload("orders.csv", data)
    preview = form.submit(status=302, headers=italian).follow(headers=italian)
    with django_capture_on_commit_callbacks(execute=False) as committing:
        preview.forms[next(key for key, f in preview.forms.items()
                           if "commit" in f.action)].submit(headers=italian)
    with translation.override("en"):  # the worker's own language, planning the file again
        for callback in committing:
            callback()

    [refusal] = ImportJob.objects.get().result["refusals"]
    assert "L'ordine RT00002 non può passare da “Completato” a “Nuovo”." in str(refusal)
    result = django_app.get(preview.request.url, user=merchant, headers=italian)
    assert "non può passare da" in result.pyquery(".ooe-import-refusals").text()


def test_columns_in_another_order_or_a_subset_are_matched_by_name(orders):
    data = exported("csv", ["tags", "total", "number"])
    plan = plan_import(edit_csv(data, {"RT00001": {"Tags": "VIP"}}), "subset.csv")
    assert plan.reader.name == "native" and not plan.errors
    assert [(u.number, [(c.field, c.old_text, c.new_text) for c in u.changes])
            for u in plan.updates] == [("RT00001", [("tags", "", "VIP")])]
    assert (plan.counts.orders_to_update, plan.counts.orders_unchanged) == (1, 3)
    result = commit_import(plan)
    assert result.orders_updated == 1
    assert list(OrderProcess.objects.get(number="RT00001").tags.values_list(
        "name", flat=True)) == ["VIP"]
    # Importing the same file again changes nothing.
    again = plan_import(edit_csv(data, {"RT00001": {"Tags": "VIP"}}), "subset.csv")
    assert (again.counts.orders_to_update, again.actionable) == (0, 0)


def test_states_are_read_by_label_or_code_and_bad_cells_are_row_errors(orders):
    rows = [["State", "Number", "Operator"], ["processing", "RT00000", ""],
            ["Sleeping", "RT00001", ""], ["new", "NOPE-1", ""], ["New", "RT00003", "ghost"],
            ["New", "RT00000", ""]]
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    plan = plan_import(buffer.getvalue().encode(), "edited.csv")
    assert [(e.row, e.column, e.reason) for e in plan.errors] == [
        (3, "State", "“Sleeping” is not a state of the workflow."),
        (4, "number", "No order is numbered “NOPE-1”."),
        (5, "Operator", "No active staff member is called “ghost”."),
        (6, "number", "Order RT00000 is already on row 2."),
    ]
    assert [(u.number, u.changes[0].new) for u in plan.updates] == [("RT00000", "processing")]


def test_formula_like_cells_the_exporter_protected_are_read_back(orders):
    Tag.objects.create(name="-10% promo")
    OrderProcess.objects.get(number="RT00000").tags.add(Tag.objects.get(name="-10% promo"))
    data = exported("csv", ["number", "tags"])
    assert b"'-10% promo" in data
    plan = plan_import(data, "orders.csv")
    assert plan.counts.orders_to_update == 0 and not plan.errors


def test_tracking_codes_typed_in_the_export_ship_the_orders(django_app, merchant, place_order,
                                                            settings):
    from oscar_orders_ext.models import Carrier, Shipment
    from oscar_orders_ext.services.transitions import transition_order

    settings.OSCAR_ORDERS_EXT_REQUIRE_TRACKING_TO_SHIP = True
    gls = Carrier.objects.create(name="GLS",
                                 tracking_url_template="https://gls.example/t/{code}")
    first, second, third = (place_order() for _ in range(3))
    for order in (first, second, third):
        transition_order(order, "confirm")
    data = exported("csv", ["number", "state", "tracking"])
    header = data.decode("utf-8-sig").splitlines()[0]
    assert header == "Number,State,Tracking"
    data = edit_csv(data, {
        str(first.number): {"Tracking": "gls: 1Z-111", "State": "Shipped"},
        str(second.number): {"Tracking": "4455"},  # no carrier: a row error
    })
    plan = plan_import(data, "tracking.csv")
    assert [(e.column, e.reason) for e in plan.errors] == [
        ("Tracking", "Write the carrier before each tracking code: “Carrier: CODE”.")]

    data = edit_csv(exported("csv", ["number", "state", "tracking"]), {
        str(first.number): {"Tracking": "gls: 1Z-111", "State": "Shipped"},
        str(third.number): {"State": "Shipped"},  # no tracking code: the workflow refuses
    })
    plan = plan_import(data, "tracking.csv")
    assert not plan.errors
    changes = {u.number: [(c.field, c.new_text) for c in u.changes] for u in plan.updates}
    assert changes[str(first.number)] == [("tracking", "gls: 1Z-111"), ("state", "Shipped")]
    result = commit_import(plan, user=merchant)
    assert result.orders_updated == 1 and [r["number"] for r in result.refusals] == [
        str(third.number)]

    shipment = Shipment.objects.get(shipping_event__order=first)
    assert (shipment.carrier, shipment.tracking_code) == (gls, "1Z-111")
    assert shipment.tracking_url == "https://gls.example/t/1Z-111"
    assert OrderProcess.objects.get(order=first).state == "shipped"
    assert OrderProcess.objects.get(order=third).state == "processing"
    assert TimelineEntry.objects.filter(order=first, kind=TimelineKind.SHIPMENT).exists()

    # The next export shows the parcel, and importing it unchanged changes nothing.
    again = exported("csv", ["number", "tracking"])
    assert f"{first.number},GLS: 1Z-111" in again.decode("utf-8-sig")
    assert plan_import(again, "again.csv").counts.orders_to_update == 0


def test_the_dry_run_counts_the_customers_a_state_change_emails_and_the_commit_can_stay_quiet(
        orders, django_capture_on_commit_callbacks):
    # The round trip emailed customers on state changes without saying so or asking.
    from django.core import mail

    from oscar_orders_ext.imports.service import apply_updates

    data = exported("csv")
    plan = plan_import(edit_csv(data, {"RT00000": {"State": "Cancelled"},
                                       "RT00001": {"State": "Cancelled"}}), "cancel.csv")
    assert plan.customers_to_email == 2
    assert any("2 customers would be emailed" in str(w) for w in plan.warnings)
    with django_capture_on_commit_callbacks(execute=True):
        result = apply_updates(plan, notify=False)
    assert result.orders_updated == 2 and mail.outbox == []
    assert set(OrderProcess.objects.filter(number__in=["RT00000", "RT00001"])
               .values_list("state", flat=True)) == {"cancelled"}


def test_tags_and_tracking_codes_longer_than_their_columns_are_row_errors(orders):
    rows = [["Number", "Tags", "Tracking"], ["RT00000", "x" * 65, ""],
            ["RT00001", "", "GLS: " + "9" * 129]]
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    plan = plan_import(buffer.getvalue().encode(), "edited.csv")
    assert [(e.row, e.column) for e in plan.errors] == [(2, "Tags"), (3, "Tracking")]
    assert all("at most" in e.reason for e in plan.errors)


def test_an_xlsx_dry_run_names_no_delimiter(django_app, merchant, orders):
    # The summary of a spreadsheet said 'Encoding …, delimiter "–"': a CSV detail.
    page = django_app.get(ws_url("orders-import"), user=merchant)
    form = next(form for form in page.forms.values() if "file" in form.fields)
    form["file"] = Upload("orders.xlsx", edit_xlsx(exported("xlsx"), {
        "RT00000": {"State": "Cancelled"}}), "application/octet-stream")
    preview = form.submit().follow()
    assert "Cancelled" in preview.text and "delimiter" not in preview.text
