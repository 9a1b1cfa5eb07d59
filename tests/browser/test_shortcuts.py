"""A moderator claims and decides a case with the keyboard alone, in a real browser.

Debian's Chromium through Playwright (tests/browser/conftest.py, which also
fails the test on any Content-Security-Policy violation).
"""

import pytest

from takedown.models import Case, CaseEvent
from takedown.states import CaseStatus
from tests.takedown.test_cases import cases  # noqa: F401 - the fixture
from tests.takedown.test_reason_templates import ReasonTemplateFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page, live_server, user, password: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()


def test_a_moderator_claims_and_removes_a_case_with_the_keyboard(
    live_server,
    page,
    world,
    cases,  # noqa: F811
    password,
):
    # given three open cases on platform A and a removal template
    ReasonTemplateFactory(title="Counterfeit", text="“{listing_title}” copies {right}.")
    moderator = world.platform_a.moderator
    most_urgent, next_urgent = cases[1], cases[2]
    _log_in(page, live_server, moderator, password)
    page.goto(f"{live_server.url}/cases/")

    # when they press ? the list of shortcuts opens, and closes again
    help_list = page.locator("#shortcuts-help")
    page.keyboard.press("?")
    assert help_list.get_attribute("open") is not None
    assert page.get_by_text("Claim the next case").is_visible()
    page.keyboard.press("?")
    assert help_list.get_attribute("open") is None
    claim = page.get_by_role("button", name="Claim next case")
    assert claim.get_attribute("aria-keyshortcuts") == "c"

    # when they press c, the most urgent case is claimed and opened
    with page.expect_navigation():
        page.keyboard.press("c")
    assert page.url == f"{live_server.url}/cases/{most_urgent.pk}/"
    assert Case.objects.get(pk=most_urgent.pk).claimed_by_id == moderator.pk

    # x picks the rejection, r the removal
    page.keyboard.press("x")
    assert page.locator("#action-reject").is_checked()
    page.keyboard.press("r")
    assert page.locator("#action-remove").is_checked()

    # t goes to the reason templates; choosing one fills the explanation
    page.keyboard.press("t")
    select = page.locator("#id_reason_template")
    assert select.evaluate("element => element === document.activeElement")
    select.select_option(label="Counterfeit")
    explanation = page.locator("#id_explanation")
    assert explanation.input_value().startswith(f"“{most_urgent.listing.title}” copies BRANDA")

    # keys pressed inside a field are typed, not taken as shortcuts
    page.keyboard.press("x")
    assert page.locator("#action-remove").is_checked()
    page.keyboard.press("Tab")
    page.keyboard.type(" Seen: x r")
    assert page.locator("#action-remove").is_checked()
    assert explanation.input_value().endswith(" Seen: x r")

    # Ctrl+Enter decides
    with page.expect_navigation():
        page.keyboard.press("Control+Enter")
    assert "Decided: Removed." in page.inner_text("main")
    assert Case.objects.get(pk=most_urgent.pk).status == CaseStatus.REMOVED
    reason = CaseEvent.objects.get(case=most_urgent, action="remove").reason
    assert reason.startswith(f"“{most_urgent.listing.title}”") and reason.endswith("Seen: x r")

    # u goes back to the queue; j chooses its first case and Enter opens it
    with page.expect_navigation():
        page.keyboard.press("u")
    page.keyboard.press("j")
    assert "table-active" in (page.locator("tr[data-case-row]").first.get_attribute("class") or "")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == f"{live_server.url}/cases/{next_urgent.pk}/"
