"""The appeals queue: pending appeals for moderators, nearest decision target first."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from takedown.models import Appeal, Case
from takedown.services.cases import case_decide
from takedown.services.remedies import appeal_file
from takedown.states import CaseStatus
from tests.takedown.test_bulk_decide import _platform_b_case
from tests.takedown.test_case_pages import more_cases
from tests.takedown.test_cases import REMOVE, cases  # noqa: F401 - the fixture
from tests.takedown.test_csp import assert_kept_to_policy
from tests.takedown.test_reason_templates import ReasonTemplateFactory

pytestmark = pytest.mark.django_db

# Session, user, access, the capped count (also the nav badge's number when the
# page is not filtered), the page's appeals with their case, listing, notifier
# and platform, and the platforms of the filter.
APPEAL_QUEUE_QUERIES = 6


def _appealed(case: Case, decider, statement: str, *, age_days: int = 0) -> Appeal:
    """``case`` removed by ``decider`` and appealed by the seller ``age_days`` ago."""
    case_decide(actor=decider, case=case, decision=REMOVE)
    appeal = appeal_file(case=case, by="seller", statement=statement)
    if age_days:
        Appeal.objects.filter(pk=appeal.pk).update(
            created_at=timezone.now() - datetime.timedelta(days=age_days)
        )
    return appeal


def test_the_queue_lists_pending_appeals_oldest_first_with_filters(client, world, cases):  # noqa: F811
    # given two appeals on platform A (the older overdue), one decided, one on platform B
    operator = world.operator_moderator
    moderator = world.platform_a.moderator
    newer = _appealed(cases[0], operator, "Genuine, bought from the brand.")
    older = _appealed(cases[1], moderator, "Second-hand original.", age_days=20)
    decided = _appealed(cases[2], operator, "Already settled.")
    Appeal.objects.filter(pk=decided.pk).update(status=Appeal.Status.DISMISSED)
    _appealed(_platform_b_case(world), world.platform_b.moderator, "Market B's seller.")
    client.force_login(moderator)
    # when platform A's moderator opens the appeals queue
    body = client.get(reverse("cases:appeal-queue")).content.decode()
    # then the two open appeals of platform A are listed, the older (overdue) first
    assert body.index("Second-hand original.") < body.index("Genuine, bought from the brand.")
    assert "Already settled." not in body and "Market B's seller." not in body
    assert "2 appeals wait" in body and "overdue by" in body
    assert f'href="/cases/{cases[1].pk}/#appeal-{older.pk}"' in body
    assert "Your decision: another moderator decides" in body
    # and "only those I may decide" leaves out the one they decided themselves
    mine_out = client.get(reverse("cases:appeal-queue"), {"decidable": "1"}).content.decode()
    assert "Second-hand original." not in mine_out and "Genuine, bought" in mine_out
    # and the filter by party finds no notifier's appeal
    by_notifier = client.get(reverse("cases:appeal-queue"), {"by": "notifier"}).content.decode()
    assert "No appeal waits." in by_notifier
    assert f"/cases/{newer.case_id}/" not in by_notifier


def test_the_appeals_queue_reads_as_many_queries_for_many_appeals_as_for_one(
    client,
    world,
    cases,  # noqa: F811
    django_assert_max_num_queries,
):
    _appealed(cases[0], world.operator_moderator, "One.")
    client.force_login(world.platform_a.moderator)
    with django_assert_max_num_queries(APPEAL_QUEUE_QUERIES) as few:
        client.get(reverse("cases:appeal-queue"))
    for n, case in enumerate(more_cases(world, 6)):
        _appealed(case, world.operator_moderator, f"Appeal {n}.")
    with django_assert_max_num_queries(APPEAL_QUEUE_QUERIES) as many:
        body = client.get(reverse("cases:appeal-queue")).content.decode()
    assert "7 appeals wait" in body
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_appeals_queue_is_for_moderators_and_the_nav_counts_what_waits(
    client,
    world,
    cases,  # noqa: F811
):
    _appealed(cases[0], world.operator_moderator, "One.")
    client.force_login(world.holder_a.member)
    assert client.get(reverse("cases:appeal-queue")).status_code == 403
    client.force_login(world.platform_a.moderator)
    body = client.get(reverse("cases:queue")).content.decode()
    assert 'id="appeals-count" class="badge rounded-pill text-bg-warning">1<' in body


def test_another_moderator_dismisses_an_appeal_from_the_case_page_with_a_template(
    client,
    world,
    cases,  # noqa: F811
):
    # given a removal by the operator's moderator, appealed by the seller
    appeal = _appealed(cases[0], world.operator_moderator, "Genuine.")
    template = ReasonTemplateFactory(
        action="appeal_dismiss", title="Stands", text="“{listing_title}” still copies {right}."
    )
    page = reverse("cases:detail", args=[cases[0].pk])
    decide = reverse("cases:appeal-decide", args=[cases[0].pk, appeal.pk])
    # the moderator who decided sees no form, and is refused if they post anyway
    client.force_login(world.operator_moderator)
    assert "You decided this case: another moderator decides" in client.get(page).content.decode()
    refused = client.post(decide, {"outcome": "dismiss", "reason": "Mine."}, follow=True)
    assert "another moderator decides its appeal" in refused.content.decode()
    # when platform A's moderator dismisses it with the template (no JavaScript)
    client.force_login(world.platform_a.moderator)
    assert f'action="{decide}"' in client.get(page).content.decode()
    answer = client.post(
        decide, {"outcome": "dismiss", "reason": "", "reason_template": template.pk}, follow=True
    )
    # then the appeal is dismissed with the template's text filled for the case
    appeal.refresh_from_db()
    assert appeal.status == Appeal.Status.DISMISSED
    assert appeal.decision_reason.startswith(f"“{cases[0].listing.title}” still copies BRANDA")
    assert "Appeal dismissed: the decision stands." in answer.content.decode()
    assert Case.objects.get(pk=cases[0].pk).status == CaseStatus.REMOVED


def test_an_appeal_template_for_the_other_outcome_is_refused(client, world, cases):  # noqa: F811
    appeal = _appealed(cases[0], world.operator_moderator, "Genuine.")
    template = ReasonTemplateFactory(action="appeal_dismiss", title="Stands")
    client.force_login(world.platform_a.moderator)
    answer = client.post(
        reverse("cases:appeal-decide", args=[cases[0].pk, appeal.pk]),
        {"outcome": "uphold", "reason": "", "reason_template": template.pk},
        follow=True,
    )
    assert "The template “Stands” is for “Appeal dismissed (decision stands)”" in (
        answer.content.decode()
    )
    assert Appeal.objects.get(pk=appeal.pk).status == Appeal.Status.OPEN


def test_an_unknown_outcome_is_refused(client, world, cases):  # noqa: F811
    appeal = _appealed(cases[0], world.operator_moderator, "Genuine.")
    client.force_login(world.platform_a.moderator)
    answer = client.post(
        reverse("cases:appeal-decide", args=[cases[0].pk, appeal.pk]),
        {"outcome": "maybe", "reason": "x"},
        follow=True,
    )
    assert "Choose to uphold or to dismiss the appeal." in answer.content.decode()
    assert Appeal.objects.get(pk=appeal.pk).status == Appeal.Status.OPEN


def test_a_reason_is_required_to_decide_an_appeal(client, world, cases):  # noqa: F811
    appeal = _appealed(cases[0], world.operator_moderator, "Genuine.")
    client.force_login(world.platform_a.moderator)
    answer = client.post(
        reverse("cases:appeal-decide", args=[cases[0].pk, appeal.pk]),
        {"outcome": "uphold", "reason": ""},
        follow=True,
    )
    assert "Explain the decision on the appeal." in answer.content.decode()


def test_the_appeals_queue_keeps_to_the_content_security_policy(client, world, cases):  # noqa: F811
    _appealed(cases[0], world.operator_moderator, "One.")
    client.force_login(world.platform_a.moderator)
    assert_kept_to_policy(client.get(reverse("cases:appeal-queue")))
    assert_kept_to_policy(client.get(reverse("cases:detail", args=[cases[0].pk])))
