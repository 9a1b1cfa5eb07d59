"""Complaints (notices), the cases they open in the moderators' queue, and decisions.

A complaint is one notice by a rights holder (or its agent) relying on verified
rights and covering many listings; each listing becomes a Case decided on its
own. Every change of a case is a CaseEvent (append-only); a removal or a
restriction carries a StatementOfReasons with the fields of the EU DSA
transparency database.
"""

import secrets
from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from takedown.db import TimeStampedModel
from takedown.states import CaseAction, CaseStatus, ComplaintReason


def complaint_reference() -> str:
    """A reference the notifier quotes: short, unguessable, unique (checked by the constraint)."""
    return f"TD-{secrets.token_hex(5).upper()}"


class Complaint(TimeStampedModel):
    """A notice under DSA Art. 16 / E-Commerce Law Art. 42 / DMCA 512(c)(3)."""

    reference = models.CharField(max_length=20, unique=True, default=complaint_reference)
    rights_holder = models.ForeignKey(
        "rightsholders.Organisation", on_delete=models.PROTECT, related_name="complaints"
    )
    # The agent organisation that filed it for the rights holder, if any.
    agent = models.ForeignKey(
        "rightsholders.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints_filed",
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    rights = models.ManyToManyField("rightsholders.Right", related_name="complaints")
    reason = models.CharField(max_length=16, choices=ComplaintReason.choices)
    reason_other = models.CharField(max_length=200, blank=True)
    explanation = models.TextField(
        help_text=_("Why the listings infringe: a substantiated explanation (DSA Art. 16(2)(a)).")
    )
    notifier_name = models.CharField(max_length=200)
    notifier_email = models.EmailField()
    good_faith = models.BooleanField(
        help_text=_("The notifier believes in good faith the use is not authorised.")
    )
    accurate = models.BooleanField(
        help_text=_(
            "The notice is accurate and complete (and, under DMCA, under penalty of perjury)."
        )
    )
    signature = models.CharField(max_length=200, help_text=_("The notifier's typed name."))
    # Trusted flagger status at filing (DSA Art. 22): such notices are decided first.
    trusted_flagger = models.BooleanField(default=False)
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.reference


class ComplaintEvidence(TimeStampedModel):
    """A file the notifier attached as evidence (checked from its bytes, stored once)."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(upload_to="complaints/evidence/%Y/%m/")
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["complaint", "id"]

    def __str__(self) -> str:
        return self.original_name


class CaseQuerySet(models.QuerySet):
    def waiting(self) -> Self:
        """Cases a moderator can decide now (not waiting for the notifier)."""
        return self.filter(status=CaseStatus.OPEN)

    def claimable(self, now=None) -> Self:
        now = now or timezone.now()
        return self.waiting().filter(Q(claimed_by=None) | Q(claim_expires_at__lt=now))


class Case(TimeStampedModel):
    """One listing of a complaint, waiting for a moderator's decision or decided."""

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="cases")
    listing = models.ForeignKey("listings.Listing", on_delete=models.PROTECT, related_name="cases")
    # Denormalised from the listing: the queue is filtered by platform on every page.
    platform = models.ForeignKey(
        "listings.Platform", on_delete=models.PROTECT, related_name="cases"
    )
    # The detection the complaint came from, if any: its score is the confidence.
    detection = models.ForeignKey(
        "listings.Detection", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=16, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    status_changed_at = models.DateTimeField(default=timezone.now)
    # When the platform's SLA for this reason runs out; moved later by the time
    # the clock stood still while the notifier was asked for information.
    deadline_at = models.DateTimeField()
    # The queue's order: the deadline brought forward by the priority signals
    # (trusted flagger, confidence, reach) and pushed back for notifiers with a
    # poor record, so that "most urgent first" is one indexed sort.
    due_at = models.DateTimeField()
    priority_reasons = models.JSONField(default=list, blank=True)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    claim_expires_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # A rejection's reason, shown to the notifier.
    rejection_reason = models.TextField(blank=True)
    # The rejected notice was manifestly unfounded (counts toward misuse, DSA Art. 23).
    manifestly_unfounded = models.BooleanField(default=False)
    info_request = models.TextField(blank=True)
    info_requested_at = models.DateTimeField(null=True, blank=True)
    info_deadline_at = models.DateTimeField(null=True, blank=True)
    info_answer = models.TextField(blank=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["complaint", "listing"], name="case_unique_listing"),
        ]
        # The queue's orders (takedown.selectors.QUEUE_ORDERS), each with the
        # id that breaks ties, so a page is read in index order with no sort,
        # and its ids from the index alone (an index-only scan skips to page 50).
        indexes = [
            models.Index(fields=["status", "due_at", "id"], name="case_queue_idx"),
            models.Index(
                fields=["platform", "status", "due_at", "id"], name="case_platform_queue_idx"
            ),
            models.Index(fields=["status", "deadline_at", "id"], name="case_deadline_idx"),
            models.Index(
                fields=["platform", "status", "deadline_at", "id"],
                name="case_platform_deadline_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.complaint.reference} / {self.listing.external_id}"


class CaseEvent(models.Model):
    """One step in a case's life, append-only: who, what, from and to, when, why."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=24, choices=CaseAction.choices)
    from_status = models.CharField(max_length=16, choices=CaseStatus.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=CaseStatus.choices)
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["case", "created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.action} {self.from_status}->{self.to_status}"


class StatementOfReasons(TimeStampedModel):
    """DSA Art. 17 statement of reasons of a removal or restriction.

    Field names and values follow the EU DSA transparency database's API
    (``decision_visibility``, ``decision_ground``, ``category``, ...), so an
    export is a rename-free dump.
    """

    class Visibility(models.TextChoices):
        REMOVED = "DECISION_VISIBILITY_CONTENT_REMOVED", _("Content removed")
        DISABLED = "DECISION_VISIBILITY_CONTENT_DISABLED", _("Access disabled")
        DEMOTED = "DECISION_VISIBILITY_CONTENT_DEMOTED", _("Demoted")
        AGE_RESTRICTED = "DECISION_VISIBILITY_CONTENT_AGE_RESTRICTED", _("Age restricted")
        INTERACTION_RESTRICTED = (
            "DECISION_VISIBILITY_CONTENT_INTERACTION_RESTRICTED",
            _("Interaction restricted"),
        )
        LABELLED = "DECISION_VISIBILITY_CONTENT_LABELLED", _("Labelled")

    class Ground(models.TextChoices):
        ILLEGAL = "DECISION_GROUND_ILLEGAL_CONTENT", _("Illegal content")
        INCOMPATIBLE = "DECISION_GROUND_INCOMPATIBLE_CONTENT", _("Incompatible with terms")

    class Automation(models.TextChoices):
        FULLY = "AUTOMATED_DECISION_FULLY", _("Fully automated")
        PARTIALLY = "AUTOMATED_DECISION_PARTIALLY", _("Partially automated")
        NOT_AUTOMATED = "AUTOMATED_DECISION_NOT_AUTOMATED", _("Not automated")

    class Source(models.TextChoices):
        ARTICLE_16 = "SOURCE_ARTICLE_16", _("Notice under Art. 16")
        TRUSTED_NOTIFIER = "SOURCE_TRUSTED_NOTIFIER", _("Trusted flagger under Art. 22")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="statements")
    decision_visibility = models.CharField(max_length=64, choices=Visibility.choices)
    decision_ground = models.CharField(max_length=48, choices=Ground.choices)
    # For illegal content: the law relied on and why the content is illegal under it.
    illegal_content_legal_ground = models.TextField(blank=True)
    illegal_content_explanation = models.TextField(blank=True)
    # For content incompatible with the terms: the clause and why.
    incompatible_content_ground = models.TextField(blank=True)
    incompatible_content_explanation = models.TextField(blank=True)
    category = models.CharField(
        max_length=64, default="STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS"
    )
    category_specification = models.JSONField(default=list, blank=True)
    decision_facts = models.TextField()
    source_type = models.CharField(max_length=32, choices=Source.choices)
    automated_detection = models.BooleanField()
    automated_decision = models.CharField(max_length=40, choices=Automation.choices)
    # ISO 3166 alpha-2 codes the restriction applies in.
    territorial_scope = models.JSONField(default=list)
    content_type = models.JSONField(default=list)
    application_date = models.DateTimeField()
    # None: indefinitely.
    end_date_visibility_restriction = models.DateTimeField(null=True, blank=True)
    # The platform's unique id of the content: "<platform slug>:<external id>".
    puid = models.CharField(max_length=500)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_decision_visibility_display()} of {self.puid}"
