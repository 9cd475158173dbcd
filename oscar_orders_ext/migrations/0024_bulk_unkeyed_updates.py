"""The tally triggers on ``UPDATE`` of ``OrderProcess`` skip what an update cannot move when
its writer says which column it changes (issue 18). A set-based bulk batch that writes only
the payment status or the operator (with the version and last activity) names it in the
transaction-local setting ``ooe.unkeyed_update`` for its one ``UPDATE``
(``services/bulk_pg.py``): the tag, day and customer tallies, keyed by neither, read
nothing, and the facet tally groups only the facet that column moves (amount due, or
operator), where every tally grouped both transition tables of every row, six facets a row,
for keys that cancel out. Every other update runs the triggers as before.
"""

import importlib

from django.db import migrations

pages = importlib.import_module("oscar_orders_ext.migrations.0021_pages_search_sort")
facets = importlib.import_module("oscar_orders_ext.migrations.0023_search_tallies")

#: What services/bulk_pg.py sets for the length of one UPDATE: the one column it changes
#: besides the version and last activity ("payment_status" or "operator_id").
SETTING = "ooe.unkeyed_update"
HINT = f"COALESCE(current_setting('{SETTING}', true), '')"

PAGES_BODY = pages.TRIGGERS["ooe_pages_tally_update"][2]
FACET_BODY = facets.upsert(facets.FACET_TALLY, facets.KEY,
                           facets.facet_rows("new_rows", 1) + " UNION ALL "
                           + facets.facet_rows("old_rows", -1))
CUSTOMER_BODY = facets.upsert(facets.CUSTOMER_TALLY, facets.CUSTOMER_KEY,
                              facets.customer_rows("new_rows", 1) + " UNION ALL "
                              + facets.customer_rows("old_rows", -1))


def amount_due_rows(table: str, sign: int) -> str:
    """The amount-due facets of ``table``'s rows (0023's ``facet_rows`` for that facet)."""
    return f"""
        SELECT 'amount_due', f.value, r.funnel_id, COALESCE(r.stage_id, 0), r.state,
               r.currency, {sign}, {sign} * r.total
        FROM {table} r CROSS JOIN LATERAL (SELECT {facets.DUE}) AS d (due)
        CROSS JOIN LATERAL (VALUES
            (CASE WHEN d.due > 0 THEN 'due' WHEN d.due < 0 THEN 'owed'
                  WHEN r.amount_paid > 0 OR r.payment_status = 'paid' THEN 'paid' END),
            (CASE WHEN d.due > 0 AND r.amount_paid > 0 THEN 'partly' END)
        ) AS f (value)
        WHERE f.value IS NOT NULL"""


def operator_rows(table: str, sign: int) -> str:
    """The operator facet of ``table``'s rows."""
    return f"""
        SELECT 'operator', COALESCE(r.operator_id::text, 'none'), r.funnel_id,
               COALESCE(r.stage_id, 0), r.state, r.currency, {sign}, {sign} * r.total
        FROM {table} r"""


def facet_upsert(rows) -> str:
    return facets.upsert(facets.FACET_TALLY, facets.KEY,
                         rows("new_rows", 1) + " UNION ALL " + rows("old_rows", -1))


def function(name: str, body: str) -> str:
    return (f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql "
            f"AS $$ BEGIN {body} RETURN NULL; END $$;")


FORWARD = [
    function("ooe_pages_tally_update", f"IF {HINT} = '' THEN {PAGES_BODY} END IF;"),
    function("ooe_facet_tally_update", f"""
        IF {HINT} = 'payment_status' THEN {facet_upsert(amount_due_rows)}
        ELSIF {HINT} = 'operator_id' THEN {facet_upsert(operator_rows)}
        ELSE {FACET_BODY} {CUSTOMER_BODY}
        END IF;"""),
]
BACKWARD = [
    function("ooe_pages_tally_update", PAGES_BODY),
    function("ooe_facet_tally_update", FACET_BODY + CUSTOMER_BODY),
]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)
    return apply


class Migration(migrations.Migration):

    dependencies = [
        ("oscar_orders_ext", "0023_search_tallies"),
    ]

    operations = [migrations.RunPython(run(FORWARD), run(BACKWARD))]
