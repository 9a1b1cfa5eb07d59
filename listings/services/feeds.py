"""Receiving and ingesting listing feeds.

``feed_receive`` streams a pushed body to storage and queues it;
``feed_ingest`` applies it chunk by chunk: each chunk's listing upserts,
snapshots, image rows, line errors, counts and resume point commit together,
so a worker killed at any moment resumes where the last chunk ended and no
line is applied twice. ``feeds_resume_stale`` re-queues feeds whose worker or
queue message was lost.
"""

import hashlib
import json
import logging
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import IO, Any, cast

from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.db.models import Field, Q
from django.utils import timezone

from takedown.errors import DomainError
from takedown.states import FEED_ALLOWED, FeedStatus, ImageStatus

from .. import feeds as feed_format
from ..models import (
    FeedBatch,
    FeedLineError,
    Listing,
    ListingImage,
    ListingSnapshot,
    Platform,
    PlatformToken,
    Seller,
)
from .scanning import listings_scan_queue

logger = logging.getLogger(__name__)

SNIFF_BYTES = 64 * 1024
# Listing columns a feed line sets (everything but keys and bookkeeping).
CONTENT_FIELDS = [
    "title",
    "url",
    "description",
    "price",
    "currency",
    "seller",
    "category",
    "ship_to",
    "brand",
    "image_urls",
    "extra",
    "content_hash",
    "last_feed",
    "delisted_at",
    "scan_due_at",
    "updated_at",
]
# Image ids per fetch task: small enough that a retry redoes little.
IMAGE_TASK_SIZE = 100


class FeedTooLarge(DomainError):
    """The body is over TAKEDOWN_FEED_MAX_BYTES."""


class FeedUnsupportedType(DomainError):
    """The Content-Type is neither JSON Lines nor CSV (in UTF-8)."""


class FeedUnreadable(DomainError):
    """The body is not JSON Lines / CSV at all."""


# Receiving -------------------------------------------------------------------


class _CappedBody(File):
    """The request body as a File whose chunks are hashed, counted and capped as they stream."""

    def __init__(self, head: bytes, stream: IO[bytes], limit: int) -> None:
        super().__init__(None, name="feed")
        self._head, self._stream, self._limit = head, stream, limit
        self.size_read = 0
        self.digest = hashlib.sha256()

    def chunks(self, chunk_size: int | None = None) -> Iterator[bytes]:
        def pieces() -> Iterator[bytes]:
            yield self._head
            while piece := self._stream.read(chunk_size or 1024 * 1024):
                yield piece

        for piece in pieces():
            self.size_read += len(piece)
            if self.size_read > self._limit:
                raise FeedTooLarge(_too_large(self._limit))
            self.digest.update(piece)
            yield piece

    def multiple_chunks(self, chunk_size: int | None = None) -> bool:
        return True


def _too_large(limit: int) -> str:
    return f"The feed is larger than the limit of {limit // (1024 * 1024)} MB; split it."


def feed_receive(
    *,
    platform: Platform,
    token: PlatformToken | None,
    body: IO[bytes],
    content_type: str,
    content_length: int | None,
) -> FeedBatch:
    """Store a pushed feed as received and queue its ingestion; return the batch at once.

    Refuses, before storing anything, a Content-Type that is not JSON Lines or
    CSV, a declared length over the limit, and a body whose start shows it is
    not a feed at all. A body that turns out larger than declared is cut off
    at the limit and nothing is kept.
    """
    if content_length == 0:
        raise FeedUnreadable("The feed is empty.")
    fmt = feed_format.format_for_content_type(content_type)
    if fmt is None:
        raise FeedUnsupportedType(
            f"Send the feed as application/x-ndjson (JSON Lines) or text/csv in UTF-8, "
            f"not {content_type or 'no content type'}."
        )
    limit = settings.TAKEDOWN_FEED_MAX_BYTES
    if content_length is not None and content_length > limit:
        raise FeedTooLarge(_too_large(limit))
    head = body.read(SNIFF_BYTES)
    try:
        feed_format.sniff(head, fmt)
    except feed_format.FeedFormatError as exc:
        raise FeedUnreadable(str(exc)) from exc

    today = timezone.now()
    name = f"feeds/{today:%Y/%m/%d}/{platform.pk}-{uuid.uuid4().hex}.{fmt}"
    capped = _CappedBody(head, body, limit)
    try:
        stored_name = default_storage.save(name, capped)
    except BaseException:
        default_storage.delete(name)
        raise
    try:
        with transaction.atomic():
            batch = FeedBatch.objects.create(
                platform=platform,
                token=token,
                format=fmt,
                file=stored_name,
                size_bytes=capped.size_read,
                sha256=capped.digest.hexdigest(),
            )
            transaction.on_commit(partial(_queue_ingest, batch.pk))
    except BaseException:
        default_storage.delete(stored_name)
        raise
    return batch


