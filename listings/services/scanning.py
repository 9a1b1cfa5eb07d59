"""Scan listings against the rights in force and keep their Detections.

Each worker process holds one matching index (the text index of every word
mark, the image index of every logo and design view) and rebuilds it only when
the rights revision changes (rightsholders.selectors.rights_revision, bumped
in the transaction of every change of a right's status). Building decodes no
image: registered images' hashes are stored with them (RightImage.match_hashes)
and listing images' view hashes with their blobs (ImageBlob.view_hashes).

A scan reads a chunk of listings, matches each (text and images), drops
rights whose authorised seller sells the listing, and writes the chunk's
Detections in one transaction: created, updated, or cleared when a listing no
longer matches. Rows are unique per (listing, right, engine version), so a
redelivered chunk, a duplicate message or a worker killed mid-chunk never
duplicates or loses one. The same transaction clears each listing's
``scan_due_at`` if nothing changed it since it was read; listings left due are
re-queued by the sweep (listings_scan_due_resume).
"""

import datetime
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from listings.matching import ENGINE_VERSION, IMAGE_HASH_VERSION
from listings.matching.categories import category_classes
from listings.matching.image_index import ImageIndex, listing_view_hashes, registered_hashes
from listings.matching.stored import (
    decode_registered,
    decode_views,
    encode_registered,
    encode_views,
)
from listings.matching.text import ListingContext, MarkSpec, TextIndex
from listings.models import (
    Detection,
    DetectionDismissal,
    ImageBlob,
    Listing,
    ListingImage,
    RetroScan,
)
from rightsholders.models import AuthorisedSeller, Right, RightImage
from rightsholders.selectors import rights_revision
from takedown.states import DetectionStatus, ImageStatus, RetroScanStatus, RightStatus

logger = logging.getLogger(__name__)

# Listings per scan task: a chunk is one transaction of detections.
SCAN_CHUNK = 500
# An index of more rights than this filters a chunk's existing detections by
# right in Python: an IN list of every right in force (20,000 in the
# end-to-end bench) cost ~0.4 s a chunk to send and plan.
RIGHTS_IN_QUERY = 100


# Stored hashes -----------------------------------------------------------------


def right_image_hash(image: RightImage) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint64]]:
    """Return a registered image's variant hashes, computing and storing them if missing or stale."""
    if image.match_hashes is not None and image.match_engine == IMAGE_HASH_VERSION:
        return decode_registered(bytes(image.match_hashes))
    with image.file.open("rb") as handle:
        data = handle.read()
    variants, hashes = registered_hashes(data)
    stored = encode_registered(variants, hashes)
    RightImage.objects.filter(pk=image.pk).update(
        match_hashes=stored, match_engine=IMAGE_HASH_VERSION
    )
    image.match_hashes, image.match_engine = stored, IMAGE_HASH_VERSION
    return variants, hashes


def blob_view_hashes(
    blob_id: int, stored: Mapping[str, Any]
) -> tuple[list[str], npt.NDArray[np.uint64]]:
    """A blob's view hashes; older blobs get them from their thumbnail, stored for next time."""
    decoded = decode_views(stored)
    if decoded is not None:
        return decoded
    blob = ImageBlob.objects.get(pk=blob_id)
    with blob.thumbnail.open("rb") as handle:
        views, hashes = listing_view_hashes(handle.read())
    ImageBlob.objects.filter(pk=blob_id).update(view_hashes=encode_views(views, hashes))
    return views, hashes


# The matching index ----------------------------------------------------------


@dataclass(frozen=True)
class RightFacts:
    rights_holder_id: int
    reference_price: Decimal | None
    reference_currency: str


@dataclass
class MatchingIndex:
    """Everything a worker matches listings with, for one rights revision."""

    revision: str
    text: TextIndex
    images: ImageIndex
    rights: dict[int, RightFacts]
    # Reference prices by currency, one mapping per currency shared by every listing.
    reference_prices: dict[str, dict[int, Decimal]] = field(default_factory=dict)
    build_seconds: float = 0.0

    @property
    def right_ids(self) -> frozenset[int]:
        return frozenset(self.rights)


