"""Organisations, memberships, agents' authorisations, rights and authorised sellers."""

import datetime
from typing import Any, Self

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from takedown.db import TimeStampedModel
from takedown.geo import expand_territories
from takedown.states import RightAction, RightStatus


class Organisation(TimeStampedModel):
    class Kind(models.TextChoices):
        RIGHTS_HOLDER = "rights_holder", _("Rights holder")
        AGENT = "agent", _("Agent (law firm)")
        PLATFORM = "platform", _("Platform")
        OPERATOR = "operator", _("Operator")

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, db_index=True)
    country = models.CharField(max_length=2, blank=True, help_text=_("ISO 3166 alpha-2"))
    contact_email = models.EmailField(blank=True)
    is_active = models.BooleanField(default=True)
    # DSA Art. 22: a notifier designated as trusted flagger; its notices are decided first.
    trusted_flagger_since = models.DateTimeField(null=True, blank=True)
    # Share of its decided notices of the last year that were upheld, recomputed daily.
    trusted_flagger_accuracy = models.FloatField(null=True, blank=True)
    # DSA Art. 23: a notifier that often files manifestly unfounded notices is
    # suspended from filing for a while, told why.
    filing_suspended_until = models.DateTimeField(null=True, blank=True)
    filing_suspension_reason = models.TextField(blank=True)
    misuse_warned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(TimeStampedModel):
    class Role(models.TextChoices):
        ADMIN = "admin", _("Administrator")
        MEMBER = "member", _("Member")
        MODERATOR = "moderator", _("Moderator")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation"], name="membership_unique_user_org"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}) at {self.organisation}"


class AgentAuthorisationQuerySet(models.QuerySet):
    def active(self, on: datetime.date | None = None) -> Self:
        """Authorisations not revoked and within their validity dates on ``on`` (default today)."""
        day = on or timezone.localdate()
        return self.filter(revoked_at__isnull=True, valid_from__lte=day, valid_until__gte=day)


class AgentAuthorisation(TimeStampedModel):
    """A rights holder's letter of authorisation letting an agent act for it.

    Without an active one, the agent sees and does nothing for that rights holder.
    """

    agent = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="authorisations_held",
        limit_choices_to={"kind": Organisation.Kind.AGENT},
    )
    rights_holder = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="authorisations_granted",
        limit_choices_to={"kind": Organisation.Kind.RIGHTS_HOLDER},
    )
    letter = models.FileField(upload_to="authorisations/%Y/%m/")
    letter_name = models.CharField(max_length=255)
    letter_sha256 = models.CharField(max_length=64)
    all_rights = models.BooleanField(
        default=True, help_text=_("Covers every right of the rights holder, present and future.")
    )
    rights: "models.ManyToManyField[Right, Any]" = models.ManyToManyField(
        "Right",
        blank=True,
        related_name="agent_authorisations",
        help_text=_("The rights covered when it does not cover all rights."),
    )
    may_manage_rights = models.BooleanField(
        default=True, help_text=_("May register and edit rights for the rights holder.")
    )
    may_file_complaints = models.BooleanField(
        default=True, help_text=_("May file complaints and answer counter-notices.")
    )
    valid_from = models.DateField()
    valid_until = models.DateField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoke_reason = models.TextField(blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = AgentAuthorisationQuerySet.as_manager()

    class Meta:
        ordering = ["-valid_until"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gte=F("valid_from")),
                name="agentauth_valid_until_after_from",
            ),
            models.CheckConstraint(
                condition=~Q(agent=F("rights_holder")), name="agentauth_agent_not_holder"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agent} for {self.rights_holder} ({self.valid_from} to {self.valid_until})"

    def is_active(self, on: datetime.date | None = None) -> bool:
        day = on or timezone.localdate()
        return self.revoked_at is None and self.valid_from <= day <= self.valid_until


class RightQuerySet(models.QuerySet):
    def in_force(self, on: datetime.date | None = None) -> Self:
        """Verified rights within their validity dates: the only ones scanned for and relied on.

        The date filter enforces expiry even before the hourly expiry sweep has run.
        """
        day = on or timezone.localdate()
        return self.filter(status=RightStatus.VERIFIED, valid_from__lte=day, valid_until__gte=day)

    def awaiting_verification(self) -> Self:
        return self.filter(status=RightStatus.SUBMITTED)


