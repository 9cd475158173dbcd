"""Trigram indexes for "contains" searches (part of an order number, a phone's digits, the start
of a SKU in any case), so they stay fast at a million orders. PostgreSQL only (``pg_trgm``);
other databases search the same way without them.

Creating the ``pg_trgm`` extension needs a role allowed to (a superuser, or the database owner
on PostgreSQL 13+ where pg_trgm is a trusted extension).
"""

from django.db import migrations

INDEXES = {
    "ooe_process_number_trgm":
        "oscar_orders_ext_orderprocess USING gin (number gin_trgm_ops)",
    "ooe_process_phone_trgm":
        "oscar_orders_ext_orderprocess USING gin (customer_phone gin_trgm_ops)",
    # Django's istartswith on PostgreSQL is UPPER("partner_sku"::text) LIKE UPPER(…).
    "ooe_line_sku_upper_trgm":
        "order_line USING gin ((UPPER(partner_sku::text)) gin_trgm_ops)",
}


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
        ("oscar_orders_ext", "0011_job_heartbeats_tick"),
        ("order", "0021_billingaddress_code_shippingaddress_code"),
    ]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
