"""Time dashboard pages with Django's test client; run by ``benchmarks/workspace.py``.

Needs ``DATABASE_URL`` pointing at a seeded database (``seed_demo``). Prints one JSON object
on stdout: per page its URL, median and min milliseconds, and from one extra request its SQL
query count, SQL time, response size and optionally ``EXPLAIN ANALYZE`` of its slowest
queries. Progress goes to stderr. Settings are the sandbox's with ``DEBUG`` off, as in
production (``--debug`` keeps it on: Django then logs every query, which slows all pages).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox.settings")
#: The table's default columns with the unread-messages count added.
UNREAD_COLUMNS = ("placed,number,state,payment_status,customer,products,tags,operator,total,"
                  "unread,last_activity")


@dataclass
class Page:
    """A page to time and the text proving it shows the right orders."""

    key: str
    label: str
    url: str
    expect: list[str]
    absent: list[str] = field(default_factory=list)


@dataclass
class Timing:
    """What was measured for one page."""

    key: str
    label: str
    url: str
    median_ms: float
    min_ms: float
    queries: int
    sql_ms: float
    kilobytes: float
    slowest: list[dict[str, Any]]


def setup_django(debug: bool) -> None:
    """Configure Django from the sandbox settings, with DEBUG as asked."""
    from django.conf import settings

    settings.DEBUG = debug  # read before setup(), so the template engines see it too
    import django

    django.setup()


def pages_for(which: str) -> list[Page]:
    """The pages to time, with search terms and expected numbers taken from the data."""
    from oscar.core.loading import get_model

    from oscar_orders_ext.models import Funnel, OrderProcess

    order_model = get_model("order", "Order")
    orders = order_model.objects.order_by("-date_placed", "-pk")
    processes = OrderProcess.objects.order_by("-placed_at", "-pk")
    if not orders.exists():
        raise SystemExit("The database has no orders: run seed_demo first.")

    def newest_number(queryset: Any) -> str:
        """The number of the newest order in ``queryset`` (page 1 must show it)."""
        number = queryset.values_list("number", flat=True).first()
        if number is None:
            raise SystemExit(f"No order matches {queryset.query}")
        return str(number)

    oscar_list = Page("oscar", "Oscar: order list", "/dashboard/orders/", [newest_number(orders)])
    table = Page("table", "Ours: table", "/dashboard/workspace/", [newest_number(processes)])
    searches = search_pages(processes, newest_number)
    filters = filter_pages(processes, newest_number)
    if which == "scale":
        return [oscar_list, table, *searches, *filters]

    status, state = "Being processed", "processing"
    middle = orders.values_list("number", flat=True)[orders.count() // 2]
    prefix = middle[:-2]  # e.g. D000500 matches 100 bulk orders
    email = processes.exclude(customer_email="").values_list("customer_email", flat=True)[0]
    funnel = Funnel.objects.get_default()

    def filtered(key: str, label: str, url: str, matching: Any, others: Any) -> Page:
        """A filtered page: shows the newest matching order, not the newest other one."""
        return Page(key, label, url, [newest_number(matching)], [newest_number(others)])

    is_status, has_prefix = {"status": status}, {"number__startswith": prefix}
    is_state, has_email = {"state": state}, {"customer_email": email}
    card = newest_number(processes.filter(funnel=funnel, stage__isnull=False))
    from django.db.models import Q

    from oscar_orders_ext.workflow import get_workflow

    waiting = Q(staff_unread__gt=0) | Q(state=get_workflow().initial_state)
    return [
        oscar_list,
        filtered("oscar_status", f"Oscar: status={status}",
                 f"/dashboard/orders/?{urlencode({'status': status})}",
                 orders.filter(**is_status), orders.exclude(**is_status)),
        filtered("oscar_number", f"Oscar: number starts {prefix}",
                 f"/dashboard/orders/?{urlencode({'order_number': prefix})}",
                 orders.filter(**has_prefix), orders.exclude(**has_prefix)),
        table,
        filtered("table_state", f"Ours: state={state}",
                 f"/dashboard/workspace/?{urlencode({'state': state})}",
                 processes.filter(**is_state), processes.exclude(**is_state)),
        filtered("table_number", f"Ours: q={prefix}",
                 f"/dashboard/workspace/?{urlencode({'q': prefix})}",
                 processes.filter(**has_prefix), processes.exclude(**has_prefix)),
        filtered("table_email", "Ours: q=<customer email>",
                 f"/dashboard/workspace/?{urlencode({'q': email})}",
                 processes.filter(**has_email), processes.exclude(**has_email)),
        filtered("inbox", "Ours: inbox (new or unread)", "/dashboard/workspace/?inbox=true",
                 processes.filter(waiting), processes.exclude(waiting)),
        Page("table_unread", "Ours: table + unread column",
             f"/dashboard/workspace/?{urlencode({'columns': UNREAD_COLUMNS})}",
             [newest_number(processes)]),
        Page("kanban", f"Ours: Kanban /{funnel.slug}/",
             f"/dashboard/workspace/kanban/{funnel.slug}/", [funnel.name, card]),
        *searches,
        *filters,
    ]


#: Sorts timed besides the default (newest first): column key with its direction.
SORTS = ("-total", "total", "number", "customer", "-last_activity", "state", "payment_status",
         "operator")
#: A deep page of the table (page size 25: offset 49,975).
DEEP_PAGE = 2000


def filter_pages(processes: Any, newest_number: Any) -> list[Page]:
    """Every single filter of the panel, the other searches, the sorts, a deep page and the
    Kanban with a tag, a date range, a search and a total range: the cases issue 18 asks to
    keep at Oscar's cost."""
    from datetime import datetime, time, timedelta

    from django.utils import timezone
    from oscar.core.loading import get_model

    from oscar_orders_ext import selectors
    from oscar_orders_ext.columns import ordering_for
    from oscar_orders_ext.models import Funnel, Tag

    line_model = get_model("order", "Line")
    pages: list[Page] = []

    def add(key: str, label: str, query: dict[str, Any], matching: Any,
            base: str = "/dashboard/workspace/") -> None:
        pages.append(Page(key, label, f"{base}?{urlencode(query, doseq=True)}",
                          [newest_number(matching)]))

    named = processes.exclude(customer_name="").values_list("customer_name", flat=True)
    full_name = named.first() or ""
    surname = full_name.split()[-1] if full_name else ""
    first_name = full_name.split()[0] if full_name else ""
    line = (line_model.objects.exclude(partner_sku="").order_by("-pk")
            .values_list("partner_sku", "title").first())
    phone = processes.exclude(customer_phone="").values_list("customer_phone", flat=True).first()
    email = processes.exclude(customer_email="").values_list("customer_email", flat=True).first()
    number = processes.values_list("number", flat=True).first()
    typed = {"search_name": full_name, "search_surname": surname,
             "search_first_name": first_name, "search_email": email, "search_phone_e164": phone,
             "search_sku": line and line[0],
             "search_title": line and max(line[1].split(), key=len),  # its longest word
             "search_number": number}
    for key, text in typed.items():
        if text:
            add(key, f"Ours: q={text}", {"q": text}, selectors.search(processes, text))

    tag = (Tag.objects.filter(name="VIP").first() or Tag.objects.order_by("pk").first())
    today = timezone.localdate()
    since = today - timedelta(days=30)
    range_start = timezone.make_aware(datetime.combine(since, time.min))
    in_range = processes.filter(placed_at__gte=range_start)
    if tag is not None:
        add("filter_tag", f"Ours: tag {tag.name}", {"tags": tag.pk}, processes.filter(tags=tag))
    add("filter_placed_30d", "Ours: placed in the last 30 days",
        {"placed_min": since.isoformat()}, in_range)
    add("filter_unpaid", "Ours: payment unpaid", {"payment_status": "unpaid"},
        processes.filter(payment_status="unpaid"))
    first = processes.first()
    singles: dict[str, tuple[dict[str, Any], Any]] = {
        "order_type": ({"order_type": first.order_type},
                       processes.filter(order_type=first.order_type)),
        "total": ({"total_min": "100", "total_max": "200"},
                  processes.filter(total__gte=100, total__lte=200)),
        "currency": ({"currency": first.currency}, processes.filter(currency=first.currency)),
        "payment_method": ({"payment_method": first.payment_method},
                           processes.filter(payment_method=first.payment_method)),
        "shipping_method": ({"shipping_method": first.shipping_method},
                            processes.filter(shipping_method=first.shipping_method)),
        "source": ({"source": first.source}, processes.filter(source=first.source)),
        "operator_none": ({"operator": selectors.UNASSIGNED},
                          processes.filter(operator__isnull=True)),
        "amount_due": ({"amount_due": "due"}, selectors.filter_amount_due(processes, "due")),
        "payment_link": ({"payment_link": "expired"},
                         selectors.filter_payment_link(processes, "expired")),
        "funnel": ({"funnel": first.funnel_id}, processes.filter(funnel_id=first.funnel_id)),
        "customer": ({"customer": email}, processes.filter(customer_email=email)),
    }
    if first.operator_id:
        singles["operator"] = ({"operator": first.operator_id},
                               processes.filter(operator_id=first.operator_id))
    if first.stage_id:
        singles["stage"] = ({"stage": first.stage_id}, processes.filter(stage_id=first.stage_id))
    for name, (query, matching) in singles.items():
        if matching.exists():
            add(f"filter_{name}", f"Ours: {urlencode(query)}", query, matching)
    for sort in SORTS:
        _key, order_by = ordering_for(sort)
        add(f"sort_{sort}", f"Ours: sort={sort}", {"sort": sort},
            processes.order_by(*order_by)[:1])
    count = processes.count()
    if count > DEEP_PAGE * 25:
        deep = processes[(DEEP_PAGE - 1) * 25:(DEEP_PAGE - 1) * 25 + 1]
        add("deep_page", f"Ours: page {DEEP_PAGE:,}", {"page": DEEP_PAGE}, deep)
    funnel = Funnel.objects.get_default()
    board = f"/dashboard/workspace/kanban/{funnel.slug}/"
    staged = processes.filter(funnel=funnel, stage__isnull=False)
    if tag is not None:
        add("kanban_tag", f"Ours: Kanban, tag {tag.name}", {"tags": tag.pk},
            staged.filter(tags=tag), base=board)
    add("kanban_placed_30d", "Ours: Kanban, last 30 days", {"placed_min": since.isoformat()},
        staged.filter(placed_at__gte=range_start), base=board)
    add("kanban_search", f"Ours: Kanban, q={surname}", {"q": surname},
        selectors.search(staged, surname), base=board)
    add("kanban_total", "Ours: Kanban, total 100-200", {"total_min": "100", "total_max": "200"},
        staged.filter(total__gte=100, total__lte=200), base=board)
    return pages


