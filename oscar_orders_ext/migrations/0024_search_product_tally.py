"""A tally per product (issue 18: a SKU or a product-title word searched 1.9–2.1× Oscar's list).

``ProductTally`` counts the orders holding each distinct SKU and each distinct line title, per
(funnel, stage, state, currency), with their totals. Statement-level triggers keep it, like
0021's and 0023's: on Oscar's ``order_line`` (a line added, changed or removed, whichever
path wrote it: checkout, imports' COPY, manual orders, line edits, the seed's bulk path) and
on ``OrderProcess`` (a process created or deleted, or moved to another funnel, stage, state,
currency or total). An order counts once per value however many of its lines hold it: each
trigger recounts the distinct values of the orders it touched, before and after, and adds the
difference. A trigram index on the values serves the searches. PostgreSQL only; other
databases count live.

Lines written by one transaction and a move of their order by another agree because every
writer of a placed order's lines or process locks the process row first (line edits, moves);
a new order's lines are written before its process exists, and its process trigger counts
them.
"""

from django.db import migrations, models

PROCESS = "oscar_orders_ext_orderprocess"
LINE = "order_line"
TALLY = "oscar_orders_ext_producttally"
KEY = "facet, value, funnel_id, stage_id, state, currency"
INDEXES = {
    "ooe_product_tally_value_upper_trgm":
        f"{TALLY} USING gin ((UPPER(value::text)) gin_trgm_ops)",
}
#: The columns of a line that the search reads; a process's columns that key the tally.
LINE_COLUMNS = "order_id, partner_sku, title"
PROCESS_COLUMNS = "id, order_id, funnel_id, stage_id, state, currency, total"


def lines_of(orders: str) -> str:
    """The lines of the orders whose ids ``orders`` selects."""
    return f"SELECT {LINE_COLUMNS} FROM {LINE} WHERE order_id IN ({orders})"


def product_rows(lines: str, processes: str, sign: int) -> str:
    """Each distinct (order, facet, value) of ``lines`` with its order's process row in
    ``processes``, signed, as (key columns, n, amount)."""
    return f"""
        SELECT v.facet, v.value, p.funnel_id, COALESCE(p.stage_id, 0), p.state, p.currency,
               {sign}, {sign} * p.total
        FROM (SELECT DISTINCT l.order_id, f.facet, f.value FROM ({lines}) AS l
              CROSS JOIN LATERAL (VALUES ('sku', l.partner_sku), ('title', l.title))
                  AS f (facet, value)
              WHERE f.value <> '') AS v
        JOIN {processes} p ON p.order_id = v.order_id"""


def upsert(rows: str, before: str = "") -> str:
    """Add the signed ``rows`` to the tally in key order (no deadlock between concurrent
    statements); values present both before and after cancel out and are not written.
    ``before``: a ``WITH`` clause the rows read."""
    return f"""
        {before}
        INSERT INTO {TALLY} ({KEY}, count, total)
        SELECT {KEY}, SUM(n), SUM(amount) FROM ({rows}) AS delta ({KEY}, n, amount)
        GROUP BY {KEY} HAVING SUM(n) <> 0 OR SUM(amount) <> 0 ORDER BY {KEY}
        ON CONFLICT ({KEY}) DO UPDATE SET count = {TALLY}.count + EXCLUDED.count,
                                          total = {TALLY}.total + EXCLUDED.total;"""


def line_change(now: str, before: str) -> str:
    """The upsert for a statement on lines: the values of the touched orders' lines as they
    are (``now``) minus as they were (``before``)."""
    return upsert(product_rows(now, PROCESS, 1) + " UNION ALL "
                  + product_rows(before, PROCESS, -1))


NEW_LINES = lines_of("SELECT order_id FROM new_rows")
OLD_LINES = lines_of("SELECT order_id FROM old_rows")
TOUCHED_LINES = lines_of("SELECT order_id FROM new_rows UNION SELECT order_id FROM old_rows")
#: A line's rows as the statement left them and as they were (its own rows replaced by the
#: transition table's).
OTHER_LINES = " AND id NOT IN (SELECT id FROM new_rows)"
OLD_ROWS = f" UNION ALL SELECT {LINE_COLUMNS} FROM old_rows"
#: An UPDATE of lines that changed no SKU, title or order (Oscar saves every line of an order
#: whose status changes) does nothing.
LINE_CHANGED = (f"EXISTS (SELECT id, {LINE_COLUMNS} FROM new_rows "
                f"EXCEPT SELECT id, {LINE_COLUMNS} FROM old_rows)")