class _RightRow(NamedTuple):
    """The fields of a right an index is built from (a whole Right row costs ~10 times as much)."""

    pk: int
    mark_text: str
    ordinary_word: bool
    nice_classes: list[int] | None
    rights_holder_id: int
    reference_price: Decimal | None
    reference_currency: str


def build_index(rights: Iterable[Right], *, revision: str = "") -> MatchingIndex:
    """Build a matching index of ``rights`` (their images' hashes computed only if missing).

    A queryset is read as plain values, and its images' stored hashes as bytes:
    20,000 rights in force were ~1.9 s of a worker's index build as model
    instances (every field loaded and converted), most of the build.
    """
    started = time.perf_counter()
    if isinstance(rights, QuerySet):
        rows = [_RightRow(*row) for row in rights.values_list(*_RightRow._fields)]
        images_of = RightImage.objects.filter(right__in=rights.values("pk"))
    else:
        rows = [_RightRow(*(getattr(r, f) for f in _RightRow._fields)) for r in rights]
        images_of = RightImage.objects.filter(right__in=[r.pk for r in rows])
    marks = [
        MarkSpec(
            right_id=r.pk,
            text=r.mark_text,
            ordinary_word=r.ordinary_word,
            classes=frozenset(int(c) for c in r.nice_classes or ()),
        )
        for r in rows
        if r.mark_text.strip()
    ]
    image_index = ImageIndex.from_hashes(
        (right_id, pk, *_stored_right_image_hash(pk, stored, engine))
        for right_id, pk, stored, engine in images_of.order_by("pk")
        .values_list("right_id", "pk", "match_hashes", "match_engine")
        .iterator()
    )
    facts = {
        r.pk: RightFacts(r.rights_holder_id, r.reference_price, r.reference_currency) for r in rows
    }
    prices: dict[str, dict[int, Decimal]] = defaultdict(dict)
    for pk, fact in facts.items():
        if fact.reference_price is not None and fact.reference_currency:
            prices[fact.reference_currency][pk] = fact.reference_price
    return MatchingIndex(
        revision=revision,
        text=TextIndex.build(marks),
        images=image_index,
        rights=facts,
        reference_prices=dict(prices),
        build_seconds=time.perf_counter() - started,
    )


def _stored_right_image_hash(
    pk: int, stored: bytes | memoryview | None, engine: str
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint64]]:
    """A registered image's variant hashes from its stored bytes, or computed (and stored) if stale."""
    if stored is not None and engine == IMAGE_HASH_VERSION:
        return decode_registered(bytes(stored))
    return right_image_hash(RightImage.objects.get(pk=pk))


_INDEX: MatchingIndex | None = None
_INDEX_LOCK = threading.Lock()


def matching_index() -> MatchingIndex:
    """This process's index of every right in force, rebuilt when the rights revision moves."""
    global _INDEX
    revision = rights_revision()
    with _INDEX_LOCK:
        if _INDEX is None or _INDEX.revision != revision:
            _INDEX = build_index(Right.objects.in_force(), revision=revision)
            logger.info(
                "matching index %s built in %.2f s: %s rights, %s marks, %s images",
                revision,
                _INDEX.build_seconds,
                len(_INDEX.rights),
                len(_INDEX.text),
                len(_INDEX.images),
            )
        return _INDEX


def forget_matching_index() -> None:
    """Drop this process's index (tests; the next scan rebuilds it)."""
    global _INDEX
    with _INDEX_LOCK:
        _INDEX = None


# Scanning ----------------------------------------------------------------------


