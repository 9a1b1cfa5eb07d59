"""Fetch, check, hash and store listing images.

The same picture reaches the workbench many times (a seller reuses a photo
across listings, platforms copy each other): bytes are stored once per SHA-256
as an ImageBlob, decoded and hashed once, and every ListingImage with those
bytes points at it. An image URL that another listing already fetched is not
downloaded again.
"""

import datetime
import hashlib
import io
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from PIL import Image

from listings.fetch import FetchedImage, FetchRefused, FetchTransient, fetch_image
from listings.matching.image_index import listing_decode
from listings.matching.images import THUMBNAIL_EXTENSION, thumbnail
from listings.matching.stored import encode_views
from listings.models import ImageBlob, ListingImage
from takedown.states import ImageStatus
from takedown.uploads import UploadRejected, check_upload

logger = logging.getLogger(__name__)

# ListingImage.error is a CharField(max_length=500).
ERROR_MAX_CHARS = 500


# A listing image is decoded once, to the thumbnail's size: for an 800-px
# JPEG, draft mode decodes at a quarter scale (200 px) instead of the full
# 800 px, and only a 200 -> 160 resize remains. The engine's view hashes come
# from the same decode (its luma reduced to the engine's 1/8 scale:
# ``listing_decode``), not from a second decode of the bytes, which paid the
# JPEG's entropy decoding again. No other hashes are kept: the engine's view
# hashes are what scans search with (the earlier ``ImageBlob.hashes``, four
# imagehash hashes of the thumbnail, cost ~2.8 ms an image and nothing read them).
DECODE_SIDE = 160
# Downloaded images held in memory at once by a task before their blobs are
# looked up together (a batch of 100 photos is a few MB; a batch of huge ones
# is looked up in several goes).
HELD_BYTES_MAX = 64 * 2**20


@dataclass
class ImagesFetched:
    """What ``listing_images_fetch`` did with a batch of image ids."""

    # Every existing row asked for, as it is now (settled, or pending after a transient failure).
    images: dict[int, ListingImage] = field(default_factory=dict)
    missing: list[int] = field(default_factory=list)
    transient: list[tuple[int, FetchTransient]] = field(default_factory=list)


def listing_image_fetch(*, image_id: int) -> ListingImage | None:
    """Fetch a pending listing image and attach its blob, or mark it failed saying why.

    Returns None when the row is gone. A row that is no longer pending is
    returned untouched, so running this twice is harmless. FetchTransient is
    re-raised (after counting the attempt) for the caller to retry later; see
    ``listing_image_fail`` for giving up.
    """
    done = listing_images_fetch(image_ids=[image_id])
    if done.transient:
        raise done.transient[0][1]
    return done.images.get(image_id)


def listing_images_fetch(
    *, image_ids: Sequence[int], fetch: Callable[[str], FetchedImage] = fetch_image
) -> ImagesFetched:
    """Fetch the pending images among ``image_ids``; settle them all in one transaction.

    Each image is downloaded, checked, decoded and hashed on its own (bytes
    already stored as a blob, or a URL already fetched, are reused), but the
    rows are read with one query and marked fetched or failed with one
    transaction at the end, not a few round trips per image. Rows no longer
    pending (a redelivered message) are left alone. A transient failure counts
    the attempt on the still-pending row and is returned for the caller to
    retry; the others are settled regardless. ``fetch`` gets an image's bytes
    from its URL: the SSRF-safe downloader, or (demo data, imports from a
    platform's archive) a source of bytes already at hand.
    """
    done = ImagesFetched()
    rows = {image.pk: image for image in ListingImage.objects.filter(pk__in=list(image_ids))}
    done.missing = [pk for pk in dict.fromkeys(image_ids) if pk not in rows]
    done.images = dict(rows)
    pending = [image for image in rows.values() if image.status == ImageStatus.PENDING]
    if not pending:
        return done
    # One query for the URLs other listings already fetched (each is downloaded once).
    known: dict[str, int | str] = dict(
        ListingImage.objects.filter(
            url__in={image.url for image in pending}, status=ImageStatus.FETCHED
        )
        .exclude(blob=None)
        .values_list("url", "blob_id")
    )
    fetched: dict[int, tuple[int | str, bool]] = {}  # image id -> (blob id or sha256, attempted)
    failed: dict[int, tuple[str, bool]] = {}  # image id -> (error, attempted)
    new_blobs: dict[str, ImageBlob] = {}  # by sha256, stored together below
    # Downloaded bytes wait here so that one query finds the blobs already
    # stored for all of them; flushed whenever they pass HELD_BYTES_MAX.
    held: list[tuple[ListingImage, FetchedImage, str]] = []
    held_bytes = 0
    fetching: set[str] = set()  # URLs downloaded by this batch (held or already flushed)
    refused: dict[str, str] = {}  # URL -> why its bytes were refused

    def flush() -> None:
        nonlocal held_bytes
        stored = _stored_blob_ids({sha256 for _, _, sha256 in held})
        for image, data, sha256 in held:
            try:
                ref = stored.get(sha256) or _blob_for(data, sha256, new_blobs)
            except UploadRejected as exc:
                failed[image.pk] = (exc.message, True)
                refused[image.url] = exc.message
                continue
            fetched[image.pk] = (ref, True)
            known[image.url] = ref
        held.clear()
        held_bytes = 0

    try:
        for image in pending:
            if image.url in known:
                fetched[image.pk] = (known[image.url], False)
                continue
            if image.url in fetching:
                continue  # settled below, as its twin is
            try:
                data = fetch(image.url)
            except FetchTransient as exc:
                _record_attempt(image.pk, error=exc.message)
                done.transient.append((image.pk, exc))
                continue
            except FetchRefused as exc:
                failed[image.pk] = (exc.message, True)
                continue
            fetching.add(image.url)
            held.append((image, data, hashlib.sha256(data.data).hexdigest()))
            held_bytes += len(data.data)
            if held_bytes > HELD_BYTES_MAX:
                flush()
        if held:
            flush()
        # Images whose URL was fetched for another image of this batch.
        for image in pending:
            if image.pk in fetched or image.pk in failed:
                continue
            if image.url in known:
                fetched[image.pk] = (known[image.url], False)
            elif image.url in refused:
                failed[image.pk] = (refused[image.url], False)
    except BaseException:
        for blob in new_blobs.values():
            blob.thumbnail.delete(save=False)
        raise
    blob_ids = _store_blobs(list(new_blobs.values()))
    settled = {
        pk: (blob_ids[ref] if isinstance(ref, str) else ref, attempted)
        for pk, (ref, attempted) in fetched.items()
    }
    done.images.update(_settle(fetched=settled, failed=failed))
    return done


