"""Platforms, their API tokens, sellers, listings, feed batches and listing images."""

import hashlib
import secrets
from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from takedown.db import TimeStampedModel
from takedown.states import (
    DetectionStatus,
    DismissReason,
    FeedStatus,
    ImageStatus,
    RetroScanStatus,
)


class Platform(TimeStampedModel):
    """A marketplace connected to the workbench; its staff belong to ``organisation``."""

    organisation = models.OneToOneField(
        "rightsholders.Organisation",
        on_delete=models.PROTECT,
        related_name="platform",
        limit_choices_to={"kind": "platform"},
    )
    website = models.URLField(blank=True)
    # Default time to decide a case, per the platform's own policy (DSA Art. 16 "timely").
    default_sla_hours = models.PositiveIntegerField(default=24)
    # Hours to decide a case by complaint reason, overriding the default:
    # {"counterfeit": 12}. Keys are takedown.states.ComplaintReason values.
    sla_hours_by_reason = models.JSONField(default=dict, blank=True)

    class CounterNoticeRegime(models.TextChoices):
        # E-Commerce Law Art. 43: measures end if no complaint or lawsuit is
        # reported within 15 days of the declaration being forwarded.
        CHINA = "cn", _("China: 15 days")
        # DMCA 512(g)(2)(C): restore 10 to 14 business days after the counter-notice.
        DMCA = "us", _("DMCA: 10 business days")
        OWN = "own", _("The platform's own number of days")

    counter_notice_regime = models.CharField(
        max_length=4, choices=CounterNoticeRegime.choices, default=CounterNoticeRegime.CHINA
    )
    counter_notice_days = models.PositiveSmallIntegerField(
        default=15, help_text=_("Days of the platform's own regime.")
    )

    class Meta:
        ordering = ["organisation__name"]

    def __str__(self) -> str:
        return self.organisation.name

    def sla_hours(self, reason: str) -> int:
        return int(self.sla_hours_by_reason.get(reason, self.default_sla_hours))

    @property
    def name(self) -> str:
        return self.organisation.name


class PlatformTokenQuerySet(models.QuerySet):
    def active(self) -> Self:
        return self.filter(revoked_at__isnull=True)


