"""Queue messages with the change that causes them; deliver them after commit, retrying.

A delivery leases its message (``outbox_deliver``): claim, send with no
transaction open, record. A lease whose worker died runs out and the sweep
(``outbox_resume``) sends the message again with the same event id, which
receivers use to drop a duplicate (webhooks: ``X-Takedown-Event-Id`` and the
body's ``id``; e-mails: the same ``X-Takedown-Event-Id`` and a ``Message-ID``
made from it, on which mail stores and clients drop a copy they already hold).

Every attempt is logged (OutboxAttempt): when, how long, the receiver's HTTP
status and answer, or the error. A webhook to an endpoint disabled since the
message was queued, or answered 410 Gone (which disables the endpoint), is
given up at once; every other failure is retried.
"""

import datetime
import logging
import time
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from takedown.models import Case, Complaint, OutboxAttempt, OutboxMessage

from .webhooks import WebhookGone, webhook_endpoint_gone, webhook_send

logger = logging.getLogger(__name__)

# Retries back off: 1, 2, 4, ... minutes, capped at an hour; then give up after a day's worth.
MAX_ATTEMPTS = 12
BACKOFF_CAP = datetime.timedelta(hours=1)
# The start of a receiver's answer kept in the delivery log.
RESPONSE_EXCERPT_CHARS = 1000
# The delivery task's hard time limit (takedown.tasks): no worker's send outlives it.
DELIVER_TIME_LIMIT_SECONDS = 90
# Added to a lease for the claim's and the record's transactions around the send.
LEASE_MARGIN = datetime.timedelta(seconds=30)


def email_queue(
    *,
    topic: str,
    to: str,
    subject: str,
    body: str,
    case: Case | None = None,
    complaint: Complaint | None = None,
) -> OutboxMessage:
    """Write an email to the outbox in the caller's transaction; it is sent after commit."""
    message = OutboxMessage.objects.create(
        channel=OutboxMessage.Channel.EMAIL,
        topic=topic,
        recipient=to,
        subject=subject[:300],
        body=body,
        case=case,
        complaint=complaint,
    )
    transaction.on_commit(partial(queue_delivery, message.pk))
    return message


def queue_delivery(message_id: int) -> None:
    """Hand a committed message to a worker; if the broker is down the sweep will."""
    from takedown.tasks import deliver_outbox_message

    try:
        # No result is stored: with one, a send while Redis is down first waits
        # ~20 s for the result store's reconnection (found by tests/faults), so
        # a decision's request hung ~20 s for each of its messages.
        deliver_outbox_message.apply_async((message_id,), ignore_result=True)
    except Exception:
        logger.warning(
            "could not queue outbox message %s; the sweep will", message_id, exc_info=True
        )


@dataclass(frozen=True)
class _Sent:
    status_code: int | None = None
    excerpt: str = ""


def outbox_deliver(*, message_id: int) -> OutboxMessage | None:
    """Send one due message under a lease; record the outcome; on failure schedule a retry.

    Three steps, so that no transaction or row lock is held while a slow
    receiver keeps the connection open: claim the message (a conditional
    update, committed at once: one more attempt, ``leased_until`` set),
    send with no transaction open, then record the outcome in a second short
    transaction, only if the lease is still ours (the message is still
    pending at this attempt number). A worker that dies between the send and
    the record leaves the lease to expire; the sweep then sends again, with
    the same event id, so a receiver drops the duplicate: delivery is at
    least once, and exactly once unless a worker dies mid-send.
    Returns None when there is nothing to send (sent, given up, not due, or
    leased by another worker).
    """
    claimed = _claim(message_id)
    if claimed is None:
        return None
    message, lease_end = claimed
    started_at = timezone.now()
    clock = time.monotonic()
    try:
        sent = _send(message)
    except Exception as exc:  # noqa: BLE001 - any failure is retried, and recorded
        return _record(message, lease_end, started_at, clock, failure=exc)
    return _record(message, lease_end, started_at, clock, sent=sent)


def lease_duration() -> datetime.timedelta:
    """How long a claimed message is left to its worker before the sweep takes it over.

    Longer than any send can last: a webhook is two connections at most
    (``webhook_send`` tries once more on a dropped kept-alive connection),
    each with a connect and a read timeout; a worker's send is also cut by the
    delivery task's hard time limit. LEASE_MARGIN covers the two short
    transactions around the send.
    """
    webhook = 4 * float(settings.TAKEDOWN_WEBHOOK_TIMEOUT_SECONDS)
    return datetime.timedelta(seconds=max(webhook, DELIVER_TIME_LIMIT_SECONDS)) + LEASE_MARGIN


