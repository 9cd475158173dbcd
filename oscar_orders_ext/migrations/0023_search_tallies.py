"""Tallies per facet (issue 18: a payment or shipping method, a source, an operator, an
amount-due class) and per customer (name, email and phone: the customer filter and the
searches on those columns). Like 0004's and 0021's, PostgreSQL statement-level triggers keep
them in step with every insert, update and delete of ``OrderProcess``, so the summary and the
board of one of those filters read a few hundred rows instead of aggregating every matching
order; trigram indexes (like 0012's) serve the searches on the customer tally. Other
databases count live.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

PROCESS = "oscar_orders_ext_orderprocess"
FACET_TALLY = "oscar_orders_ext_facettally"
CUSTOMER_TALLY = "oscar_orders_ext_customertally"
KEY = "facet, value, funnel_id, stage_id, state, currency"
CUSTOMER_KEY = ("customer_email, customer_name, customer_phone, funnel_id, stage_id, state, "
                "currency")
INDEXES = {
    "ooe_customer_tally_name_upper_trgm":
        f"{CUSTOMER_TALLY} USING gin ((UPPER(customer_name::text)) gin_trgm_ops)",
    "ooe_customer_tally_phone_trgm": f"{CUSTOMER_TALLY} USING gin (customer_phone gin_trgm_ops)",
}
#: What ``models.process.amount_due_expression`` computes, for a row ``r``.
DUE = ("CASE WHEN r.payment_status = 'paid' AND r.amount_paid = 0 AND r.amount_refunded = 0 "
       "THEN 0 ELSE LEAST(r.total - r.amount_paid, "
       "GREATEST(r.total - r.amount_paid - r.amount_refunded, 0)) END")


def facet_rows(table: str, sign: int) -> str:
    """Each row of ``table`` once per facet (twice for a partly paid order: "due" and
    "partly"), signed, as (key columns, n, amount)."""
    return f"""
        SELECT f.facet, f.value, r.funnel_id, COALESCE(r.stage_id, 0), r.state, r.currency,
               {sign}, {sign} * r.total
        FROM {table} r CROSS JOIN LATERAL (SELECT {DUE}) AS d (due)
        CROSS JOIN LATERAL (VALUES
            ('payment_method', r.payment_method),
            ('shipping_method', r.shipping_method),
            ('source', r.source),
            ('operator', COALESCE(r.operator_id::text, 'none')),
            ('amount_due', CASE WHEN d.due > 0 THEN 'due' WHEN d.due < 0 THEN 'owed'
                                WHEN r.amount_paid > 0 OR r.payment_status = 'paid'
                                THEN 'paid' END),
            ('amount_due', CASE WHEN d.due > 0 AND r.amount_paid > 0 THEN 'partly' END)
        ) AS f (facet, value)
        WHERE f.value IS NOT NULL"""


def customer_rows(table: str, sign: int) -> str:
    """Each row of ``table`` with its customer columns, signed, as (key columns, n, amount)."""
    return (f"SELECT r.customer_email, r.customer_name, r.customer_phone, r.funnel_id, "
            f"COALESCE(r.stage_id, 0), r.state, r.currency, {sign}, {sign} * r.total "
            f"FROM {table} r")


def upsert(tally: str, key: str, rows: str) -> str:
    """Add the signed ``rows`` to ``tally`` in key order (no deadlock between concurrent
    statements); keys whose rows cancel out (an update that moved nothing) are skipped."""
    return f"""
        INSERT INTO {tally} ({key}, count, total)
        SELECT {key}, SUM(n), SUM(amount) FROM ({rows}) AS delta ({key}, n, amount)
        GROUP BY {key} HAVING SUM(n) <> 0 OR SUM(amount) <> 0 ORDER BY {key}
        ON CONFLICT ({key}) DO UPDATE SET count = {tally}.count + EXCLUDED.count,
                                          total = {tally}.total + EXCLUDED.total;"""


def both(table: str, sign: int) -> str:
    """Both tallies' upserts for the signed rows of ``table``."""
    return (upsert(FACET_TALLY, KEY, facet_rows(table, sign))
            + upsert(CUSTOMER_TALLY, CUSTOMER_KEY, customer_rows(table, sign)))


