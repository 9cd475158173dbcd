"""The customer directory's aggregates stay equal to a full recount of the orders, whatever
changes them: checkout, a second currency, cancellation, a refund, a line edit, a changed
buyer, deletion, imports."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from oscar.core.loading import get_model

from oscar_orders_ext.imports.service import commit_import, plan_import
from oscar_orders_ext.models import Customer, OrderProcess
from oscar_orders_ext.services.transitions import transition_order

from ..imports.test_small_files import csv_bytes, shopify_row

Order = get_model("order", "Order")
pytestmark = pytest.mark.django_db(transaction=True)


def full_recount() -> dict[str, dict[str, Any]]:
    """What every customer's aggregates should be, counted from scratch."""
    expected: dict[str, dict[str, Any]] = defaultdict(lambda: {"totals": {}, "count": 0,
                                                               "dates": []})
    for process in OrderProcess.objects.exclude(
            state__in=["cancelled", "rejected", "refunded"]):
        row = expected[process.customer_email]
        values = row["totals"].setdefault(process.currency, {"count": 0, "total": Decimal(0)})
        values["count"] += 1
        values["total"] += process.total
        row["count"] += 1
        row["dates"].append(process.placed_at)
    return {email: {"count": row["count"], "totals": {
        currency: {"count": v["count"], "total": str(v["total"].quantize(Decimal("0.01")))}
        for currency, v in row["totals"].items()},
        "first": min(row["dates"]), "last": max(row["dates"])}
        for email, row in expected.items()}


def stored() -> dict[str, dict[str, Any]]:
    """The directory's rows that have orders, in the same shape."""
    return {customer.email: {"count": customer.order_count, "totals": {
        currency: {"count": v["count"], "total": str(Decimal(v["total"]).quantize(
            Decimal("0.01")))} for currency, v in customer.totals.items()},
        "first": customer.first_order_at, "last": customer.last_order_at}
        for customer in Customer.objects.filter(order_count__gt=0)}


@pytest.fixture
def recounts(monkeypatch: Any) -> list[list[str]]:
    """The emails of every full recount from now on (the upkeep's slow path)."""
    from oscar_orders_ext.services import customer_summaries

    calls: list[list[str]] = []
    real = customer_summaries.refresh_customers

    def spy(emails: Any, **kwargs: Any) -> int:
        keys = sorted(emails)
        if keys:
            calls.append(keys)
        return real(keys, **kwargs)

    monkeypatch.setattr(customer_summaries, "refresh_customers", spy)
    return calls


def test_checkout_orders_add_up_per_currency_and_match_a_recount(place_order: Any) -> None:
    first = place_order(quantity=2, guest_email="Ada@Example.com")
    place_order(quantity=1, guest_email="ada@example.com")
    customer = Customer.objects.get(email="ada@example.com")
    assert customer.order_count == 2
    assert customer.totals[first.currency]["count"] == 2
    assert customer.first_order_at <= customer.last_order_at
    assert customer.registered_at == customer.first_order_at
    assert stored() == full_recount()


def test_a_cancelled_order_leaves_the_customers_value(place_order: Any) -> None:
    kept = place_order(quantity=1, guest_email="bob@example.com")
    cancelled = place_order(quantity=3, guest_email="bob@example.com")
    transition_order(cancelled, "cancel")
    customer = Customer.objects.get(email="bob@example.com")
    assert customer.order_count == 1
    assert Decimal(customer.totals[kept.currency]["total"]) == kept.total_incl_tax
    assert stored() == full_recount()


def test_changes_to_a_known_customer_are_deltas_that_match_a_recount(
        place_order: Any, product: Any, recounts: list[list[str]]) -> None:
    """Placement, a move within counted states, an edit, cancellation, refund, a changed
    buyer, deletion and an import each change the row by a delta (no recount of the
    customer's orders), and the row always equals a full recount."""
    from oscar_orders_ext.constants import PaymentStatus
    from oscar_orders_ext.services.edits import set_payment_status
    from oscar_orders_ext.services.line_edits import apply_line_edit

    first = place_order(quantity=1, guest_email="ada@example.com")
    assert recounts == [["ada@example.com"]]  # a new customer's row is counted once
    recounts.clear()
    checks = []

    def check(what: str) -> None:
        checks.append((what, stored() == full_recount(), list(recounts)))

    second = place_order(quantity=2, guest_email="ada@example.com")
    check("placed")
    transition_order(second, "confirm")  # counted before and after: no change at all
    check("moved")
    line = second.lines.get()
    apply_line_edit(second, {line.pk: 3})
    check("edited")
    third = place_order(quantity=1, guest_email="ada@example.com")
    transition_order(third, "cancel")  # the newest leaves: the last order is read again
    check("cancelled")
    set_payment_status(second, PaymentStatus.PAID)
    transition_order(second, "cancel")
    transition_order(second, "refund")
    check("refunded")
    commit_import(plan_import(csv_bytes([shopify_row("#1001")]), "orders_export.csv"))
    check("imported")
    first.delete()  # the first order goes: the first order is read again
    check("deleted")
    assert checks == [(what, True, []) for what, _same, _recounts in checks]
    customer = Customer.objects.get(email="ada@example.com")
    assert customer.order_count == 1 and set(customer.totals) == {"GBP"}
    assert customer.first_order_at == customer.last_order_at == customer.registered_at


