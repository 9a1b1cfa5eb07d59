"""Bombs and disguised files through every way a file comes in, and feed lines built to crash.

``tests/takedown/test_uploads.py`` checks ``check_upload`` itself. Here each
entry point is driven through its service: a right's images and proof
documents, an agent's letter, a complaint's evidence, a seller's
counter-notice and appeal evidence, and a listing image fetched from a URL.
A 20,000 x 20,000 PNG (400 megapixels, a few KB on disk) must be refused in
well under a second, without its pixels ever being decoded and without large
memory; so must a PNG whose text chunk inflates to 64 MB.
"""

import datetime
import json
import struct
import time
import tracemalloc
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import ImageFile

from listings.models import Listing
from listings.services import feeds as feed_service
from listings.services.images import listing_image_fetch
from listings.services.tokens import platform_token_create
from rightsholders.services import agent_authorisation_grant, right_submit
from takedown.errors import DomainError
from takedown.services.complaints import complaint_file
from takedown.services.remedies import appeal_file, counter_notice_file
from takedown.states import ImageStatus
from tests.files import pdf_upload, png_bomb_bytes, png_bytes
from tests.listings import test_fetch
from tests.listings.factories import ListingFactory, SellerFactory
from tests.listings.test_images import ListingImageFactory
from tests.rightsholders.test_right_submit import word_mark
from tests.takedown.test_complaints import data
from tests.takedown.test_remedies import objection, removed_case

pytestmark = pytest.mark.django_db

image_server = test_fetch.image_server
connections = test_fetch.connections

# Headroom over what the refused file's bytes and a service call's ORM work take;
# decoding the bomb would need 400 MB.
MEMORY_LIMIT = 20 * 1024 * 1024
TODAY = datetime.date.today()


def png_text_bomb() -> bytes:
    """A valid 8 x 8 PNG with a zTXt chunk of ~64 KB that inflates to 64 MB of text."""
    plain = png_bytes(8, 8)
    inflated = zlib.compress(b"A" * (64 * 1024 * 1024), 9)
    payload = b"comment\x00\x00" + inflated
    chunk = (
        struct.pack(">I", len(payload))
        + b"zTXt"
        + payload
        + struct.pack(">I", zlib.crc32(b"zTXt" + payload))
    )
    return plain[:33] + chunk + plain[33:]  # after the signature and IHDR


BOMBS = {
    "400-megapixel PNG": (
        png_bomb_bytes(),
        r"bomb.png: the image (has more pixels|is 20000 x 20000)",
    ),
    "PNG text bomb": (png_text_bomb(), r"bomb.png: the image cannot be read"),
}