TRIGGERS = {  # name: (event, transition tables, body)
    "ooe_facet_tally_insert": ("INSERT", "NEW TABLE AS new_rows", both("new_rows", 1)),
    "ooe_facet_tally_delete": ("DELETE", "OLD TABLE AS old_rows", both("old_rows", -1)),
    "ooe_facet_tally_update": (
        "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        upsert(FACET_TALLY, KEY, facet_rows("new_rows", 1) + " UNION ALL "
               + facet_rows("old_rows", -1))
        + upsert(CUSTOMER_TALLY, CUSTOMER_KEY, customer_rows("new_rows", 1) + " UNION ALL "
                 + customer_rows("old_rows", -1))),
}
FILL = [
    f"DELETE FROM {FACET_TALLY};",
    f"""INSERT INTO {FACET_TALLY} ({KEY}, count, total)
        SELECT {KEY}, SUM(n), SUM(amount) FROM ({facet_rows(PROCESS, 1)})
        AS delta ({KEY}, n, amount) GROUP BY {KEY};""",
    f"DELETE FROM {CUSTOMER_TALLY};",
    f"""INSERT INTO {CUSTOMER_TALLY} ({CUSTOMER_KEY}, count, total)
        SELECT {CUSTOMER_KEY}, SUM(n), SUM(amount) FROM ({customer_rows(PROCESS, 1)})
        AS delta ({CUSTOMER_KEY}, n, amount) GROUP BY {CUSTOMER_KEY};""",
]


def create_tallies(apps, schema_editor):
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
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, target in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")


def drop_tallies(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    for name in TRIGGERS:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {PROCESS};")
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}();")


class Migration(migrations.Migration):

    dependencies = [
        ("oscar_orders_ext", "0022_merge"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="FacetTally",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                           verbose_name="ID")),
                ("funnel_id", models.BigIntegerField()),
                ("stage_id", models.BigIntegerField(help_text="0 when the order has no stage")),
                ("state", models.CharField(max_length=50)),
                ("currency", models.CharField(max_length=12)),
                ("count", models.BigIntegerField(default=0)),
                ("total", models.DecimalField(decimal_places=2, default=0, max_digits=16)),
                ("facet", models.CharField(max_length=20)),
                ("value", models.CharField(max_length=254)),
            ],
            options={"verbose_name": "tally", "verbose_name_plural": "tallies",
                     "constraints": [models.UniqueConstraint(
                         fields=("facet", "value", "funnel_id", "stage_id", "state",
                                 "currency"),
                         name="ooe_facet_tally_key")]},
        ),
        migrations.CreateModel(
            name="CustomerTally",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                           verbose_name="ID")),
                ("funnel_id", models.BigIntegerField()),
                ("stage_id", models.BigIntegerField(help_text="0 when the order has no stage")),
                ("state", models.CharField(max_length=50)),
                ("currency", models.CharField(max_length=12)),
                ("count", models.BigIntegerField(default=0)),
                ("total", models.DecimalField(decimal_places=2, default=0, max_digits=16)),
                ("customer_name", models.CharField(max_length=255)),
                ("customer_email", models.CharField(max_length=254)),
                ("customer_phone", models.CharField(max_length=64)),
            ],
            options={"verbose_name": "tally", "verbose_name_plural": "tallies",
                     "constraints": [models.UniqueConstraint(
                         fields=("customer_email", "customer_name", "customer_phone",
                                 "funnel_id", "stage_id", "state", "currency"),
                         name="ooe_customer_tally_key")],
                     "indexes": [models.Index(fields=["customer_email"],
                                              name="ooe_customer_tally_email",
                                              opclasses=["varchar_pattern_ops"])]},
        ),
        migrations.RunPython(create_tallies, drop_tallies),
        migrations.AlterField(
            model_name="orderprocess",
            name="operator",
            field=models.ForeignKey(blank=True, db_index=False, null=True,
                                    on_delete=django.db.models.deletion.SET_NULL,
                                    related_name="+", to=settings.AUTH_USER_MODEL,
                                    verbose_name="operator"),
        ),
        migrations.AddIndex(
            model_name="orderprocess",
            index=models.Index(fields=["operator", "id"], name="ooe_process_operator_sort"),
        ),
    ]
