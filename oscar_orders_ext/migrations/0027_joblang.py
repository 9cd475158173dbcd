"""Background jobs keep the language of the person who started them.

A worker wrote an import's warnings and row errors, a bulk print's skipped orders and the
stale-job sweep's messages in its own language (the shop's), not the uploader's. Each job now
records the starting request's language (``WorkerRun.language``; "" means
``settings.LANGUAGE_CODE``) and its worker writes in it. Exports and bulk actions already kept
it in their parameters: the unfinished ones get it copied, so a job queued before the upgrade
keeps its language.
"""

from django.db import migrations, models

UNFINISHED = ("pending", "running")


def copy_from_parameters(apps, schema_editor):
    """The language exports, bulk prints and bulk actions kept in ``params``, for the jobs a
    worker may still run (finished ones have written everything)."""
    for name in ("ExportJob", "BulkJob"):
        model = apps.get_model("oscar_orders_ext", name)
        for job in model.objects.filter(status__in=UNFINISHED).only("pk", "params"):
            language = (job.params or {}).get("language") or ""
            if language:
                model.objects.filter(pk=job.pk).update(language=language[:15])


class Migration(migrations.Migration):

    dependencies = [
        ("oscar_orders_ext", "0026_user_email_lower_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="bulkjob",
            name="language",
            field=models.CharField(blank=True, db_default="", default="", max_length=15,
                                   verbose_name="language"),
        ),
        migrations.AddField(
            model_name="exportjob",
            name="language",
            field=models.CharField(blank=True, db_default="", default="", max_length=15,
                                   verbose_name="language"),
        ),
        migrations.AddField(
            model_name="importjob",
            name="language",
            field=models.CharField(blank=True, db_default="", default="", max_length=15,
                                   verbose_name="language"),
        ),
        migrations.RunPython(copy_from_parameters, migrations.RunPython.noop),
    ]
