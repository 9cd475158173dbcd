# Joins the four migrations of the round that grew side by side from 0018 (payments,
# customers, bulk jobs, subscriptions); none touches another's tables.
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("oscar_orders_ext", "0019_bulk"),
        ("oscar_orders_ext", "0019_customers"),
        ("oscar_orders_ext", "0019_money"),
        ("oscar_orders_ext", "0019_subscriptions"),
    ]

    operations: list[migrations.operations.base.Operation] = []
