"""Every main page keeps to its Content-Security-Policy in a real browser.

The ``page`` fixture (tests/browser/conftest.py) fails a test whose pages
broke the policy; here each role walks its pages so every template is loaded
at least once, htmx fragments and Swagger UI included.
"""

import pytest
from django.core.management import call_command

from listings.models import Platform
from rightsholders.models import Right
from takedown.management.commands.load_demo import DEMO_PASSWORD
from tests.listings.test_console import FeedBatchFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

POLICY = "default-src 'self'; script-src 'self'; style-src 'self'"


def _log_in(page, live_server, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', DEMO_PASSWORD)
    with page.expect_navigation():
        page.click('form:has(input[name="password"]) button[type="submit"]')


def _visit(page, url: str) -> None:
    response = page.goto(url, wait_until="networkidle")
    assert response is not None and response.status == 200, url


def test_the_violation_check_sees_an_inline_style_and_an_inline_script(
    live_server, page, csp_violations
):
    # given a page with an inline style and script served under the site's kind of policy
    html = '<!doctype html><p style="color: red">x</p><script>document.title = "ran"</script>'
    page.route(
        f"{live_server.url}/csp-probe",
        lambda route: route.fulfill(
            status=200,
            content_type="text/html",
            headers={"Content-Security-Policy": POLICY},
            body=html,
        ),
    )
    # when the browser loads it
    page.goto(f"{live_server.url}/csp-probe")
    page.wait_for_timeout(200)
    # then the script did not run and both refusals were reported
    assert page.title() != "ran"
    assert any("style-src" in v for v in csp_violations)
    assert any("script-src" in v for v in csp_violations)
    csp_violations.clear()


def test_every_role_s_pages_load_without_a_policy_violation(live_server, page, csp_violations):
    # given the demo data and a finished feed with refused lines (the progress bars)
    call_command("load_demo")
    platform = Platform.objects.get(organisation__slug="demomart")
    feed = FeedBatchFactory(platform=platform, lines=150, accepted=49, rejected=101)
    right = Right.objects.filter(rights_holder__slug="aurelia-fashion").order_by("pk").first()
    base = live_server.url

    # when each role opens its pages, then nothing is refused (checked at teardown)
    _visit(page, f"{base}/accounts/login/")
    _visit(page, f"{base}/api/docs/")
    page.wait_for_selector(".swagger-ui .info", timeout=10_000)

    _log_in(page, live_server, "aurelia")
    for path in (
        "/",
        "/rights/",
        "/rights/new/",
        f"/rights/{right.pk}/",
        f"/rights/{right.pk}/edit/",
        "/complaints/",
        "/rights/authorisations/",
        "/rights/authorised-sellers/",
    ):
        _visit(page, base + path)
    _visit(page, f"{base}/detections/")
    page.check("#select-all")

    _log_in(page, live_server, "demomart-engineer")
    for path in ("/listings/", "/listings/console/", f"/listings/console/feeds/{feed.pk}/"):
        _visit(page, base + path)

    _log_in(page, live_server, "moderator")
    for path in ("/cases/", "/rights/verification/", "/listings/", f"/rights/{right.pk}/"):
        _visit(page, base + path)
    assert csp_violations == []
