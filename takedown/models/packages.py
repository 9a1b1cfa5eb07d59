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

from .background import BackgroundFile


class EvidencePackage(BackgroundFile):
    """One build of an evidence package, with its progress and, once ready, its file."""

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
    # The requester's language when asked (a code of settings.LANGUAGES): the report's.
    language = models.CharField(max_length=16, blank=True)
    # Set only once the whole ZIP is in storage (BackgroundFile.mark_ready).
    file = models.FileField(upload_to="evidence/packages/%Y/%m/", blank=True)

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