#: The process rows whose key changed, as they are and as they were; a set difference hashes
#: the two transition tables (a join of them is an unplanned nested loop).
CHANGED = (f"WITH moved_in AS (SELECT {PROCESS_COLUMNS} FROM new_rows "
           f"EXCEPT SELECT {PROCESS_COLUMNS} FROM old_rows), "
           f"moved_out AS (SELECT {PROCESS_COLUMNS} FROM old_rows "
           f"EXCEPT SELECT {PROCESS_COLUMNS} FROM new_rows)")

TRIGGERS = {  # name: (event, table, transition tables, body)
    "ooe_product_tally_line_insert": (
        "INSERT", LINE, "NEW TABLE AS new_rows",
        line_change(NEW_LINES, NEW_LINES + OTHER_LINES)),
    "ooe_product_tally_line_delete": (
        "DELETE", LINE, "OLD TABLE AS old_rows",
        line_change(OLD_LINES, OLD_LINES + OLD_ROWS)),
    "ooe_product_tally_line_update": (
        "UPDATE", LINE, "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        f"IF {LINE_CHANGED} THEN "
        + line_change(TOUCHED_LINES, TOUCHED_LINES + OTHER_LINES + OLD_ROWS)
        + " END IF;"),
    "ooe_product_tally_insert": (
        "INSERT", PROCESS, "NEW TABLE AS new_rows",
        upsert(product_rows(NEW_LINES, "new_rows", 1))),
    "ooe_product_tally_delete": (
        "DELETE", PROCESS, "OLD TABLE AS old_rows",
        upsert(product_rows(OLD_LINES, "old_rows", -1))),
    "ooe_product_tally_update": (
        "UPDATE", PROCESS, "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        upsert(product_rows(lines_of("SELECT order_id FROM moved_in"), "moved_in", 1)
               + " UNION ALL "
               + product_rows(lines_of("SELECT order_id FROM moved_out"), "moved_out", -1),
               before=CHANGED)),
}
FILL = [
    f"DELETE FROM {TALLY};",
    f"""INSERT INTO {TALLY} ({KEY}, count, total)
        SELECT {KEY}, SUM(n), SUM(amount)
        FROM ({product_rows(f"SELECT {LINE_COLUMNS} FROM {LINE}", PROCESS, 1)})
        AS delta ({KEY}, n, amount) GROUP BY {KEY};""",
]


def create_tally(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, (event, table, tables, body) in TRIGGERS.items():
        schema_editor.execute(f"""CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql
                                  AS $$ BEGIN {body} RETURN NULL; END $$;""")
        schema_editor.execute(f"""CREATE TRIGGER {name} AFTER {event} ON {table}
                                  REFERENCING {tables}
                                  FOR EACH STATEMENT EXECUTE FUNCTION {name}();""")
    for statement in FILL:
        schema_editor.execute(statement)
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, target in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")


def drop_tally(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    for name, (_event, table, _tables, _body) in TRIGGERS.items():
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table};")
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}();")


class Migration(migrations.Migration):

    dependencies = [
        ("oscar_orders_ext", "0023_search_tallies"),
        ("order", "0021_billingaddress_code_shippingaddress_code"),
    ]

    operations = [
        migrations.CreateModel(
            name="ProductTally",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                           verbose_name="ID")),
                ("funnel_id", models.BigIntegerField()),
                ("stage_id", models.BigIntegerField(help_text="0 when the order has no stage")),
                ("state", models.CharField(max_length=50)),
                ("currency", models.CharField(max_length=12)),
                ("count", models.BigIntegerField(default=0)),
                ("total", models.DecimalField(decimal_places=2, default=0, max_digits=16)),
                ("facet", models.CharField(max_length=5)),
                ("value", models.CharField(max_length=255)),
            ],
            options={"verbose_name": "tally", "verbose_name_plural": "tallies",
                     "constraints": [models.UniqueConstraint(
                         fields=("facet", "value", "funnel_id", "stage_id", "state",
                                 "currency"),
                         name="ooe_product_tally_key")]},
        ),
        migrations.RunPython(create_tally, drop_tally),
    ]
