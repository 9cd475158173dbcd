"""The product and tag tally triggers read lines and processes through their indexes, one
touched order at a time, whatever the statement's size.

Their bodies (migrations 0021 and 0024) joined the line, process or tag-link table to the
statement's transition table. PostgreSQL keeps no statistics on a transition table (it guesses
200 distinct orders), so for a batch of thousands of rows it hashed the transition table and
scanned the whole line or process table. An import writes 10,000 orders a batch: a million
orders read every line and every process of the shop once per batch (4.3 million blocks, 91 s
of a 450 s commit), a cost growing with the square of the shop's size.

Here each touched order's lines, each link's process and each process's links are read in a
``LATERAL`` sub-query fenced with ``OFFSET 0`` (the planner cannot flatten it back into a
join), i.e. with one index lookup per row the statement touched. The rows counted, and so the
tallies, are the same. PostgreSQL only; reversing restores the earlier bodies.
"""

from importlib import import_module

from django.db import migrations

PRODUCT = import_module("oscar_orders_ext.migrations.0024_search_product_tally")
PAGES = import_module("oscar_orders_ext.migrations.0021_pages_search_sort")

PROCESS, LINE, LINKS = PRODUCT.PROCESS, PRODUCT.LINE, PAGES.LINKS
#: What the tallies read of a process row.
PROCESS_VALUES = "funnel_id, stage_id, state, currency, total"


def lines_of(orders: str, where: str = "") -> str:
    """The lines (order_id, partner_sku, title) of the orders whose ids ``orders`` selects,
    each order's through the ``order_id`` index; ``where`` filters them (alias ``l``)."""
    return (f"SELECT l.order_id, l.partner_sku, l.title "
            f"FROM (SELECT DISTINCT order_id FROM ({orders}) AS t) AS o "
            f"CROSS JOIN LATERAL (SELECT id, order_id, partner_sku, title FROM {LINE} "
            f"WHERE order_id = o.order_id OFFSET 0) AS l{where}")


def product_rows(lines: str, processes: str, sign: int) -> str:
    """0024's ``product_rows``, the process table (not a transition table) read one order at a
    time through its ``order_id`` index: joined as a ``LATERAL`` sub-query."""
    if processes == PROCESS:
        processes = (f"LATERAL (SELECT order_id, {PROCESS_VALUES} FROM {PROCESS} "
                     f"WHERE order_id = v.order_id OFFSET 0)")
    return PRODUCT.product_rows(lines, processes, sign)


def line_change(now: str, before: str) -> str:
    """0024's ``line_change`` with the rows above."""
    return PRODUCT.upsert(product_rows(now, PROCESS, 1) + " UNION ALL "
                          + product_rows(before, PROCESS, -1))


NEW_ORDERS = "SELECT order_id FROM new_rows"
OLD_ORDERS = "SELECT order_id FROM old_rows"
TOUCHED_ORDERS = f"{NEW_ORDERS} UNION {OLD_ORDERS}"
#: The touched orders' lines as they were: without the statement's new rows, with its old ones.
#: (An anti-join: ``NOT IN`` was costed once per order and pushed the estimate into JIT.)
OTHER_LINES = " WHERE NOT EXISTS (SELECT FROM new_rows n WHERE n.id = l.id)"
OLD_ROWS = PRODUCT.OLD_ROWS

#: A link's process, through the primary key.
LINK_PROCESS = (f"l CROSS JOIN LATERAL (SELECT {PROCESS_VALUES} FROM {PROCESS} "
                f"WHERE id = l.orderprocess_id OFFSET 0) AS p")


def process_links(rows: str) -> str:
    """The tag links of the processes in ``rows`` (a transition table and its alias), each
    process's through the links' ``orderprocess_id`` index."""
    alias = rows.split()[-1]
    return (f"{rows} CROSS JOIN LATERAL (SELECT tag_id FROM {LINKS} "
            f"WHERE orderprocess_id = {alias}.id OFFSET 0) AS l")


#: Whether any new line's order has its process yet: imports and checkout write the lines
#: first, and the process's own trigger counts them.
LINES_COUNTED = (f"EXISTS (SELECT FROM new_rows n CROSS JOIN LATERAL (SELECT FROM {PROCESS} "
                 f"WHERE order_id = n.order_id OFFSET 0) AS p)")

BODIES = {
    "ooe_product_tally_line_insert": (
        f"IF {LINES_COUNTED} THEN "
        + line_change(lines_of(NEW_ORDERS), lines_of(NEW_ORDERS, OTHER_LINES))
        + " END IF;"),
    "ooe_product_tally_line_delete": line_change(
        lines_of(OLD_ORDERS), lines_of(OLD_ORDERS) + OLD_ROWS),
    "ooe_product_tally_line_update": (
        f"IF {PRODUCT.LINE_CHANGED} THEN "
        + line_change(lines_of(TOUCHED_ORDERS),
                      lines_of(TOUCHED_ORDERS, OTHER_LINES) + OLD_ROWS)
        + " END IF;"),
    "ooe_product_tally_insert": PRODUCT.upsert(
        product_rows(lines_of(NEW_ORDERS), "new_rows", 1)),
    "ooe_product_tally_delete": PRODUCT.upsert(
        product_rows(lines_of(OLD_ORDERS), "old_rows", -1)),
    "ooe_product_tally_update": PRODUCT.upsert(
        product_rows(lines_of("SELECT order_id FROM moved_in"), "moved_in", 1)
        + " UNION ALL "
        + product_rows(lines_of("SELECT order_id FROM moved_out"), "moved_out", -1),
        before=PRODUCT.CHANGED),
    "ooe_tag_tally_link_insert": PAGES.upsert(
        PAGES.TAG_TALLY, PAGES.TAG_KEY, PAGES.tag_rows(f"new_rows {LINK_PROCESS}", "p", 1)),
    "ooe_tag_tally_link_delete": PAGES.upsert(
        PAGES.TAG_TALLY, PAGES.TAG_KEY, PAGES.tag_rows(f"old_rows {LINK_PROCESS}", "p", -1)),
    "ooe_pages_tally_update": (
        PAGES.upsert(PAGES.TAG_TALLY, PAGES.TAG_KEY,
                     PAGES.tag_rows(process_links("new_rows n"), "n", 1) + " UNION ALL "
                     + PAGES.tag_rows(process_links("old_rows o"), "o", -1))
        + PAGES.upsert(PAGES.DAY_TALLY, PAGES.DAY_KEY,
                       PAGES.day_rows("new_rows r", 1) + " UNION ALL "
                       + PAGES.day_rows("old_rows r", -1))),
}
#: The bodies 0021 and 0024 created, for reversing.
EARLIER = {name: body for name, (*_rest, body) in
           list(PRODUCT.TRIGGERS.items()) + list(PAGES.TRIGGERS.items()) if name in BODIES}


def replace(bodies: dict[str, str], schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, body in bodies.items():
        schema_editor.execute(f"""CREATE OR REPLACE FUNCTION {name}() RETURNS trigger
                                  LANGUAGE plpgsql AS $$ BEGIN {body} RETURN NULL; END $$;""")


def read_through_indexes(apps, schema_editor):
    replace(BODIES, schema_editor)


def join_tables(apps, schema_editor):
    replace(EARLIER, schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ("oscar_orders_ext", "0027_joblang"),
    ]

    operations = [
        migrations.RunPython(read_through_indexes, join_tables),
    ]
