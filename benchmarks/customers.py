"""Time the customer directory against Oscar's customer list (``/dashboard/users/``) on the
same customers, on a scratch PostgreSQL database.

    .venv/bin/python benchmarks/customers.py                # 100,000 customers, 1,000,000 orders
    .venv/bin/python benchmarks/customers.py --customers 20000 --orders 0 --keep --reuse

The database ``ooe_bench_customers_<N>`` on 127.0.0.1:5432 (user postgres) is created,
migrated with the sandbox settings and filled with SQL: N accounts (with Oscar's
``UserRecord`` of each, which its list shows), ``--orders`` orders spread evenly over them
(Oscar's ``Order`` and the workspace's process of each, written by ``INSERT … SELECT``; other
columns get their type's empty value), N directory rows whose aggregates are then computed
from those orders by one ``GROUP BY`` (what ``orders_backfill_customers`` would write), and
ten groups.
Pages are timed in this process with Django's test client, logged in as a superuser: page 1 of
each list, a group filter, a name search on both, searches by company, email part and phone,
a profile; then the searches again without the directory's trigram indexes (migration
``0019_customers``, re-created afterwards), to show what they buy. Prints figures only.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PYTHON = sys.executable


def psql(sql: str, database: str = "postgres") -> str:
    """Run SQL with psql; its unaligned output."""
    result = subprocess.run(["psql", f"{PG_SERVER}/{database}", "-XqtAc", sql], check=True,
                            capture_output=True, text=True)
    return result.stdout.strip()


#: A value for a required column the seed does not set, by its type.
EMPTY = {"integer": "0", "bigint": "0", "smallint": "0", "numeric": "0", "boolean": "false",
         "character varying": "''", "text": "''", "jsonb": "'{}'::jsonb",
         "timestamp with time zone": "now()", "date": "current_date", "uuid": "gen_random_uuid()"}


def insert_select(table: str, given: dict[str, str], source: str, name: str) -> None:
    """``INSERT INTO table SELECT … source``: the ``given`` column expressions, and the empty
    value of its type for every other required column without a default."""
    columns = dict(given)
    for row in psql(f"SELECT column_name, data_type FROM information_schema.columns "
                    f"WHERE table_name = '{table}' AND is_nullable = 'NO' "
                    f"AND column_default IS NULL AND column_name <> 'id'", name).splitlines():
        column, data_type = row.split("|")
        columns.setdefault(column, EMPTY[data_type])
    psql(f"INSERT INTO {table} ({', '.join(columns)}) "
         f"SELECT {', '.join(columns.values())} {source}", name)


def seed_orders(name: str, customers: int, orders: int) -> None:
    """``orders`` orders of 25.00 EUR, spread evenly over the seeded customers and over the
    last four years, each with its process; then the directory rows' aggregates."""
    first_user = psql("SELECT MIN(id) FROM auth_user WHERE username LIKE 'customer%'", name)
    funnel, stage = psql("SELECT f.id, s.id FROM oscar_orders_ext_funnel f JOIN "
                         "oscar_orders_ext_stage s ON s.funnel_id = f.id AND s.state = 'new' "
                         "ORDER BY f.is_default DESC, s.position LIMIT 1", name).split("|")
    insert_select("order_order", {
        "number": "'B' || lpad(k::text, 9, '0')", "currency": "'EUR'",
        "total_incl_tax": "25.00", "total_excl_tax": "20.49", "shipping_incl_tax": "0",
        "shipping_excl_tax": "0", "status": "'Pending'", "guest_email": "''",
        "user_id": f"{first_user} + k % {customers}",
        "date_placed": "now() - (k % 1461) * interval '1 day' - k * interval '1 second'",
    }, f"FROM generate_series(0, {orders - 1}) AS k", name)
    insert_select("oscar_orders_ext_orderprocess", {
        "order_id": "o.id", "number": "o.number", "state": "'new'", "funnel_id": funnel,
        "stage_id": stage, "customer_email": "lower(u.email)",
        "customer_name": "u.first_name || ' ' || u.last_name", "total": "o.total_incl_tax",
        "currency": "o.currency", "placed_at": "o.date_placed",
        "state_changed_at": "o.date_placed", "last_activity_at": "o.date_placed",
        "order_type": "'standard'", "payment_status": "'unpaid'",
    }, "FROM order_order o JOIN auth_user u ON u.id = o.user_id WHERE o.number LIKE 'B%'",
        name)
    psql("""
        UPDATE oscar_orders_ext_customer c
        SET order_count = a.n, first_order_at = a.first, last_order_at = a.last,
            registered_at = LEAST(c.registered_at, a.first),
            totals = jsonb_build_object('EUR', jsonb_build_object('count', a.n,
                                                                  'total', a.total::text))
        FROM (SELECT customer_email, COUNT(*) AS n, SUM(total) AS total,
                     MIN(placed_at) AS first, MAX(placed_at) AS last
              FROM oscar_orders_ext_orderprocess GROUP BY customer_email) a
        WHERE c.email = a.customer_email""", name)


