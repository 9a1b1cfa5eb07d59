"""Periodic upkeep of the rights registry."""

import logging

from celery import shared_task

from . import services

logger = logging.getLogger(__name__)


@shared_task(
    name="rightsholders.expire_due_rights", acks_late=True, soft_time_limit=600, time_limit=660
)
def expire_due_rights() -> int:
    """Expire every right past its validity date (scheduled hourly by Celery beat)."""
    expired = services.rights_expire_due()
    logger.info("expired %d right(s) past their validity date", expired)
    return expired


@shared_task(
    name="rightsholders.notify_right_status",
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=60,
    time_limit=90,
)
def notify_right_status(event_id: int) -> int:
    """Email the rights holder what a moderator decided about its right (sent after commit)."""
    sent = services.right_event_notify(event_id=event_id)
    logger.info("right event %s: %d notification(s) sent", event_id, sent)
    return sent
