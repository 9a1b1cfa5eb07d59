"""A rights holder works the detection inbox in a real browser.

The demo data's rights are verified as it loads, so their retro-scans have
already matched DemoMart's listings. With ``TAKEDOWN_SCREENSHOTS_DIR`` set the
inbox and a detection's page are saved there (the README's screenshots).
"""

import os
from pathlib import Path

import pytest
from django.core.management import call_command

from listings.models import Detection
from takedown.management.commands.load_demo import DEMO_PASSWORD
from takedown.states import DetectionStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', DEMO_PASSWORD)
    with page.expect_navigation():
        page.click('form:has(input[name="password"]) button[type="submit"]')


def test_a_rights_holder_reads_why_and_dismisses_from_the_inbox(live_server, page, tmp_path):
    call_command("load_demo")
    _log_in(page, live_server, "aurelia")
    shots = Path(os.environ.get("TAKEDOWN_SCREENSHOTS_DIR", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)

    # when Aurelia opens its inbox from the menu
    page.click("nav >> text=Detections")
    # then the best matches come first, with the matched words marked and why in words
    first_row = page.locator("table.detection-table tbody tr").first
    assert first_row.locator("mark").count() >= 1
    assert "is the mark AURELIA" in first_row.inner_text()
    assert "Nordvik" not in page.inner_text("table.detection-table")
    page.screenshot(path=shots / "detection-inbox.png", full_page=False)

    # when it opens the first detection
    with page.expect_navigation():
        first_row.locator("a.fw-semibold").click()
    assert "Why it matches" in page.inner_text("main")
    page.screenshot(path=shots / "detection-detail.png", full_page=True)

    # when it goes back, selects the whole page and dismisses it as handled elsewhere
    page.go_back()
    open_before = Detection.objects.filter(
        status=DetectionStatus.OPEN, right__rights_holder__slug="aurelia-fashion"
    ).count()
    on_page = page.locator('input[name="detection"]').count()
    page.check("#select-all")
    assert page.locator('input[name="detection"]:checked').count() == on_page
    page.select_option("#id_bulk_reason", "handled")
    with page.expect_navigation():
        page.click('button[name="action"][value="dismiss"]')
    # then they are dismissed, and say so
    assert f"{on_page} detection(s) dismissed" in page.inner_text(".messages")
    assert (
        Detection.objects.filter(
            status=DetectionStatus.OPEN, right__rights_holder__slug="aurelia-fashion"
        ).count()
        == open_before - on_page
    )
