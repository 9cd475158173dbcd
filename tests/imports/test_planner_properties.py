"""Property: whatever a Shopify file holds (numbers, dates, texts at and beyond their limits),
the planner either reports row errors (and the commit refuses) or the commit stores exactly
what the file says and it reads back; nothing crashes, nothing is cut short."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from oscar.core.loading import get_model

from oscar_orders_ext.imports.service import ImportRefused, commit_import, plan_import
from oscar_orders_ext.imports.sources import ImportFileError
from oscar_orders_ext.models import OrderProcess

from .test_small_files import csv_bytes, shopify_row

Order = get_model("order", "Order")

pytestmark = pytest.mark.django_db(transaction=False)


class Rollback(Exception):
    """Ends an example's transaction: each example starts from the same database."""


#: Text as spreadsheets hold it: any character but NUL and surrogates.
text_chars = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")


def texts(limit: int) -> st.SearchStrategy[str]:
    """Texts around ``limit`` characters: short ones, and ones at and just beyond it."""
    short = st.text(text_chars, max_size=12)
    return st.one_of(short, short, short,
                     st.integers(limit - 1, limit + 1).map(lambda size: "x" * size))


plain_amounts = st.decimals(min_value=0, max_value=10**6, places=2).map(str)
amounts = st.one_of(
    plain_amounts, plain_amounts, plain_amounts,
    st.decimals(min_value=-10**11, max_value=10**11, places=2, allow_nan=False,
                allow_infinity=False).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["9999999999.99", "10000000000.00", "1e30", "-0", "", "1" * 40]))
quantities = st.one_of(st.integers(1, 50).map(str), st.integers(1, 50).map(str),
                       st.integers(-2, 10**12).map(str),
                       st.sampled_from(["10000", "10001", "1e3", "2.5", "", "x"]))
offsets = st.integers(-14 * 60, 14 * 60).map(lambda minutes: timezone(timedelta(minutes=minutes)))
dates = st.one_of(
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                 timezones=st.just(UTC)).map(lambda moment: moment.isoformat(sep=" ")),
    st.builds(lambda moment, zone: moment.replace(tzinfo=zone).isoformat(sep=" "),
              st.datetimes(min_value=datetime(1899, 12, 31), max_value=datetime(3000, 1, 1)),
              offsets),
    st.text(text_chars, max_size=8))
numbers = st.one_of(st.integers(1, 10**30).map(lambda n: f"#{n}"),
                    st.text(text_chars, min_size=1, max_size=20),
                    texts(128).map(lambda text: "#" + text))


@st.composite
def shopify_orders(draw: st.DrawFn) -> list[list[str]]:
    rows = []
    for index in range(draw(st.integers(1, 3))):
        number = draw(numbers) if index == 0 or draw(st.booleans()) else f"#{9000 + index}"
        rows.append(shopify_row(
            number, Total=draw(amounts), Shipping=draw(amounts), Taxes=draw(amounts),
            Lineitem_quantity=draw(quantities), Lineitem_price=draw(amounts),
            Lineitem_name=draw(texts(255)), Lineitem_sku=draw(texts(128)),
            Created_at=draw(dates), Email=draw(st.one_of(st.just("ada@example.com"),
                                                         texts(254))),
            Currency=draw(st.one_of(st.just("EUR"), texts(12))),
            Billing_City=draw(texts(255)), Billing_Zip=draw(texts(64)),
            Tags=draw(texts(64)), Payment_Method=draw(texts(128))))
    return rows


def stored_as_planned(plan) -> None:
    """Every planned order reads back with the file's values."""
    for imported in plan.orders:
        order = Order.objects.get(number=imported.number)
        assert order.total_incl_tax == imported.total
        assert order.date_placed == imported.placed_at
        assert order.currency == imported.currency
        assert [(line.title, line.partner_sku, line.quantity, line.line_price_incl_tax)
                for line in order.lines.order_by("pk")] == [
            (line.title, line.sku, line.quantity, line.total) for line in imported.lines]
        process = OrderProcess.objects.get(order=order)
        assert process.payment_method == imported.payment_method
        assert sorted(tag.name for tag in process.tags.all()) == sorted(imported.tags)


@settings(max_examples=120, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(rows=shopify_orders())
def test_every_generated_file_plans_with_row_errors_or_round_trips(rows) -> None:
    try:
        with transaction.atomic():
            try:
                plan = plan_import(csv_bytes(rows), "orders_export.csv")
            except ImportFileError as refusal:
                assert refusal.message
                event("file refused")
                raise Rollback from None
            event("row errors" if plan.errors else "committed")
            if plan.errors:
                assert all(error.reason for error in plan.errors)
                with pytest.raises(ImportRefused):
                    commit_import(plan)
            else:
                commit_import(plan)
                stored_as_planned(plan)
            raise Rollback
    except Rollback:
        pass


def test_the_generated_values_include_clean_files() -> None:
    """The property is not vacuous: a plain generated file commits."""
    plan = plan_import(csv_bytes([shopify_row("#1001", Total="28.00")]), "orders.csv")
    assert plan.can_commit
    assert Decimal(plan.orders[0].total) == Decimal("28.00")
