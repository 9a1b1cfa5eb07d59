"""Re-scan the listings stored before the running engine version, in the background.

Detections are stored per engine version and the pages and the dashboard show
the running version's, so after ENGINE_VERSION is bumped every listing stored
before needs a scan by the new engine. Marking them all due in one UPDATE
would rewrite every listing row at once (30 million listings arrive a day at
the target scale) and queue more scans than the workers can take. Instead
each run of the sweep (every TAKEDOWN_SWEEP_SECONDS, listings.engine_rescan)
marks the next listings due in id order, RESCAN_CHUNK to a transaction, up to
RESCAN_PER_SWEEP a run, and queues their scans; it marks none while more than
RESCAN_DUE_CEILING listings are due already (the scanners are behind: new
listings first). A scan lost on the way is queued again by the due-scan sweep
(listings_scan_due_resume), as any other.

Progress is one EngineRescan row a version: resumable (the cursor moves in the
transaction that marks), idempotent (a second sweep at the same time skips the
locked row; a listing already due is left to its own scan), and finished once
the cursor passes the last listing stored when the version first ran.
"""

import datetime
import logging

from django.db import transaction
from django.utils import timezone

from listings.matching import ENGINE_VERSION
from listings.models import Detection, EngineRescan, Listing
from listings.services.scanning import listings_scan_queue

logger = logging.getLogger(__name__)

# Listings marked in one transaction: ten scan tasks (scanning.SCAN_CHUNK each).
RESCAN_CHUNK = 5_000
# Listings marked a sweep run at most: 50,000 a minute is 72 million a day,
# over twice the target's daily arrivals, so a re-scan is paced by the
# scanners (RESCAN_DUE_CEILING), not by the sweep.
RESCAN_PER_SWEEP = 50_000
# No marking while this many listings are due: about two and a half minutes of
# scanning at the ~350 listings/s measured on two cores (docs/reliability.md),
# so the re-scan fills the scanners' idle time and never builds a backlog that
# would hold up new listings or make queued scans look lost to the sweep.
RESCAN_DUE_CEILING = 50_000


def engine_rescan_open(*, engine_version: str = ENGINE_VERSION) -> EngineRescan:
    """Return the re-scan of this engine version, created the first time the version runs.

    A database that never recorded a version (a new one, or one upgraded to
    this code) has its listings taken as scanned by the running version, its
    row started finished, unless a detection of another version shows an
    older engine scanned them (read once, at the first sweep). Every later
    version re-scans the listings stored before it.
    """
    rescan = EngineRescan.objects.filter(engine_version=engine_version).first()
    if rescan is not None:
        return rescan
    until_id = Listing.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    baseline = (
        not EngineRescan.objects.exists()
        and not Detection.objects.exclude(engine_version=engine_version).exists()
    )
    rescan, created = EngineRescan.objects.get_or_create(
        engine_version=engine_version,
        defaults={
            "until_id": until_id,
            "next_id": until_id + 1 if baseline else 0,
            "finished_at": timezone.now() if baseline else None,
        },
    )
    if created and not baseline:
        logger.info(
            "engine %s: re-scan of the listings up to id %s started", engine_version, until_id
        )
    return rescan


def engine_rescan_step(
    *,
    engine_version: str = ENGINE_VERSION,
    chunk: int = RESCAN_CHUNK,
    budget: int = RESCAN_PER_SWEEP,
    due_ceiling: int = RESCAN_DUE_CEILING,
) -> int:
    """Mark the next listings of this version's re-scan due and queue their scans.

    Returns how many listings were marked (0 when the re-scan is finished,
    held by another sweep, or waiting for the scanners).
    """
    if chunk < 1 or budget < 1 or due_ceiling < 1:
        raise ValueError("chunk, budget and due_ceiling must be at least 1.")
    rescan: EngineRescan | None = engine_rescan_open(engine_version=engine_version)
    marked = 0
    while rescan is not None and rescan.finished_at is None and marked < budget:
        due = Listing.objects.filter(scan_due_at__isnull=False).order_by()[:due_ceiling].count()
        if due >= due_ceiling:
            break
        ids, rescan = _mark_chunk(rescan.pk, min(chunk, budget - marked))
        listings_scan_queue(ids)
        marked += len(ids)
    return marked


def _mark_chunk(pk: int, size: int) -> tuple[list[int], EngineRescan | None]:
    """Mark the next ``size`` live listings due that are not due already; move the cursor.

    Returns the listings marked and the re-scan as it now is (None when
    another sweep holds its row).
    """
    now = timezone.now()
    with transaction.atomic():
        rescan = EngineRescan.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
        if rescan is None or rescan.finished_at is not None:
            return [], None
        window = list(
            Listing.objects.filter(
                pk__gte=rescan.next_id, pk__lte=rescan.until_id, delisted_at=None
            )
            .order_by("pk")
            .values_list("pk", "scan_due_at")[:size]
        )
        ids = [listing_id for listing_id, due in window if due is None]
        if ids:
            Listing.objects.filter(pk__in=ids, scan_due_at=None).update(scan_due_at=now)
        rescan.marked += len(ids)
        if len(window) < size:
            rescan.next_id, rescan.finished_at = rescan.until_id + 1, now
            logger.info(
                "engine %s: re-scan marked its last listings (%s in all)",
                rescan.engine_version,
                rescan.marked,
            )
        else:
            rescan.next_id = window[-1][0] + 1
        rescan.save(update_fields=["next_id", "marked", "finished_at", "updated_at"])
    return ids, rescan


def engine_rescan_progress(rescan: EngineRescan) -> str:
    """Say where a re-scan is, for the command and the logs."""
    if rescan.finished_at is not None:
        return (
            f"engine {rescan.engine_version}: finished {rescan.finished_at:%Y-%m-%d %H:%M} UTC, "
            f"{rescan.marked} listings marked due"
        )
    started = rescan.created_at.astimezone(datetime.UTC)
    return (
        f"engine {rescan.engine_version}: started {started:%Y-%m-%d %H:%M} UTC, next listing "
        f"{rescan.next_id} of {rescan.until_id}, {rescan.marked} marked due"
    )
