"""Privacy and retention (issue 7): the access log of unmasked personal data, erasure records,
objects purged after the retention period, rights holders' data exports."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("takedown", "0011_evidence_packages"),
        ("rightsholders", "0005_remedies_settings"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="DataExport",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "Waiting"),
                            ("running", "Being built"),
                            ("done", "Ready"),
                            ("failed", "Failed"),
                        ],
                        default="pending",
                        max_length=16,
                    ),
                ),
                ("done", models.PositiveSmallIntegerField(default=0)),
                ("total", models.PositiveSmallIntegerField(default=0)),
                ("file", models.FileField(blank=True, upload_to="exports/")),
                ("size", models.PositiveBigIntegerField(default=0)),
                ("error", models.TextField(blank=True)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("finished_at", models.DateTimeField(blank=True, null=True)),
                (
                    "organisation",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="data_exports",
                        to="rightsholders.organisation",
                    ),
                ),
                (
                    "requested_by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at", "-pk"],
            },
        ),
        migrations.CreateModel(
            name="ErasureRecord",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "subject",
                    models.CharField(
                        choices=[
                            ("seller", "A seller"),
                            ("notifier", "A notifier (by e-mail address)"),
                            ("counter_notice", "The sender of a counter-notice"),
                        ],
                        max_length=16,
                    ),
                ),
                ("subject_ref", models.CharField(max_length=500)),
                ("reason", models.TextField()),
                ("erased_by_label", models.CharField(blank=True, max_length=200)),
                ("erased_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("erased", models.JSONField(default=dict)),
                (
                    "erased_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-erased_at", "-pk"],
            },
        ),
        migrations.CreateModel(
            name="PersonalDataAccess",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("username", models.CharField(max_length=150)),
                ("at", models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                ("path", models.CharField(max_length=500)),
                ("view_name", models.CharField(blank=True, max_length=200)),
                ("shown", models.JSONField(default=list)),
                (
                    "user",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "personal data accesses",
                "ordering": ["-at", "-pk"],
            },
        ),
        migrations.CreateModel(
            name="PurgedObject",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("kind", models.CharField(max_length=16)),
                ("object_id", models.BigIntegerField()),
                ("purged_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                "ordering": ["kind", "object_id"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("kind", "object_id"), name="purgedobject_unique"
                    )
                ],
            },
        ),
    ]
