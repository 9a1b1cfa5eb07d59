import django.db.models.deletion
from django.db import migrations, models

import takedown.models.reasons


class Migration(migrations.Migration):
    dependencies = [
        ("listings", "0010_listing_scan_queued_at"),
        ("takedown", "0012_privacy_retention"),
    ]

    operations = [
        migrations.CreateModel(
            name="ReasonTemplate",
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
                    "action",
                    models.CharField(
                        choices=[
                            ("remove", "Remove"),
                            ("restrict", "Restrict visibility"),
                            ("reject", "Reject"),
                            ("request_info", "Ask the notifier for information"),
                            ("appeal_uphold", "Appeal upheld (decision reversed)"),
                            ("appeal_dismiss", "Appeal dismissed (decision stands)"),
                        ],
                        max_length=16,
                        verbose_name="decision",
                    ),
                ),
                ("title", models.CharField(max_length=120, verbose_name="title")),
                (
                    "text",
                    models.TextField(
                        help_text=(
                            "Placeholders filled from the case: {right}, {listing_title}, "
                            "{listing_id}, {platform}, {regime}, {complaint_reference}, "
                            "{rights_holder}."
                        ),
                        validators=[takedown.models.reasons.placeholders_check],
                        verbose_name="text",
                    ),
                ),
                ("active", models.BooleanField(default=True, verbose_name="active")),
                (
                    "platform",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="reason_templates",
                        to="listings.platform",
                    ),
                ),
            ],
            options={
                "ordering": ["action", "title", "pk"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("platform", "action", "title"), name="reasontemplate_unique_title"
                    ),
                    models.UniqueConstraint(
                        condition=models.Q(("platform__isnull", True)),
                        fields=("action", "title"),
                        name="reasontemplate_unique_global_title",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            (
                                "action__in",
                                [
                                    "remove",
                                    "restrict",
                                    "reject",
                                    "request_info",
                                    "appeal_uphold",
                                    "appeal_dismiss",
                                ],
                            )
                        ),
                        name="reasontemplate_action_known",
                    ),
                ],
            },
        ),
    ]