def listing_image_fail(*, image_id: int, reason: str) -> ListingImage | None:
    """Give up on a pending image (retries exhausted): mark it failed with ``reason``."""
    return _mark_failed(image_id, error=reason, attempted=False)


def _blob_for(fetched: FetchedImage, sha256: str, new_blobs: dict[str, ImageBlob]) -> str:
    """Check, decode and hash bytes no stored blob has; return their sha256, the blob in ``new_blobs``.

    Bytes seen before in this batch are neither checked nor decoded again.
    """
    if sha256 in new_blobs:
        return sha256
    checked = check_upload(
        io.BytesIO(fetched.data),
        name="",  # a URL's suffix says nothing reliable about its content
        declared_type=fetched.content_type,
        allow=frozenset({"image"}),
        field_name="url",
        decode=False,  # decoded below, and refused there if it does not decode
    )
    try:
        image, views, hashes = listing_decode(
            fetched.data, max_side=DECODE_SIDE, resample=Image.Resampling.BILINEAR
        )
        view_hashes = encode_views(views, hashes)
        thumbnail_bytes = thumbnail(image)
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise UploadRejected(f"the image cannot be decoded ({exc})", field="url") from exc
    assert checked.width is not None and checked.height is not None  # images always have them
    blob = ImageBlob(
        sha256=sha256,
        content_type=checked.format.content_type,
        size_bytes=checked.size,
        width=checked.width,
        height=checked.height,
        view_hashes=view_hashes,
    )
    blob.thumbnail.save(f"{sha256}{THUMBNAIL_EXTENSION}", ContentFile(thumbnail_bytes), save=False)
    new_blobs[sha256] = blob
    return sha256


def _store_blobs(blobs: list[ImageBlob]) -> dict[str, int]:
    """Insert new blobs in one statement; return every one's id by sha256.

    Another worker may have stored the same bytes meanwhile: its row stands and
    this worker's thumbnail file is removed.
    """
    if not blobs:
        return {}
    try:
        ImageBlob.objects.bulk_create(blobs, ignore_conflicts=True)
        stored = ImageBlob.objects.filter(sha256__in=[b.sha256 for b in blobs]).values_list(
            "sha256", "pk", "thumbnail"
        )
        ids, theirs = {}, set()
        ours = {blob.sha256: blob.thumbnail.name for blob in blobs}
        for sha256, pk, thumbnail_name in stored:
            ids[sha256] = pk
            if thumbnail_name != ours[sha256]:
                theirs.add(sha256)
    except BaseException:
        for blob in blobs:
            blob.thumbnail.delete(save=False)
        raise
    for blob in blobs:
        if blob.sha256 in theirs:
            blob.thumbnail.delete(save=False)
    return ids