@dataclass
class Found:
    """What one scan found for one (listing, right)."""

    signals: list[dict[str, Any]] = field(default_factory=list)
    text_score: float | None = None
    image_score: float | None = None

    @property
    def score(self) -> float:
        # Independent signals agreeing make a match more certain: 1 - (1 - t)(1 - i).
        missing = 1.0
        for score in (self.text_score, self.image_score):
            if score is not None:
                missing *= 1.0 - score
        return round(1.0 - missing, 4)


@dataclass
class ScanOutcome:
    scanned: int = 0
    created: int = 0
    updated: int = 0
    cleared: int = 0
    skipped_authorised: int = 0


def match_listing(
    index: MatchingIndex,
    listing: Listing,
    images: Sequence[tuple[int, int, str, tuple[list[str], npt.NDArray[np.uint64]]]],
) -> dict[int, Found]:
    """Match one listing's text and fetched images; return what was found by right id.

    ``images``: (listing image id, position, url, view hashes) of each fetched image.
    """
    found: dict[int, Found] = {}
    context = ListingContext(
        category_classes=category_classes(listing.category),
        price=listing.price,
        reference_prices=index.reference_prices.get(listing.currency, {}),
    )
    for text_match in index.text.match(
        listing.title, listing.description, brand=listing.brand, context=context
    ):
        entry = found.setdefault(text_match.right_id, Found())
        entry.text_score = text_match.score
        entry.signals.append(
            {"signal": "text", "score": text_match.score, "evidence": text_match.evidence}
        )
    best_image: dict[int, dict[str, Any]] = {}
    for listing_image_id, position, url, (views, hashes) in images:
        for image_match in index.images.search_hashes(views, hashes):
            held = best_image.get(image_match.right_id)
            if held is None or image_match.score > held["score"]:
                best_image[image_match.right_id] = {
                    "signal": "image",
                    "score": image_match.score,
                    "evidence": {
                        **image_match.evidence,
                        "listing_image": listing_image_id,
                        "listing_image_position": position,
                        "listing_image_url": url,
                    },
                }
    for right_id, signal in best_image.items():
        entry = found.setdefault(right_id, Found())
        entry.image_score = signal["score"]
        entry.signals.append(signal)
    return found


def _authorised(listings: Sequence[Listing]) -> dict[tuple[int, str], list[tuple[int, set[int]]]]:
    """(platform, seller external id) -> [(rights holder, right ids or empty for all)]."""
    pairs = {
        (listing.platform_id, listing.seller.external_id)
        for listing in listings
        if listing.seller is not None
    }
    if not pairs:
        return {}
    # Two IN lists, the pairs checked here: an OR of one clause per seller took
    # ~40 ms a chunk of 100 listings to build and plan.
    candidates = AuthorisedSeller.objects.filter(
        platform_id__in={platform_id for platform_id, _ in pairs},
        seller_external_id__in={external_id for _, external_id in pairs},
    ).prefetch_related("rights")
    out: dict[tuple[int, str], list[tuple[int, set[int]]]] = defaultdict(list)
    for seller in candidates:
        key = (seller.platform_id, seller.seller_external_id)
        if key in pairs:
            out[key].append((seller.rights_holder_id, {r.pk for r in seller.rights.all()}))
    return out


def _is_authorised(
    authorised: Mapping[tuple[int, str], list[tuple[int, set[int]]]],
    listing: Listing,
    right_id: int,
    facts: RightFacts,
) -> bool:
    if listing.seller is None:
        return False
    for holder_id, right_ids in authorised.get(
        (listing.platform_id, listing.seller.external_id), ()
    ):
        if holder_id == facts.rights_holder_id and (not right_ids or right_id in right_ids):
            return True
    return False


def _listing_images(listing_ids: Sequence[int]) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = defaultdict(list)
    rows = (
        ListingImage.objects.filter(listing_id__in=listing_ids, status=ImageStatus.FETCHED)
        .order_by("listing_id", "position")
        .values_list("listing_id", "pk", "position", "url", "blob_id", "blob__view_hashes")
    )
    for listing_id, pk, position, url, blob_id, stored in rows:
        out[listing_id].append((pk, position, url, blob_view_hashes(blob_id, stored)))
    return out


