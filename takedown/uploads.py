"""Checks every uploaded file before anything is stored.

A proof document, right image or letter of authorisation is refused with a
message naming the field and the problem when it is too large, empty, of a
format outside the allowlist, not what its name or declared type claims, an
image too large in pixels (decompression bomb), an image or PDF that does not
decode, or an encrypted or over-long PDF. Files are stored only after every
file of a request has passed, and removed again if the database write fails.
"""

import hashlib
import io
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import IO, Literal

from django.conf import settings
from django.core.files.storage import Storage
from django.core.files.uploadedfile import UploadedFile
from django.db.models.fields.files import FieldFile
from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PdfReadError

from takedown.errors import DomainError

Kind = Literal["image", "pdf"]


@dataclass(frozen=True)
class FileFormat:
    name: str
    kind: Kind
    content_type: str
    extensions: frozenset[str]
    label: str


FORMATS = {
    "PNG": FileFormat("PNG", "image", "image/png", frozenset({".png"}), "PNG image"),
    "JPEG": FileFormat(
        "JPEG", "image", "image/jpeg", frozenset({".jpg", ".jpeg", ".jpe"}), "JPEG image"
    ),
    "WEBP": FileFormat("WEBP", "image", "image/webp", frozenset({".webp"}), "WebP image"),
    "GIF": FileFormat("GIF", "image", "image/gif", frozenset({".gif"}), "GIF image"),
    "PDF": FileFormat("PDF", "pdf", "application/pdf", frozenset({".pdf"}), "PDF document"),
}
# Declared content types that say nothing about the content.
GENERIC_CONTENT_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream"})


class UploadRejected(DomainError):
    """An uploaded file that is refused; ``field`` names the form field."""


@dataclass(frozen=True)
class CheckedFile:
    format: FileFormat
    size: int
    sha256: str
    width: int | None = None
    height: int | None = None
    pages: int | None = None