def search_pages(processes: Any, newest_number: Any) -> list[Page]:
    """Look-ups as people type them: a phone as displayed, the start of an email, of a SKU,
    part of an order number (served by the trigram indexes of migration 0011 on PostgreSQL)."""
    from oscar.core.loading import get_model

    from oscar_orders_ext import selectors

    line_model = get_model("order", "Line")
    pages = []
    phone = processes.exclude(customer_phone="").values_list("customer_phone", flat=True).first()
    email = processes.exclude(customer_email="").values_list("customer_email", flat=True).first()
    sku = line_model.objects.exclude(partner_sku="").values_list("partner_sku", flat=True).first()
    number = processes.values_list("number", flat=True).first()
    typed = {
        "search_phone": phone and f"{phone[:3]} {phone[3:6]} {phone[6:]}",  # "+33 140 200000"
        "search_email_start": email and email.split("@")[0],
        "search_sku_start": sku and sku[:-2],
        "search_number_part": number and str(number)[1:],
    }
    for key, text in typed.items():
        if not text:
            continue
        matching = selectors.search(processes, text)
        pages.append(Page(key, f"Ours: q={text}",
                          f"/dashboard/workspace/?{urlencode({'q': text})}",
                          [newest_number(matching)]))
    return pages


def fetch(client: Any, page: Page, check_content: bool = False) -> int:
    """GET the page, return its size; fail on an error status or (if asked) wrong content."""
    response = client.get(page.url)
    if response.status_code != 200:
        raise SystemExit(f"{page.url} answered {response.status_code}")
    if check_content:
        html = response.content.decode()
        missing = [text for text in page.expect if text not in html]
        unwanted = [text for text in page.absent if text in html]
        if missing or unwanted:
            raise SystemExit(f"{page.url}: missing {missing}, unexpected {unwanted}")
    return len(response.content)


