# The customer directory's upkeep reads a customer's first and last orders off this index.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('oscar_orders_ext', '0020_merge'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='orderprocess',
            name='ooe_process_email',
        ),
        migrations.AddIndex(
            model_name='orderprocess',
            index=models.Index(fields=['customer_email', 'placed_at'], name='ooe_process_email_placed', opclasses=['varchar_pattern_ops', 'timestamptz_ops']),
        ),
    ]