def listings_scan(
    *,
    listing_ids: Sequence[int],
    index: MatchingIndex | None = None,
    in_transaction: Callable[[ScanOutcome], None] | None = None,
) -> ScanOutcome:
    """Scan these listings and store what was found; return the counts.

    With ``index`` (a retro-scan's index of one right), only that index's rights
    are created, updated or cleared, and the listings' ``scan_due_at`` is left
    alone: a full scan is still due if one was. ``in_transaction`` runs in the
    transaction that stores the detections (a retro-scan advances its cursor).
    """
    full = index is None
    index = index or matching_index()
    outcome = ScanOutcome()
    listings = list(
        Listing.objects.filter(pk__in=listing_ids)
        .select_related("seller")
        .only(
            "pk",
            "platform_id",
            "title",
            "description",
            "brand",
            "category",
            "price",
            "currency",
            "content_hash",
            "delisted_at",
            "scan_due_at",
            "seller__external_id",
        )
    )
    live = [listing for listing in listings if listing.delisted_at is None]
    images = _listing_images([listing.pk for listing in live])
    authorised = _authorised(live)
    found: dict[tuple[int, int], Found] = {}
    for listing in live:
        for right_id, entry in match_listing(index, listing, images.get(listing.pk, ())).items():
            if _is_authorised(authorised, listing, right_id, index.rights[right_id]):
                outcome.skipped_authorised += 1
                continue
            found[(listing.pk, right_id)] = entry
    with transaction.atomic():
        # Lock the chunk's listings and keep only those nothing changed since they
        # were read: a later scan of newer content may have stored already, and
        # this older result must not overwrite it (the changed ones stay due).
        now_state = {
            pk: (content_hash, due)
            for pk, content_hash, due in Listing.objects.select_for_update()
            .filter(pk__in=[listing.pk for listing in listings])
            .order_by("pk")
            .values_list("pk", "content_hash", "scan_due_at")
        }
        current = [
            listing
            for listing in listings
            if listing.pk in now_state
            and now_state[listing.pk][0] == listing.content_hash
            and (not full or now_state[listing.pk][1] in (None, listing.scan_due_at))
        ]
        kept = {listing.pk for listing in current if listing.delisted_at is None}
        found = {key: entry for key, entry in found.items() if key[0] in kept}
        outcome.scanned = len(kept)
        hashes = {listing.pk: listing.content_hash for listing in live if listing.pk in kept}
        _store(found, sorted(kept), hashes, index, outcome)
        if full:
            _clear_due(current)
        if in_transaction is not None:
            in_transaction(outcome)
    return outcome


