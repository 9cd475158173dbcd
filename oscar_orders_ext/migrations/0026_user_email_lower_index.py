"""An index on the user table's ``LOWER(email)`` (issue 24).

The customer directory, imports, manual orders and customer profiles find accounts by email
case-insensitively (``services.customers.accounts_by_email``). Django indexes no user email,
so each lookup read the whole user table: a million-order import, recounting 333,000
customers 500 at a time, read it 667 times and its time grew with the square of its size.

The table is the shop's user model's (``AUTH_USER_MODEL``), not ours; the index is only
added (``IF NOT EXISTS``) and reversing the migration drops it. On PostgreSQL it is built
``CONCURRENTLY``, so a shop with many accounts keeps taking sign-ups and orders meanwhile
(hence a non-atomic migration). docs/customers.md, "Accounts by email".
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db import migrations

INDEX = "ooe_user_email_lower"


def _target(schema_editor):
    """The quoted user table and email column, or None when the user model has no email."""
    model = get_user_model()
    try:
        column = model._meta.get_field(model.get_email_field_name()).column
    except FieldDoesNotExist:  # a custom user model without an email field
        return None
    quote = schema_editor.quote_name
    return quote(model._meta.db_table), quote(column)


def create_index(apps, schema_editor):
    target = _target(schema_editor)
    vendor = schema_editor.connection.vendor
    if target is None or vendor not in ("postgresql", "sqlite"):
        return  # other databases write expression indexes differently: docs/customers.md
    concurrently = "CONCURRENTLY " if vendor == "postgresql" else ""
    schema_editor.execute(
        f"CREATE INDEX {concurrently}IF NOT EXISTS {INDEX} ON {target[0]} (LOWER({target[1]}))")


def drop_index(apps, schema_editor):
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):

    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ("oscar_orders_ext", "0025_merge"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(create_index, drop_index),
    ]