def bomb_upload(kind: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("bomb.png", BOMBS[kind][0], "image/png")


# Each entry point: given the world, set up what the call needs and return the call
# taking one file; everything else about the call is valid.


def right_image(world):
    return lambda upload: right_submit(
        actor=world.holder_a.admin,
        rights_holder=world.holder_a.organisation,
        data=word_mark(kind="figurative_mark", name="Logo", mark_text=""),
        images=[upload],
        proof_documents=[pdf_upload()],
    )


def right_proof(world):
    return lambda upload: right_submit(
        actor=world.holder_a.admin,
        rights_holder=world.holder_a.organisation,
        data=word_mark(),
        proof_documents=[upload],
    )


def agent_letter(world):
    return lambda upload: agent_authorisation_grant(
        actor=world.holder_a.admin,
        rights_holder=world.holder_a.organisation,
        agent=world.agent.organisation,
        letter=upload,
        valid_from=TODAY,
        valid_until=TODAY + datetime.timedelta(days=365),
    )


def complaint_evidence(world):
    listing = ListingFactory(platform=world.platform_a.platform, title="BRANDA bag")
    return lambda upload: complaint_file(
        actor=world.holder_a.member,
        rights_holder=world.holder_a.organisation,
        right_ids=[world.holder_a.rights[0].pk],
        listing_ids=[listing.pk],
        data=data(),
        evidence=[upload],
    )


def counter_notice_evidence(world):
    case = removed_case(world, SellerFactory(platform=world.platform_a.platform))
    return lambda upload: counter_notice_file(case=case, data=objection(), evidence=[upload])


def appeal_evidence(world):
    case = removed_case(world, SellerFactory(platform=world.platform_a.platform))
    return lambda upload: appeal_file(
        case=case, by="seller", statement="Genuine.", evidence=[upload]
    )


ENTRY_POINTS = [
    right_image,
    right_proof,
    agent_letter,
    complaint_evidence,
    counter_notice_evidence,
    appeal_evidence,
]


@pytest.fixture
def pixel_loads(monkeypatch):
    """Record every decode of pixel data (ImageFile.load) anywhere in the process."""
    calls: list[tuple[int, int]] = []
    real = ImageFile.ImageFile.load

    def load(self):
        calls.append(self.size)
        return real(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    return calls


@pytest.mark.parametrize("bomb", list(BOMBS))
@pytest.mark.parametrize("entry_point", ENTRY_POINTS, ids=lambda f: f.__name__)
def test_a_bomb_is_refused_fast_small_and_undecoded_through_every_upload(
    world, entry_point, bomb, pixel_loads
):
    # given an entry point and a bomb sent as image/png
    upload_through = entry_point(world)
    _bytes, message = BOMBS[bomb]
    # when the bomb is uploaded through it once (the first call's lazy imports are not
    # counted), again with memory traced, and again timed
    with pytest.raises(DomainError, match=message):
        upload_through(bomb_upload(bomb))
    tracemalloc.start()
    try:
        with pytest.raises(DomainError, match=message) as refused:
            upload_through(bomb_upload(bomb))
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    started = time.perf_counter()
    with pytest.raises(DomainError, match=message):
        upload_through(bomb_upload(bomb))
    elapsed = time.perf_counter() - started
    # then it is refused, naming the file, in well under a second, with little memory,
    # and no image's pixels were decoded
    assert refused.value.field
    assert elapsed < 1.0
    assert peak < MEMORY_LIMIT
    assert (20_000, 20_000) not in pixel_loads
    assert all(w * h <= 64 * 64 for w, h in pixel_loads)


@pytest.mark.parametrize(
    "entry_point",
    [right_proof, agent_letter, complaint_evidence, counter_notice_evidence, appeal_evidence],
    ids=lambda f: f.__name__,
)
def test_a_png_claiming_to_be_a_pdf_is_refused_through_every_document_upload(world, entry_point):
    # given PNG bytes named and sent as a PDF
    disguised = SimpleUploadedFile("statement.pdf", png_bytes(), "application/pdf")
    # when it is uploaded where documents are accepted
    # then it is refused, naming the file, its claimed and its real type
    with pytest.raises(
        DomainError, match=r"statement.pdf: the name ends in .pdf but the content is a PNG"
    ):
        entry_point(world)(disguised)


def test_a_pdf_sent_as_an_image_is_refused_where_only_images_are_accepted(world):
    # given PDF bytes named and sent as a PNG
    disguised = SimpleUploadedFile("logo.png", pdf_upload().read(), "image/png")
    # when it is uploaded as a right's image
    # then it is refused as a type not accepted there
    with pytest.raises(DomainError, match="logo.png: this type of file is not accepted"):
        right_image(world)(disguised)


@pytest.fixture
def allow_loopback_server(settings):
    settings.TAKEDOWN_IMAGE_FETCH_ALLOW_NETS = ["127.0.0.1/32"]


@pytest.mark.parametrize("bomb", list(BOMBS))
def test_a_bomb_at_an_image_url_fails_fast_small_and_undecoded(
    bomb, image_server, connections, allow_loopback_server, pixel_loads
):
    # given a listing image whose URL serves a bomb
    body, _message = BOMBS[bomb]
    image = ListingImageFactory(url=image_server.serve("/bomb.png", body))
    # when it is fetched and checked (the service the image task calls), traced
    tracemalloc.start()
    started = time.perf_counter()
    try:
        listing_image_fetch(image_id=image.pk)
        elapsed = time.perf_counter() - started
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # then the image failed, saying why, quickly, with little memory and without decoding
    image.refresh_from_db()
    assert image.status == ImageStatus.FAILED
    assert "megapixels" in image.error or "cannot be read" in image.error
    assert elapsed < 1.0
    assert peak < MEMORY_LIMIT
    assert pixel_loads == []


# Feed lines built to crash the reader ---------------------------------------------


@pytest.fixture
def push(client, world, django_capture_on_commit_callbacks, monkeypatch):
    """POST a feed as platform A and run its ingestion as a worker would; return the status."""
    monkeypatch.setattr(feed_service, "_queue_images", lambda ids: None)
    token = platform_token_create(
        actor=world.platform_a.admin, platform=world.platform_a.platform, name="feeder"
    )[1]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    def push(body: bytes, content_type: str = "application/x-ndjson") -> dict:
        with django_capture_on_commit_callbacks(execute=True):
            accepted = client.post(
                reverse("api-feed-list"), data=body, content_type=content_type, **auth
            )
        assert accepted.status_code == 202, accepted.content
        return client.get(accepted.json()["status_url"], **auth).json()

    return push


def ok(n: int) -> bytes:
    return json.dumps({"external_id": f"K{n}", "title": f"Leather bag {n}"}).encode()


def test_jsonl_lines_that_crash_a_json_parser_are_refused_with_their_numbers(world, push):
    # given a feed whose lines 2 and 4 are a 5,000-digit number and 100,000 nested arrays
    body = b"\n".join(
        [
            ok(1),
            b'{"external_id": "K2", "title": "t", "price": ' + b"9" * 5000 + b"}",
            ok(3),
            b'{"external_id": "K4", "title": "t", "extra": ' + b"[" * 100_000 + b"}",
            ok(5),
        ]
    )
    # when it is pushed and ingested
    status = push(body + b"\n")
    # then the feed is done, the two lines are refused by number and the other three kept
    assert status["status"] == "done"
    assert [(e["line"], e["message"][:19]) for e in status["errors"]] == [
        (2, "is not valid JSON: "),
        (4, "is not valid JSON: "),
    ]
    assert "4300 digits" in status["errors"][0]["message"]
    assert "nested too deeply" in status["errors"][1]["message"]
    assert sorted(
        Listing.objects.filter(
            platform=world.platform_a.platform, external_id__startswith="K"
        ).values_list("external_id", flat=True)
    ) == ["K1", "K3", "K5"]


def test_a_csv_line_with_a_field_over_the_line_limit_is_refused_with_its_number(
    world, push, settings
):
    # given a CSV feed whose second and fourth rows carry a 5,000-byte field, limit 2,000
    settings.TAKEDOWN_FEED_MAX_LINE_BYTES = 2000
    big = "x" * 5000
    body = (
        "external_id,title,description\n"
        f"C1,Bag 1,fine\nC2,Bag 2,{big}\nC3,Bag 3,fine\n"
        f'C4,"Bag 4","{big}"\nC5,Bag 5,fine\n'
    ).encode()
    # when it is pushed and ingested
    status = push(body, "text/csv")
    # then the two rows are refused on their own lines and the three others kept
    assert [(e["line"], e["message"]) for e in status["errors"]] == [
        (3, "cannot be read as CSV: field larger than field limit (2000)"),
        (5, "cannot be read as CSV: field larger than field limit (2000)"),
    ]
    assert sorted(
        Listing.objects.filter(
            platform=world.platform_a.platform, external_id__startswith="C"
        ).values_list("external_id", flat=True)
    ) == ["C1", "C3", "C5"]


def test_a_nul_character_anywhere_in_a_line_is_refused_on_that_line(world, push):
    # given JSON Lines with U+0000 in a title, deep in an unknown field, and in a CSV row
    jsonl = b"\n".join(
        [
            ok(1),
            b'{"external_id": "K2", "title": "bag\\u0000x"}',
            ok(3),
            b'{"external_id": "K4", "title": "t", "specs": {"size": ["L", "x\\u0000"]}}',
            ok(5),
        ]
    )
    # (a NUL in the first 64 KB refuses the whole body as binary: here it comes later)
    padding = b"".join(b"P%d,%s,grey\n" % (n, b"Padding row " * 8) for n in range(1000))
    csv_body = b"external_id,title,colour\nC1,Bag,red\n" + padding + b"C2,Bag,r\x00d\nC3,Bag,blue\n"
    # when both are pushed and ingested (PostgreSQL cannot store U+0000 at all)
    from_jsonl, from_csv = push(jsonl + b"\n"), push(csv_body, "text/csv")
    # then each feed finishes, the lines are refused naming their field, the others are kept
    message = "contains a NUL character (\\u0000), which cannot be stored"
    assert from_jsonl["status"] == from_csv["status"] == "done"
    assert [(e["line"], e["field"], e["message"]) for e in from_jsonl["errors"]] == [
        (2, "title", message),
        (4, "specs", message),
    ]
    assert [(e["line"], e["field"], e["message"]) for e in from_csv["errors"]] == [
        (1003, "colour", message)
    ]
    assert sorted(
        Listing.objects.filter(
            platform=world.platform_a.platform, external_id__regex=r"^[CK][0-9]$"
        ).values_list("external_id", flat=True)
    ) == ["C1", "C3", "K1", "K3", "K5"]


# Text fields of the pages -------------------------------------------------------


@pytest.mark.postgres
def test_a_nul_character_in_a_moderator_s_explanation_gets_an_answer_not_a_500(world, client):
    # given an open case claimed by platform A's moderator
    listing = ListingFactory(platform=world.platform_a.platform, title="BRANDA bag")
    case = complaint_file(
        actor=world.holder_a.member,
        rights_holder=world.holder_a.organisation,
        right_ids=[world.holder_a.rights[0].pk],
        listing_ids=[listing.pk],
        data=data(),
    ).cases.get()
    client.force_login(world.platform_a.moderator)
    client.post(reverse("cases:act", args=[case.pk]), {"action": "claim"})
    # when the moderator decides with an explanation holding U+0000 (pasted from a PDF, say)
    response = client.post(
        reverse("cases:act", args=[case.pk]),
        {"action": "remove", "explanation": "Counterfeit\x00 goods bearing the mark."},
    )
    # then the page answers 400 naming the field, and the case is not decided
    assert response.status_code == 400
    assert "The field “explanation” holds a NUL character" in response.content.decode()
    case.refresh_from_db()
    assert case.decided_at is None


@pytest.mark.parametrize(
    "method, params, field",
    [
        ("get", {"q": "bag\x00"}, "q"),
        ("post", {"explanation": "ok", "reason": "a\x00b"}, "reason"),
        ("post", {"bad\x00name": "x"}, "bad\\x00name"),
    ],
)
def test_every_page_refuses_a_nul_character_in_its_parameters_naming_the_field(
    world, client, method, params, field
):
    # given a signed-in moderator
    client.force_login(world.platform_a.moderator)
    # when a page is asked with a parameter holding U+0000
    response = getattr(client, method)(reverse("cases:queue"), params)
    # then it answers 400 and names the parameter, before any view reads it
    assert response.status_code == 400
    assert f"The field “{field}” holds a NUL character" in response.content.decode()


def test_the_api_is_left_to_its_serializers_and_clean_pages_pass(world, client):
    client.force_login(world.platform_a.moderator)
    assert client.get(reverse("cases:queue"), {"q": "bag"}).status_code == 200
    # the API validates its own input (DRF's CharField refuses U+0000 with a field error)
    api = client.get(reverse("api-case-list"), {"status": "open\x00"})
    assert api.status_code != 500
