"""What a platform is told about decisions on its listings, and where it is told.

A decision on a case becomes one PlatformDecision: the platform's numbered
record of it, read by polling ``GET /api/v1/decisions?since=<sequence>`` and
pushed as a signed webhook (one OutboxMessage per active WebhookEndpoint, in
the same transaction). The platform confirms it carried out a removal or a
restriction on the same record.

Endpoints are a model of their own rather than fields on listings.Platform: a
platform may send decisions to more than one system (production and an audit
log), a delivery log must name the endpoint it went to even after the URL
changes, and disabling an endpoint must leave its history.
"""

import secrets
import uuid
from typing import Self

from django.conf import settings
from django.db import models
from django.utils import timezone

from takedown.db import TimeStampedModel


class WebhookEndpoint(TimeStampedModel):
    """An HTTPS URL of a platform that receives its decisions, signed with ``secret``.

    The secret is stored as is, not hashed: signing needs it. It is shown to
    the platform once, when created or rotated, and never on a page again.
    """

    SECRET_PREFIX = "whsec_"

    platform = models.ForeignKey(
        "listings.Platform", on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=100)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    secret_rotated_at = models.DateTimeField(null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    # Why it was disabled when the workbench did it (the receiver answered 410 Gone);
    # empty when the platform's administrator disabled it.
    disabled_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["platform", "-created_at"]

    def __str__(self) -> str:
        state = "" if self.active else " (disabled)"
        return f"{self.url} for {self.platform}{state}"

    @classmethod
    def generate_secret(cls) -> str:
        """256 random bits, prefixed so a leaked secret is recognisable in logs and scanners."""
        return f"{cls.SECRET_PREFIX}{secrets.token_urlsafe(32)}"


class PlatformDecisionQuerySet(models.QuerySet):
    def awaiting_execution(self) -> Self:
        return self.filter(needs_execution=True, executed_at__isnull=True)


class PlatformDecision(models.Model):
    """A decision as the platform hears it: numbered per platform, confirmed when carried out.

    ``sequence`` counts 1, 2, 3, ... per platform and is assigned under a lock
    on the platform's PlatformDecisionSequence row held until commit, so
    sequences become visible in order: a poller that has seen N never later
    finds a new decision numbered below N (an auto-increment id does not
    promise that: a transaction that took id 7 may commit after the one that
    took id 8).
    """

    platform = models.ForeignKey(
        "listings.Platform", on_delete=models.PROTECT, related_name="decisions"
    )
    case = models.ForeignKey(
        "takedown.Case", on_delete=models.PROTECT, related_name="platform_decisions"
    )
    sequence = models.PositiveBigIntegerField()
    # The id receivers deduplicate on: the same in the webhook and in the pull feed.
    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # "case.removed", "case.restricted", "case.rejected", "case.info_requested", ...
    type = models.CharField(max_length=64)
    action = models.CharField(max_length=24)
    # A removal or restriction (or a later restoration) the platform must carry out.
    needs_execution = models.BooleanField(default=False)
    # The body sent, as JSON (what the webhook carries and the pull feed lists).
    payload = models.JSONField()
    occurred_at = models.DateTimeField(default=timezone.now)
    # When the platform says it carried the measure out, and when it told us.
    executed_at = models.DateTimeField(null=True, blank=True)
    execution_confirmed_at = models.DateTimeField(null=True, blank=True)
    execution_note = models.TextField(blank=True)

    objects = PlatformDecisionQuerySet.as_manager()

    class Meta:
        ordering = ["platform", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "sequence"], name="platform_decision_unique_sequence"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.platform} #{self.sequence}: {self.type}"


class PlatformDecisionSequence(models.Model):
    """The last sequence number given to a platform's decisions; its row is the lock."""

    platform = models.OneToOneField(
        "listings.Platform",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
    )
    last = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.platform_id}: {self.last}"
