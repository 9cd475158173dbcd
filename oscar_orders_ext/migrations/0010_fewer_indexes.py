# Drops indexes nothing reads, which every insert maintains (imports write 100,000s of rows):
# the varchar_pattern_ops twins Django adds to db_index CharFields on PostgreSQL (no LIKE on
# these columns), and the single-column indexes on OrderProcess.state, OrderProcess.funnel and
# TimelineEntry.order, which lead ooe_process_state_recent, ooe_process_stage_recent and
# ooe_timeline_order. The filters on exact values keep a plain btree (ooe_process_<field>).

import django.db.models.deletion
import django_fsm
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        # Order exists since Oscar's first migration; forked order apps keep working.
        ('order', '0001_initial'),
        ('oscar_orders_ext', '0009_tally_payment_type'),
    ]

    operations = [
        migrations.AlterField(
            model_name='orderprocess',
            name='funnel',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='processes', to='oscar_orders_ext.funnel', verbose_name='funnel'),
        ),
        migrations.AlterField(
            model_name='orderprocess',
            name='order_type',
            field=models.CharField(choices=[('standard', 'Standard'), ('subscription', 'Subscription'), ('installment', 'Installment'), ('quote', 'Quote')], default='standard', max_length=20, verbose_name='order type'),
        ),
        migrations.AlterField(
            model_name='orderprocess',
            name='payment_method',
            field=models.CharField(blank=True, max_length=128, verbose_name='payment method'),
        ),
        migrations.AlterField(
            model_name='orderprocess',
            name='payment_status',
            field=models.CharField(choices=[('unpaid', 'Unpaid'), ('paid', 'Paid'), ('partially_refunded', 'Partially refunded'), ('refunded', 'Refunded')], default='unpaid', max_length=20, verbose_name='payment status'),
        ),
        migrations.AlterField(
            model_name='orderprocess',
            name='shipping_method',
            field=models.CharField(blank=True, max_length=128, verbose_name='shipping method'),
        ),
        migrations.AlterField(
            model_name='orderprocess',
            name='source',
            field=models.CharField(blank=True, help_text='Where the order came from: web, phone, shopify…', max_length=64, verbose_name='source'),
        ),
        migrations.AlterField(
            model_name='orderprocess',
            name='state',
            field=django_fsm.FSMField(max_length=50, protected=True, verbose_name='state'),
        ),
        migrations.AlterField(
            model_name='timelineentry',
            name='order',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='timeline_entries', to='order.order', verbose_name='order'),
        ),
        migrations.AddIndex(
            model_name='orderprocess',
            index=models.Index(fields=['order_type'], name='ooe_process_order_type'),
        ),
        migrations.AddIndex(
            model_name='orderprocess',
            index=models.Index(fields=['payment_status'], name='ooe_process_payment_status'),
        ),
        migrations.AddIndex(
            model_name='orderprocess',
            index=models.Index(fields=['source'], name='ooe_process_source'),
        ),
        migrations.AddIndex(
            model_name='orderprocess',
            index=models.Index(fields=['payment_method'], name='ooe_process_payment_method'),
        ),
        migrations.AddIndex(
            model_name='orderprocess',
            index=models.Index(fields=['shipping_method'], name='ooe_process_shipping_method'),
        ),
    ]
