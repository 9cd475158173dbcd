
import django.db.models.deletion
import django.utils.timezone
import django_fsm
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        # Only Order itself is needed, which keeps forked order apps working.
        ('order', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Tag',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=64, unique=True, verbose_name='name')),
                ('colour', models.CharField(default='#6c757d', help_text='A CSS colour such as #ff8800.', max_length=7, verbose_name='colour')),
            ],
            options={
                'verbose_name': 'tag',
                'verbose_name_plural': 'tags',
                'ordering': ['name'],
            },
        ),
        migrations.CreateModel(
            name='Funnel',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=128, verbose_name='name')),
                ('slug', models.SlugField(max_length=128, unique=True, verbose_name='slug')),
                ('position', models.PositiveIntegerField(default=0, verbose_name='position')),
                ('is_default', models.BooleanField(default=False, help_text='New orders land in the default funnel.', verbose_name='default')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='created')),
            ],
            options={
                'verbose_name': 'funnel',
                'verbose_name_plural': 'funnels',
                'ordering': ['position', 'pk'],
                'constraints': [models.UniqueConstraint(condition=models.Q(('is_default', True)), fields=('is_default',), name='oscar_orders_ext_one_default_funnel')],
            },
        ),
        migrations.CreateModel(
            name='Stage',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=128, verbose_name='name')),
                ('state', models.CharField(max_length=50, verbose_name='workflow state')),
                ('colour', models.CharField(default='#6c757d', max_length=7, verbose_name='colour')),
                ('position', models.PositiveIntegerField(default=0, verbose_name='position')),
                ('time_limit', models.DurationField(blank=True, help_text='Cards staying longer than this are highlighted as stale.', null=True, verbose_name='time limit')),
                ('wip_limit', models.PositiveIntegerField(blank=True, help_text='The column is marked when it holds more orders than this.', null=True, verbose_name='work-in-progress limit')),
                ('funnel', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='stages', to='oscar_orders_ext.funnel', verbose_name='funnel')),
            ],
            options={
                'verbose_name': 'stage',
                'verbose_name_plural': 'stages',
                'ordering': ['funnel', 'position', 'pk'],
            },
        ),
        migrations.CreateModel(
            name='OrderProcess',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('state', django_fsm.FSMField(db_index=True, max_length=50, protected=True, verbose_name='state')),
                ('order_type', models.CharField(choices=[('standard', 'Standard'), ('subscription', 'Subscription'), ('installment', 'Installment'), ('quote', 'Quote')], db_index=True, default='standard', max_length=20, verbose_name='order type')),
                ('payment_status', models.CharField(choices=[('unpaid', 'Unpaid'), ('paid', 'Paid'), ('partially_refunded', 'Partially refunded'), ('refunded', 'Refunded')], db_index=True, default='unpaid', max_length=20, verbose_name='payment status')),
                ('source', models.CharField(blank=True, db_index=True, help_text='Where the order came from: web, phone, shopify…', max_length=64, verbose_name='source')),
                ('stock_status', models.CharField(choices=[('allocated', 'Allocated'), ('consumed', 'Consumed'), ('released', 'Allocation released'), ('restocked', 'Restocked'), ('untracked', 'Not tracked')], default='allocated', max_length=20, verbose_name='stock')),
                ('placed_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='placed')),
                ('state_changed_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='in state since')),
                ('last_activity_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='last activity')),
                ('version', models.PositiveIntegerField(default=1, verbose_name='version')),
                ('funnel', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='processes', to='oscar_orders_ext.funnel', verbose_name='funnel')),
                ('operator', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='operator')),
                ('order', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='process', to='order.order', verbose_name='order')),
                ('stage', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='processes', to='oscar_orders_ext.stage', verbose_name='stage')),
                ('tags', models.ManyToManyField(blank=True, related_name='processes', to='oscar_orders_ext.tag', verbose_name='tags')),
            ],
            options={
                'verbose_name': 'order process',
                'verbose_name_plural': 'order processes',
                'permissions': [('change_order_state', 'Can move orders through the workflow'), ('cancel_order', 'Can cancel and reject orders'), ('refund_order', 'Can refund orders'), ('reopen_order', 'Can reopen cancelled orders'), ('bulk_edit_orders', 'Can edit orders in bulk'), ('manage_funnels', 'Can manage funnels and stages')],
                'indexes': [models.Index(fields=['-placed_at'], name='ooe_process_placed'), models.Index(fields=['state', '-placed_at'], name='ooe_process_state_placed'), models.Index(fields=['funnel', 'stage', '-placed_at'], name='ooe_process_stage_placed')],
            },
            # The workflow mixin is code, not schema: see OrderProcess.
            bases=(models.Model,),
        ),
        migrations.CreateModel(
            name='TimelineEntry',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('created', 'Order created'), ('state', 'State changed'), ('stage', 'Moved in funnel'), ('payment', 'Payment status changed'), ('tags', 'Tags changed'), ('operator', 'Operator assigned'), ('order_type', 'Order type changed'), ('note', 'Note'), ('stock', 'Stock updated'), ('email', 'Email sent'), ('edit', 'Order edited'), ('document', 'Document issued'), ('import', 'Imported'), ('oscar_status', 'Status changed outside the workspace')], max_length=20, verbose_name='kind')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='when')),
                ('data', models.JSONField(blank=True, default=dict, verbose_name='details')),
                ('note', models.TextField(blank=True, verbose_name='note')),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='by')),
                ('order', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='timeline_entries', to='order.order', verbose_name='order')),
            ],
            options={
                'verbose_name': 'timeline entry',
                'verbose_name_plural': 'timeline entries',
                'ordering': ['-created_at', '-pk'],
                'indexes': [models.Index(fields=['order', '-created_at'], name='ooe_timeline_order')],
            },
        ),
    ]
