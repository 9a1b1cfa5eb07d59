"""Files built in the background: asked for on a page, built by a Celery task, then downloaded.

Evidence packages (takedown.models.packages) and data exports
(takedown.models.privacy) are the same thing to a user: a row that is queued,
built with a progress bar, then offers a ZIP or says why it failed.
``BackgroundFile`` holds what they share: one set of status names, the
progress, the stored file with its size and SHA-256, the times, and the steps
a build goes through (claim, progress, ready, failed). ``background_build``
is the body of a build task and ``background_file_response`` the download.
"""

import base64
import datetime
import hashlib
import logging
from collections.abc import Callable, Iterable
from typing import IO, Any, TypeVar

from django.core.files import File
from django.db import models
from django.db.models import Q
from django.http import FileResponse, Http404
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext_lazy as _

from takedown.db import TimeStampedModel

logger = logging.getLogger(__name__)

# An error is kept to this many characters: enough for an exception's message.
ERROR_MAX = 2000


class BackgroundFile(TimeStampedModel):
    """A file built by a task: its status, progress and, once ready, the stored file.

    Subclasses redeclare ``file`` with their own ``upload_to``.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        BUILDING = "building", _("Building")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(blank=True)
    # Steps of the build done and planned (files or kinds written), for the progress bar.
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    # Set only once the whole file is in storage (``mark_ready``): never a half-written file.
    file = models.FileField(upload_to="background/%Y/%m/", blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def percent(self) -> int:
        if self.status == self.Status.READY:
            return 100
        return int(100 * self.progress_done / self.progress_total) if self.progress_total else 0

    @property
    def in_progress(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.BUILDING)

    @property
    def is_ready(self) -> bool:
        return self.status == self.Status.READY and bool(self.file)

    @classmethod
    def claim(cls, pk: int, *, stale: datetime.timedelta | None = None) -> bool:
        """Move a queued row to building; say whether this caller got it.

        A conditional update, so two deliveries of one task build it once. With
        ``stale``, a build started longer ago than that (its worker was lost)
        may be taken over too.
        """
        now = timezone.now()
        claimable = Q(status=cls.Status.QUEUED)
        if stale is not None:
            claimable |= Q(status=cls.Status.BUILDING, started_at__lt=now - stale)
        return bool(
            cls._default_manager.filter(claimable, pk=pk).update(
                status=cls.Status.BUILDING, started_at=now, progress_done=0, updated_at=now
            )
        )

    def mark_progress(self, done: int, total: int | None = None) -> None:
        """Write the progress to the row at once, for the pages polling it during the build."""
        values: dict[str, Any] = {"progress_done": done}
        if total is not None:
            values["progress_total"] = total
        type(self)._default_manager.filter(pk=self.pk).update(**values)
        for name, value in values.items():
            setattr(self, name, value)

    def mark_ready(self, handle: IO[bytes], name: str) -> None:
        """Store the whole file from ``handle`` with its SHA-256 and size, then mark the row ready."""
        handle.seek(0)
        digest = hashlib.sha256()
        size = 0
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
            size += len(block)
        handle.seek(0)
        # Moved into storage whole: the row names the file only once it is all there.
        self.file.save(name, File(handle, name=name), save=False)
        self.sha256 = digest.hexdigest()
        self.size = size
        self.status = self.Status.READY
        self.progress_done = self.progress_total
        self.finished_at = timezone.now()
        self.save(
            update_fields=[
                "file",
                "sha256",
                "size",
                "status",
                "progress_done",
                "progress_total",
                "finished_at",
                "updated_at",
            ]
        )

    def mark_failed(self, error: str) -> None:
        self.status = self.Status.FAILED
        self.error = error[:ERROR_MAX]
        self.finished_at = timezone.now()
        self.save(update_fields=["status", "error", "finished_at", "updated_at"])


Built = TypeVar("Built", bound=BackgroundFile)


def background_build(
    model: type[Built],
    pk: int,
    build: Callable[[Built], None],
    *,
    stale: datetime.timedelta | None = None,
    related: Iterable[str] = (),
) -> Built | None:
    """Claim row ``pk``, run ``build`` on it, record a failure with its reason: a task's body.

    Idempotent: a row already built, failed, or being built by a live worker
    is returned as it is; a missing row gives None. ``build`` ends with
    ``mark_ready``; any exception it raises marks the row failed.
    """
    if not model.claim(pk, stale=stale):
        return model._default_manager.filter(pk=pk).first()
    row = model._default_manager.select_related(*related).get(pk=pk)
    try:
        build(row)
    except Exception as exc:
        logger.exception("%s %s failed", model._meta.verbose_name, pk)
        row.mark_failed(f"{type(exc).__name__}: {exc}")
    return row


def background_file_response(
    row: BackgroundFile, *, filename: str, not_ready: str, content_type: str = "application/zip"
) -> FileResponse:
    """Stream a ready file as an attachment, with its SHA-256; 404 with ``not_ready`` before.

    The caller has read ``row`` through the user's permissions already. The
    name is made safe for the Content-Disposition header, and the browser
    is told not to guess another type than the one given.
    """
    if not row.is_ready:
        raise Http404(not_ready)
    response = FileResponse(
        row.file.open("rb"),
        as_attachment=True,
        filename=get_valid_filename(filename),
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    if row.sha256:
        # RFC 9530: the digest of the whole file, base64 between colons.
        response["Repr-Digest"] = (
            f"sha-256=:{base64.b64encode(bytes.fromhex(row.sha256)).decode()}:"
        )
    return response
