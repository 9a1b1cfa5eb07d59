"""Bytes of real files for upload tests: images Pillow writes, PDFs pypdf writes."""

import io
import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw
from pypdf import PdfWriter


def png_bytes(width: int = 64, height: int = 64, *, seed: int = 0) -> bytes:
    """A small PNG drawn from ``seed``, so different seeds give different images."""
    im = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(im)
    draw.rectangle(
        [seed % width // 2, 4, width - 4, height // 2 + seed % (height // 2)],
        fill=(seed * 37 % 255, 40, 90),
    )
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


def jpeg_bytes(width: int = 64, height: int = 64) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (200, 10, 10)).save(buf, "JPEG")
    return buf.getvalue()


def pdf_bytes(pages: int = 1, *, password: str | None = None) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if password:
        writer.encrypt(password)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def png_bomb_bytes(width: int = 20_000, height: int = 20_000) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` pixels but whose data is a few KB.

    Decoding it would need width * height bytes of memory; a guard must refuse it
    from the header alone.
    """

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    compressor = zlib.compressobj(9)
    row = b"\x00" + b"\x00" * width
    data = b"".join(compressor.compress(row) for _ in range(64)) + compressor.flush()
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def upload(
    name: str, content: bytes, content_type: str = "application/octet-stream"
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def png_upload(name: str = "logo.png", *, seed: int = 0) -> SimpleUploadedFile:
    return upload(name, png_bytes(seed=seed), "image/png")


def pdf_upload(name: str = "certificate.pdf") -> SimpleUploadedFile:
    return upload(name, pdf_bytes(), "application/pdf")
