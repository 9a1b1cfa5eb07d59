"""Evidence packages and data exports share one base (takedown.models.background).

Data exports take the packages' status names (pending -> queued, running ->
building, done -> ready), their progress fields (done/total -> progress_done/
progress_total), a SHA-256, a start time and an update time; a package keeps
the language it was asked in, for its report.
"""

from django.db import migrations, models

# Old data export status -> the shared one.
EXPORT_STATUS = {"pending": "queued", "running": "building", "done": "ready"}


def exports_forward(apps, schema_editor) -> None:
    DataExport = apps.get_model("takedown", "DataExport")
    for old, new in EXPORT_STATUS.items():
        DataExport.objects.filter(status=old).update(status=new)


def exports_backward(apps, schema_editor) -> None:
    DataExport = apps.get_model("takedown", "DataExport")
    for old, new in EXPORT_STATUS.items():
        DataExport.objects.filter(status=new).update(status=old)
    DataExport.objects.filter(size__isnull=True).update(size=0)


class Migration(migrations.Migration):
    dependencies = [("takedown", "0013_reason_templates")]

    operations = [
        migrations.RenameField(model_name="dataexport", old_name="done", new_name="progress_done"),
        migrations.RenameField(
            model_name="dataexport", old_name="total", new_name="progress_total"
        ),
        migrations.AlterField(
            model_name="dataexport",
            name="progress_done",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AlterField(
            model_name="dataexport",
            name="progress_total",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="dataexport",
            name="sha256",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name="dataexport",
            name="started_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="dataexport",
            name="updated_at",
            field=models.DateTimeField(auto_now=True),
        ),
        migrations.AlterField(
            model_name="dataexport",
            name="created_at",
            field=models.DateTimeField(auto_now_add=True, db_index=True),
        ),
        migrations.AlterField(
            model_name="dataexport",
            name="size",
            field=models.PositiveBigIntegerField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="dataexport",
            name="status",
            field=models.CharField(
                choices=[
                    ("queued", "Queued"),
                    ("building", "Building"),
                    ("ready", "Ready"),
                    ("failed", "Failed"),
                ],
                default="queued",
                max_length=16,
            ),
        ),
        migrations.RunPython(exports_forward, exports_backward),
        migrations.AddField(
            model_name="evidencepackage",
            name="language",
            field=models.CharField(blank=True, max_length=16),
        ),
    ]