def _store(
    found: Mapping[tuple[int, int], Found],
    listing_ids: list[int],
    content_hashes: Mapping[int, str],
    index: MatchingIndex,
    outcome: ScanOutcome,
) -> None:
    now = timezone.now()
    existing_rows = Detection.objects.select_for_update().filter(
        listing_id__in=listing_ids, engine_version=ENGINE_VERSION
    )
    if len(index.rights) <= RIGHTS_IN_QUERY:
        # A retro-scan's index of one right: lock only that right's rows.
        existing_rows = existing_rows.filter(right_id__in=list(index.rights))
    # Rows of rights outside the index (no longer in force) are left as they are.
    existing = (
        {(d.listing_id, d.right_id): d for d in existing_rows if d.right_id in index.rights}
        if index.rights
        else {}
    )
    new_keys = [key for key in found if key not in existing]
    dismissed: set[tuple[int, int]] = set()
    handed_over: set[tuple[int, int]] = set()
    if new_keys:
        listing_keys, right_keys = {k[0] for k in new_keys}, {k[1] for k in new_keys}
        dismissed = set(
            DetectionDismissal.objects.filter(
                listing_id__in=listing_keys, right_id__in=right_keys
            ).values_list("listing_id", "right_id")
        )
        # A match an earlier engine version found and a complaint took stays taken:
        # the new version's row must not offer it to the rights holder again.
        handed_over = set(
            Detection.objects.filter(
                listing_id__in=listing_keys,
                right_id__in=right_keys,
                status=DetectionStatus.HANDED_OVER,
            )
            .exclude(engine_version=ENGINE_VERSION)
            .values_list("listing_id", "right_id")
        )
    to_create = [
        Detection(
            listing_id=listing_id,
            right_id=right_id,
            engine_version=ENGINE_VERSION,
            score=found[(listing_id, right_id)].score,
            text_score=found[(listing_id, right_id)].text_score,
            image_score=found[(listing_id, right_id)].image_score,
            signals=found[(listing_id, right_id)].signals,
            status=(
                DetectionStatus.HANDED_OVER
                if (listing_id, right_id) in handed_over
                else DetectionStatus.DISMISSED
                if (listing_id, right_id) in dismissed
                else DetectionStatus.OPEN
            ),
            status_changed_at=now,
            listing_content_hash=content_hashes[listing_id],
            last_matched_at=now,
        )
        for listing_id, right_id in new_keys
    ]
    # A concurrent scan of the same listing may have inserted one first: its row stands.
    Detection.objects.bulk_create(to_create, ignore_conflicts=True)
    outcome.created += len(to_create)
    to_update: list[Detection] = []
    for key, detection in existing.items():
        entry = found.get(key)
        if entry is None:
            if detection.status == DetectionStatus.OPEN:
                detection.status = DetectionStatus.CLEARED
                detection.status_changed_at = now
                detection.status_changed_by = None
                to_update.append(detection)
                outcome.cleared += 1
            continue
        changed = (
            detection.score != entry.score
            or detection.signals != entry.signals
            or detection.listing_content_hash != content_hashes[key[0]]
            or detection.status == DetectionStatus.CLEARED
        )
        if not changed:
            continue
        detection.score = entry.score
        detection.text_score = entry.text_score
        detection.image_score = entry.image_score
        detection.signals = entry.signals
        detection.listing_content_hash = content_hashes[key[0]]
        detection.last_matched_at = now
        if detection.status == DetectionStatus.CLEARED:
            detection.status = DetectionStatus.OPEN
            detection.status_changed_at = now
            detection.status_changed_by = None
        to_update.append(detection)
        outcome.updated += 1
    Detection.objects.bulk_update(
        to_update,
        [
            "score",
            "text_score",
            "image_score",
            "signals",
            "listing_content_hash",
            "last_matched_at",
            "status",
            "status_changed_at",
            "status_changed_by",
            "updated_at",
        ],
    )
    # Evidence of what was found, as it was found (issue 7): the chunk's new and
    # changed detections, captured together in one ledger append.
    from takedown.services.evidence import detections_snapshot

    detections_snapshot(listing_ids=listing_ids, matched_at=now)


def _clear_due(listings: Sequence[Listing]) -> None:
    """Mark scanned the listings nothing changed since they were read.

    A change sets ``scan_due_at`` to its own time, so a listing whose value is
    still the one read was not changed since; listings changed in one feed
    chunk share one value, so this is a few UPDATEs per chunk.
    """
    now = timezone.now()
    by_due: dict[datetime.datetime, list[int]] = defaultdict(list)
    for listing in listings:
        if listing.scan_due_at is not None:
            by_due[listing.scan_due_at].append(listing.pk)
    for due, ids in by_due.items():
        Listing.objects.filter(pk__in=ids, scan_due_at=due).update(scan_due_at=None, scanned_at=now)


