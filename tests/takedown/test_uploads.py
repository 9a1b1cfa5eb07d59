import io
import time
import tracemalloc

import pytest

from takedown.uploads import UploadRejected, check_upload
from tests.files import jpeg_bytes, pdf_bytes, png_bomb_bytes, png_bytes

ANY = frozenset({"image", "pdf"})


def check(content: bytes, name: str, declared: str | None = None, allow=ANY):
    return check_upload(
        io.BytesIO(content), name=name, declared_type=declared, allow=allow, field_name="f"
    )


def test_png_is_accepted_with_its_size_and_hash():
    result = check(png_bytes(40, 30), "logo.png", "image/png")
    assert (result.format.name, result.width, result.height) == ("PNG", 40, 30)
    assert len(result.sha256) == 64


def test_pdf_is_accepted_with_its_page_count():
    assert check(pdf_bytes(pages=3), "certificate.pdf", "application/pdf").pages == 3


def test_jpeg_with_generic_declared_type_is_accepted():
    assert check(jpeg_bytes(), "photo.JPG", "application/octet-stream").format.name == "JPEG"


def test_png_bytes_named_pdf_are_refused_naming_both():
    with pytest.raises(
        UploadRejected, match=r"fake\.pdf: the name ends in \.pdf but the content is a PNG image"
    ):
        check(png_bytes(), "fake.pdf")


def test_declared_type_that_contradicts_the_content_is_refused():
    with pytest.raises(
        UploadRejected, match="sent as application/pdf but the content is a PNG image"
    ):
        check(png_bytes(), "logo", "application/pdf")


def test_empty_file_is_refused():
    with pytest.raises(UploadRejected, match="empty.png: the file is empty"):
        check(b"", "empty.png")


def test_file_over_the_size_limit_is_refused_with_both_sizes(settings):
    settings.TAKEDOWN_UPLOAD_MAX_BYTES = 1024 * 1024
    padded = pdf_bytes() + b"\0" * (1024 * 1024)
    with pytest.raises(UploadRejected, match=r"big.pdf: the file is 1\.0 MB; the limit is 1\.0 MB"):
        check(padded, "big.pdf")


def test_executable_is_refused_as_a_type_not_accepted():
    with pytest.raises(
        UploadRejected, match="this type of file is not accepted; upload a PDF or an image"
    ):
        check(b"MZ\x90\x00" + b"\0" * 100, "setup.exe")


def test_pdf_where_only_images_are_allowed_is_refused():
    with pytest.raises(UploadRejected, match=r"upload an image \(PNG, JPEG, WebP or GIF\)"):
        check(pdf_bytes(), "logo.pdf", allow=frozenset({"image"}))


def test_truncated_png_is_refused_as_unreadable():
    with pytest.raises(UploadRejected, match="the image cannot be read"):
        check(png_bytes(200, 200)[:120], "cut.png")


def test_pdf_header_with_garbage_body_is_refused():
    with pytest.raises(UploadRejected, match="the PDF cannot be read|the PDF has no pages"):
        check(b"%PDF-1.7\n" + b"garbage" * 50, "broken.pdf")


def test_encrypted_pdf_is_refused():
    with pytest.raises(UploadRejected, match="password-protected"):
        check(pdf_bytes(password="s3cret"), "locked.pdf")


def test_pdf_with_too_many_pages_is_refused(settings):
    settings.TAKEDOWN_PDF_MAX_PAGES = 2
    with pytest.raises(UploadRejected, match="the PDF has 3 pages; the limit is 2"):
        check(pdf_bytes(pages=3), "long.pdf")


def test_image_over_the_pixel_limit_is_refused_naming_its_size(settings):
    settings.TAKEDOWN_IMAGE_MAX_PIXELS = 1000
    with pytest.raises(
        UploadRejected, match="the image is 40 x 30 pixels; the limit is 0.001 megapixels"
    ):
        check(png_bytes(40, 30), "wide.png")


def test_decompression_bomb_is_refused_fast_without_decoding():
    # given a 20,000 x 20,000 PNG (400 MB if decoded) that is a few KB on disk
    bomb = png_bomb_bytes()
    tracemalloc.start()
    started = time.perf_counter()
    # when it is checked
    with pytest.raises(UploadRejected, match="the limit of 40 megapixels"):
        check(bomb, "bomb.png")
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # then it is refused from the header: well under a second and without large memory
    assert elapsed < 1.0
    assert peak < 20 * 1024 * 1024
