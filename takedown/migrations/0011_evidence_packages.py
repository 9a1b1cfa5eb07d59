"""Evidence packages (EvidencePackage) and snapshots at detection time (issue 7).

An EvidenceSnapshot may now stand without a case (action "detect"), linked to
the Detection the scanner stored.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("takedown", "0010_ledger_existing_events"),
        ("listings", "0010_listing_scan_queued_at"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="EvidencePackage",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "audience",
                    models.CharField(
                        choices=[
                            ("full", "Full (moderators)"),
                            ("notifier", "Notifier (no seller's personal data)"),
                        ],
                        max_length=16,
                    ),
                ),
                (
                    "status",
                    models.CharField(
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
                ("error", models.TextField(blank=True)),
                ("progress_done", models.PositiveIntegerField(default=0)),
                ("progress_total", models.PositiveIntegerField(default=0)),
                ("file", models.FileField(blank=True, upload_to="evidence/packages/%Y/%m/")),
                ("sha256", models.CharField(blank=True, max_length=64)),
                ("size", models.PositiveBigIntegerField(blank=True, null=True)),
                ("started_at", models.DateTimeField(blank=True, null=True)),
                ("finished_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={
                "ordering": ["-created_at", "-pk"],
            },
        ),
        migrations.AddField(
            model_name="evidencesnapshot",
            name="detection",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="evidence_snapshots",
                to="listings.detection",
            ),
        ),
        migrations.AlterField(
            model_name="evidencesnapshot",
            name="action",
            field=models.CharField(
                choices=[
                    ("file", "Filed"),
                    ("claim", "Claimed"),
                    ("release", "Released"),
                    ("remove", "Remove"),
                    ("restrict", "Restrict visibility"),
                    ("reject", "Reject"),
                    ("request_info", "Ask the notifier for information"),
                    ("answer_info", "Notifier answered"),
                    ("close_unanswered", "Closed: no answer in time"),
                    ("executed", "Carried out by the platform"),
                    ("counter_notice", "Seller's counter-notice"),
                    ("report_action", "Notifier reported a court action"),
                    ("restore", "Restored: no court action in the window"),
                    ("appeal", "Appealed"),
                    ("appeal_dismiss", "Appeal dismissed"),
                    ("reverse_measure", "Appeal upheld: listing restored"),
                    ("reverse_rejection", "Appeal upheld: listing removed"),
                    ("seller_warned", "Seller warned: one strike from suspension"),
                    ("suspension_recommended", "Seller's suspension recommended"),
                    ("detect", "Detected by the scanner"),
                ],
                max_length=24,
            ),
        ),
        migrations.AlterField(
            model_name="evidencesnapshot",
            name="case",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="snapshots",
                to="takedown.case",
            ),
        ),
        migrations.AddConstraint(
            model_name="evidencesnapshot",
            constraint=models.CheckConstraint(
                condition=models.Q(("case__isnull", False), ("action", "detect"), _connector="OR"),
                name="evidencesnapshot_case_unless_detected",
            ),
        ),
        migrations.AddField(
            model_name="evidencepackage",
            name="case",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="evidence_packages",
                to="takedown.case",
            ),
        ),
        migrations.AddField(
            model_name="evidencepackage",
            name="complaint",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="evidence_packages",
                to="takedown.complaint",
            ),
        ),
        migrations.AddField(
            model_name="evidencepackage",
            name="requested_by",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddConstraint(
            model_name="evidencepackage",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("case__isnull", False), ("complaint__isnull", True)),
                    models.Q(("case__isnull", True), ("complaint__isnull", False)),
                    _connector="OR",
                ),
                name="evidencepackage_case_or_complaint",
            ),
        ),
    ]
