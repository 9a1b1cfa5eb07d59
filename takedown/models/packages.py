"""Evidence packages: a case's or a complaint's evidence as one ZIP, verifiable offline.

A package is asked for on a page (or the API) and built by a Celery task
(takedown.services.packages.package_build): the snapshots and their ledger
entries, the image copies, the rights relied on with their proof, the
complaint, the case history, a PDF report, a manifest of every file's SHA-256
and a standalone verifier script. ``audience`` says what it leaves out: a
notifier's package has no seller's personal data and no moderator-only event.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from takedown.db import TimeStampedModel


class EvidencePackage(TimeStampedModel):
    """One build of an evidence package, with its progress and, once ready, its file."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        BUILDING = "building", _("Building")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    class Audience(models.TextChoices):
        # Moderators of the case's platform and the operator's: everything.
        FULL = "full", _("Full (moderators)")
        # The notifier's organisation: without the seller's personal data and
        # the events meant for moderators only (takedown.selectors).
        NOTIFIER = "notifier", _("Notifier (no seller's personal data)")

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    audience = models.CharField(max_length=16, choices=Audience.choices)
    # Exactly one of the two: a package covers one case or one complaint's cases.
    case = models.ForeignKey(
        "takedown.Case",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="evidence_packages",
    )
    complaint = models.ForeignKey(
        "takedown.Complaint",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="evidence_packages",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(blank=True)
    # Steps of the build done and planned (files written), for the progress bar.
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    # Set only once the whole ZIP is in storage: never a half-written file.
    file = models.FileField(upload_to="evidence/packages/%Y/%m/", blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(case__isnull=False, complaint__isnull=True)
                    | Q(case__isnull=True, complaint__isnull=False)
                ),
                name="evidencepackage_case_or_complaint",
            ),
        ]

    def __str__(self) -> str:
        what = f"case {self.case_id}" if self.case_id else f"complaint {self.complaint_id}"
        return f"evidence package {self.pk} of {what}: {self.status}"

    @property
    def percent(self) -> int:
        if self.status == self.Status.READY:
            return 100
        return int(100 * self.progress_done / self.progress_total) if self.progress_total else 0

    @property
    def in_progress(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.BUILDING)
