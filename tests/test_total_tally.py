"""PostgreSQL keeps a tally per order-total bucket (migration 0024): whatever changes the
orders, it matches a live count; the summary and the board of a total range read its whole
buckets (the orders in the buckets at its edges counted live) and agree with a recount, in a
fixed number of queries."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.http import QueryDict

from oscar_orders_ext import selectors
from oscar_orders_ext.models import (Funnel, OrderProcess, TotalTally, next_total_bucket,
                                     total_bucket)
from oscar_orders_ext.services import edits
from oscar_orders_ext.services.transitions import transition_order

from .factories import bulk_orders

#: Totals on and around the buckets' boundaries (whole units below 100, then two significant
#: digits).
TOTALS = ["0", "0.50", "7.25", "99.99", "100", "100.01", "109.99", "110", "150", "199.99",
          "200", "200.01", "999.99", "1000", "1049.50", "12345.67"]


@pytest.mark.parametrize("total", [*TOTALS, "-3.50", "1", "9999999.99"])
def test_every_total_lies_in_its_bucket_which_starts_at_a_boundary(total):
    amount = Decimal(total)
    bucket = total_bucket(amount)
    assert bucket <= amount < next_total_bucket(bucket)
    assert total_bucket(bucket) == bucket
    # never wider than a tenth of its lowest total, above 100
    assert next_total_bucket(bucket) - bucket <= max(Decimal(1), bucket / 10)


def test_the_buckets_follow_one_another_without_gaps():
    bucket = Decimal(-2)
    while bucket < 20_000:
        following = next_total_bucket(bucket)
        assert total_bucket(following - Decimal("0.01")) == bucket
        assert total_bucket(following) == following
        bucket = following


def live_totals() -> dict[tuple, tuple]:
    totals: dict[tuple, tuple] = {}
    for p in OrderProcess.objects.all():
        key = (total_bucket(p.total), p.funnel_id, p.stage_id or 0, p.state, p.currency)
        n, amount = totals.get(key, (0, Decimal(0)))
        totals[key] = (n + 1, amount + p.total)
    return totals


def tallied_totals() -> dict[tuple, tuple]:
    return {(t.bucket, t.funnel_id, t.stage_id, t.state, t.currency): (t.count, t.total)
            for t in TotalTally.objects.exclude(count=0)}


def priced_orders() -> list[OrderProcess]:
    """Six orders at each of ``TOTALS``, in euros, the last two of each in dollars and
    processing."""
    processes = []
    for index, total in enumerate(TOTALS):
        euros = bulk_orders(4, prefix=f"E{index:02d}", total=Decimal(total))
        dollars = bulk_orders(2, prefix=f"U{index:02d}", currency="USD", total=Decimal(total),
                              state="processing")
        processes += [*euros, *dollars]
    return processes


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_total_tally_follows_every_kind_of_change(place_order):
    orders = [place_order() for _ in range(3)]
    priced_orders()
    assert tallied_totals() == live_totals()
    assert any(bucket == Decimal("12000") for bucket, *_rest in tallied_totals())

    transition_order(orders[0], "confirm")
    edits.move_to_funnel(orders[1], Funnel.create_from_workflow("Wholesale", is_default=False))
    OrderProcess.objects.filter(number__startswith="E00").update(state="shipped")
    OrderProcess.objects.filter(number="E0100000").update(total=Decimal("-3.50"))
    OrderProcess.objects.filter(number__startswith="E02").update(total=Decimal("1234.56"),
                                                                 currency="GBP")
    OrderProcess.objects.filter(number__startswith="U03").update(payment_status="paid")
    orders[2].delete()
    OrderProcess.objects.filter(number__startswith="E04").delete()
    assert tallied_totals() == live_totals()


def summary_of(query: str, processes) -> tuple:
    summary = selectors.summarize(selectors.OrderFilter(QueryDict(query), queryset=processes))
    return ([(t.currency, t.total, t.count) for t in summary.totals],
            [(c.state.code, c.count) for c in summary.states])


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize("query, whole_buckets", [
    ("total_min=100&total_max=200", True),      # boundaries: the orders of exactly 200 live
    ("total_min=100.01&total_max=1049.50", True),
    ("total_min=7.25", True), ("total_max=150", True), ("total_min=0.50", True),
    ("total_min=100&total_max=200&currency=USD", True),
    ("total_min=100&total_max=200&state=processing", True),
    ("total_min=100.005&total_max=109.99", False),  # inside one bucket: all live
    ("total_min=199.99&total_max=200.01", False),
    ("total_min=200&total_max=200", False),
])
def test_a_total_range_reads_the_tally_and_agrees_with_a_recount(
        query, whole_buckets, django_assert_max_num_queries):
    priced_orders()
    with django_assert_max_num_queries(1) as captured:
        tallied = summary_of(query, OrderProcess.objects.all())
    sql = " ".join(q["sql"] for q in captured.captured_queries)
    assert ("oscar_orders_ext_totaltally" in sql) == whole_buckets
    # A base queryset with a condition of its own is always counted live.
    recount = summary_of(query, OrderProcess.objects.filter(pk__gt=0))
    assert tallied == recount
    matched = sum(count for _currency, _total, count in tallied[0])
    assert 0 < matched < OrderProcess.objects.count()  # every query here narrows the orders


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_summary_of_100_to_200_counts_each_order_once():
    priced_orders()
    summary = selectors.summarize(selectors.OrderFilter(
        QueryDict("total_min=100&total_max=200"), queryset=OrderProcess.objects.all()))
    # 100, 100.01, 109.99, 110, 150, 199.99, 200: seven totals, six orders each
    assert summary.count == 42
    assert {t.currency: (t.total, t.count) for t in summary.totals} == {
        "EUR": (Decimal("3879.96"), 28), "USD": (Decimal("1939.98"), 14)}


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize("query", ["total_min=100&total_max=200", "total_min=105&total_max=1000",
                                   "total_max=99.99"])
def test_the_board_of_a_total_range_agrees_with_a_recount(query):
    priced_orders()
    funnel = Funnel.objects.get(is_default=True)

    def columns(processes) -> dict:
        board = selectors.kanban(selectors.OrderFilter(QueryDict(query), queryset=processes),
                                 funnel)
        return {column.stage.name: (column.count, [(t.currency, t.total, t.count)
                                                   for t in column.totals])
                for column in board if column.count}

    tallied = columns(OrderProcess.objects.all())
    assert tallied == columns(OrderProcess.objects.filter(pk__gt=0))
    assert tallied
