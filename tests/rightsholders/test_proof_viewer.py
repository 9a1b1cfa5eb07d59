"""Proof documents in the verification queue: what each is, previewed inline, downloadable."""

import hashlib

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from tests.files import png_bytes
from tests.rightsholders.factories import ProofDocumentFactory, RightFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(world):
    """A submitted right of holder A with a PDF certificate and a PNG register extract."""
    right = RightFactory(
        rights_holder=world.holder_a.organisation, name="LUNARIA", status="submitted"
    )
    pdf = ProofDocumentFactory(right=right, original_name="certificate.pdf")
    image = png_bytes(40, 30)
    png = ProofDocumentFactory(
        right=right,
        file=ContentFile(image, name="extract.png"),
        original_name="extract.png",
        content_type="image/png",
        size=len(image),
        sha256=hashlib.sha256(image).hexdigest(),
    )
    return right, pdf, png


def test_the_queue_shows_each_proof_s_type_size_and_fingerprint_with_a_preview(
    client, world, submitted
):
    right, pdf, png = submitted
    client.force_login(world.operator_moderator)
    body = client.get(reverse("rightsholders:verification-queue")).content.decode()
    url = reverse("rightsholders:proof-document", args=[right.pk, pdf.pk])
    image_url = reverse("rightsholders:proof-document", args=[right.pk, png.pk])
    # the PDF: framed from our own origin, with its type, size and SHA-256, and a download
    assert f'<iframe src="{url}?inline=1"' in body
    assert f'href="{url}" download>certificate.pdf</a>' in body
    assert "application/pdf · 500\xa0bytes" in body and pdf.sha256 in body
    # the image: shown as an image, with its fingerprint
    assert (
        f'<img class="img-fluid img-thumbnail mt-1 proof-image" src="{image_url}?inline=1"' in body
    )
    assert png.sha256 in body and "image/png" in body


def test_the_right_page_shows_the_same_proof_viewer(client, world, submitted):
    right, pdf, _png = submitted
    client.force_login(world.holder_a.member)
    body = client.get(reverse("rightsholders:right-detail", args=[right.pk])).content.decode()
    assert "?inline=1" in body and pdf.sha256 in body


def test_a_pdf_shown_inline_is_framed_by_our_pages_only(client, world, submitted):
    right, pdf, _png = submitted
    client.force_login(world.operator_moderator)
    url = reverse("rightsholders:proof-document", args=[right.pk, pdf.pk])
    inline = client.get(url, {"inline": "1"})
    assert inline["Content-Type"] == "application/pdf"
    assert inline["Content-Disposition"].startswith('inline; filename="certificate.pdf"')
    assert inline["X-Frame-Options"] == "SAMEORIGIN"
    assert inline["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'self'"
    assert inline["X-Content-Type-Options"] == "nosniff"
    assert b"".join(inline.streaming_content).startswith(b"%PDF")
    # without ?inline=1 it stays a sandboxed download nobody may frame
    download = client.get(url)
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Frame-Options"] == "DENY"
    assert "sandbox" in download["Content-Security-Policy"]


def test_an_image_shown_inline_stays_sandboxed(client, world, submitted):
    right, _pdf, png = submitted
    client.force_login(world.operator_moderator)
    url = reverse("rightsholders:proof-document", args=[right.pk, png.pk])
    inline = client.get(url, {"inline": "1"})
    assert inline["Content-Type"] == "image/png"
    assert inline["Content-Disposition"].startswith("inline;")
    assert (
        inline["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'self'; sandbox"
    )


def test_a_type_browsers_do_not_render_is_always_a_download(client, world, submitted):
    right, _pdf, _png = submitted
    odd = ProofDocumentFactory(right=right, original_name="scan.tiff", content_type="image/tiff")
    client.force_login(world.operator_moderator)
    url = reverse("rightsholders:proof-document", args=[right.pk, odd.pk])
    assert client.get(url, {"inline": "1"})["Content-Disposition"].startswith("attachment;")


def test_another_tenant_s_proof_is_not_shown_inline(client, world, submitted):
    right, pdf, _png = submitted
    client.force_login(world.holder_b.member)
    url = reverse("rightsholders:proof-document", args=[right.pk, pdf.pk])
    assert client.get(url, {"inline": "1"}).status_code == 404


def test_the_pages_allow_frames_from_our_own_origin_only(client, world):
    client.force_login(world.operator_moderator)
    policy = client.get(reverse("rightsholders:verification-queue"))["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["frame-src"] == "'self'"
    assert directives["object-src"] == "'none'"