def listings_scan_queue(listing_ids: Sequence[int]) -> None:
    """Queue scans of these listings in chunks; a failure to queue leaves them to the sweep."""
    from listings.tasks.scanning import scan_listings

    ids = list(listing_ids)
    for start in range(0, len(ids), SCAN_CHUNK):
        chunk = ids[start : start + SCAN_CHUNK]
        queued_at = timezone.now()
        try:
            scan_listings.delay(chunk)
        except Exception:
            logger.warning(
                "could not queue or run the scan of %s listings; the sweep will",
                len(chunk),
                exc_info=True,
            )
            continue
        # After the send: a message that was never sent leaves the listings to the sweep.
        Listing.objects.filter(pk__in=chunk).update(scan_queued_at=queued_at)


# Listings due longer than settings.TAKEDOWN_SCAN_DUE_STALE_SECONDS with every
# image settled lost their scan message; due longer than SCAN_DUE_STALE_MAX they
# are scanned with the images they have (an image may keep retrying for half an
# hour). A scan queued less than TAKEDOWN_SCAN_QUEUED_STALE_SECONDS ago may still
# be waiting behind a backlog and is not queued again; longer, and its message
# is taken as lost (the broker lost its data; a message held by a killed worker
# comes back after the visibility timeout). With the queue empty there is no
# backlog to wait behind, and a scan queued longer ago than the due stale time
# is taken as lost at once.
SCAN_DUE_STALE_MAX = datetime.timedelta(minutes=45)


def listings_scan_due_resume(*, limit: int = 50_000) -> int:
    """Queue scans of listings left due too long (the sweep); return how many were queued."""
    now = timezone.now()
    due_stale = datetime.timedelta(seconds=settings.TAKEDOWN_SCAN_DUE_STALE_SECONDS)
    queued_stale = (
        datetime.timedelta(seconds=settings.TAKEDOWN_SCAN_QUEUED_STALE_SECONDS)
        if scan_backlog()
        else due_stale
    )
    pending = ListingImage.objects.filter(listing_id=OuterRef("pk"), status=ImageStatus.PENDING)
    ids = list(
        Listing.objects.filter(scan_due_at__lt=now - due_stale)
        .filter(Q(scan_due_at__lt=now - SCAN_DUE_STALE_MAX) | ~Exists(pending))
        .filter(Q(scan_queued_at=None) | Q(scan_queued_at__lt=now - queued_stale))
        .order_by("scan_due_at")
        .values_list("pk", flat=True)[:limit]
    )
    listings_scan_queue(ids)
    return len(ids)


def scan_backlog() -> bool:
    """Whether messages wait in the task queue (a backlog a queued scan may sit behind).

    Read from the broker (the Redis list of the default queue). Not knowing
    (no broker, tasks run in-process, the broker not answering) counts as a
    backlog: the sweep then waits the long stale time, as before.
    """
    from takedown.celery import app

    if app.conf.task_always_eager:
        return True
    try:
        with app.connection_for_write() as conn:
            client = conn.default_channel.client
            return bool(client.llen(app.conf.task_default_queue))
    except Exception:  # noqa: BLE001 - any doubt means: assume a backlog
        logger.warning("could not read the task queue's length", exc_info=True)
        return True


def listings_mark_due(listing_ids: Iterable[int]) -> None:
    """Mark these listings due for a scan now, unless they became due recently.

    A listing due for less than half the sweep's stale time is left as it is:
    the sweep will not queue it before this worker's scan is long done. That is
    every new listing, due since its feed chunk: rewriting the value anyway was
    one more UPDATE of each listing (a new row version, its eight index entries).
    """
    now = timezone.now()
    recent = now - datetime.timedelta(seconds=settings.TAKEDOWN_SCAN_DUE_STALE_SECONDS / 2)
    Listing.objects.filter(pk__in=list(listing_ids)).filter(
        Q(scan_due_at=None) | Q(scan_due_at__lt=recent)
    ).update(scan_due_at=now)


def listings_with_images_settled(listing_ids: Iterable[int]) -> list[int]:
    """Those of ``listing_ids`` that have no image still waiting to be fetched."""
    ids = set(listing_ids)
    waiting = set(
        ListingImage.objects.filter(listing_id__in=ids, status=ImageStatus.PENDING).values_list(
            "listing_id", flat=True
        )
    )
    return sorted(ids - waiting)