class Right(TimeStampedModel):
    """A trademark or design registration a rights holder relies on."""

    class Kind(models.TextChoices):
        WORD_MARK = "word_mark", _("Word mark")
        FIGURATIVE_MARK = "figurative_mark", _("Figurative mark (logo)")
        DESIGN = "design", _("Design")

    class Office(models.TextChoices):
        CN = "CN", _("China (CNIPA)")
        EU = "EU", _("European Union (EUIPO)")
        US = "US", _("United States (USPTO)")
        WIPO = "WIPO", _("WIPO (Madrid / Hague)")
        GB = "GB", _("United Kingdom (UKIPO)")
        JP = "JP", _("Japan (JPO)")
        KR = "KR", _("Korea (KIPO)")
        DE = "DE", _("Germany (DPMA)")
        FR = "FR", _("France (INPI)")
        IT = "IT", _("Italy (UIBM)")
        HK = "HK", _("Hong Kong (IPD)")
        OTHER = "OTHER", _("Other office")

    rights_holder = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="rights",
        limit_choices_to={"kind": Organisation.Kind.RIGHTS_HOLDER},
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    name = models.CharField(max_length=200, help_text=_("How the right is called in lists."))
    mark_text = models.CharField(
        max_length=200,
        blank=True,
        help_text=_("The words of the mark the scanners look for (required for word marks)."),
    )
    registration_number = models.CharField(max_length=64)
    office = models.CharField(max_length=8, choices=Office.choices)
    # Nice classes 1-45 for marks, as a sorted list of integers.
    nice_classes = models.JSONField(default=list, blank=True)
    # Locarno class "NN-NN" for designs.
    locarno_class = models.CharField(max_length=8, blank=True)
    goods_description = models.TextField(help_text=_("Goods or products the right covers."))
    # ISO 3166 alpha-2 codes or regional aliases (EU) where the right is enforced.
    territories = models.JSONField(default=list)
    valid_from = models.DateField()
    valid_until = models.DateField()
    reference_price = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Usual retail price of genuine goods; a far lower price raises suspicion."),
    )
    reference_currency = models.CharField(max_length=3, blank=True)
    status = models.CharField(
        max_length=16, choices=RightStatus.choices, default=RightStatus.SUBMITTED, db_index=True
    )
    # The moderator's reason for the current status (rejection, suspension).
    status_reason = models.TextField(blank=True)
    # Any status change of any right may change the set the scanners match
    # against: the latest one is the matching index's version (indexed).
    status_changed_at = models.DateTimeField(default=timezone.now, db_index=True)
    # A mark that is also an everyday word ("Apple", "Shell") is a detection
    # only with supporting context: the listing's category in one of the
    # right's classes, or a counterfeit cue. Suggested when the mark is
    # submitted (listings.matching.common_words.is_ordinary_word); a moderator
    # may change it.
    ordinary_word = models.BooleanField(
        default=False,
        help_text=_("The mark is also an everyday word: match it only with supporting context."),
    )
    # Detections scoring under this are kept but not shown or counted.
    detection_min_score = models.DecimalField(
        max_digits=3,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text=_("Hide detections scoring under this (0: everything the scanner finds)."),
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = RightQuerySet.as_manager()

    class Meta:
        ordering = ["rights_holder__name", "name"]
        indexes = [models.Index(fields=["status", "valid_until"], name="right_status_valid_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gte=F("valid_from")), name="right_valid_until_after_from"
            ),
            models.CheckConstraint(
                condition=~Q(kind="word_mark") | ~Q(mark_text=""), name="right_word_mark_has_text"
            ),
            models.CheckConstraint(
                condition=Q(reference_price__isnull=True, reference_currency="")
                | Q(reference_price__gte=0, reference_currency__regex=r"^[A-Z]{3}$"),
                name="right_reference_price_with_currency",
            ),
            # Two rights holders cannot both hold the same registration in force.
            models.UniqueConstraint(
                fields=["office", "registration_number"],
                condition=Q(status="verified"),
                name="right_one_verified_per_registration",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.office} {self.registration_number})"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("rightsholders:right-detail", args=[self.pk])

    @property
    def is_mark(self) -> bool:
        return self.kind in (self.Kind.WORD_MARK, self.Kind.FIGURATIVE_MARK)

    def is_in_force(self, on: datetime.date | None = None) -> bool:
        day = on or timezone.localdate()
        return self.status == RightStatus.VERIFIED and self.valid_from <= day <= self.valid_until

    def covers_country(self, country: str) -> bool:
        return country.upper() in expand_territories(self.territories)


class RightImage(TimeStampedModel):
    """A logo of a figurative mark or a view of a registered design."""

    class Role(models.TextChoices):
        LOGO = "logo", _("Logo")
        VIEW = "view", _("Design view")

    right = models.ForeignKey(Right, on_delete=models.CASCADE, related_name="images")
    role = models.CharField(max_length=8, choices=Role.choices)
    file = models.FileField(upload_to="rights/images/%Y/%m/")
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=64)
    sha256 = models.CharField(max_length=64, db_index=True)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    # The matching engine's hashes of every variant of the picture
    # (listings.matching.image_index.registered_hashes), computed once: variant
    # codes then uint64 hashes. An index is built from them without decoding;
    # recomputed when ``match_engine`` is not the running image hash version
    # (listings.matching.IMAGE_HASH_VERSION; the name predates it).
    match_hashes = models.BinaryField(null=True, blank=True, editable=False)
    match_engine = models.CharField(max_length=32, blank=True, editable=False)

    class Meta:
        ordering = ["right", "id"]
        constraints = [
            models.UniqueConstraint(fields=["right", "sha256"], name="rightimage_unique_per_right"),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} of {self.right}: {self.original_name}"


