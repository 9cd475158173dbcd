"""Tallies, indexes for the table's filters, searches and sorts at a million orders (issue 18).

Tallies per tag and per UTC day (PostgreSQL statement-level triggers, like 0004's): the
summary and the board of a tag or a date range read a few hundred rows. Trigram indexes
(PostgreSQL only, like 0012) for the "contains" searches on customer names and product titles, which Django writes ``UPPER(col::text) LIKE UPPER('%…%')``; a btree for sorting
by total, number, customer and last activity (read backwards for the other direction),
(payment status, -placed_at, -id) in place of the plain payment status index, and the id
closing ``ooe_process_placed`` so deep pages read the index alone. What each costs on writes:
docs/benchmarks.md, "Filters, searches and sorts at 100k and 1M".
"""

from django.db import migrations, models

INDEXES = {
    "ooe_process_name_upper_trgm":
        "oscar_orders_ext_orderprocess USING gin ((UPPER(customer_name::text)) gin_trgm_ops)",
    "ooe_line_title_upper_trgm":
        "order_line USING gin ((UPPER(title::text)) gin_trgm_ops)",
}


PROCESS = "oscar_orders_ext_orderprocess"
LINKS = "oscar_orders_ext_orderprocess_tags"
TAG_TALLY = "oscar_orders_ext_tagtally"
DAY_TALLY = "oscar_orders_ext_daytally"
TAG_KEY = "tag_id, funnel_id, stage_id, state, currency"
DAY_KEY = "day, funnel_id, stage_id, state, currency"
#: A process row's key columns, in the tallies' order after the first one.
ROW_KEY = "{p}.funnel_id, COALESCE({p}.stage_id, 0), {p}.state, {p}.currency"
DAY = "({p}.placed_at AT TIME ZONE 'UTC')::date"


def upsert(tally: str, key: str, rows: str) -> str:
    """Add the signed ``rows`` (key columns, n, amount) to ``tally``, in key order (no
    deadlock between concurrent statements), one row per key; keys whose rows cancel out (an
    UPDATE that moved nothing) are skipped."""
    return f"""
        INSERT INTO {tally} ({key}, count, total)
        SELECT {key}, SUM(n), SUM(amount) FROM ({rows}) AS delta ({key}, n, amount)
        GROUP BY {key} HAVING SUM(n) <> 0 OR SUM(amount) <> 0 ORDER BY {key}
        ON CONFLICT ({key}) DO UPDATE SET count = {tally}.count + EXCLUDED.count,
                                          total = {tally}.total + EXCLUDED.total;"""


def tag_rows(links: str, process: str, sign: int) -> str:
    return (f"SELECT l.tag_id, {ROW_KEY.format(p=process)}, {sign}, {sign} * {process}.total "
            f"FROM {links}")


def day_rows(table: str, sign: int, where: str = "") -> str:
    return (f"SELECT {DAY.format(p='r')}, {ROW_KEY.format(p='r')}, {sign}, {sign} * r.total "
            f"FROM {table} {where}")


LINK_JOIN = f"l JOIN {PROCESS} p ON p.id = l.orderprocess_id"
TRIGGERS = {  # name: (event, transition tables, body)
    "ooe_tag_tally_link_insert": (
        f"INSERT ON {LINKS}", "NEW TABLE AS new_rows",
        upsert(TAG_TALLY, TAG_KEY, tag_rows(f"new_rows {LINK_JOIN}", "p", 1))),
    "ooe_tag_tally_link_delete": (
        f"DELETE ON {LINKS}", "OLD TABLE AS old_rows",
        upsert(TAG_TALLY, TAG_KEY, tag_rows(f"old_rows {LINK_JOIN}", "p", -1))),
    "ooe_day_tally_insert": (
        f"INSERT ON {PROCESS}", "NEW TABLE AS new_rows",
        upsert(DAY_TALLY, DAY_KEY, day_rows("new_rows r", 1))),
    "ooe_day_tally_delete": (
        f"DELETE ON {PROCESS}", "OLD TABLE AS old_rows",
        upsert(DAY_TALLY, DAY_KEY, day_rows("old_rows r", -1))),
    # New rows added, old rows taken away, grouped: no join of the two transition tables
    # (unplanned tuplestores: a nested loop), and keys that cancel out are not written, so a
    # bulk "mark paid" only groups its rows.
    "ooe_pages_tally_update": (
        f"UPDATE ON {PROCESS}", "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        upsert(TAG_TALLY, TAG_KEY,
               tag_rows(f"new_rows n JOIN {LINKS} l ON l.orderprocess_id = n.id", "n", 1)
               + " UNION ALL "
               + tag_rows(f"old_rows o JOIN {LINKS} l ON l.orderprocess_id = o.id", "o", -1))
        + upsert(DAY_TALLY, DAY_KEY,
                 day_rows("new_rows r", 1) + " UNION ALL " + day_rows("old_rows r", -1))),
}
FILL = [
    f"DELETE FROM {TAG_TALLY};",
    f"""INSERT INTO {TAG_TALLY} ({TAG_KEY}, count, total)
        SELECT l.tag_id, {ROW_KEY.format(p='p')}, COUNT(*), SUM(p.total)
        FROM {LINKS} {LINK_JOIN} GROUP BY 1, 2, 3, 4, 5;""",
    f"DELETE FROM {DAY_TALLY};",
    f"""INSERT INTO {DAY_TALLY} ({DAY_KEY}, count, total)
        SELECT {DAY.format(p='r')}, {ROW_KEY.format(p='r')}, COUNT(*), SUM(r.total)
        FROM {PROCESS} r GROUP BY 1, 2, 3, 4, 5;""",
]


