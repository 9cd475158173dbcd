"""Tallies keyed by payment status and order type too, so summaries of those filters (the
"unpaid orders" view, say) read the tally instead of scanning the processes."""

import importlib

from django.db import migrations, models

tally = importlib.import_module("oscar_orders_ext.migrations.0004_tally")

OLD_FORWARD, OLD_BACKWARD = tally.FORWARD, tally.BACKWARD
NEW_FORWARD, NEW_BACKWARD = tally.tally_sql(
    ["funnel_id", "stage_id", "state", "currency", "payment_status", "order_type"])
# Going back, rows of the wider key would collide under the narrower constraint.
EMPTY = [f"DELETE FROM {tally.TALLY};"]


class Migration(migrations.Migration):

    dependencies = [
        ('oscar_orders_ext', '0008_perf'),
    ]

    operations = [
        migrations.RunPython(tally.on_postgresql(OLD_BACKWARD), tally.on_postgresql(OLD_FORWARD)),
        migrations.RemoveConstraint(
            model_name='processtally',
            name='ooe_tally_key',
        ),
        migrations.AddField(
            model_name='processtally',
            name='payment_status',
            field=models.CharField(default='', max_length=20),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='processtally',
            name='order_type',
            field=models.CharField(default='', max_length=20),
            preserve_default=False,
        ),
        migrations.AddConstraint(
            model_name='processtally',
            constraint=models.UniqueConstraint(fields=('funnel_id', 'stage_id', 'state', 'currency', 'payment_status', 'order_type'), name='ooe_tally_key'),
        ),
        migrations.RunPython(tally.on_postgresql(NEW_FORWARD),
                             tally.on_postgresql(NEW_BACKWARD + EMPTY)),
    ]