class PlatformToken(TimeStampedModel):
    """A bearer token a platform's systems use for the API.

    Only the SHA-256 of the token is stored: tokens are 256-bit random strings,
    so a fast hash is enough (there is nothing to brute-force), and a lookup by
    hash is one indexed query per request. ``prefix`` identifies a token in
    lists without revealing it.
    """

    TOKEN_PREFIX = "tdk"

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = PlatformTokenQuerySet.as_manager()

    class Meta:
        ordering = ["platform", "-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…) for {self.platform}"

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def generate(cls) -> tuple[str, str]:
        """Return a new (token, prefix); the token is shown once and never stored."""
        prefix = f"{cls.TOKEN_PREFIX}_{secrets.token_hex(4)}"
        return f"{prefix}_{secrets.token_urlsafe(32)}", prefix


class Seller(TimeStampedModel):
    """A seller account on a platform, known by the platform's id for it.

    ``name`` is the store name as the platform sent it; it may be a person's
    name (masking it for rights holders is planned with the privacy work of
    issue 7; today rights holders see it). ``contact_name`` and
    ``contact_email`` are personal data shown to moderators only.
    """

    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="sellers")
    external_id = models.CharField(max_length=255)
    name = models.CharField(max_length=255, blank=True)
    contact_name = models.CharField(max_length=255, blank=True)
    contact_email = models.EmailField(blank=True)
    # Repeat-infringer policy: set when the seller's active strikes reach the
    # policy's threshold; the platform is told it should suspend the account.
    suspension_recommended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["platform", "external_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "external_id"], name="seller_unique_per_platform"
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.external_id


class FeedBatch(TimeStampedModel):
    """One feed a platform pushed: the file as received and what ingesting it did.

    ``lines`` is also the resume point: the number of records (good or bad)
    whose effects are committed. It is advanced in the same transaction as each
    chunk's upserts, so a worker killed mid-feed resumes exactly where the last
    chunk ended, with nothing applied twice.
    """

    class Format(models.TextChoices):
        JSONL = "jsonl", _("JSON Lines")
        CSV = "csv", _("CSV")

    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="feeds")
    token = models.ForeignKey(
        PlatformToken, null=True, blank=True, on_delete=models.SET_NULL, related_name="feeds"
    )
    format = models.CharField(max_length=8, choices=Format.choices)
    file = models.FileField(upload_to="feeds/%Y/%m/%d/")
    size_bytes = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    status = models.CharField(
        max_length=16, choices=FeedStatus.choices, default=FeedStatus.RECEIVED, db_index=True
    )
    failure_reason = models.TextField(blank=True)
    # Counts, advanced chunk by chunk with the upserts they describe.
    lines = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    # Who is ingesting it and since when: a stale claim is taken over by the sweep.
    claimed_by = models.CharField(max_length=200, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "feed batches"

    def __str__(self) -> str:
        return f"Feed {self.pk} of {self.platform} ({self.status})"


class FeedLineError(models.Model):
    """A line of a feed that was refused, and why."""

    batch = models.ForeignKey(FeedBatch, on_delete=models.CASCADE, related_name="errors")
    line = models.PositiveIntegerField()
    field = models.CharField(max_length=100, blank=True)
    message = models.CharField(max_length=500)

    class Meta:
        ordering = ["batch", "line", "id"]
        indexes = [models.Index(fields=["batch", "line"], name="feedlineerror_batch_line_idx")]

    def __str__(self) -> str:
        return f"line {self.line}: {self.field} {self.message}"


class ListingQuerySet(models.QuerySet):
    def live(self) -> Self:
        return self.filter(delisted_at__isnull=True)


class Listing(TimeStampedModel):
    """A product listing as the platform last sent it, keyed by (platform, external_id)."""

    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="listings")
    external_id = models.CharField(max_length=255)
    title = models.CharField(max_length=500)
    url = models.URLField(max_length=2000, blank=True)
    description = models.TextField(blank=True)
    price = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    seller = models.ForeignKey(
        Seller, null=True, blank=True, on_delete=models.PROTECT, related_name="listings"
    )
    category = models.CharField(max_length=255, blank=True)
    # ISO 3166 alpha-2 codes the listing ships to.
    ship_to = models.JSONField(default=list, blank=True)
    brand = models.CharField(max_length=255, blank=True)
    image_urls = models.JSONField(default=list, blank=True)
    # Fields the platform sent that the workbench has no column for; kept, not refused.
    extra = models.JSONField(default=dict, blank=True)
    # SHA-256 of the listing's content as sent (listings.feeds.content_hash): an
    # unchanged line is recognised without comparing every field.
    content_hash = models.CharField(max_length=64, blank=True)
    last_feed = models.ForeignKey(
        FeedBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    delisted_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When the platform reported the listing gone.")
    )
    # Set when the listing's content or images changed and it must be scanned
    # again; cleared by the scan that read it after that moment. The sweep
    # re-queues listings left due (a scan message lost, a worker killed).
    scan_due_at = models.DateTimeField(null=True, blank=True)
    # When a scan of the listing was last queued: the sweep leaves a due
    # listing alone while its message may still be waiting in a backlog.
    scan_queued_at = models.DateTimeField(null=True, blank=True)
    scanned_at = models.DateTimeField(null=True, blank=True)

    objects = ListingQuerySet.as_manager()

    class Meta:
        ordering = ["platform", "external_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "external_id"], name="listing_unique_per_platform"
            ),
        ]
        indexes = [
            # The sweep's "scans still due": a small partial index, most listings are not.
            models.Index(
                fields=["scan_due_at"],
                condition=Q(scan_due_at__isnull=False),
                name="listing_scan_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.external_id}: {self.title[:60]}"


class ListingSnapshot(models.Model):
    """What a listing said before a feed changed it: evidence needs the listing of the day."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="snapshots")
    content = models.JSONField()
    content_hash = models.CharField(max_length=64)
    # When that content was current until (the moment it was replaced).
    replaced_at = models.DateTimeField(default=timezone.now)
    replaced_by_feed = models.ForeignKey(
        FeedBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["listing", "-replaced_at"]

    def __str__(self) -> str:
        return f"{self.listing} as of {self.replaced_at:%Y-%m-%d %H:%M}"


class ImageBlob(TimeStampedModel):
    """Image bytes seen once, keyed by SHA-256: the same picture is hashed once."""

    sha256 = models.CharField(max_length=64, unique=True)
    content_type = models.CharField(max_length=64)
    size_bytes = models.PositiveIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    thumbnail = models.FileField(upload_to="thumbnails/%Y/%m/")
    # The matching engine's view hashes (listings.matching.image_index.
    # listing_view_hashes): {"engine", "views": [...], "phash": [hex], "dhash": [hex]}.
    # Scans search with them and never decode the image again.
    view_hashes = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return self.sha256[:12]


class ListingImage(TimeStampedModel):
    """One image URL of a listing and the outcome of fetching it."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="images")
    url = models.URLField(max_length=2000)
    position = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(
        max_length=16, choices=ImageStatus.choices, default=ImageStatus.PENDING, db_index=True
    )
    blob = models.ForeignKey(
        ImageBlob, null=True, blank=True, on_delete=models.PROTECT, related_name="listing_images"
    )
    error = models.CharField(max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    fetched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["listing", "position"]
        constraints = [
            models.UniqueConstraint(fields=["listing", "url"], name="listingimage_unique_url"),
            models.CheckConstraint(
                condition=~Q(status="fetched") | Q(blob__isnull=False),
                name="listingimage_fetched_has_blob",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.listing.external_id} image {self.position}: {self.status}"


class Detection(TimeStampedModel):
    """What the scanner found: a listing that may infringe a right, with why.

    One row per (listing, right, engine version): a re-scan updates it, never
    duplicates it. ``signals`` holds each signal's score and evidence (text:
    the span and the mark; image: the listing image, the registered image, the
    variant and the distances); ``score`` combines them.
    """

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="detections")
    right = models.ForeignKey(
        "rightsholders.Right", on_delete=models.CASCADE, related_name="detections"
    )
    engine_version = models.CharField(max_length=32)
    score = models.FloatField()
    text_score = models.FloatField(null=True, blank=True)
    image_score = models.FloatField(null=True, blank=True)
    signals = models.JSONField(default=list)
    status = models.CharField(
        max_length=16, choices=DetectionStatus.choices, default=DetectionStatus.OPEN
    )
    status_changed_at = models.DateTimeField(default=timezone.now)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The listing's content hash when last matched: the evidence is of this version.
    listing_content_hash = models.CharField(max_length=64, blank=True)
    last_matched_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-score", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["listing", "right", "engine_version"], name="detection_unique_per_engine"
            ),
        ]
        indexes = [
            models.Index(fields=["right", "status", "-score"], name="detection_inbox_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.listing.external_id} ~ {self.right.name} ({self.score:.2f})"

    @property
    def signal_names(self) -> list[str]:
        return sorted({str(s.get("signal")) for s in self.signals})


class DetectionDismissal(TimeStampedModel):
    """A rights holder's "not a problem" for a listing and a right, remembered for good.

    Later scans (of a changed listing, by a newer engine) find the dismissal
    and keep their detection dismissed.
    """

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="+")
    right = models.ForeignKey("rightsholders.Right", on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=16, choices=DismissReason.choices)
    note = models.TextField(blank=True)
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["listing", "right"], name="dismissal_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.listing_id} / {self.right_id}: {self.reason}"


class RetroScan(TimeStampedModel):
    """A scan of every stored listing for one right, run when the right comes into force.

    Listings are read in id order in chunks; ``cursor`` (the last id done) is the
    resume point, advanced in the transaction that stores the chunk's detections.
    """

    right = models.ForeignKey(
        "rightsholders.Right", on_delete=models.CASCADE, related_name="retro_scans"
    )
    status = models.CharField(
        max_length=16, choices=RetroScanStatus.choices, default=RetroScanStatus.QUEUED
    )
    # Listings to scan (counted when the scan started) and done so far.
    total = models.PositiveBigIntegerField(default=0)
    done = models.PositiveBigIntegerField(default=0)
    cursor = models.BigIntegerField(default=0)
    # The highest listing id when the scan started: later listings are scanned
    # as they arrive, with the right already in the index.
    until_id = models.BigIntegerField(default=0)
    detections = models.PositiveIntegerField(default=0)
    claimed_by = models.CharField(max_length=200, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    failure_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"retro-scan of {self.right_id}: {self.status} {self.done}/{self.total}"

    @property
    def percent(self) -> int:
        if self.status == RetroScanStatus.DONE:
            return 100
        return int(100 * self.done / self.total) if self.total else 0


class EngineRescan(TimeStampedModel):
    """The re-scan of the listings stored before an engine version came in: one row a version.

    Listings up to ``until_id`` (the last stored when the version was first
    seen running) are marked due in id order, a chunk at a time, by the sweep
    (listings.services.rescan). ``next_id`` is the first id not yet marked,
    moved in the transaction that marks the chunk: a killed sweep resumes there
    and marks nothing twice. Listings stored later are scanned by the new
    version as they arrive.
    """

    engine_version = models.CharField(max_length=32, unique=True)
    until_id = models.BigIntegerField()
    next_id = models.BigIntegerField(default=0)
    # Listings marked due so far (those already due are left to their own scan).
    marked = models.PositiveBigIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        state = "done" if self.finished_at else f"at listing {self.next_id} of {self.until_id}"
        return f"re-scan for engine {self.engine_version}: {state}"
