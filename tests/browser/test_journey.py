"""The whole journey of issue 6 in a real browser, each step by the person who takes it.

A rights holder registers a design with its view and proof, the operator's
moderator verifies it in the verification queue, the platform pushes a feed
through the API (the listing photos served from a loopback HTTP server) and the
scanner finds the copied design, the rights holder files a complaint from its
detection inbox, the platform's moderator claims the case with "claim next" and
removes the listing with a statement of reasons, the seller objects through the
signed link of its e-mail, and the case page tells every step. With
``TAKEDOWN_SCREENSHOTS_DIR`` set, each main step is saved there as
``journey-*.png``.
"""

import datetime
import os
import re
from pathlib import Path

import pytest
import requests
from django.urls import reverse

from listings.models import Detection, Seller
from listings.services.tokens import platform_token_create
from rightsholders.models import Right
from takedown.models import Case, CounterNotice, OutboxMessage
from takedown.states import CaseStatus, RightStatus
from tests.files import pdf_bytes, png_bytes
from tests.listings import test_fetch
from tests.listings.test_feeds import jsonl
from tests.listings.test_scanning import logo_png, mirrored_jpeg

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

# The fetcher tests' loopback image server, as a fixture here too.
image_server = test_fetch.image_server

DESIGN = "Luna handbag design 2025"


