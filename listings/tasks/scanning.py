"""Scanning tasks: chunks of listings, the sweep of scans left due, retro-scans."""

import logging
import os

from celery import shared_task
from django.db import OperationalError

from takedown.states import RetroScanStatus

from ..services import rescan, scanning

logger = logging.getLogger(__name__)


@shared_task(
    name="listings.scan_listings",
    # Sent after commits, also from web requests: no result to store (one would
    # make a send while Redis is down wait ~20 s for the result store).
    ignore_result=True,
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=8,
    soft_time_limit=600,
    time_limit=660,
)
def scan_listings(listing_ids: list[int]) -> dict[str, int]:
    """Scan a chunk of listings against every right in force (idempotent)."""
    outcome = scanning.listings_scan(listing_ids=listing_ids)
    return vars(outcome)


@shared_task(name="listings.resume_due_scans", acks_late=True, soft_time_limit=120, time_limit=150)
def resume_due_scans() -> int:
    """Queue scans of listings left due: a lost message, a killed worker (every minute)."""
    return scanning.listings_scan_due_resume()


@shared_task(
    bind=True,
    name="listings.retro_scan",
    # Sent after commits, also from web requests: no result to store (one would
    # make a send while Redis is down wait ~20 s for the result store).
    ignore_result=True,
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=8,
    # A slice runs about a minute (scanning.RETRO_SLICE) plus its last chunk.
    soft_time_limit=600,
    time_limit=660,
)
def retro_scan(self, retro_scan_id: int) -> str:
    """Scan stored listings for one right for a slice of time; queue the next slice if any is left."""
    # The pid tells apart two runs of one task (a redelivery while the first still runs).
    worker = f"{self.request.hostname or 'in-process'}:{os.getpid()}:{self.request.id or '-'}"
    retro = scanning.retro_scan_run(
        retro_scan_id=retro_scan_id, worker=worker, task_id=self.request.id
    )
    if retro is None:
        return "skipped"
    if retro.status == RetroScanStatus.RUNNING:
        # Queued after the slice's claim was released (a lost message: the sweep).
        retro_scan.delay(retro.pk)
        logger.info(
            "retro-scan %s: %s of %s listings; next slice queued", retro.pk, retro.done, retro.total
        )
        return "continued"
    logger.info(
        "retro-scan %s %s: %s listings, %s detections",
        retro.pk,
        retro.status,
        retro.done,
        retro.detections,
    )
    return str(retro.status)


@shared_task(name="listings.resume_retro_scans", acks_late=True, soft_time_limit=60, time_limit=90)
def resume_retro_scans() -> int:
    return len(scanning.retro_scans_resume())


@shared_task(
    name="listings.retro_scan_rights_come_into_force",
    acks_late=True,
    soft_time_limit=120,
    time_limit=150,
)
def retro_scan_rights_come_into_force() -> int:
    """Retro-scans for rights whose ``valid_from`` day came (every hour)."""
    return len(scanning.retro_scans_for_rights_come_into_force())


@shared_task(name="listings.engine_rescan", acks_late=True, soft_time_limit=120, time_limit=150)
def engine_rescan() -> int:
    """Mark the next listings stored before the running engine version due (every sweep)."""
    return rescan.engine_rescan_step()
