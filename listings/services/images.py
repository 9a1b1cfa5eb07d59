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

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from PIL import Image

from listings.fetch import FetchedImage, FetchRefused, FetchTransient, fetch_image
from listings.matching.images import THUMBNAIL_EXTENSION, decode_small, image_hashes, thumbnail
from listings.models import ImageBlob, ListingImage
from takedown.states import ImageStatus
from takedown.uploads import UploadRejected, check_upload

logger = logging.getLogger(__name__)

# ListingImage.error is a CharField(max_length=500).
ERROR_MAX_CHARS = 500


def listing_image_fetch(*, image_id: int) -> ListingImage | None:
    """Fetch a pending listing image and attach its blob, or mark it failed saying why.

    Returns None when the row is gone. A row that is no longer pending is
    returned untouched, so running this twice is harmless. FetchTransient is
    re-raised (after counting the attempt) for the caller to retry later; see
    ``listing_image_fail`` for giving up.
    """
    image = ListingImage.objects.filter(pk=image_id).first()
    if image is None:
        return None
    if image.status != ImageStatus.PENDING:
        return image

    known_blob_id = (
        ListingImage.objects.filter(url=image.url, status=ImageStatus.FETCHED)
        .exclude(blob=None)
        .values_list("blob_id", flat=True)
        .first()
    )
    if known_blob_id is not None:
        return _mark_fetched(image_id, blob_id=known_blob_id, attempted=False)

    try:
        fetched = fetch_image(image.url)
        blob = _blob_for(fetched)
    except FetchTransient as exc:
        _record_attempt(image_id, error=exc.message)
        raise
    except FetchRefused as exc:
        return _mark_failed(image_id, error=exc.message, attempted=True)
    except UploadRejected as exc:
        return _mark_failed(image_id, error=exc.message, attempted=True)
    return _mark_fetched(image_id, blob_id=blob.pk, attempted=True)


def listing_image_fail(*, image_id: int, reason: str) -> ListingImage | None:
    """Give up on a pending image (retries exhausted): mark it failed with ``reason``."""
    return _mark_failed(image_id, error=reason, attempted=False)


def _blob_for(fetched: FetchedImage) -> ImageBlob:
    """Return the blob of these bytes, checking, decoding and hashing them only if new."""
    sha256 = hashlib.sha256(fetched.data).hexdigest()
    existing = _existing_blob(sha256)
    if existing is not None:
        return existing

    checked = check_upload(
        io.BytesIO(fetched.data),
        name="",  # a URL's suffix says nothing reliable about its content
        declared_type=fetched.content_type,
        allow=frozenset({"image"}),
        field_name="url",
    )
    try:
        image = decode_small(fetched.data)
        hashes = image_hashes(image)
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
        hashes=hashes,
    )
    blob.thumbnail.save(f"{sha256}{THUMBNAIL_EXTENSION}", ContentFile(thumbnail_bytes), save=False)
    try:
        # A savepoint: another worker may have stored the same bytes meanwhile.
        with transaction.atomic():
            blob.save()
    except IntegrityError:
        blob.thumbnail.delete(save=False)
        return ImageBlob.objects.get(sha256=sha256)
    except BaseException:
        blob.thumbnail.delete(save=False)
        raise
    return blob


def _existing_blob(sha256: str) -> ImageBlob | None:
    return ImageBlob.objects.filter(sha256=sha256).first()


def _mark_fetched(image_id: int, *, blob_id: int, attempted: bool) -> ListingImage | None:
    with transaction.atomic():
        image = ListingImage.objects.select_for_update().filter(pk=image_id).first()
        if image is None or image.status != ImageStatus.PENDING:
            return image
        image.status = ImageStatus.FETCHED
        image.blob_id = blob_id
        image.fetched_at = timezone.now()
        image.error = ""
        image.attempts += int(attempted)
        image.save(
            update_fields=["status", "blob", "fetched_at", "error", "attempts", "updated_at"]
        )
    logger.info("listing image %s fetched as blob %s", image_id, blob_id)
    return image


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