def _queue_ingest(batch_id: int) -> None:
    """Queue a stored feed's ingestion; if the broker is down, the sweep queues it later.

    Runs after the batch committed: raising here would fail the push whose
    feed is stored and will be ingested (feeds_resume_stale).
    """
    from ..tasks.feeds import ingest_feed

    try:
        ingest_feed.delay(batch_id)
    except Exception:
        logger.warning("could not queue feed %s; the sweep will", batch_id, exc_info=True)


# Ingesting -------------------------------------------------------------------


@dataclass
class _Chunk:
    records: list[tuple[int, feed_format.ListingLine]] = field(default_factory=list)
    errors: list[feed_format.LineError] = field(default_factory=list)
    items: int = 0  # records read from the file, good or bad (the resume unit)
    rejected_lines: int = 0


def feed_claim(*, batch_id: int, worker: str, task_id: str | None = None) -> FeedBatch | None:
    """Take a feed for ingestion with a conditional update; None if another worker holds it.

    A feed in processing whose claim is older than the timeout is taken over:
    its worker died. So is one claimed by the same task (``task_id``, the end
    of the claimer's name): a task runs again only when its earlier run ended
    (a retry after a database error, a redelivery after its worker process was
    killed), so waiting out the timeout would only delay the feed. Should the
    earlier run still be alive, its next chunk finds the claim gone and stops.
    The update is the lock: only one claimer sees a row change.
    """
    now = timezone.now()
    stale = now - timedelta(seconds=settings.TAKEDOWN_FEED_CLAIM_TIMEOUT_SECONDS)
    claimable = Q(status=FeedStatus.RECEIVED) | Q(
        status=FeedStatus.PROCESSING, claimed_at__lt=stale
    )
    if task_id:
        claimable |= Q(status=FeedStatus.PROCESSING, claimed_by__endswith=f":{task_id}")
    taken = FeedBatch.objects.filter(claimable, pk=batch_id).update(
        status=FeedStatus.PROCESSING, claimed_by=worker, claimed_at=now, updated_at=now
    )
    if not taken:
        return None
    batch = FeedBatch.objects.select_related("platform").get(pk=batch_id)
    if batch.started_at is None:
        FeedBatch.objects.filter(pk=batch_id).update(started_at=now)
        batch.started_at = now
    return batch


def feed_ingest(
    *, batch_id: int, worker: str | None = None, task_id: str | None = None
) -> FeedBatch | None:
    """Ingest a received feed from its resume point to the end; return it, or None if not ours.

    ``worker`` names this run and ends with ``:<task_id>`` when a task runs it.
    """
    worker = worker or f"{os.uname().nodename}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    batch = feed_claim(batch_id=batch_id, worker=worker, task_id=task_id)
    if batch is None:
        logger.info("feed %s: not claimable (done, failed or held by another worker)", batch_id)
        return None
    chunk_lines = settings.TAKEDOWN_FEED_CHUNK_LINES
    try:
        with batch.file.open("rb") as stream:
            items = feed_format.iter_records(
                stream, batch.format, max_line_bytes=settings.TAKEDOWN_FEED_MAX_LINE_BYTES
            )
            position = 0
            chunk = _Chunk()
            for item in items:
                position += 1
                if position <= batch.lines:
                    continue  # applied by an earlier attempt
                _add(chunk, item)
                if chunk.items >= chunk_lines:
                    batch = _apply_chunk(batch, chunk, worker=worker)
                    chunk = _Chunk()
            batch = _apply_chunk(batch, chunk, worker=worker, last=True)
    except feed_format.FeedFormatError as exc:
        return _finish(batch, worker=worker, status=FeedStatus.FAILED, reason=str(exc))
    except _ClaimLost:
        logger.warning("feed %s: claim taken over by another worker; stopping", batch_id)
        return None
    return batch


def _add(chunk: _Chunk, item: feed_format.Item) -> None:
    chunk.items += 1
    if isinstance(item, feed_format.LineError):
        chunk.errors.append(item)
        chunk.rejected_lines += 1
        return
    line, record = item
    result = feed_format.validate(line, record)
    if isinstance(result, list):
        chunk.errors.extend(result)
        chunk.rejected_lines += 1
    else:
        chunk.records.append((line, result))


class _ClaimLost(Exception):
    """Another worker took the feed over (this one was presumed dead)."""