class QueryClock:
    """Execute wrapper timing each query with ``perf_counter`` (Django's log rounds to ms)."""

    def __init__(self) -> None:
        """Start with no queries recorded."""
        self.queries: list[tuple[float, str, Any]] = []

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        """Run the query and record its duration."""
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.queries.append((time.perf_counter() - started, sql, params))


def explain(sql: str, params: Any) -> str:
    """``EXPLAIN (ANALYZE, BUFFERS)`` of one recorded query."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def time_pages(client: Any, pages: list[Page], repeat: int, warmup: int
               ) -> dict[str, list[float]]:
    """Milliseconds of ``repeat`` GETs per page, in rounds so load bursts hit all pages alike."""
    for page in pages:
        print(f"  checking {page.url}", file=sys.stderr, flush=True)
        fetch(client, page, check_content=True)  # the first warm-up
    for _ in range(warmup - 1):
        for page in pages:
            fetch(client, page)
    times: dict[str, list[float]] = {page.key: [] for page in pages}
    for round_number in range(repeat):
        print(f"  round {round_number + 1}/{repeat}", file=sys.stderr, flush=True)
        for page in pages:
            started = time.perf_counter()
            fetch(client, page)
            times[page.key].append((time.perf_counter() - started) * 1000)
    return times


def profile_queries(client: Any, page: Page, times: list[float], slowest: int) -> Timing:
    """The page's timings, with the queries of one more GET counted and timed."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    clock = QueryClock()
    with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(clock):
        size = fetch(client, page, check_content=True)
    top = sorted(clock.queries, key=lambda query: query[0], reverse=True)[:slowest]
    return Timing(
        key=page.key, label=page.label, url=page.url,
        median_ms=statistics.median(times), min_ms=min(times),
        queries=len(captured.captured_queries),
        sql_ms=sum(seconds for seconds, _sql, _params in clock.queries) * 1000,
        kilobytes=size / 1024,
        slowest=[{"ms": seconds * 1000, "sql": sql, "params": repr(params),
                  "plan": explain(sql, params)}
                 for seconds, sql, params in top])


def main() -> None:
    """Log in as the demo superuser and time each page."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", choices=["main", "scale"], default="main")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--explain", type=int, default=0, metavar="N",
                        help="EXPLAIN ANALYZE the N slowest queries of each page")
    parser.add_argument("--only", default="", metavar="KEYS",
                        help="comma-separated page key prefixes to time (Oscar's list always)")
    parser.add_argument("--debug", action="store_true",
                        help="keep the sandbox's DEBUG=True (slower: it logs every query)")
    options = parser.parse_args()
    setup_django(options.debug)

    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(username="demo"))
    pages = pages_for(options.pages)
    if options.only:
        prefixes = ("oscar", *options.only.split(","))
        pages = [page for page in pages if page.key == "oscar" or page.key.startswith(prefixes)]
    times = time_pages(client, pages, options.repeat, max(options.warmup, 1))
    results = [asdict(profile_queries(client, page, times[page.key], options.explain))
               for page in pages]
    json.dump({"pages": results}, sys.stdout)


if __name__ == "__main__":
    main()