# Retro-scans -------------------------------------------------------------------

RETRO_CHUNK = 1000
# A running retro-scan whose claim is older than this lost its worker (or the
# message that continues it).
RETRO_CLAIM_TIMEOUT = datetime.timedelta(minutes=10)
# One task scans for about this long, then hands the rest to a new task: no
# task outlives the broker's visibility timeout, and retro-scans take turns
# with the scans of new listings on the same workers.
RETRO_SLICE = datetime.timedelta(seconds=60)


def retro_scan_create(*, right: Right) -> RetroScan:
    """Create the retro-scan of a right that came into force (in the caller's transaction).

    Listings stored until now are its work; it is queued when the transaction commits.
    """
    until_id = Listing.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    retro = RetroScan.objects.create(right=right, until_id=until_id)
    transaction.on_commit(partial(_queue_retro_scan, retro.pk))
    return retro


def _queue_retro_scan(retro_scan_id: int) -> None:
    from listings.tasks.scanning import retro_scan

    try:
        retro_scan.delay(retro_scan_id)
    except Exception:
        logger.warning(
            "could not queue retro-scan %s; the sweep will", retro_scan_id, exc_info=True
        )


def _retro_claim(retro_scan_id: int, worker: str, task_id: str | None) -> RetroScan | None:
    now = timezone.now()
    with transaction.atomic():
        retro = RetroScan.objects.select_for_update().filter(pk=retro_scan_id).first()
        if retro is None:
            return None
        stale = retro.claimed_at is None or retro.claimed_at < now - RETRO_CLAIM_TIMEOUT
        # Released by the task that ran the previous slice: free for the next one.
        released = not retro.claimed_by
        # Held by an earlier run of this same task: it ended (a retry, or a
        # redelivery after its process was killed), as with feeds (feed_claim).
        ours = bool(task_id) and retro.claimed_by.endswith(f":{task_id}")
        if retro.status == RetroScanStatus.QUEUED or (
            retro.status == RetroScanStatus.RUNNING and (stale or released or ours)
        ):
            if retro.status == RetroScanStatus.QUEUED:
                retro.started_at = now
                retro.total = Listing.objects.live().filter(pk__lte=retro.until_id).count()
            retro.status = RetroScanStatus.RUNNING
            retro.claimed_by = worker
            retro.claimed_at = now
            retro.save()
            return retro
    return None


def retro_scan_run(
    *,
    retro_scan_id: int,
    worker: str,
    task_id: str | None = None,
    slice_length: datetime.timedelta = RETRO_SLICE,
) -> RetroScan | None:
    """Scan stored listings for one right from the resume point, for about ``slice_length``.

    Returns the retro-scan: done or failed, or still running with its claim
    released when the slice ran out (the caller queues the next slice). None
    when it was not ours to run (finished, or held by another worker).
    """
    retro = _retro_claim(retro_scan_id, worker, task_id)
    if retro is None:
        logger.info("retro-scan %s: not claimable (done or held by another worker)", retro_scan_id)
        return None
    right = Right.objects.get(pk=retro.right_id)
    index = build_index([right])
    ends = time.monotonic() + slice_length.total_seconds()
    while True:
        if not right.is_in_force():
            return _retro_finish(
                retro.pk, worker, RetroScanStatus.FAILED, "The right is no longer in force."
            )
        ids = list(
            Listing.objects.live()
            .filter(pk__gt=retro.cursor, pk__lte=retro.until_id)
            .order_by("pk")
            .values_list("pk", flat=True)[:RETRO_CHUNK]
        )
        if not ids:
            return _retro_finish(retro.pk, worker, RetroScanStatus.DONE)

        def advance(outcome: ScanOutcome, last: int = ids[-1], count: int = len(ids)) -> None:
            locked = RetroScan.objects.select_for_update().get(pk=retro.pk)
            if locked.claimed_by != worker or locked.status != RetroScanStatus.RUNNING:
                raise _RetroClaimLost
            locked.cursor = last
            locked.done = min(locked.total, locked.done + count)
            locked.detections += outcome.created
            locked.claimed_at = timezone.now()
            locked.save(update_fields=["cursor", "done", "detections", "claimed_at", "updated_at"])

        try:
            listings_scan(listing_ids=ids, index=index, in_transaction=advance)
        except _RetroClaimLost:
            logger.warning("retro-scan %s: claim taken over; stopping", retro.pk)
            return None
        retro.refresh_from_db()
        right.refresh_from_db(fields=["status", "valid_from", "valid_until"])
        if time.monotonic() >= ends:  # after a chunk: every slice makes progress
            return _retro_release(retro.pk, worker)