def create_database(name: str, template: str | None) -> None:
    """A new database: empty, or a copy of ``template`` (retried while someone is connected
    to it), migrated with the sandbox settings either way."""
    psql(f"DROP DATABASE IF EXISTS {name}")
    for attempt in range(30):
        try:
            psql(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
            break
        except subprocess.CalledProcessError:
            if not template or attempt == 29:
                raise
            time.sleep(5)
    env = {**os.environ, "DATABASE_URL": f"{PG_SERVER}/{name}"}
    subprocess.run([PYTHON, str(ROOT / "sandbox" / "manage.py"), "migrate", "--noinput"],
                   env=env, check=True, stdout=subprocess.DEVNULL)


def prepare(name: str, customers: int, orders: int, reuse: bool,
            template: str | None = None) -> None:
    """A migrated database holding ``customers`` accounts and directory rows, and
    ``orders`` orders (beside a template's own, if the database is a copy of one)."""
    if reuse and psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'") == "1":
        count = psql("SELECT COUNT(*) FROM oscar_orders_ext_customer", name)
        if int(count) >= customers:
            print(f"Reusing {name}.", flush=True)
            return
    create_database(name, template)
    started = time.perf_counter()
    psql(f"""
        INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email,
                               is_staff, is_active, date_joined)
        SELECT '!', false, 'customer' || i, 'Name' || (i % 977),
               'Surname' || lpad(((i * 7919) % {customers})::text, 7, '0'),
               'customer' || i || '@example.com', false, true,
               now() - (i % 2000) * interval '1 day'
        FROM generate_series(1, {customers}) AS i;
        INSERT INTO analytics_userrecord (user_id, num_product_views, num_basket_additions,
            num_orders, num_order_lines, num_order_items, total_spent, date_last_order)
        SELECT id, 0, 0, 10, 10, 10, 250, now() FROM auth_user
        WHERE username LIKE 'customer%' ON CONFLICT DO NOTHING;
        INSERT INTO oscar_orders_ext_customergroup (name, created_at)
        SELECT 'Group ' || g, now() FROM generate_series(1, 10) AS g;
        INSERT INTO oscar_orders_ext_customer (email, user_id, first_name, last_name, company,
            phone, registered_at, order_count, first_order_at, last_order_at, totals, notes,
            group_id, updated_at)
        SELECT u.email, u.id, u.first_name, u.last_name,
               CASE WHEN u.id % 3 = 0 THEN 'Company' || lpad((u.id % 5000)::text, 4, '0')
                    ELSE '' END,
               '+3901' || lpad(u.id::text, 7, '0'),
               u.date_joined, 10, u.date_joined, now() - (u.id % 400) * interval '1 day',
               '{{"EUR": {{"count": 10, "total": "250.00"}}}}'::jsonb, '',
               (SELECT MIN(id) FROM oscar_orders_ext_customergroup) + (u.id % 10), now()
        FROM auth_user u WHERE NOT u.is_staff AND u.username LIKE 'customer%';
    """, name)
    if orders:
        seed_orders(name, customers, orders)
    psql("VACUUM ANALYZE", name)
    print(f"Seeded {customers} customers and {orders} orders in "
          f"{time.perf_counter() - started:.0f} s", flush=True)


def timed(client: Any, path: str, repeat: int, warmup: int) -> dict[str, Any]:
    """Median and min milliseconds, and queries, of GET ``path``."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warmup):
        assert client.get(path).status_code == 200, path
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, path
    with CaptureQueriesContext(connection) as captured:
        client.get(path)
    return {"median": statistics.median(times), "min": min(times), "queries": len(captured)}


def main() -> None:
    """Prepare the database, time the pages, print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--template", help="copy this database (e.g. bench_tpl_100000) "
                        "instead of migrating an empty one: faster on a loaded machine")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--database", help="the scratch database's name (default: "
                        "derived from the size)")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse", action="store_true")
    options = parser.parse_args()
    name = options.database or f"ooe_bench_customers_{options.customers}"
    prepare(name, options.customers, options.orders, options.reuse, options.template)

    os.environ["DATABASE_URL"] = f"{PG_SERVER}/{name}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.test.utils import setup_test_environment

    from oscar_orders_ext.models import Customer, CustomerGroup

    setup_test_environment()
    admin, _created = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"email": "bench-admin@example.com",
                                          "is_staff": True, "is_superuser": True})
    client = Client()
    client.force_login(admin)
    group = CustomerGroup.objects.order_by("pk")[3]
    customer = Customer.objects.order_by("pk")[options.customers // 2]
    ours = "/dashboard/workspace/customers/"
    pages = [
        ("directory page 1", ours),
        ("Oscar users page 1", "/dashboard/users/"),
        ("directory group filter", f"{ours}?group={group.pk}"),
        ("directory name search", f"{ours}?q=Surname0001"),
        ("Oscar users name search", "/dashboard/users/?name=Surname0001"),
        ("directory company search", f"{ours}?q=Company0042"),
        ("directory email part search", f"{ours}?q=mer12345"),
        ("directory phone search", f"{ours}?q=0004242"),
        ("directory last page", f"{ours}?page=last"),
        ("profile", f"{ours}{customer.pk}/"),
    ]
    results = {}
    print(f"{options.customers} customers, {options.orders} orders, {options.repeat} timed "
          f"requests per page; load average {os.getloadavg()[0]:.1f}")
    print(f"{'page':<40} {'median ms':>10} {'min ms':>8} {'queries':>8}")
    for label, path in pages:
        results[label] = result = timed(client, path, options.repeat, options.warmup)
        print(f"{label:<40} {result['median']:>10.1f} {result['min']:>8.1f} "
              f"{result['queries']:>8}", flush=True)
    searches = [(label, path) for label, path in pages if "search" in label
                 and label.startswith("directory")]
    # The same searches without the trigram indexes of migration 0019 (then put back).
    indexes = psql("SELECT string_agg(indexname || '=' || indexdef, chr(10)) FROM pg_indexes "
                   "WHERE tablename = 'oscar_orders_ext_customer' AND indexname LIKE '%trgm'",
                   name).splitlines()
    for line in indexes:
        psql(f"DROP INDEX {line.split('=', 1)[0]}", name)
    psql("ANALYZE oscar_orders_ext_customer", name)
    for label, path in searches:
        label = f"{label} (no trigram)"
        results[label] = result = timed(client, path, options.repeat, options.warmup)
        print(f"{label:<40} {result['median']:>10.1f} {result['min']:>8.1f} "
              f"{result['queries']:>8}", flush=True)
    for line in indexes:
        psql(line.split("=", 1)[1], name)
    for ours_label, theirs_label in (("directory page 1", "Oscar users page 1"),
                                     ("directory group filter", "Oscar users page 1"),
                                     ("directory name search", "Oscar users name search"),
                                     ("directory name search (no trigram)",
                                      "Oscar users name search")):
        ratio = results[ours_label]["median"] / results[theirs_label]["median"]
        print(f"{ours_label} / {theirs_label}: {ratio:.2f}x (target <= 1.0x)")
    if not options.keep:
        from django.db import connections

        connections.close_all()
        psql(f"DROP DATABASE IF EXISTS {name}")


if __name__ == "__main__":
    main()
