"""Messages that leave the workbench (emails, platform webhooks), written with the change.

A message is a row written in the transaction of the change that causes it,
so a committed decision always has its messages and a rolled back one has
none. A task delivers it after commit; a periodic sweep delivers those whose
task was lost (broker down at commit), failed and is due for a retry, or whose
worker died while sending (its lease ran out).
``event_id`` is unique per message: receivers use it to drop duplicates.
(A webhook carries its PlatformDecision's event id instead, the same in the
pull feed and at every endpoint; the message's own id names the delivery.)
Every attempt is logged as an OutboxAttempt: when, how long, the HTTP status
and the error, for the console's delivery log.
"""

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from takedown.db import TimeStampedModel


class OutboxMessage(TimeStampedModel):
    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        WEBHOOK = "webhook", _("Platform webhook")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Gave up")

    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    # What the message is about, e.g. "complaint.acknowledged", "case.rejected".
    topic = models.CharField(max_length=64)
    recipient = models.CharField(max_length=500)
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True)
    payload = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # The case or complaint it belongs to, to show it in their history.
    case = models.ForeignKey(
        "takedown.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="messages"
    )
    complaint = models.ForeignKey(
        "takedown.Complaint",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="messages",
    )
    # For webhooks: where it goes and the decision it tells.
    endpoint = models.ForeignKey(
        "takedown.WebhookEndpoint",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="messages",
    )
    decision = models.ForeignKey(
        "takedown.PlatformDecision",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="messages",
    )
    # The HTTP status of the last webhook attempt (None: no answer, or not HTTP).
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    # Set while a worker sends attempt number ``attempts`` (outbox_deliver's
    # lease); the message stays pending. Past this moment the sweep takes it over.
    leased_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="outbox_pending_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.topic} to {self.recipient}: {self.status}"


class OutboxAttempt(models.Model):
    """One try at delivering a message: the delivery log."""

    message = models.ForeignKey(OutboxMessage, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    duration_ms = models.PositiveIntegerField(default=0)
    ok = models.BooleanField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    # The start of the receiver's answer, to show why it refused.
    response_excerpt = models.TextField(blank=True)

    class Meta:
        ordering = ["message", "number"]
        constraints = [
            models.UniqueConstraint(fields=["message", "number"], name="outbox_attempt_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} #{self.number}: {'ok' if self.ok else self.error[:60]}"