class _RetroClaimLost(Exception):
    """Another worker took the retro-scan over."""


def _retro_finish(
    retro_scan_id: int, worker: str, status: str, reason: str = ""
) -> RetroScan | None:
    with transaction.atomic():
        retro = RetroScan.objects.select_for_update().get(pk=retro_scan_id)
        if retro.claimed_by != worker:
            return None
        retro.status = status
        retro.failure_reason = reason
        retro.finished_at = timezone.now()
        retro.claimed_by = ""
        if status == RetroScanStatus.DONE:
            retro.done = retro.total
        retro.save()
    return retro


def _retro_release(retro_scan_id: int, worker: str) -> RetroScan | None:
    """End this worker's slice: the retro-scan stays running, free for the next task to claim."""
    with transaction.atomic():
        retro = RetroScan.objects.select_for_update().get(pk=retro_scan_id)
        if retro.claimed_by != worker:
            return None
        retro.claimed_by = ""
        # The sweep re-queues it if the next slice's message is lost.
        retro.claimed_at = timezone.now()
        retro.save(update_fields=["claimed_by", "claimed_at", "updated_at"])
    return retro


def retro_scans_for_rights_come_into_force(*, today: datetime.date | None = None) -> list[int]:
    """Create the retro-scans of rights that came into force by the calendar; return their ids.

    A right verified before its ``valid_from`` comes into force on that day
    without any write, so no service sends ``right_came_into_force`` for it.
    Run by the beat every hour: a right whose ``valid_from`` passed within the
    last week (a week of beat downtime is covered) and that has no retro-scan
    created since gets one.
    """
    day = today or timezone.localdate()
    candidates = Right.objects.filter(
        status=RightStatus.VERIFIED,
        valid_from__lte=day,
        valid_from__gt=day - datetime.timedelta(days=7),
        valid_until__gte=day,
    ).values_list("pk", "valid_from")
    created = []
    for right_id, valid_from in candidates:
        since = datetime.datetime.combine(
            valid_from, datetime.time.min, tzinfo=timezone.get_current_timezone()
        )
        with transaction.atomic():
            right = Right.objects.select_for_update().get(pk=right_id)
            if not right.is_in_force(day):
                continue
            if RetroScan.objects.filter(right=right, created_at__gte=since).exists():
                continue
            created.append(retro_scan_create(right=right).pk)
    if created:
        logger.info("retro-scans created for rights come into force: %s", created)
    return created


def retro_scans_resume() -> list[int]:
    """Re-queue retro-scans whose message or worker was lost (the sweep)."""
    now = timezone.now()
    ids = list(
        RetroScan.objects.filter(
            Q(status=RetroScanStatus.QUEUED, created_at__lt=now - datetime.timedelta(minutes=1))
            | Q(status=RetroScanStatus.RUNNING, claimed_at__lt=now - RETRO_CLAIM_TIMEOUT)
        ).values_list("pk", flat=True)
    )
    for pk in ids:
        _queue_retro_scan(pk)
    return ids