def _apply_chunk(batch: FeedBatch, chunk: _Chunk, *, worker: str, last: bool = False) -> FeedBatch:
    """Apply one chunk and advance the resume point, all in one transaction."""
    with transaction.atomic():
        locked = FeedBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.claimed_by != worker or locked.status != FeedStatus.PROCESSING:
            raise _ClaimLost
        created, updated, unchanged, new_image_ids, scan_ids = _upsert_listings(
            locked, chunk.records
        )
        FeedLineError.objects.bulk_create(
            FeedLineError(batch=locked, line=e.line, field=e.field[:100], message=e.message[:500])
            for e in chunk.errors
        )
        now = timezone.now()
        locked.lines += chunk.items
        locked.accepted += len(chunk.records)
        locked.rejected += chunk.rejected_lines
        locked.created += created
        locked.updated += updated
        locked.unchanged += unchanged
        locked.claimed_at = now
        fields = [
            "lines",
            "accepted",
            "rejected",
            "created",
            "updated",
            "unchanged",
            "claimed_at",
            "updated_at",
        ]
        if last:
            _check_move(locked.status, FeedStatus.DONE)
            locked.status = FeedStatus.DONE
            locked.finished_at = now
            locked.claimed_by = ""
            fields += ["status", "finished_at", "claimed_by"]
        locked.save(update_fields=fields)
        for start in range(0, len(new_image_ids), IMAGE_TASK_SIZE):
            transaction.on_commit(
                partial(_queue_images, new_image_ids[start : start + IMAGE_TASK_SIZE])
            )
        # Listings waiting for new images are scanned when their images settle.
        if scan_ids:
            transaction.on_commit(partial(listings_scan_queue, scan_ids))
    return locked


def _queue_images(image_ids: list[int]) -> None:
    """Queue image fetches; a failure to queue (or, run in-process, to fetch) never fails the feed.

    The chunk is committed by now; images left pending are re-queued by the
    listings.resume_pending_images sweep.
    """
    from ..tasks.images import fetch_listing_images

    try:
        fetch_listing_images.delay(image_ids)
    except Exception:
        logger.warning(
            "could not queue or run image fetches %s; the sweep will retry",
            image_ids,
            exc_info=True,
        )


def _check_move(current: str, target: str) -> None:
    if target not in FEED_ALLOWED[current]:
        raise DomainError(f"A feed that is {current} cannot become {target}.")


def _finish(batch: FeedBatch, *, worker: str, status: str, reason: str = "") -> FeedBatch | None:
    with transaction.atomic():
        locked = FeedBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.claimed_by != worker:
            return None
        _check_move(locked.status, status)
        locked.status = status
        locked.failure_reason = reason
        locked.finished_at = timezone.now()
        locked.claimed_by = ""
        locked.save(
            update_fields=["status", "failure_reason", "finished_at", "claimed_by", "updated_at"]
        )
    return locked


def _upsert_listings(
    batch: FeedBatch, records: list[tuple[int, feed_format.ListingLine]]
) -> tuple[int, int, int, list[int], list[int]]:
    """Create, update or leave each listing of the chunk.

    Return the counts, the new image ids to fetch and the ids of changed
    listings to scan now (those with no new image to wait for).

    Duplicates within the chunk resolve to the last line; across chunks the
    later chunk is applied later, so the last line of the feed wins.
    """
    if not records:
        return 0, 0, 0, [], []
    latest: dict[str, feed_format.ListingLine] = {}
    for _line, listing in records:
        latest[listing.external_id] = listing
    platform = batch.platform
    sellers = _upsert_sellers(platform, latest.values())
    existing = {
        listing.external_id: listing
        for listing in Listing.objects.select_for_update(of=("self",))
        .select_related("seller")
        .filter(platform=platform, external_id__in=list(latest))
    }
    now = timezone.now()
    to_create: list[Listing] = []
    to_update: list[Listing] = []
    snapshots: list[ListingSnapshot] = []
    image_changes: list[Listing] = []
    unchanged = 0
    for external_id, line in latest.items():
        content = line.content()
        digest = feed_format.content_hash(content)
        current = existing.get(external_id)
        if current is not None and current.content_hash == digest and current.delisted_at is None:
            unchanged += 1
            continue
        if current is None:
            current = Listing(platform=platform, external_id=external_id, created_at=now)
            to_create.append(current)
        else:
            snapshots.append(
                ListingSnapshot(
                    listing=current,
                    content=stored_content(current),
                    content_hash=current.content_hash,
                    replaced_at=now,
                    replaced_by_feed=batch,
                )
            )
            to_update.append(current)
        if current.pk is None or current.image_urls != line.images:
            image_changes.append(current)
        _set_content(current, line, content, digest, sellers, batch, now)
    _insert_listings(to_create, need_ids=True)
    _update_listings(to_update)
    ListingSnapshot.objects.bulk_create(snapshots)
    new_images = _sync_images(image_changes)
    waiting = {image.listing_id for image in new_images}
    scan_ids = [listing.pk for listing in (*to_create, *to_update) if listing.pk not in waiting]
    return (
        len(to_create),
        len(to_update),
        unchanged,
        [image.pk for image in new_images if image.pk is not None],
        scan_ids,
    )