def sniff_format(head: bytes) -> FileFormat | None:
    """Return the format the leading bytes announce, or None when it is none we accept."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return FORMATS["PNG"]
    if head.startswith(b"\xff\xd8\xff"):
        return FORMATS["JPEG"]
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return FORMATS["WEBP"]
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return FORMATS["GIF"]
    if head.startswith(b"%PDF-"):
        return FORMATS["PDF"]
    return None


def _allowed_label(allow: frozenset[Kind]) -> str:
    labels = []
    if "pdf" in allow:
        labels.append("a PDF")
    if "image" in allow:
        labels.append("an image (PNG, JPEG, WebP or GIF)")
    return " or ".join(labels)


def _megabytes(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB"


def check_upload(
    upload: IO[bytes],
    *,
    name: str,
    declared_type: str | None,
    allow: frozenset[Kind],
    field_name: str,
    decode: bool = True,
) -> CheckedFile:
    """Return what ``upload`` really is, or raise UploadRejected saying why it is refused.

    An image is decoded (at reduced scale) to prove its pixel data reads;
    ``decode=False`` leaves that to a caller that decodes it anyway and refuses
    what fails (listing image intake), so an image is not decoded twice.
    """
    label = f"{name or 'The file'}"

    def refuse(problem: str) -> UploadRejected:
        return UploadRejected(f"{label}: {problem}", field=field_name)

    upload.seek(0, io.SEEK_END)
    size = upload.tell()
    upload.seek(0)
    limit = settings.TAKEDOWN_UPLOAD_MAX_BYTES
    if size == 0:
        raise refuse("the file is empty.")
    if size > limit:
        raise refuse(f"the file is {_megabytes(size)}; the limit is {_megabytes(limit)}.")

    head = upload.read(16)
    upload.seek(0)
    fmt = sniff_format(head)
    if fmt is None or fmt.kind not in allow:
        raise refuse(f"this type of file is not accepted; upload {_allowed_label(allow)}.")

    suffix = PurePath(name).suffix.lower()
    if suffix and suffix not in fmt.extensions:
        raise refuse(f"the name ends in {suffix} but the content is a {fmt.label}.")
    declared = (declared_type or "").split(";")[0].strip().lower()
    if declared not in GENERIC_CONTENT_TYPES and declared != fmt.content_type:
        raise refuse(f"it was sent as {declared} but the content is a {fmt.label}.")

    if fmt.kind == "image":
        width, height = _check_image(upload, refuse, decode=decode)
        checked = CheckedFile(fmt, size, _sha256(upload), width=width, height=height)
    else:
        checked = CheckedFile(fmt, size, _sha256(upload), pages=_check_pdf(upload, refuse))
    upload.seek(0)
    return checked


def _check_image(upload: IO[bytes], refuse, *, decode: bool) -> tuple[int, int]:
    max_pixels = settings.TAKEDOWN_IMAGE_MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # Image.open reads only the header: the size is known before any pixel is decoded.
            with Image.open(upload) as im:
                width, height = im.size
                if width * height > max_pixels:
                    raise refuse(
                        f"the image is {width} x {height} pixels; the limit is "
                        f"{max_pixels / 1_000_000:g} megapixels."
                    )
                im.verify()
            upload.seek(0)
            if not decode:
                return width, height
            with Image.open(upload) as im:
                # Decode for real (verify() does not decode JPEG data); draft mode
                # makes JPEG decode at reduced scale, so this stays cheap.
                im.draft("RGB", (max(1, width // 8), max(1, height // 8)))
                im.load()
    except UploadRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow's own guard fired while reading the header: far beyond our limit.
        raise refuse(
            f"the image has more pixels than the limit of {max_pixels / 1_000_000:g} megapixels."
        ) from exc
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
    ) as exc:
        raise refuse(f"the image cannot be read ({exc}).") from exc
    finally:
        upload.seek(0)
    return width, height


def _check_pdf(upload: IO[bytes], refuse) -> int:
    try:
        reader = PdfReader(upload, strict=False)
        if reader.is_encrypted:
            raise refuse("the PDF is password-protected; upload an unprotected copy.")
        pages = len(reader.pages)
    except UploadRejected:
        raise
    except (PdfReadError, OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise refuse(f"the PDF cannot be read ({exc}).") from exc
    finally:
        upload.seek(0)
    if pages == 0:
        raise refuse("the PDF has no pages.")
    if pages > settings.TAKEDOWN_PDF_MAX_PAGES:
        raise refuse(f"the PDF has {pages} pages; the limit is {settings.TAKEDOWN_PDF_MAX_PAGES}.")
    return pages


def _sha256(upload: IO[bytes]) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in iter(lambda: upload.read(1024 * 1024), b""):
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def check_uploads(
    uploads: Sequence[UploadedFile], *, allow: frozenset[Kind], field_name: str
) -> list[tuple[UploadedFile, CheckedFile]]:
    """Check each upload (see check_upload) and refuse the same file sent twice."""
    checked: list[tuple[UploadedFile, CheckedFile]] = []
    seen: dict[str, str] = {}
    for upload in uploads:
        result = check_upload(
            upload,
            name=upload.name or "",
            declared_type=getattr(upload, "content_type", None),
            allow=allow,
            field_name=field_name,
        )
        if result.sha256 in seen:
            raise DomainError(
                f"{upload.name} is the same file as {seen[result.sha256]}.", field=field_name
            )
        seen[result.sha256] = upload.name or ""
        checked.append((upload, result))
    return checked


@dataclass
class StoredFiles:
    """Files written to storage during one service call."""

    entries: list[tuple[Storage, str]] = field(default_factory=list)

    def track(self, fieldfile: FieldFile) -> None:
        if fieldfile.name:
            self.entries.append((fieldfile.storage, fieldfile.name))


@contextmanager
def files_removed_on_error() -> Iterator[StoredFiles]:
    """Delete the tracked files again when the block fails, so no orphan is left behind.

    Enter it outside ``transaction.atomic()``: the transaction rolls back first,
    then the files go.
    """
    stored = StoredFiles()
    try:
        yield stored
    except BaseException:
        for storage, name in stored.entries:
            storage.delete(name)
        raise