def _settle_fetched(blobs: Mapping[int, int], *, attempted: bool, now: datetime.datetime) -> None:
    """Mark pending images fetched, each with its blob, in one UPDATE.

    Plain SQL: a ``Case`` of one ``When`` an image cost ~1 ms of query
    compilation each in Python, more than the database's work.
    """
    table = ListingImage._meta.db_table
    whens = " ".join(["WHEN %s THEN %s"] * len(blobs))
    ids = ", ".join(["%s"] * len(blobs))
    sql = (
        # Table and column names come from the model; every value is bound.
        f"UPDATE {table} SET status = %s, blob_id = CASE id {whens} END, fetched_at = %s, "  # nosec B608
        f"error = '', attempts = attempts + %s, updated_at = %s "
        f"WHERE id IN ({ids}) AND status = %s"
    )
    params: list[Any] = [str(ImageStatus.FETCHED)]
    for pk, blob_id in blobs.items():
        params += [pk, blob_id]
    stamp = connection.ops.adapt_datetimefield_value(now)
    params += [stamp, int(attempted), stamp, *blobs, str(ImageStatus.PENDING)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _stored_blob_ids(sha256s: set[str]) -> dict[str, int]:
    return dict(ImageBlob.objects.filter(sha256__in=sha256s).values_list("sha256", "pk"))


def _settle(
    *, fetched: Mapping[int, tuple[int, bool]], failed: Mapping[int, tuple[str, bool]]
) -> dict[int, ListingImage]:
    """Mark images fetched (with their blob) or failed; return the rows as they are now.

    Only rows still pending change (each UPDATE says ``status = pending``), so a
    row settled meanwhile by another worker keeps what that worker stored. Set
    updates, a few statements a batch: ``bulk_update`` compiled a ``CASE`` of
    six fields a row in Python, ~4 ms a listing image in the end-to-end bench.
    """
    if not fetched and not failed:
        return {}
    now = timezone.now()
    pending = ListingImage.objects.filter(status=ImageStatus.PENDING)
    with transaction.atomic():
        for attempted in (False, True):
            blobs = {pk: blob_id for pk, (blob_id, tried) in fetched.items() if tried == attempted}
            if blobs:
                _settle_fetched(blobs, attempted=attempted, now=now)
        by_error: dict[tuple[str, bool], list[int]] = {}
        for pk, (error, attempted) in failed.items():
            by_error.setdefault((error[:ERROR_MAX_CHARS], attempted), []).append(pk)
        for (error, attempted), pks in by_error.items():
            pending.filter(pk__in=pks).update(
                status=ImageStatus.FAILED,
                error=error,
                attempts=F("attempts") + int(attempted),
                updated_at=now,
            )
    rows = {image.pk: image for image in ListingImage.objects.filter(pk__in=[*fetched, *failed])}
    for pk in failed:
        if pk in rows and rows[pk].status == ImageStatus.FAILED:
            logger.info("listing image %s failed: %s", pk, rows[pk].error)
    return rows


def _mark_failed(image_id: int, *, error: str, attempted: bool) -> ListingImage | None:
    with transaction.atomic():
        image = ListingImage.objects.select_for_update().filter(pk=image_id).first()
        if image is None or image.status != ImageStatus.PENDING:
            return image
        image.status = ImageStatus.FAILED
        image.error = error[:ERROR_MAX_CHARS]
        image.attempts += int(attempted)
        image.save(update_fields=["status", "error", "attempts", "updated_at"])
    logger.info("listing image %s failed: %s", image_id, error)
    return image


def _record_attempt(image_id: int, *, error: str) -> None:
    """Count a transient failure and keep its reason on the still-pending row."""
    with transaction.atomic():
        image = ListingImage.objects.select_for_update().filter(pk=image_id).first()
        if image is None or image.status != ImageStatus.PENDING:
            return
        image.attempts += 1
        image.error = error[:ERROR_MAX_CHARS]
        image.save(update_fields=["attempts", "error", "updated_at"])


# A pending image this old lost its queue message (broker down, an eager run's
# transient failure, a worker killed past its retries): queue it again.
PENDING_STALE_MINUTES = 15
RESUME_BATCH = 100


def listing_images_resume_pending(*, limit: int = 20_000) -> int:
    """Re-queue images that stayed pending too long; return how many were queued.

    Queuing an image twice is harmless: a fetched image is left alone.
    """
    from listings.tasks.images import fetch_listing_images

    cutoff = timezone.now() - datetime.timedelta(minutes=PENDING_STALE_MINUTES)
    ids = list(
        ListingImage.objects.filter(status=ImageStatus.PENDING, updated_at__lt=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    for start in range(0, len(ids), RESUME_BATCH):
        batch = ids[start : start + RESUME_BATCH]
        # Touch them so the next sweep does not queue them again before they run.
        ListingImage.objects.filter(pk__in=batch).update(updated_at=timezone.now())
        fetch_listing_images.delay(batch)
    return len(ids)
