"""Trigram indexes for the customer directory's search ("contains" on surname, first name,
company, email and phone), so it stays fast at 100,000 customers. PostgreSQL only
(``pg_trgm``, created by 0012); other databases search the same way without them.

Django's ``icontains`` on PostgreSQL is ``UPPER("col"::text) LIKE UPPER(…)``, so the name,
company and email indexes are on that expression; ``contains`` (the phone's digits) is
``"col"::text LIKE …``.
"""

from django.db import migrations

TABLE = "oscar_orders_ext_customer"
INDEXES = {
    "ooe_customer_last_name_trgm": f"{TABLE} USING gin ((UPPER(last_name::text)) gin_trgm_ops)",
    "ooe_customer_first_name_trgm":
        f"{TABLE} USING gin ((UPPER(first_name::text)) gin_trgm_ops)",
    "ooe_customer_company_trgm": f"{TABLE} USING gin ((UPPER(company::text)) gin_trgm_ops)",
    "ooe_customer_email_trgm": f"{TABLE} USING gin ((UPPER(email::text)) gin_trgm_ops)",
    "ooe_customer_phone_trgm": f"{TABLE} USING gin (phone gin_trgm_ops)",
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
        ("oscar_orders_ext", "0018_api_webhooks"),
    ]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