# Columns a new listing is inserted with (everything but the generated id).
INSERT_FIELDS = [
    "created_at",
    "platform",
    "external_id",
    *[name for name in CONTENT_FIELDS if name != "updated_at"],
    "updated_at",
]


def _insert_listings(listings: list[Listing], *, need_ids: bool) -> None:
    """Insert new listings; on PostgreSQL with COPY, which is several times faster.

    Django's bulk_create spends most of a feed's time preparing values; COPY
    streams rows in psycopg's C code. If a concurrent feed of the same platform
    inserted one of these listings first, COPY fails on the unique constraint
    and the chunk falls back to an upsert that keeps the newer content.
    """
    if not listings:
        return
    if connection.vendor != "postgresql":
        Listing.objects.bulk_create(listings)
        return
    fields = _listing_fields(INSERT_FIELDS)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(Listing._meta.db_table)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            with cursor.connection.cursor().copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for listing in listings:
                    copy.write_row([_copy_value(f, listing) for f in fields])
    except IntegrityError:
        Listing.objects.bulk_create(
            listings,
            update_conflicts=True,
            unique_fields=["platform", "external_id"],
            update_fields=CONTENT_FIELDS,
        )
        return
    if need_ids:
        ids = dict(
            Listing.objects.filter(
                platform_id=listings[0].platform_id,
                external_id__in=[listing.external_id for listing in listings],
            ).values_list("external_id", "pk")
        )
        for listing in listings:
            listing.pk = ids[listing.external_id]


