"""Feed ingestion tasks."""

import logging
import os

from celery import shared_task
from django.db import OperationalError

from ..services import feeds

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    name="listings.ingest_feed",
    # Sent after commits, also from web requests: no result to store (one would
    # make a send while Redis is down wait ~20 s for the result store).
    ignore_result=True,
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=8,
    soft_time_limit=3600,
    time_limit=3660,
)
def ingest_feed(self, batch_id: int) -> str:
    """Ingest a feed from its resume point (a redelivered or retried task continues it)."""
    # The pid tells apart two runs of one task (a redelivery while the first still runs).
    worker = f"{self.request.hostname or 'in-process'}:{os.getpid()}:{self.request.id or '-'}"
    batch = feeds.feed_ingest(batch_id=batch_id, worker=worker, task_id=self.request.id)
    if batch is None:
        return "skipped"
    logger.info(
        "feed %s %s: %s lines, %s accepted, %s rejected",
        batch.pk,
        batch.status,
        batch.lines,
        batch.accepted,
        batch.rejected,
    )
    return batch.status


@shared_task(name="listings.resume_stale_feeds", acks_late=True, soft_time_limit=60, time_limit=90)
def resume_stale_feeds() -> int:
    """Re-queue feeds whose queue message or worker was lost (scheduled every minute)."""
    return len(feeds.feeds_resume_stale())
