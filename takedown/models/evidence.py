"""Tamper-evident evidence: listing snapshots and the hash-chained ledger.

An EvidenceSnapshot records what a listing looked like when a complaint was
filed on it and when a case on it was decided. Every snapshot and every
CaseEvent gets a LedgerEntry, and so does every retention purge batch and
every erasure of personal data: the SHA-256 of the object's canonical content,
chained to the previous entry's hash (takedown.services.evidence builds and
checks them). The chain holds hashes only, never personal data. LedgerHead is
the single row every append locks, so the chain never forks; LedgerAnchor
records the head from time to time so that a deleted tail shows.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from takedown.states import CaseAction

# An EvidenceSnapshot's action when the scanner found the listing: no case yet.
DETECT_ACTION = "detect"


class EvidenceFile(models.Model):
    """Image bytes copied for evidence, stored once per SHA-256 in file storage.

    The bytes live in the storage (MEDIA_ROOT or a bucket), not in a table:
    the same thumbnail captured at filing and at each decision is one file.
    """

    sha256 = models.CharField(max_length=64, unique=True)
    file = models.FileField(upload_to="evidence/images/")
    content_type = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.sha256[:12]


class EvidenceSnapshot(models.Model):
    """A listing as stored at one step of a case: fields, images, the detection's why.

    ``body`` holds what is not personal data: the listing's content as
    received (the shape of ``listings.services.feeds.stored_content``) without
    the seller's name, its images (the original's SHA-256 and the SHA-256 of
    the copied thumbnail, an EvidenceFile) and the detection's signals.
    ``personal`` holds the seller's name with a random salt; only its hash
    (``personal_sha256``) enters the ledger's content hash, so erasing it
    later leaves the snapshot verifiable.
    """

    # None for a snapshot taken when the scanner found the listing (action
    # "detect"), before any complaint: ``detection`` links it instead.
    case = models.ForeignKey(
        "takedown.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="snapshots"
    )
    # A link for lookups only: the detection's id and explanation are in the
    # hashed ``body``, so a detection deleted with its right leaves it verifiable.
    detection = models.ForeignKey(
        "listings.Detection",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="evidence_snapshots",
    )
    listing = models.ForeignKey(
        "listings.Listing", on_delete=models.PROTECT, related_name="evidence_snapshots"
    )
    action = models.CharField(
        max_length=24, choices=[*CaseAction.choices, (DETECT_ACTION, _("Detected by the scanner"))]
    )
    taken_at = models.DateTimeField(default=timezone.now)
    body = models.JSONField()
    # None once erased on request (issue 7, privacy); personal_sha256 stays.
    personal = models.JSONField(null=True, blank=True)
    personal_sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["case", "taken_at", "pk"]
        constraints = [
            # Only the scanner's snapshot stands without a case.
            models.CheckConstraint(
                condition=Q(case__isnull=False) | Q(action=DETECT_ACTION),
                name="evidencesnapshot_case_unless_detected",
            ),
        ]

    def __str__(self) -> str:
        if self.case_id is None:
            return f"detection {self.detection_id} at {self.taken_at:%Y-%m-%d %H:%M}"
        return f"case {self.case_id} {self.action} at {self.taken_at:%Y-%m-%d %H:%M}"


class LedgerEntry(models.Model):
    """One link of the chain: which object, its content's hash, the previous link's hash."""

    class Kind(models.TextChoices):
        SNAPSHOT = "snapshot", _("Evidence snapshot")
        CASE_EVENT = "case_event", _("Case event")
        # A retention purge's batch (object_id: PurgedObject.batch) and an
        # erasure on request (object_id: the ErasureRecord): what was deleted
        # or rewritten is itself in the chain.
        PURGE = "purge", _("Retention purge")
        ERASURE = "erasure", _("Erasure of personal data")

    sequence = models.PositiveBigIntegerField(unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    object_id = models.BigIntegerField()
    content_sha256 = models.CharField(max_length=64)
    prev_hash = models.CharField(max_length=64)
    # SHA-256(prev_hash + content_sha256 + canonical JSON of sequence, kind,
    # object_id, recorded_at): takedown.services.evidence.entry_hash.
    entry_hash = models.CharField(max_length=64)
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_id"], name="ledger_entry_unique_object"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.kind} {self.object_id}"


class LedgerHead(models.Model):
    """The chain's last link, one row (pk 1): appends lock it, so there is one chain.

    Denormalised from the last LedgerEntry so that an append reads one row,
    never the chain; verify_evidence checks that the two agree.
    """

    sequence = models.PositiveBigIntegerField(default=0)
    entry_hash = models.CharField(max_length=64)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"head #{self.sequence} {self.entry_hash[:12]}"


class LedgerAnchor(models.Model):
    """The chain's head as it was at a moment: a shorter or rewritten chain later shows."""

    sequence = models.PositiveBigIntegerField()
    entry_hash = models.CharField(max_length=64)
    anchored_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-anchored_at", "-pk"]

    def __str__(self) -> str:
        return (
            f"anchor #{self.sequence} {self.entry_hash[:12]} at {self.anchored_at:%Y-%m-%d %H:%M}"
        )