def _update_listings(listings: list[Listing]) -> None:
    """Write changed listings; on PostgreSQL through COPY into a temporary table and one UPDATE.

    Django's bulk_update builds a CASE expression per column and row, which
    made a chunk of changed listings ten times slower than a chunk of new ones.
    """
    if not listings:
        return
    if connection.vendor != "postgresql":
        Listing.objects.bulk_update(listings, CONTENT_FIELDS)
        return
    fields = _listing_fields(["id", *CONTENT_FIELDS])
    quote = connection.ops.quote_name
    table = quote(Listing._meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    assignments = ", ".join(f"{quote(f.column)} = t.{quote(f.column)}" for f in fields[1:])
    with connection.cursor() as cursor:
        # The chunk's own transaction drops it; inside a caller's transaction the
        # next chunk finds it and starts it afresh.
        cursor.execute("DROP TABLE IF EXISTS listing_changes")
        cursor.execute(
            f"CREATE TEMPORARY TABLE listing_changes ON COMMIT DROP AS "
            f"SELECT {columns} FROM {table} WITH NO DATA"
        )
        with cursor.connection.cursor().copy(
            f"COPY listing_changes ({columns}) FROM STDIN"
        ) as copy:
            for listing in listings:
                copy.write_row([_copy_value(f, listing) for f in fields])
        cursor.execute(
            f"UPDATE {table} AS l SET {assignments} FROM listing_changes AS t WHERE l.id = t.id"
        )


def _listing_fields(names: list[str]) -> list[Field]:
    """The concrete columns of Listing named ``names``, in that order (for COPY)."""
    return [cast(Field, Listing._meta.get_field(name)) for name in names]


def _copy_value(field: Field, listing: Listing) -> Any:
    value = getattr(listing, field.attname)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return value


def stored_content(listing: Listing) -> dict[str, Any]:
    """A listing's content in the same shape as ListingLine.content() (for snapshots)."""
    seller = listing.seller
    return {
        "title": listing.title,
        "url": listing.url,
        "description": listing.description,
        "price": None if listing.price is None else str(listing.price),
        "currency": listing.currency,
        "seller_id": seller.external_id if seller else "",
        "seller_name": seller.name if seller else "",
        "images": listing.image_urls,
        "category": listing.category,
        "ship_to": listing.ship_to,
        "brand": listing.brand,
        "extra": listing.extra,
    }


def _set_content(
    listing: Listing,
    line: feed_format.ListingLine,
    content: dict[str, Any],
    digest: str,
    sellers: dict[str, int],
    batch: FeedBatch,
    now: Any,
) -> None:
    listing.title = line.title
    listing.url = line.url
    listing.description = line.description
    listing.price = line.price
    listing.currency = line.currency
    listing.seller_id = sellers.get(line.seller_id) if line.seller_id else None
    listing.category = line.category
    listing.ship_to = line.ship_to
    listing.brand = line.brand
    listing.image_urls = line.images
    listing.extra = content["extra"]
    listing.content_hash = digest
    listing.last_feed = batch
    # A listing the platform sends again is live again.
    listing.delisted_at = None
    listing.scan_due_at = now
    listing.updated_at = now


def _upsert_sellers(platform: Platform, lines: Any) -> dict[str, int]:
    """Return the chunk's seller ids by external id, creating new sellers and renaming changed ones.

    Reads plain tuples, not model instances: a chunk names up to a thousand sellers.
    """
    names: dict[str, str] = {}
    for line in lines:
        if line.seller_id:
            names[line.seller_id] = line.seller_name

    def known() -> dict[str, tuple[int, str]]:
        rows = Seller.objects.filter(platform=platform, external_id__in=list(names))
        return {ext: (pk, name) for ext, pk, name in rows.values_list("external_id", "pk", "name")}

    if not names:
        return {}
    found = known()
    missing = [
        Seller(platform=platform, external_id=e, name=n) for e, n in names.items() if e not in found
    ]
    if missing:
        # Another feed of the same platform may insert the same seller concurrently.
        Seller.objects.bulk_create(missing, ignore_conflicts=True)
        found = known()
    renamed = [
        Seller(pk=pk, name=names[ext])
        for ext, (pk, name) in found.items()
        if names[ext] and name != names[ext]
    ]
    Seller.objects.bulk_update(renamed, ["name"])
    return {ext: pk for ext, (pk, _name) in found.items()}


def _sync_images(listings: list[Listing]) -> list[ListingImage]:
    """Make each listing's image rows match its URLs; return the new rows to fetch."""
    if not listings:
        return []
    by_listing = {listing.pk: listing for listing in listings}
    current: dict[int, dict[str, ListingImage]] = {pk: {} for pk in by_listing}
    for image in ListingImage.objects.filter(listing_id__in=list(by_listing)):
        current[image.listing_id][image.url] = image
    stale: list[int] = []
    moved: list[ListingImage] = []
    new: list[ListingImage] = []
    for pk, listing in by_listing.items():
        wanted = {url: position for position, url in enumerate(listing.image_urls)}
        for url, image in current[pk].items():
            if url not in wanted:
                stale.append(image.pk)
            elif image.position != wanted[url]:
                image.position = wanted[url]
                moved.append(image)
        new.extend(
            ListingImage(listing=listing, url=url, position=position, status=ImageStatus.PENDING)
            for url, position in wanted.items()
            if url not in current[pk]
        )
    ListingImage.objects.filter(pk__in=stale).delete()
    ListingImage.objects.bulk_update(moved, ["position"])
    return ListingImage.objects.bulk_create(new)


# Reconciling -----------------------------------------------------------------


def feeds_resume_stale() -> list[int]:
    """Re-queue feeds that were stored but never ingested, or whose worker died.

    A feed received a minute ago and still unclaimed lost its queue message
    (broker down at commit); a feed whose claim went stale lost its worker.
    Queuing twice is harmless: only one claim succeeds.
    """
    now = timezone.now()
    stale_claim = now - timedelta(seconds=settings.TAKEDOWN_FEED_CLAIM_TIMEOUT_SECONDS)
    unclaimed = now - timedelta(seconds=60)
    ids = list(
        FeedBatch.objects.filter(
            Q(status=FeedStatus.RECEIVED, created_at__lt=unclaimed)
            | Q(status=FeedStatus.PROCESSING, claimed_at__lt=stale_claim)
        ).values_list("pk", flat=True)
    )
    for batch_id in ids:
        _queue_ingest(batch_id)
    return ids


# Listings --------------------------------------------------------------------


def listing_delist(*, platform: Platform, external_id: str) -> Listing:
    """Record that the platform took a listing down itself; idempotent."""
    with transaction.atomic():
        listing = (
            Listing.objects.select_for_update()
            .filter(platform=platform, external_id=external_id)
            .first()
        )
        if listing is None:
            raise Listing.DoesNotExist(f"No listing {external_id!r} on {platform}.")
        if listing.delisted_at is None:
            listing.delisted_at = timezone.now()
            listing.save(update_fields=["delisted_at", "updated_at"])
    return listing
