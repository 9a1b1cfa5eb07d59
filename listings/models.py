"""Platforms, their sellers and the listings they push."""

from typing import Self

from django.db import models
from django.utils.translation import gettext_lazy as _

from takedown.db import TimeStampedModel


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

    class Meta:
        ordering = ["organisation__name"]

    def __str__(self) -> str:
        return self.organisation.name

    @property
    def name(self) -> str:
        return self.organisation.name


class Seller(TimeStampedModel):
    """A seller account on a platform, known by the platform's id for it.

    ``name`` is the store name; ``contact_name`` and ``contact_email`` are personal
    data and are masked for rights holders.
    """

    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="sellers")
    external_id = models.CharField(max_length=255)
    name = models.CharField(max_length=255, blank=True)
    contact_name = models.CharField(max_length=255, blank=True)
    contact_email = models.EmailField(blank=True)

    class Meta:
        ordering = ["platform", "external_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "external_id"], name="seller_unique_per_platform"
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.external_id


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
    delisted_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When the platform reported the listing gone.")
    )

    objects = ListingQuerySet.as_manager()

    class Meta:
        ordering = ["platform", "external_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "external_id"], name="listing_unique_per_platform"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.external_id}: {self.title[:60]}"
