"""Privacy and retention records: who saw personal data, what was erased, purged, exported.

None of these rows holds the personal values themselves: the access log names
objects and fields, an erasure names what was erased and why, a purge names
the ledger objects it deleted, so ``verify_evidence`` can tell a purged row
from a deleted one.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .background import BackgroundFile


class PersonalDataAccess(models.Model):
    """A request that showed a moderator unmasked personal data: who, when, what, where."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Denormalised from the user: the log outlives a deleted account.
    username = models.CharField(max_length=150)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    path = models.CharField(max_length=500)
    view_name = models.CharField(max_length=200, blank=True)
    # [{"model": "takedown.counternotice", "id": 3, "fields": ["seller_email", ...]}]
    shown = models.JSONField(default=list)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name_plural = "personal data accesses"

    def __str__(self) -> str:
        return f"{self.username} at {self.at:%Y-%m-%d %H:%M}: {self.path}"


class ErasureRecord(models.Model):
    """Personal data erased on request: what, when, by whom, why; never the erased values.

    Each record is appended to the evidence ledger (kind "erasure") in the
    erasure's transaction, so an edited or deleted record fails ``verify_evidence``.
    """

    class Subject(models.TextChoices):
        SELLER = "seller", _("A seller")
        NOTIFIER = "notifier", _("A notifier (by e-mail address)")
        COUNTER_NOTICE = "counter_notice", _("The sender of a counter-notice")

    subject = models.CharField(max_length=16, choices=Subject.choices)
    # The seller's or counter-notice's id; for a notifier the complaints' references.
    subject_ref = models.CharField(max_length=500)
    reason = models.TextField()
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Who asked for it when not a user of the workbench ("manage.py as root").
    erased_by_label = models.CharField(max_length=200, blank=True)
    erased_at = models.DateTimeField(default=timezone.now)
    # {"listings.seller": {"12": ["contact_email", ...]}, "takedown.evidencesnapshot": [ids], ...}
    erased = models.JSONField(default=dict)

    class Meta:
        ordering = ["-erased_at", "-pk"]

    def __str__(self) -> str:
        return f"erasure of {self.subject} {self.subject_ref} at {self.erased_at:%Y-%m-%d}"


class PurgedObject(models.Model):
    """A ledger object deleted at the end of its retention period; its entry stays.

    Each purge batch appends a ledger entry (kind "purge", object id
    ``batch``) hashing its rows with their objects' entry hashes, in the
    transaction of the deletion. ``verify_evidence`` accepts a missing object
    only when it is listed here in a batch the chain holds, and fails on a row
    no chained batch covers or a batch whose rows changed.
    """

    kind = models.CharField(max_length=16)  # LedgerEntry.Kind
    object_id = models.BigIntegerField()
    purged_at = models.DateTimeField(default=timezone.now)
    # The purge's ledger entry's object id; numbered under the ledger head's
    # lock (takedown.services.evidence.ledger_purge_record). None: chained by nobody.
    batch = models.PositiveBigIntegerField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["kind", "object_id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="purgedobject_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id} purged {self.purged_at:%Y-%m-%d}"


class DataExport(BackgroundFile):
    """A rights holder's export of all its data: a ZIP built by a Celery task.

    Its progress counts the kinds written (takedown.services.data_export.KINDS).
    """

    organisation = models.ForeignKey(
        "rightsholders.Organisation", on_delete=models.CASCADE, related_name="data_exports"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    file = models.FileField(upload_to="exports/", blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"export of {self.organisation_id} ({self.status})"