def _claim(message_id: int) -> tuple[OutboxMessage, datetime.datetime] | None:
    """Take the lease of a due message: (the message, the lease's end), or None.

    One conditional UPDATE, a transaction of its own in autocommit: two
    workers racing for one message claim it once (PostgreSQL re-checks the
    condition on the row the first one updated), and the claim is committed
    before the send. The row is read after it; nobody else changes a leased
    message until the lease runs out. ``next_attempt_at`` moves to the
    lease's end too, so the sweep's due query finds a message whose worker
    died once its lease has run out.
    """
    now = timezone.now()
    lease_end = now + lease_duration()
    claimed = (
        OutboxMessage.objects.filter(
            pk=message_id,
            status=OutboxMessage.Status.PENDING,
            # Not before its time: a duplicate task must not skip the backoff.
            next_attempt_at__lte=now,
        )
        .filter(Q(leased_until__isnull=True) | Q(leased_until__lte=now))
        .update(
            attempts=F("attempts") + 1,
            leased_until=lease_end,
            next_attempt_at=lease_end,
            updated_at=now,
        )
    )
    if not claimed:
        return None  # sent already, given up, not due, or leased by another worker
    # The endpoint is loaded by webhook_send when it needs it: an e-mail has none.
    message = OutboxMessage.objects.get(pk=message_id)
    return message, lease_end


def _record(
    message: OutboxMessage,
    lease_end: datetime.datetime,
    started_at: datetime.datetime,
    clock: float,
    *,
    sent: _Sent | None = None,
    failure: Exception | None = None,
) -> OutboxMessage:
    """Write the attempt to the delivery log and, if the lease is still ours, its outcome."""
    duration_ms = int((time.monotonic() - clock) * 1000)
    number = message.attempts
    status_code: int | None = getattr(sent if sent is not None else failure, "status_code", None)
    now = timezone.now()
    changes: dict[str, object] = {"leased_until": None, "updated_at": now}
    if sent is not None:
        changes.update(
            status=OutboxMessage.Status.SENT,
            sent_at=now,
            last_error="",
            last_status_code=status_code,
        )
        error, excerpt = "", sent.excerpt
    else:
        error = f"{type(failure).__name__}: {failure}"[:2000]
        excerpt = getattr(failure, "excerpt", "")
        changes.update(last_error=error, last_status_code=status_code)
        if isinstance(failure, WebhookGone) or number >= MAX_ATTEMPTS:
            changes["status"] = OutboxMessage.Status.FAILED
        else:
            delay = min(BACKOFF_CAP, datetime.timedelta(minutes=2 ** (number - 1)))
            changes["next_attempt_at"] = now + delay
        logger.warning("outbox message %s failed: %s", message.pk, error)
    with transaction.atomic():
        ours = OutboxMessage.objects.filter(
            pk=message.pk,
            status=OutboxMessage.Status.PENDING,
            attempts=number,
            leased_until=lease_end,
        ).update(**changes)
        if ours:
            for name, value in changes.items():
                setattr(message, name, value)
            if (
                isinstance(failure, WebhookGone)
                and failure.status_code == 410
                and message.endpoint_id
            ):
                webhook_endpoint_gone(endpoint_id=message.endpoint_id, reason=str(failure))
        else:
            # The lease ran out and another worker took the message over: its
            # outcome counts; this attempt is only logged.
            logger.warning(
                "outbox message %s: attempt %s ended after its lease; outcome not recorded",
                message.pk,
                number,
            )
            message.refresh_from_db()
        OutboxAttempt.objects.create(
            message=message,
            number=number,
            started_at=started_at,
            duration_ms=duration_ms,
            ok=sent is not None,
            status_code=status_code,
            error=error,
            response_excerpt=excerpt[:RESPONSE_EXCERPT_CHARS],
        )
    return message


def _send(message: OutboxMessage) -> _Sent:
    if message.channel == OutboxMessage.Channel.EMAIL:
        email_send(message)
        return _Sent()
    if message.channel == OutboxMessage.Channel.WEBHOOK:
        response = webhook_send(message)
        return _Sent(status_code=response.status_code, excerpt=response.excerpt)
    raise ValueError(f"no channel {message.channel!r}")


def email_send(message: OutboxMessage) -> None:
    """Send an e-mail message through Django's mail backend; raise on failure."""
    EmailMessage(
        message.subject,
        message.body,
        settings.DEFAULT_FROM_EMAIL,
        [message.recipient],
        headers=email_headers(message),
    ).send(fail_silently=False)


def email_headers(message: OutboxMessage) -> dict[str, str]:
    """Return the headers that make a resent e-mail the same message as the first send.

    The Message-ID is the event id's at the sender's domain, so a copy sent
    again after a lease ran out carries the Message-ID of the first.
    """
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip(" >") or "localhost"
    return {
        "Message-ID": f"<{message.event_id}@{domain}>",
        "X-Takedown-Event-Id": str(message.event_id),
    }


def outbox_resume(*, limit: int = 1000) -> int:
    """Queue pending messages that are due (a lost task, a retry's time, a lease run out): the sweep."""
    ids = list(
        OutboxMessage.objects.filter(
            status=OutboxMessage.Status.PENDING, next_attempt_at__lte=timezone.now()
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in ids:
        queue_delivery(pk)
    return len(ids)
