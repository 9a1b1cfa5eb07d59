"""A rights holder logs in with a real browser and finds its rights.

Drives Debian's Chromium (never a downloaded browser) through Playwright
against a live server loaded with the demo data. With
``TAKEDOWN_SCREENSHOTS_DIR`` set, the logged-in rights list is saved there as
``browser-rights-list.png`` (the README's screenshot comes from
``TAKEDOWN_SCREENSHOTS_DIR=docs/screenshots``).
"""

import os
from pathlib import Path

import pytest
from django.core.management import call_command

from takedown.management.commands.load_demo import DEMO_PASSWORD


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_rights_holder_logs_in_and_sees_only_its_verified_rights(live_server, page, tmp_path):
    # given the demo data on a live server
    call_command("load_demo")

    # when Aurelia's user logs in through the login page
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill('input[name="username"]', "aurelia")
    page.fill('input[name="password"]', DEMO_PASSWORD)
    with page.expect_navigation():
        page.click('form:has(input[name="password"]) button[type="submit"]')

    # then the home page greets them
    assert page.url == f"{live_server.url}/"
    assert "Welcome" in page.inner_text("h1")

    # when they open the rights list
    page.goto(f"{live_server.url}/rights/")

    # then their four verified rights are listed and none of Nordvik's
    table = page.inner_text("table")
    for name in ("AURELIA MILANO", "Aurelia 'A' logo", "Aurelia 'Luna' handbag"):
        assert name in table
    assert table.count("Verified") == 4
    assert "Nordvik" not in table
    assert "FJELLSTORM" not in table

    shots = Path(os.environ.get("TAKEDOWN_SCREENSHOTS_DIR", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=shots / "browser-rights-list.png", full_page=True)
