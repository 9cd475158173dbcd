"""PostgreSQL keeps tallies per tag and per UTC day placed (migration 0021): whatever changes
the orders or their tags, they match a live count; the summary and the board of one tag or a
date range read them (the range's edges counted live) and agree with a recount, in a fixed
number of queries; searches read their indexes through a UNION and find what SQLite finds."""

from __future__ import annotations

from datetime import timedelta
from datetime import timezone as dt_timezone
from decimal import Decimal

import pytest
from django.db.models import Count, Sum
from django.http import QueryDict
from django.utils import timezone

from oscar_orders_ext import selectors
from oscar_orders_ext.models import DayTally, Funnel, OrderProcess, Tag, TagTally
from oscar_orders_ext.services import edits
from oscar_orders_ext.services.transitions import transition_order

from .factories import bulk_orders

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

LINKS = OrderProcess.tags.through


def live_tags() -> dict[tuple, tuple]:
    rows = (LINKS.objects.values("tag_id", "orderprocess__funnel_id", "orderprocess__stage_id",
                                 "orderprocess__state", "orderprocess__currency")
            .annotate(n=Count("pk"), amount=Sum("orderprocess__total")))
    return {(r["tag_id"], r["orderprocess__funnel_id"], r["orderprocess__stage_id"] or 0,
             r["orderprocess__state"], r["orderprocess__currency"]): (r["n"], r["amount"])
            for r in rows}


def tallied_tags() -> dict[tuple, tuple]:
    return {(t.tag_id, t.funnel_id, t.stage_id, t.state, t.currency): (t.count, t.total)
            for t in TagTally.objects.exclude(count=0)}


def live_days() -> dict[tuple, tuple]:
    totals: dict[tuple, list] = {}
    for p in OrderProcess.objects.all():
        key = (p.placed_at.astimezone(dt_timezone.utc).date(), p.funnel_id, p.stage_id or 0,
               p.state, p.currency)
        n, amount = totals.get(key, (0, Decimal(0)))
        totals[key] = (n + 1, amount + p.total)
    return totals


def tallied_days() -> dict[tuple, tuple]:
    return {(t.day, t.funnel_id, t.stage_id, t.state, t.currency): (t.count, t.total)
            for t in DayTally.objects.exclude(count=0)}


def test_tag_and_day_tallies_follow_every_kind_of_change(place_order):
    vip, gift = Tag.objects.create(name="VIP"), Tag.objects.create(name="Gift")
    orders = [place_order() for _ in range(3)]
    batch = bulk_orders(30, prefix="B", currency="USD", total=Decimal("7.25"))
    edits.set_tags(orders[0], [vip, gift])
    edits.add_tags(orders[1], [vip])
    LINKS.objects.bulk_create([LINKS(orderprocess_id=p.pk, tag_id=vip.pk) for p in batch[:20]])
    assert tallied_tags() == live_tags() and tallied_days() == live_days()

    transition_order(orders[0], "confirm")
    edits.move_to_funnel(orders[1], Funnel.create_from_workflow("Wholesale", is_default=False))
    OrderProcess.objects.filter(number__startswith="B000").update(state="shipped")
    OrderProcess.objects.filter(number="B00011").update(currency="GBP", total=Decimal("99"))
    OrderProcess.objects.filter(number="B00012").update(
        placed_at=timezone.now() - timedelta(days=40))
    OrderProcess.objects.filter(number__startswith="B001").update(payment_status="paid")
    edits.remove_tags(orders[0], [gift])
    LINKS.objects.filter(orderprocess__number__startswith="B002").delete()
    orders[1].delete()
    OrderProcess.objects.filter(number__startswith="B003").delete()
    vip_links = LINKS.objects.filter(tag=vip).count()
    assert tallied_tags() == live_tags() and tallied_days() == live_days()
    assert sum(t.count for t in TagTally.objects.filter(tag_id=vip.pk)) == vip_links


def summary_of(query: str, processes) -> tuple:
    summary = selectors.summarize(selectors.OrderFilter(QueryDict(query), queryset=processes))
    return ([(t.currency, t.total, t.count) for t in summary.totals],
            [(c.state.code, c.count) for c in summary.states])


def spread_orders() -> Tag:
    """Orders placed every five hours over twenty days, a third tagged VIP."""
    vip = Tag.objects.create(name="VIP")
    euros = bulk_orders(60, prefix="E", currency="EUR", total=Decimal("10"))
    dollars = bulk_orders(36, prefix="U", currency="USD", total=Decimal("5"), state="processing")
    now = timezone.now()
    for index, process in enumerate([*euros, *dollars]):
        OrderProcess.objects.filter(pk=process.pk).update(
            placed_at=now - timedelta(hours=5 * index))
    LINKS.objects.bulk_create([LINKS(orderprocess_id=p.pk, tag_id=vip.pk)
                               for p in [*euros, *dollars][::3]])
    return vip


@pytest.mark.parametrize("timezone_name", ["UTC", "Europe/Rome", "Asia/Kolkata"])
@pytest.mark.parametrize("query", [
    "tags={vip}", "tags={vip}&state=processing", "tags={vip}&currency=USD",
    "placed_min={since}", "placed_max={until}", "placed_min={since}&placed_max={until}",
    "placed_min={until}&placed_max={until}", "placed_min={since}&currency=EUR"])
