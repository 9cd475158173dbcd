"""PostgreSQL keeps tallies per facet (migration 0023: payment and shipping method, source,
operator, amount-due class) and per customer (name, email, phone). Whatever changes the orders they match a live count, and the
summary and the board of one of those filters read them in one query and agree with a recount
(issue 18: shipping method 1.8×, amount due 1.9×, a surname 1.3× Oscar's list when aggregated
live); a search finding both a product's title and its SKU is counted live (one product's is
counted by the product tally: test_product_tally.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from oscar_orders_ext import selectors
from oscar_orders_ext.columns import ordering_for
from oscar_orders_ext.models import CustomerTally, FacetTally, Funnel, OrderProcess
from oscar_orders_ext.models.process import amount_due_expression
from oscar_orders_ext.services.transitions import transition_order
from oscar_orders_ext.views.common import table_page

from .factories import bulk_orders

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def due_classes(process: OrderProcess, due: Decimal) -> list[str]:
    """The amount-due classes of a row, as the table's filter tells them apart."""
    if due > 0:
        return ["due", "partly"] if process.amount_paid > 0 else ["due"]
    if due < 0:
        return ["owed"]
    return ["paid"] if process.amount_paid > 0 or process.payment_status == "paid" else []


def live() -> dict[tuple, tuple]:
    totals: dict[tuple, tuple] = {}
    for p in OrderProcess.objects.annotate(due_now=amount_due_expression()):
        facets = [("payment_method", p.payment_method), ("shipping_method", p.shipping_method),
                  ("source", p.source), ("operator", str(p.operator_id or "none")),
                  *(("amount_due", name) for name in due_classes(p, p.due_now))]
        for facet, value in facets:
            key = (facet, value, p.funnel_id, p.stage_id or 0, p.state, p.currency)
            n, amount = totals.get(key, (0, Decimal(0)))
            totals[key] = (n + 1, amount + p.total)
    return totals


def tallied() -> dict[tuple, tuple]:
    return {(t.facet, t.value, t.funnel_id, t.stage_id, t.state, t.currency): (t.count, t.total)
            for t in FacetTally.objects.exclude(count=0)}


CUSTOMER_KEY = ("customer_name", "customer_email", "customer_phone", "funnel_id", "stage_id",
                "state", "currency")


def live_customers() -> dict[tuple, tuple]:
    totals: dict[tuple, tuple] = {}
    for p in OrderProcess.objects.all():
        key = tuple(getattr(p, name) or 0 if name == "stage_id" else getattr(p, name)
                    for name in CUSTOMER_KEY)
        n, amount = totals.get(key, (0, Decimal(0)))
        totals[key] = (n + 1, amount + p.total)
    return totals


def tallied_customers() -> dict[tuple, tuple]:
    return {tuple(getattr(t, name) for name in CUSTOMER_KEY): (t.count, t.total)
            for t in CustomerTally.objects.exclude(count=0)}


@pytest.fixture
def operators(django_user_model):
    return [django_user_model.objects.create_user(f"op{i}", f"op{i}@example.com", "x",
                                                  is_staff=True) for i in range(2)]


def mixed_orders(operators) -> None:
    """Orders of two currencies, methods, sources, operators and payment situations."""
    bulk_orders(12, prefix="E", currency="EUR", total=Decimal("10"), source="web",
                payment_method="Card", operator=operators[0])
    bulk_orders(9, prefix="U", currency="USD", total=Decimal("5"), state="processing",
                source="phone", payment_method="Bank transfer")
    OrderProcess.objects.filter(number__startswith="E0000").update(
        shipping_method="Free shipping", amount_paid=Decimal("4"))  # partly paid
    OrderProcess.objects.filter(number__startswith="U0000").update(
        payment_status="paid", amount_paid=Decimal("5"), operator=operators[1])
    OrderProcess.objects.filter(number="U00008").update(
        payment_status="refunded", amount_paid=Decimal("6"))  # paid above the total: owed
    OrderProcess.objects.filter(number__startswith="E000").update(
        customer_name="Anna Fischer", customer_email="anna.fischer@example.com",
        customer_phone="+4930123456")
    OrderProcess.objects.filter(number__startswith="U000").update(customer_name="Tom Hughes")
    OrderProcess.objects.filter(number__startswith="E0001").update(operator=None)


def test_facet_tallies_follow_every_kind_of_change(place_order, operators):
    orders = [place_order() for _ in range(2)]
    mixed_orders(operators)
    assert tallied() == live() and tallied_customers() == live_customers()

    transition_order(orders[0], "confirm")
    OrderProcess.objects.filter(number__startswith="E000").update(
        source="shop", operator=operators[1], state="shipped")
    OrderProcess.objects.filter(number="U00003").update(total=Decimal("1"), currency="GBP")
    OrderProcess.objects.filter(number__startswith="U0000").update(amount_refunded=Decimal("5"))
    OrderProcess.objects.filter(number__startswith="E0001").update(payment_method="Cash")
    OrderProcess.objects.filter(number="E00011").update(customer_name="Anna Fischer-Berg")
    orders[1].delete()
    OrderProcess.objects.filter(number="E00005").delete()
    assert tallied() == live()
    assert tallied_customers() == live_customers()


