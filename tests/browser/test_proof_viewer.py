"""The operator's moderator previews a right's proof in the verification queue, in Chromium.

The PDF is framed and the image shown without any Content-Security-Policy
violation (tests/browser/conftest.py fails the test on one).
"""

import hashlib

import pytest
from django.core.files.base import ContentFile

from tests.browser.test_shortcuts import _log_in
from tests.files import png_bytes
from tests.rightsholders.factories import ProofDocumentFactory, RightFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_moderator_previews_a_pdf_and_an_image_of_proof(live_server, page, world, password):
    # given a submitted right with a PDF certificate and a PNG extract
    right = RightFactory(
        rights_holder=world.holder_a.organisation, name="LUNARIA", status="submitted"
    )
    pdf = ProofDocumentFactory(right=right, original_name="certificate.pdf")
    image = png_bytes(40, 30)
    ProofDocumentFactory(
        right=right,
        file=ContentFile(image, name="extract.png"),
        original_name="extract.png",
        content_type="image/png",
        size=len(image),
        sha256=hashlib.sha256(image).hexdigest(),
    )
    _log_in(page, live_server, world.operator_moderator, password)
    page.goto(f"{live_server.url}/rights/verification/")
    item = page.get_by_role("article", name="LUNARIA")
    # the image is shown, decoded
    shown = item.get_by_role("img", name="Proof document extract.png")
    shown.wait_for()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth === 40", arg=shown.element_handle()
    )
    # when they open the PDF's preview, the frame loads it from our origin
    with page.expect_response(lambda r: "inline=1" in r.url and r.url.endswith("inline=1")) as got:
        item.get_by_text("Preview certificate.pdf").click()
    response = got.value
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("inline;")
    assert item.get_by_title("Proof document certificate.pdf").is_visible()
    assert pdf.sha256 in item.inner_text()
