"""The browser every browser test drives, watching for Content-Security-Policy violations.

Debian's Chromium (never a downloaded browser) through Playwright. Every page
it loads reports each `securitypolicyviolation` event and each console message
about a refused script, style or frame; a test that caused any fails at its
teardown, so a new inline ``style=""`` or ``<script>`` is caught where it is used.
"""

import os

import pytest
from django.db import connections

from tests.conftest import CHROMIUM

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Injected before any script of the page (Playwright's init scripts are not
# subject to the page's policy); reports to the test through an exposed binding.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__reportCspViolation(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline"} ` +
    `at ${event.documentURI} line ${event.lineNumber}: ${event.sample || ""}`
  );
});
"""


@pytest.fixture
def csp_violations() -> list[str]:
    """What the browser refused under the Content-Security-Policy during the test."""
    return []


@pytest.fixture
def page(csp_violations):
    # Playwright's sync API runs an event loop in this thread; the ORM must still be usable.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            context.expose_binding(
                "__reportCspViolation", lambda source, text: csp_violations.append(text)
            )
            context.add_init_script(REPORT_VIOLATIONS)
            page = context.new_page()
            page.on(
                "console",
                lambda message: (
                    csp_violations.append(f"console: {message.text}")
                    if "Content Security Policy" in message.text
                    else None
                ),
            )
            yield page
            # Events still in flight from the last page reach the list first.
            page.wait_for_timeout(100)
        finally:
            # While Playwright's loop runs in this thread, Django's connection storage is
            # context-local: the ORM calls of the test opened a second connection that
            # must be closed here, or PostgreSQL refuses to drop the test database.
            connections.close_all()
            browser.close()
    assert not csp_violations, "the pages broke their Content-Security-Policy:\n" + "\n".join(
        csp_violations
    )