def _log_in(page, live_server, user, password: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()


def test_a_design_goes_from_registration_to_a_counter_notice_in_the_browser(
    live_server, page, world, password, image_server, settings, tmp_path
):
    settings.TAKEDOWN_IMAGE_FETCH_ALLOW_NETS = ["127.0.0.1/32"]
    settings.TAKEDOWN_PUBLIC_URL = live_server.url
    shots = Path(os.environ.get("TAKEDOWN_SCREENSHOTS_DIR", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    holder = world.holder_a
    platform = world.platform_a
    files = tmp_path / "uploads"
    files.mkdir()
    (files / "luna-front.png").write_bytes(logo_png())
    (files / "registration-certificate.pdf").write_bytes(pdf_bytes())

    # 1. the rights holder registers its design with a view and the registration certificate
    _log_in(page, live_server, holder.admin, password)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Rights").click()
    page.get_by_role("link", name="Register a right").click()
    page.get_by_label("Kind of right").select_option("design")
    page.get_by_label("Name (required)", exact=True).fill(DESIGN)
    page.get_by_label("Office").select_option("EU")
    page.get_by_label("Registration number").fill("015000123-0001")
    page.get_by_label("Locarno class").fill("03-01")
    page.get_by_label("Goods or products covered").fill("Handbags")
    page.get_by_label("Territories").fill("EU")
    today = datetime.date.today()
    page.get_by_label("Valid from").fill(f"{today.replace(year=today.year - 1):%Y-%m-%d}")
    page.get_by_label("Valid until").fill(f"{today.replace(year=today.year + 4):%Y-%m-%d}")
    page.get_by_label("Images").set_input_files(files / "luna-front.png")
    page.get_by_label("Proof documents").set_input_files(files / "registration-certificate.pdf")
    page.screenshot(path=shots / "journey-1-register-design.png", full_page=True)
    with page.expect_navigation():
        page.get_by_role("button", name="Submit for verification").click()
    # then it waits for verification
    assert "was registered and waits for verification" in page.inner_text("main")
    right = Right.objects.get(name=DESIGN)
    assert (right.status, right.images.count(), right.proof_documents.count()) == (
        RightStatus.SUBMITTED,
        1,
        1,
    )

    # 2. the operator's moderator verifies it in the verification queue, proof in view
    _log_in(page, live_server, world.operator_moderator, password)
    page.get_by_role("link", name="Verification queue").click()
    item = page.get_by_role("article", name=DESIGN)
    assert item.get_by_role("link", name="registration-certificate.pdf").is_visible()
    page.screenshot(path=shots / "journey-2-verification-queue.png", full_page=True)
    item.get_by_role("button", name=f"Verify {DESIGN}").click()
    # then the queue says so in place (htmx), and the right is in force
    page.get_by_role("status").filter(has_text=f"{DESIGN} is now verified").wait_for()
    right.refresh_from_db()
    assert right.status == RightStatus.VERIFIED

    # 3. the platform pushes a feed through the API; one photo copies the design (mirrored)
    photo = image_server.serve(
        "/luna-copy.jpg", mirrored_jpeg(logo_png()), headers={"Content-Type": "image/jpeg"}
    )
    plain = image_server.serve("/plain.png", png_bytes(320, 240, seed=7))
    token = platform_token_create(
        actor=platform.admin, platform=platform.platform, name="nightly feed"
    )[1]
    lines = [
        _line("J1", "Stylish moon handbag, new season", "shady", [photo]),
        _line("J2", "Canvas shopping bag", "other", [plain]),
    ]
    pushed = requests.post(
        live_server.url + reverse("api-feed-list"),
        data=jsonl(lines),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"},
        timeout=60,
    )
    assert pushed.status_code == 202, pushed.text
    # the design's detection is found (the scanner ran inside the request: tasks are eager)
    (detection,) = Detection.objects.filter(right__name=DESIGN)
    assert detection.listing.external_id == "J1"
    # sellers' addresses reach the workbench outside the feed
    Seller.objects.filter(external_id="shady").update(contact_email="shady@seller.example")

    # 4. the rights holder opens its detection inbox, selects the detection and files a complaint
    _log_in(page, live_server, holder.admin, password)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Detections").click()
    page.get_by_label("Right").select_option(label=DESIGN)
    with page.expect_navigation():
        page.get_by_role("button", name="Filter").click()
    row = page.get_by_role("row").filter(has_text="Stylish moon handbag")
    assert "image" in row.inner_text()
    page.screenshot(path=shots / "journey-3-detection-inbox.png", full_page=True)
    row.get_by_role("checkbox").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Prepare complaint").click()
    # the review: what the notice relies on and which listings it covers, before signing
    assert DESIGN in page.get_by_role("region", name="Rights relied on").inner_text()
    assert "J1" in page.get_by_role("table", name="Listings in the complaint").inner_text()
    page.get_by_label("Explanation").fill("A mirrored copy of our registered Luna handbag design.")
    page.get_by_label("Your name").fill("Ada Brand")
    page.get_by_label("Your email").fill("ada@holder-a.example")
    page.get_by_label("I believe in good faith").check()
    page.get_by_label("The information in this notice is accurate").check()
    page.get_by_label("Signature").fill("Ada Brand")
    page.screenshot(path=shots / "journey-4-complaint-review.png", full_page=True)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign and file the complaint").click()
    assert "wait for a moderator" in page.inner_text("main")
    case = Case.objects.get(detection=detection)
    assert case.status == CaseStatus.OPEN

    # 5. the platform's moderator claims the case from the queue and removes the listing
    _log_in(page, live_server, platform.moderator, password)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Case queue").click()
    assert "Stylish moon handbag" in page.get_by_role("table").inner_text()
    page.screenshot(path=shots / "journey-5-case-queue.png", full_page=True)
    with page.expect_navigation():
        page.get_by_role("button", name="Claim next case").click()
    assert page.url == live_server.url + reverse("cases:detail", args=[case.pk])
    decide = page.get_by_role("region", name="Decide")
    decide.get_by_label("Remove the listing").check()
    decide.get_by_label("Explanation").fill(
        "The photo is a mirrored copy of the registered Luna handbag design."
    )
    decide.get_by_label("Territories (optional)").fill("DE, FR")
    page.screenshot(path=shots / "journey-6-case-decide.png", full_page=True)
    with page.expect_navigation():
        decide.get_by_role("button", name="Decide", exact=True).click()
    assert "Decided: Removed" in page.inner_text("main")
    statement = page.get_by_role("region", name="Statement of reasons")
    assert "mirrored copy of the registered Luna handbag design" in statement.inner_text()

    # 6. the seller opens the signed link of its e-mail and objects
    e_mail = OutboxMessage.objects.get(
        topic="case.statement_of_reasons", recipient="shady@seller.example"
    )
    link = re.search(r"http\S+/respond/\S+", e_mail.body)
    assert link is not None, e_mail.body
    page.context.clear_cookies()
    page.goto(link.group(0))
    assert "Statement of reasons" in page.inner_text("main")
    objection = page.get_by_role("region", name="Object: counter-notice")
    objection.get_by_label("Your name", exact=True).fill("Sam Shady")
    objection.get_by_label("Your email", exact=True).fill("shady@seller.example")
    objection.get_by_label("address").fill("2 Harbour Road, Marseille")
    objection.get_by_label("Phone").fill("+33 4 91 00 00 00")
    objection.get_by_label("Why your listing does not infringe").fill(
        "Our own design, sold since 2019; invoices attached on request."
    )
    objection.get_by_role("checkbox").nth(0).check()
    objection.get_by_role("checkbox").nth(1).check()
    objection.get_by_label("Signature").fill("Sam Shady")
    page.screenshot(path=shots / "journey-7-counter-notice.png", full_page=True)
    with page.expect_navigation():
        objection.get_by_role("button", name="Send objection").click()
    assert "You objected on" in page.inner_text("main")
    assert CounterNotice.objects.filter(case=case).exists()

    # 7. the case page tells the whole story, step by step
    _log_in(page, live_server, platform.moderator, password)
    page.goto(live_server.url + reverse("cases:detail", args=[case.pk]))
    history = page.get_by_role("table", name="Every step of this case")
    steps = [
        row.get_by_role("cell").all_inner_texts()[1:4]
        for row in history.locator("tbody").get_by_role("row").all()
    ]
    assert steps == [
        ["holder-a-admin", "Filed", "Waiting for a decision"],
        ["market-a-moderator", "Claimed", "Waiting for a decision"],
        ["market-a-moderator", "Remove", "Waiting for a decision → Removed"],
        ["system", "Seller's counter-notice", "Removed → Seller objected: notifier's window open"],
    ]
    assert page.get_by_role("region", name="The seller's counter-notice").is_visible()
    page.screenshot(path=shots / "journey-8-case-history.png", full_page=True)


def _line(external_id: str, title: str, seller: str, images: list[str]) -> dict:
    return {
        "external_id": external_id,
        "title": title,
        "price": "39.00",
        "currency": "EUR",
        "seller_id": seller,
        "seller_name": f"{seller.title()} Store",
        "ship_to": ["DE", "FR"],
        "images": images,
    }