class ProofDocument(TimeStampedModel):
    """A registration certificate, register extract or similar proof of the right."""

    right = models.ForeignKey(Right, on_delete=models.CASCADE, related_name="proof_documents")
    file = models.FileField(upload_to="rights/proof/%Y/%m/")
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["right", "id"]

    def __str__(self) -> str:
        return self.original_name


class RightEvent(models.Model):
    """Append-only audit trail of a right: who did what, from which status to which, why."""

    right = models.ForeignKey(Right, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=16, choices=RightAction.choices)
    from_status = models.CharField(max_length=16, choices=RightStatus.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=RightStatus.choices)
    reason = models.TextField(blank=True)
    # What an edit changed: {"field": [old, new]}.
    changes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.right}: {self.action} {self.from_status or '-'} -> {self.to_status}"


class AuthorisedSeller(TimeStampedModel):
    """A seller account on a platform allowed to sell the rights holder's goods.

    Listings of an authorised seller are never flagged for the rights it covers
    (all of the rights holder's rights when ``rights`` is empty). Keyed by the
    platform's seller id so it can be registered before the seller's first listing.
    """

    rights_holder = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="authorised_sellers",
        limit_choices_to={"kind": Organisation.Kind.RIGHTS_HOLDER},
    )
    platform = models.ForeignKey(
        "listings.Platform", on_delete=models.CASCADE, related_name="authorised_sellers"
    )
    seller_external_id = models.CharField(max_length=255)
    seller_name = models.CharField(max_length=255, blank=True)
    is_own_store = models.BooleanField(
        default=False, help_text=_("The rights holder's own store account.")
    )
    rights = models.ManyToManyField(Right, blank=True, related_name="authorised_sellers")
    note = models.TextField(blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["platform", "seller_external_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["rights_holder", "platform", "seller_external_id"],
                name="authorisedseller_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.seller_name or self.seller_external_id} on {self.platform}"


class RightsRevision(models.Model):
    """One row: a number bumped in the transaction of every change of a right's status.

    The scanners' workers compare it with the revision their index was built
    for and rebuild only when it moved. The row lock serialises the bumps, so a
    worker that read a revision sees every change committed before it.
    """

    number = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"rights revision {self.number}"