def test_a_tag_or_a_date_range_reads_the_tallies_and_agrees_with_a_recount(
        query, timezone_name, django_assert_max_num_queries, settings):
    settings.TIME_ZONE = timezone_name
    vip = spread_orders()
    # One local day off UTC holds no whole UTC day: it is counted live (a day of orders).
    live_only = query.startswith("placed_min={until}") and timezone_name != "UTC"
    with timezone.override(timezone_name):
        today = timezone.localdate()
        query = query.format(vip=vip.pk, since=today - timedelta(days=12),
                             until=today - timedelta(days=3))
        with django_assert_max_num_queries(3) as captured:  # the tag's key, tally, edges
            tallied = summary_of(query, OrderProcess.objects.all())
        sql = " ".join(q["sql"] for q in captured.captured_queries)
        assert live_only or ("oscar_orders_ext_tagtally" if "tags" in query
                             else "oscar_orders_ext_daytally") in sql
        # A base queryset with a condition of its own is always counted live.
        recount = summary_of(query, OrderProcess.objects.filter(pk__gt=0))
    assert tallied == recount
    matched = sum(count for _currency, _total, count in tallied[0])
    assert 0 < matched < OrderProcess.objects.count()  # every query here narrows the orders


@pytest.mark.parametrize("query", ["tags={vip}", "placed_min={since}"])
def test_the_board_of_a_tag_or_a_range_agrees_with_a_recount(query):
    vip = spread_orders()
    funnel = Funnel.objects.get(is_default=True)
    query = query.format(vip=vip.pk, since=timezone.localdate() - timedelta(days=7))

    def columns(processes) -> dict:
        board = selectors.kanban(selectors.OrderFilter(QueryDict(query), queryset=processes),
                                 funnel)
        return {column.stage.name: (column.count, [(t.currency, t.total, t.count)
                                                   for t in column.totals])
                for column in board if column.count}

    assert columns(OrderProcess.objects.all()) == columns(OrderProcess.objects.filter(pk__gt=0))
    assert columns(OrderProcess.objects.all())


def test_two_tags_are_counted_live_once_per_order():
    vip = spread_orders()
    gift = Tag.objects.create(name="Gift")
    LINKS.objects.bulk_create([LINKS(orderprocess_id=p.pk, tag_id=gift.pk)
                               for p in OrderProcess.objects.all()[:10]])
    both = summary_of(f"tags={vip.pk}&tags={gift.pk}", OrderProcess.objects.all())
    tagged = OrderProcess.objects.filter(tags__in=[vip, gift]).distinct().count()
    assert sum(count for _currency, _total, count in both[0]) == tagged


@pytest.mark.parametrize("text", ["Rossi", "rossi", "Mug", "SKU-7", "marco.rossi"])
def test_a_search_by_name_title_or_sku_finds_orders_through_either_side(text, place_order):
    named = bulk_orders(3, prefix="N")
    OrderProcess.objects.filter(number__startswith="N").update(
        customer_name="Marco Rossi", customer_email="marco.rossi@example.com")
    lined = [place_order(), place_order()]
    for order in lined:
        order.lines.update(title="Blue Mug", partner_sku="SKU-7")
    bulk_orders(4, prefix="X")
    found = {p.number for p in selectors.search(OrderProcess.objects.all(), text)}
    by_name = {p.number for p in named}
    by_line = {str(order.number) for order in lined}
    assert found == (by_line if text in {"Mug", "SKU-7"} else by_name)
    assert summary_of(f"q={text}", OrderProcess.objects.all())[0][0][2] == len(found)


@pytest.mark.parametrize("query", ["tags={vip}", "placed_min={since}", "q=Rossi", "q=Mug",
                                   "sort=-total", "sort=state", "payment_status=unpaid",
                                   "total_min=6&total_max=20"])
def test_filtered_pages_cost_a_fixed_number_of_queries(query, django_app, place_order,
                                                       django_assert_max_num_queries):
    from django.contrib.auth import get_user_model

    from .dashboard.conftest import ws_url

    vip = spread_orders()
    OrderProcess.objects.filter(number__startswith="E").update(customer_name="Marco Rossi")
    for order in [place_order(), place_order()]:
        order.lines.update(title="Blue Mug")
    viewer = get_user_model().objects.create_superuser("boss", "boss@example.com", "pw")
    url = f"{ws_url('orders-workspace')}?" + query.format(
        vip=vip.pk, since=timezone.localdate() - timedelta(days=7))
    board = f"{ws_url('orders-workspace-kanban', funnel=Funnel.objects.get_default().slug)}?" \
        + query.format(vip=vip.pk, since=timezone.localdate() - timedelta(days=7))
    django_app.get(url, user=viewer)  # warm the session and caches
    with django_assert_max_num_queries(17) as few:
        django_app.get(f"{url}&page_size=25", user=viewer)
    with django_assert_max_num_queries(17) as many:
        page = django_app.get(f"{url}&page_size=100", user=viewer)
    assert len(few.captured_queries) == len(many.captured_queries)
    assert page.pyquery(".ooe-chip") or "sort" in query  # the filter shows as a chip
    assert not page.pyquery("#ooe-more-filters select")  # the panel is not drawn
    django_app.get(board, user=viewer)
    with django_assert_max_num_queries(17):
        django_app.get(board, user=viewer)
