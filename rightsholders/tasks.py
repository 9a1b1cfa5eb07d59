"""Periodic upkeep of the rights registry."""

import logging

from celery import shared_task
from django.db import transaction

from . import services
from .models import RightEvent

logger = logging.getLogger(__name__)


@shared_task(
    name="rightsholders.expire_due_rights", acks_late=True, soft_time_limit=600, time_limit=660
)
def expire_due_rights() -> int:
    """Expire every right past its validity date (scheduled hourly by Celery beat)."""
    expired = services.rights_expire_due()
    logger.info("expired %d right(s) past their validity date", expired)
    return expired


@shared_task(name="rightsholders.notify_right_status", acks_late=True, time_limit=90)
def notify_right_status(event_id: int) -> int:
    """Queue a right's status notice (a task name kept for messages queued before the outbox).

    Right status notices are now written to the outbox with the change itself
    (``services.right_event_notify``); a task of this name still in the broker
    after an upgrade queues its notice there.
    """
    event = (
        RightEvent.objects.select_related("right__rights_holder", "right__submitted_by")
        .filter(pk=event_id)
        .first()
    )
    if event is None:
        return 0
    with transaction.atomic():
        queued = services.right_event_notify(event)
    logger.info("right event %s: %d notification(s) queued", event_id, queued)
    return queued