def summary_of(query: str, processes) -> tuple:
    summary = selectors.summarize(selectors.OrderFilter(QueryDict(query), queryset=processes))
    return ([(t.currency, t.total, t.count) for t in summary.totals],
            [(c.state.code, c.count) for c in summary.states])


@pytest.mark.parametrize("query", [
    "payment_method=Card", "payment_method=Bank+transfer&payment_method=Cash",
    "shipping_method=Free+shipping", "source=phone&currency=USD", "operator={op}",
    "operator=none", "amount_due=due", "amount_due=partly", "amount_due=paid",
    "amount_due=owed", "source=web&state=new", "customer=u3%40example.com",
    "customer=anna.fischer%40example.com", "customer=U2%40example.com&currency=USD",
    "q=Anna.Fischer%40", "q=u3%40example.com", "q=fischer", "q=Anna+Fischer&state=new",
    "q=%2B49+30+123456", "q=hughes&currency=USD", "customer=u2%40example.com&q=Tom"])
def test_one_facet_or_customer_reads_the_tallies_and_agrees_with_a_recount(
        query, operators, django_assert_max_num_queries):
    mixed_orders(operators)
    query = query.format(op=operators[1].pk)
    # A name search first probes whether product titles match it (they do not here).
    with django_assert_max_num_queries(3) as captured:
        tallied_summary = summary_of(query, OrderProcess.objects.all())
    tally = "customertally" if "q=" in query or "customer=" in query else "facettally"
    assert f"oscar_orders_ext_{tally}" in captured.captured_queries[-1]["sql"]
    # A base queryset with a condition of its own is always counted live.
    recount = summary_of(query, OrderProcess.objects.filter(pk__gt=0))
    assert tallied_summary == recount
    matched = sum(count for _currency, _total, count in tallied_summary[0])
    assert 0 < matched < OrderProcess.objects.count()


@pytest.mark.parametrize("query", ["source=phone&amount_due=due", "q=cup",
                                   "customer=u2%40example.com&source=phone",
                                   "q=hughes&source=phone"])
def test_two_facets_or_a_product_search_are_counted_live(query, operators, place_order):
    mixed_orders(operators)
    place_order()  # a line titled "Espresso cup", SKU "CUP-1": "cup" matches both
    with CaptureQueriesContext(connection) as captured:
        summary = summary_of(query, OrderProcess.objects.all())
    assert "tally" not in captured.captured_queries[-1]["sql"]
    assert summary == summary_of(query, OrderProcess.objects.filter(pk__gt=0))


def test_the_board_of_a_facet_agrees_with_a_recount(operators):
    mixed_orders(operators)
    funnel = Funnel.objects.get(is_default=True)

    def columns(processes) -> dict:
        board = selectors.kanban(selectors.OrderFilter(QueryDict("source=web"),
                                                       queryset=processes), funnel)
        return {column.stage.name: (column.count, [(t.currency, t.total, t.count)
                                                   for t in column.totals])
                for column in board if column.count}

    assert columns(OrderProcess.objects.all()) == columns(OrderProcess.objects.filter(pk__gt=0))
    assert columns(OrderProcess.objects.all())


@pytest.mark.parametrize("sort", ["operator", "-operator"])
@pytest.mark.parametrize("offset", [0, 5, 20])
def test_sorting_by_operator_reads_a_page_per_operator_in_the_databases_order(
        sort, offset, django_user_model):
    zed, amy = (django_user_model.objects.create_user(name, f"{name}@example.com", "x",
                                                      is_staff=True) for name in ("zed", "amy"))
    bulk_orders(8, prefix="Z", operator=zed)
    bulk_orders(6, prefix="N")  # unassigned
    bulk_orders(7, prefix="A", operator=amy)
    processes = OrderProcess.objects.filter(state="new")
    _key, order_by = ordering_for(sort)
    expected = list(processes.order_by(*order_by).values_list("pk", flat=True)[offset:offset + 10])
    with CaptureQueriesContext(connection) as captured:
        ids = selectors.operator_sorted_ids(processes, descending=sort.startswith("-"),
                                            offset=offset, limit=10)
    assert ids == expected
    assert "auth_user" not in captured.captured_queries[-1]["sql"]  # no join, no full sort


def test_the_table_sorted_by_operator_shows_amy_before_zed(django_user_model):
    zed, amy = (django_user_model.objects.create_user(name, f"{name}@example.com", "x",
                                                      is_staff=True) for name in ("zed", "amy"))
    bulk_orders(3, prefix="Z", operator=zed)
    bulk_orders(2, prefix="A", operator=amy)
    order_filter = selectors.OrderFilter(QueryDict(""), queryset=OrderProcess.objects.all())
    table = table_page(order_filter, QueryDict("sort=operator"), None)
    assert [row.number[0] for row in table.rows] == ["A", "A", "Z", "Z", "Z"]
    table = table_page(order_filter, QueryDict("sort=-operator"), None)
    assert [row.number[0] for row in table.rows] == ["Z", "Z", "Z", "A", "A"]
