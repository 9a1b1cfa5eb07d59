"""Queue messages with the change that causes them; deliver them after commit, retrying.

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
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from takedown.models import Case, Complaint, OutboxAttempt, OutboxMessage

from .webhooks import WebhookGone, webhook_endpoint_gone, webhook_send

logger = logging.getLogger(__name__)

# Retries back off: 1, 2, 4, ... minutes, capped at an hour; then give up after a day's worth.
MAX_ATTEMPTS = 12
BACKOFF_CAP = datetime.timedelta(hours=1)
# The start of a receiver's answer kept in the delivery log.
RESPONSE_EXCERPT_CHARS = 1000


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


def outbox_deliver(*, message_id: int) -> OutboxMessage | None:
    """Send one pending message; on failure schedule the next attempt. Idempotent."""
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            # Not before its time: a duplicate task must not skip the backoff.
            .filter(
                pk=message_id,
                status=OutboxMessage.Status.PENDING,
                next_attempt_at__lte=timezone.now(),
            )
            .first()
        )
        if message is None:
            return None  # sent already, given up, or being sent by another worker
        message.attempts += 1
        started_at = timezone.now()
        clock = time.monotonic()
        attempt = _Attempt(number=message.attempts)
        try:
            sent = _send(message)
        except Exception as exc:  # noqa: BLE001 - any failure is retried, and recorded
            message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            message.last_status_code = getattr(exc, "status_code", None)
            attempt.error = message.last_error
            attempt.excerpt = getattr(exc, "excerpt", "")
            if isinstance(exc, WebhookGone) or message.attempts >= MAX_ATTEMPTS:
                message.status = OutboxMessage.Status.FAILED
                if isinstance(exc, WebhookGone) and exc.status_code == 410 and message.endpoint_id:
                    webhook_endpoint_gone(endpoint_id=message.endpoint_id, reason=str(exc))
            else:
                delay = min(BACKOFF_CAP, datetime.timedelta(minutes=2 ** (message.attempts - 1)))
                message.next_attempt_at = timezone.now() + delay
            logger.warning("outbox message %s failed: %s", message.pk, message.last_error)
        else:
            message.status = OutboxMessage.Status.SENT
            message.sent_at = timezone.now()
            message.last_error = ""
            message.last_status_code = sent.status_code
            attempt.ok = True
            attempt.excerpt = sent.excerpt
        message.save(
            update_fields=[
                "status",
                "attempts",
                "next_attempt_at",
                "sent_at",
                "last_error",
                "last_status_code",
                "updated_at",
            ]
        )
        OutboxAttempt.objects.create(
            message=message,
            number=attempt.number,
            started_at=started_at,
            duration_ms=int((time.monotonic() - clock) * 1000),
            ok=attempt.ok,
            status_code=message.last_status_code,
            error=attempt.error,
            response_excerpt=attempt.excerpt[:RESPONSE_EXCERPT_CHARS],
        )
    return message


@dataclass
class _Attempt:
    number: int
    ok: bool = False
    error: str = ""
    excerpt: str = ""


@dataclass(frozen=True)
class _Sent:
    status_code: int | None = None
    excerpt: str = ""


def _send(message: OutboxMessage) -> _Sent:
    if message.channel == OutboxMessage.Channel.EMAIL:
        send_mail(
            message.subject,
            message.body,
            settings.DEFAULT_FROM_EMAIL,
            [message.recipient],
            fail_silently=False,
        )
        return _Sent()
    if message.channel == OutboxMessage.Channel.WEBHOOK:
        response = webhook_send(message)
        return _Sent(status_code=response.status_code, excerpt=response.excerpt)
    raise ValueError(f"no channel {message.channel!r}")


def outbox_resume(*, limit: int = 1000) -> int:
    """Queue pending messages that are due (a lost task, a retry's time): the sweep."""
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