def test_placing_an_order_for_a_customer_with_many_orders_reads_none_of_them(
        place_order: Any) -> None:
    """The upkeep of a placed order is the same few queries whatever the customer's orders:
    no aggregate over the customer's orders."""
    for _ in range(3):
        place_order(quantity=1, guest_email="big@example.com")
    with CaptureQueriesContext(connection) as queries:
        place_order(quantity=1, guest_email="big@example.com")
    ours = [q["sql"] for q in queries.captured_queries
            if '"oscar_orders_ext_customer"' in q["sql"] and "customertagrule" not in q["sql"]]
    assert len(ours) == 2  # the row, locked; its update
    assert not [q["sql"] for q in queries.captured_queries
                if "GROUP BY" in q["sql"] and "customer_email" in q["sql"]]
    assert stored() == full_recount()


def test_a_changed_buyer_moves_the_order_between_customers(place_order: Any) -> None:
    order = place_order(quantity=1, guest_email="old@example.com")
    place_order(quantity=1, guest_email="stays@example.com")
    order.guest_email = "new@example.com"
    order.save()
    assert not Customer.objects.filter(email="old@example.com").exists()
    assert Customer.objects.get(email="new@example.com").order_count == 1
    assert stored() == full_recount()


def test_deleting_orders_removes_guests_but_keeps_accounts(place_order: Any) -> None:
    user = get_user_model().objects.create_user(username="cleo", email="cleo@example.com",
                                                password="pw", first_name="Cleo",
                                                last_name="Bianchi")
    place_order(quantity=1, guest_email="gone@example.com").delete()
    order = place_order(quantity=1, user=user)
    assert Customer.objects.get(email="cleo@example.com").order_count == 1
    order.delete()
    assert not Customer.objects.filter(email="gone@example.com").exists()
    customer = Customer.objects.get(email="cleo@example.com")
    assert (customer.order_count, customer.user, customer.last_name) == (0, user, "Bianchi")
    assert customer.registered_at == user.date_joined
    assert stored() == full_recount()


def test_imported_orders_are_counted(db: Any) -> None:
    rows = [shopify_row("#1001"), shopify_row("#1002", Created_at="2023-02-01 10:00:00 -0500")]
    commit_import(plan_import(csv_bytes(rows), "orders_export.csv"))
    customer = Customer.objects.get(email="ada@example.com")
    assert customer.order_count == 2
    assert customer.totals["GBP"] == {"count": 2, "total": "56.00"}
    assert (customer.first_name, customer.last_name) == ("Ada", "Lovelace")
    assert stored() == full_recount()


def test_backfill_rebuilds_rows_written_behind_the_directorys_back(place_order: Any) -> None:
    place_order(quantity=1, guest_email="dan@example.com")
    place_order(quantity=2, guest_email="eve@example.com")
    Customer.objects.all().delete()
    OrderProcess.objects.filter(customer_email="eve@example.com").update(total=Decimal("99.00"))
    call_command("orders_backfill_customers", verbosity=0)
    assert stored() == full_recount()
    assert Customer.objects.get(email="eve@example.com").totals


def test_staff_without_orders_are_not_customers(make_staff: Any) -> None:
    make_staff("clerk")
    get_user_model().objects.create_user(username="fay", email="fay@example.com", password="pw")
    call_command("orders_backfill_customers", verbosity=0)
    assert list(Customer.objects.values_list("email", flat=True)) == ["fay@example.com"]


def test_a_login_recounts_nobody_but_a_changed_email_does(db: Any) -> None:
    user = get_user_model().objects.create_user("ada", "ada@example.com", "pw")
    assert Customer.objects.get().email == "ada@example.com"
    with CaptureQueriesContext(connection) as queries:
        user.save(update_fields=["last_login"])  # what every login does
    assert not [q for q in queries.captured_queries if "oscar_orders_ext_customer" in q["sql"]]
    user.email = "Ada.Lovelace@example.com"
    user.save()  # the account's row follows its new email, and the old one goes
    assert list(Customer.objects.values_list("email", "user_id")) == [
        ("ada.lovelace@example.com", user.pk)]


def test_a_refunded_order_leaves_the_customers_value(place_order: Any) -> None:
    from oscar_orders_ext.constants import PaymentStatus
    from oscar_orders_ext.services.edits import set_payment_status

    kept = place_order(quantity=1, guest_email="rui@example.com")
    refunded = place_order(quantity=2, guest_email="rui@example.com")
    set_payment_status(refunded, PaymentStatus.PAID)
    transition_order(refunded, "cancel")
    assert Customer.objects.get(email="rui@example.com").order_count == 1
    transition_order(refunded, "refund")
    customer = Customer.objects.get(email="rui@example.com")
    assert customer.order_count == 1
    assert Decimal(customer.totals[kept.currency]["total"]) == kept.total_incl_tax
    assert stored() == full_recount()


def test_an_edited_orders_new_total_is_the_customers_value(place_order: Any,
                                                          product: Any) -> None:
    from oscar_orders_ext.services.line_edits import apply_line_edit

    order = place_order(quantity=1, guest_email="eva@example.com")
    line = order.lines.get()
    apply_line_edit(order, {line.pk: 3})
    order.refresh_from_db()
    customer = Customer.objects.get(email="eva@example.com")
    assert Decimal(customer.totals[order.currency]["total"]) == order.total_incl_tax
    assert order.total_incl_tax == 3 * line.unit_price_incl_tax
    assert stored() == full_recount()
