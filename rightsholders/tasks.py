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