def create_tallies(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, (event, tables, body) in TRIGGERS.items():
        schema_editor.execute(f"""CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql
                                  AS $$ BEGIN {body} RETURN NULL; END $$;""")
        schema_editor.execute(f"""CREATE TRIGGER {name} AFTER {event} REFERENCING {tables}
                                  FOR EACH STATEMENT EXECUTE FUNCTION {name}();""")
    for statement in FILL:
        schema_editor.execute(statement)


def drop_tallies(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, (event, _tables, _body) in TRIGGERS.items():
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {event.split(' ON ')[1]};")
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}();")


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, target in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):

    dependencies = [
        ("oscar_orders_ext", "0020_merge"),
        ("order", "0021_billingaddress_code_shippingaddress_code"),
    ]

    operations = [
        migrations.CreateModel(
            name="TagTally",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                           verbose_name="ID")),
                ("tag_id", models.BigIntegerField()),
                ("funnel_id", models.BigIntegerField()),
                ("stage_id", models.BigIntegerField(help_text="0 when the order has no stage")),
                ("state", models.CharField(max_length=50)),
                ("currency", models.CharField(max_length=12)),
                ("count", models.BigIntegerField(default=0)),
                ("total", models.DecimalField(decimal_places=2, default=0, max_digits=16)),
            ],
            options={"verbose_name": "tally", "verbose_name_plural": "tallies",
                     "constraints": [models.UniqueConstraint(
                         fields=("tag_id", "funnel_id", "stage_id", "state", "currency"),
                         name="ooe_tag_tally_key")]},
        ),
        migrations.CreateModel(
            name="DayTally",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                           verbose_name="ID")),
                ("day", models.DateField()),
                ("funnel_id", models.BigIntegerField()),
                ("stage_id", models.BigIntegerField(help_text="0 when the order has no stage")),
                ("state", models.CharField(max_length=50)),
                ("currency", models.CharField(max_length=12)),
                ("count", models.BigIntegerField(default=0)),
                ("total", models.DecimalField(decimal_places=2, default=0, max_digits=16)),
            ],
            options={"verbose_name": "tally", "verbose_name_plural": "tallies",
                     "constraints": [models.UniqueConstraint(
                         fields=("day", "funnel_id", "stage_id", "state", "currency"),
                         name="ooe_day_tally_key")]},
        ),
        migrations.RunPython(create_tallies, drop_tallies),
        migrations.RunPython(create_indexes, drop_indexes),
        migrations.RemoveIndex(model_name="orderprocess", name="ooe_process_placed"),
        migrations.AddIndex(
            model_name="orderprocess",
            index=models.Index(fields=["-placed_at", "-id"], name="ooe_process_placed"),
        ),
        migrations.RemoveIndex(model_name="orderprocess", name="ooe_process_payment_status"),
        migrations.AddIndex(
            model_name="orderprocess",
            index=models.Index(fields=["payment_status", "-placed_at", "-id"],
                               name="ooe_process_payment_status"),
        ),
        migrations.AddIndex(
            model_name="orderprocess",
            index=models.Index(fields=["-total", "-id"], name="ooe_process_total"),
        ),
        migrations.AddIndex(
            model_name="orderprocess",
            index=models.Index(fields=["number", "id"], name="ooe_process_number_sort"),
        ),
        migrations.AddIndex(
            model_name="orderprocess",
            index=models.Index(fields=["customer_name", "id"], name="ooe_process_customer_sort"),
        ),
        migrations.AddIndex(
            model_name="orderprocess",
            index=models.Index(fields=["-last_activity_at", "-id"], name="ooe_process_activity"),
        ),
    ]
