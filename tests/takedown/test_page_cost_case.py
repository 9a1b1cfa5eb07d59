"""What the case page, the appeals queue and a decision still say after reading less."""

import pytest
from django.urls import reverse

from takedown.models import Appeal, Case
from takedown.selectors import appeals_for, open_appeals_count
from takedown.services.cases import Decision, case_decide
from takedown.services.remedies import appeal_decide, appeal_file, counter_notice_file
from takedown.states import CaseStatus
from tests.takedown.test_appeal_queue import _appealed
from tests.takedown.test_cases import REMOVE, cases  # noqa: F401 - the fixture
from tests.takedown.test_remedies import objection

pytestmark = pytest.mark.django_db

BADGE = 'id="appeals-count" class="badge rounded-pill text-bg-warning">{n}<'


def test_the_appeals_badge_counts_every_open_appeal_on_a_filtered_page(
    client,
    world,
    cases,  # noqa: F811
):
    # given two open appeals by sellers
    _appealed(cases[0], world.operator_moderator, "Genuine.")
    _appealed(cases[1], world.operator_moderator, "Second-hand original.")
    client.force_login(world.platform_a.moderator)
    # when the queue is shown whole, then filtered to the notifiers' appeals
    whole = client.get(reverse("cases:appeal-queue")).content.decode()
    filtered = client.get(reverse("cases:appeal-queue"), {"by": "notifier"}).content.decode()
    # then the badge says two both times, though the filtered page lists none
    assert "2 appeals wait" in whole and BADGE.format(n=2) in whole
    assert "No appeal waits." in filtered and BADGE.format(n=2) in filtered


def test_a_decision_names_the_case_s_new_status(client, world, cases):  # noqa: F811
    client.force_login(world.platform_a.moderator)
    answer = client.post(
        reverse("cases:act", args=[cases[1].pk]),
        {"action": "remove", "explanation": "Copied mark on a bag sold at a tenth of the price."},
        follow=True,
    )
    assert "Decided: Removed." in answer.content.decode()
    assert Case.objects.get(pk=cases[1].pk).status == CaseStatus.REMOVED


# What only a decision brings: its statement of reasons, the seller's
# counter-notice and appeals. The page reads them once the history shows their step.
REJECT = Decision(action="reject", explanation="The mark is not used on the listing.")
DECIDED_ONLY_TABLES = ("takedown_statementofreasons", "takedown_counternotice", "takedown_appeal")


def test_an_undecided_case_s_page_reads_nothing_a_decision_brings(
    client,
    world,
    cases,  # noqa: F811
    django_assert_num_queries,
):
    # given a moderator and a case waiting for a decision
    client.force_login(world.platform_a.moderator)
    page = reverse("cases:detail", args=[cases[0].pk])
    # when they open it
    # then the page reads the user, the access, the case, its rights, the reason
    # templates, the evidence and the history, and no statement, counter-notice or appeal
    with django_assert_num_queries(7) as read:
        body = client.get(page).content.decode()
    assert not [q for q in read.captured_queries if any(t in q["sql"] for t in DECIDED_ONLY_TABLES)]
    assert "Statement of reasons" not in body and "counter-notice" not in body


def test_a_decided_case_s_page_shows_its_statement_counter_notice_and_appeal(
    client,
    world,
    cases,  # noqa: F811
):
    # given a removed case the seller objected to and another one the seller appealed
    case_decide(actor=world.operator_moderator, case=cases[0], decision=REMOVE)
    counter_notice_file(case=cases[0], data=objection())
    _appealed(cases[1], world.operator_moderator, "Bought from the brand shop in Milan.")
    client.force_login(world.platform_a.moderator)
    # when a moderator opens each
    countered = client.get(reverse("cases:detail", args=[cases[0].pk])).content.decode()
    appealed = client.get(reverse("cases:detail", args=[cases[1].pk])).content.decode()
    # then each shows its statement of reasons, and the counter-notice or the appeal
    assert "Statement of reasons" in countered and "Statement of reasons" in appealed
    assert "The seller's counter-notice of" in countered and "Appeal by" not in countered
    assert "Bought from the brand shop in Milan." in appealed
    assert "The seller's counter-notice of" not in appealed


def test_the_moderators_badge_counts_what_appeals_for_lists(world, cases):  # noqa: F811
    # given open appeals by the seller and by the notifier on platform A, and one decided
    _appealed(cases[0], world.operator_moderator, "Genuine.")
    case_decide(actor=world.operator_moderator, case=cases[1], decision=REJECT)
    appeal_file(
        case=cases[1], by="notifier", actor=world.holder_a.member, statement="It is a copy."
    )
    decided = _appealed(cases[2], world.operator_moderator, "Bought in the brand shop.")
    appeal_decide(actor=world.platform_a.moderator, appeal=decided, uphold=False, reason="No.")
    # when each moderator's badge is counted, and a notifier's
    users = [
        world.operator_moderator,
        world.platform_a.moderator,
        world.platform_b.moderator,
        world.holder_a.member,
    ]
    counts = [open_appeals_count(user) for user in users]
    # then each counts the open appeals appeals_for lists for them
    assert counts == [appeals_for(user).filter(status=Appeal.Status.OPEN).count() for user in users]
    assert counts[:3] == [2, 2, 0]
