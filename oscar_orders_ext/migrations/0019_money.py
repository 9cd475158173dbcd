"""``OrderProcess.amount_refunded``: with ``amount_paid`` it gives the amount due, which a refund
of goods or a goodwill refund does not raise (docs/payments.md)."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce


def fill_refunded(apps, schema_editor):
    """Refunded amounts so far, from Oscar's payment sources (only refunded orders have any)."""
    OrderProcess = apps.get_model("oscar_orders_ext", "OrderProcess")
    Source = apps.get_model("payment", "Source")
    refunded = Source.objects.filter(order_id=OuterRef("order_id")).values("order_id").annotate(
        n=Sum("amount_refunded")).values("n")
    OrderProcess.objects.filter(payment_status__in=("refunded", "partially_refunded")).update(
        amount_refunded=Coalesce(Subquery(refunded), Value(0), output_field=models.DecimalField(
            max_digits=12, decimal_places=2)))


class Migration(migrations.Migration):

    dependencies = [
        ('oscar_orders_ext', '0018_api_webhooks'),
        ('payment', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='orderprocess',
            name='amount_refunded',
            field=models.DecimalField(db_default=0, decimal_places=2, default=0, max_digits=12, verbose_name='amount refunded'),
        ),
        migrations.RunPython(fill_refunded, migrations.RunPython.noop),
    ]
