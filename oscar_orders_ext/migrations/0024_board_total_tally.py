"""A tally per order-total bucket (issue 18: the "total between" filter). Like 0021's and
0023's, PostgreSQL statement-level triggers keep it in step with every insert, update and
delete of ``OrderProcess``, so a total range's summary and board read its whole buckets (a few
hundred rows) and count only the orders at its edges live, through ``ooe_process_total``.
Buckets (``models.process.total_bucket``): whole units below 100, then two significant digits
(100, 110, …, 990, 1000, 1100, …). Other databases count live.
"""

from django.db import migrations, models

PROCESS = "oscar_orders_ext_orderprocess"
TOTAL_TALLY = "oscar_orders_ext_totaltally"
KEY = "bucket, funnel_id, stage_id, state, currency"
#: What ``models.process.total_bucket`` computes, for a row ``r``.
BUCKET = ("CASE WHEN r.total < 100 THEN floor(r.total) "
          "ELSE trunc(r.total, 2 - length(trunc(r.total)::text)) END")


def total_rows(table: str, sign: int) -> str:
    """Each row of ``table`` with its bucket, signed, as (key columns, n, amount)."""
    return (f"SELECT {BUCKET}, r.funnel_id, COALESCE(r.stage_id, 0), r.state, r.currency, "
            f"{sign}, {sign} * r.total FROM {table} r")


def upsert(rows: str) -> str:
    """Add the signed ``rows`` to the tally in key order (no deadlock between concurrent
    statements); keys whose rows cancel out (an update that moved nothing) are skipped."""
    return f"""
        INSERT INTO {TOTAL_TALLY} ({KEY}, count, total)
        SELECT {KEY}, SUM(n), SUM(amount) FROM ({rows}) AS delta ({KEY}, n, amount)
        GROUP BY {KEY} HAVING SUM(n) <> 0 OR SUM(amount) <> 0 ORDER BY {KEY}
        ON CONFLICT ({KEY}) DO UPDATE SET count = {TOTAL_TALLY}.count + EXCLUDED.count,
                                          total = {TOTAL_TALLY}.total + EXCLUDED.total;"""


TRIGGERS = {  # name: (event, transition tables, body)
    "ooe_total_tally_insert": ("INSERT", "NEW TABLE AS new_rows",
                               upsert(total_rows("new_rows", 1))),
    "ooe_total_tally_delete": ("DELETE", "OLD TABLE AS old_rows",
                               upsert(total_rows("old_rows", -1))),
    "ooe_total_tally_update": (
        "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        upsert(total_rows("new_rows", 1) + " UNION ALL " + total_rows("old_rows", -1))),
}
FILL = [
    f"DELETE FROM {TOTAL_TALLY};",
    f"""INSERT INTO {TOTAL_TALLY} ({KEY}, count, total)
        SELECT {KEY}, SUM(n), SUM(amount) FROM ({total_rows(PROCESS, 1)})
        AS delta ({KEY}, n, amount) GROUP BY {KEY};""",
]


def create_tally(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, (event, tables, body) in TRIGGERS.items():
        schema_editor.execute(f"""CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql
                                  AS $$ BEGIN {body} RETURN NULL; END $$;""")
        schema_editor.execute(f"""CREATE TRIGGER {name} AFTER {event} ON {PROCESS}
                                  REFERENCING {tables}
                                  FOR EACH STATEMENT EXECUTE FUNCTION {name}();""")
    for statement in FILL:
        schema_editor.execute(statement)


def drop_tally(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in TRIGGERS:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {PROCESS};")
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}();")


class Migration(migrations.Migration):

    dependencies = [
        ("oscar_orders_ext", "0023_search_tallies"),
    ]

    operations = [
        migrations.CreateModel(
            name="TotalTally",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                           verbose_name="ID")),
                ("funnel_id", models.BigIntegerField()),
                ("stage_id", models.BigIntegerField(help_text="0 when the order has no stage")),
                ("state", models.CharField(max_length=50)),
                ("currency", models.CharField(max_length=12)),
                ("count", models.BigIntegerField(default=0)),
                ("total", models.DecimalField(decimal_places=2, default=0, max_digits=16)),
                ("bucket", models.DecimalField(decimal_places=2, max_digits=14)),
            ],
            options={"verbose_name": "tally", "verbose_name_plural": "tallies",
                     "constraints": [models.UniqueConstraint(
                         fields=("bucket", "funnel_id", "stage_id", "state", "currency"),
                         name="ooe_total_tally_key")]},
        ),
        migrations.RunPython(create_tally, drop_tally),
    ]
