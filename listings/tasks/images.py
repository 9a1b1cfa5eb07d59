"""Listing image tasks."""

import logging

from celery import shared_task

from ..fetch import FetchTransient
from ..services import images, scanning

logger = logging.getLogger(__name__)

MAX_RETRIES = 5


@shared_task(
    bind=True,
    name="listings.fetch_listing_images",
    # Sent after commits, also from web requests: no result to store (one would
    # make a send while Redis is down wait ~20 s for the result store).
    ignore_result=True,
    acks_late=True,
    autoretry_for=(FetchTransient,),
    # 60 s, 120 s, ... capped at 15 min, jittered: about half an hour in all,
    # long enough for a CDN's bad minute, short enough to give up the same day.
    retry_backoff=60,
    retry_backoff_max=900,
    retry_jitter=True,
    max_retries=MAX_RETRIES,
    # A listing has a handful of images; each fetch is bounded by the fetch timeout.
    soft_time_limit=300,
    time_limit=360,
)
def fetch_listing_images(self, image_ids: list[int]) -> dict[str, int]:
    """Fetch the images of a listing (sent after the feed chunk that created them commits).

    Every image is tried before a transient failure retries the task; a retry
    runs all ids again, and the ones no longer pending return at once.
    """
    done = images.listing_images_fetch(image_ids=image_ids)
    counts = {"fetched": 0, "failed": 0, "retry": 0, "missing": len(done.missing)}
    retrying = {image_id for image_id, _exc in done.transient}
    listing_ids: set[int] = set()
    for image in done.images.values():
        listing_ids.add(image.listing_id)
        if image.pk not in retrying:
            counts[str(image.status)] = counts.get(str(image.status), 0) + 1
    transient = done.transient
    if transient and self.request.retries >= MAX_RETRIES:
        for failed_id, error in transient:
            images.listing_image_fail(
                image_id=failed_id, reason=f"gave up after {MAX_RETRIES + 1} attempts: {error}"
            )
        counts["failed"] += len(transient)
        transient = []
    counts["retry"] = len(transient)
    logger.info(
        "listing images %s..%s (%s): %s",
        min(image_ids, default=None),
        max(image_ids, default=None),
        len(image_ids),
        counts,
    )
    _scan_settled(listing_ids)
    if transient:
        raise transient[0][1]
    return counts


@shared_task(
    name="listings.resume_pending_images", acks_late=True, soft_time_limit=120, time_limit=150
)
def resume_pending_images() -> int:
    """Re-queue images left pending (scheduled every five minutes)."""
    return images.listing_images_resume_pending()


def _scan_settled(listing_ids: set[int]) -> None:
    """Scan, here and now, the listings whose last image just settled (fetched or failed).

    Their scan is marked due first, so if the scan fails (or this worker dies)
    the sweep scans them; a failed scan never fails the image task.
    """
    settled = scanning.listings_with_images_settled(listing_ids)
    if not settled:
        return
    scanning.listings_mark_due(settled)
    try:
        scanning.listings_scan(listing_ids=settled)
    except Exception:
        logger.warning(
            "scan of %s listings failed; the sweep will retry", len(settled), exc_info=True
        )
