"""What a notifier sees of its cases: the outcome and its reasons, never the moderators."""

import json

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from takedown.models import Case, CaseEvent
from takedown.services.cases import Decision, case_claim, case_decide
from takedown.services.complaints import complaint_file
from takedown.services.remedies import appeal_decide, appeal_file
from tests.listings.factories import ListingFactory
from tests.takedown.test_complaints import data

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def decided(world) -> tuple[Case, Case]:
    """Two cases of holder A, filed by its agent: one removed, appealed by the seller, one rejected,
    appealed by the notifier; both appeals dismissed."""
    listings = [
        ListingFactory(platform=world.platform_a.platform, title=f"BRANDA bag {n}")
        for n in range(2)
    ]
    complaint = complaint_file(
        actor=world.agent.member,
        rights_holder=world.holder_a.organisation,
        right_ids=[world.holder_a.rights[0].pk],
        listing_ids=[listing.pk for listing in listings],
        data=data(),
    )
    removed, other = complaint.cases.order_by("pk")
    moderator = world.platform_a.moderator
    case_claim(actor=moderator, case=removed)
    case_decide(
        actor=moderator,
        case=removed,
        decision=Decision("remove", "Copied BRANDA logo, sold at a tenth of the price."),
    )
    # an internal step the notifier must not see: the seller's standing
    CaseEvent.objects.create(
        case=removed,
        actor=moderator,
        action="suspension_recommended",
        from_status="removed",
        to_status="removed",
        reason="Internal: third strike of this store.",
    )
    appeal = appeal_file(case=removed, by="seller", statement="My invoice shows resale.")
    appeal_decide(
        actor=world.operator_moderator, appeal=appeal, uphold=False, reason="Invoice is forged."
    )
    case_decide(actor=moderator, case=other, decision=Decision("reject", "Different logo."))
    notifier_appeal = appeal_file(
        case=Case.objects.get(pk=other.pk),
        by="notifier",
        actor=world.holder_a.member,
        statement="Our test buy shows it is fake.",
    )
    appeal_decide(
        actor=world.operator_moderator, appeal=notifier_appeal, uphold=False, reason="Not shown."
    )
    return Case.objects.get(pk=removed.pk), Case.objects.get(pk=other.pk)


def test_the_notifier_sees_the_decision_but_not_who_took_it_or_internal_steps(world, decided):
    removed, _ = decided
    # when the notifier reads the case through the API
    answer = api(world.holder_a.member).get(reverse("api-case-detail", args=[removed.pk]))
    assert answer.status_code == 200
    body = answer.json()
    # then it sees the decision, its statement of reasons and the appeal's outcome
    assert [e["action"] for e in body["events"]] == ["file", "remove", "appeal_dismiss"]
    assert body["statements"][0]["decision_visibility"] == "DECISION_VISIBILITY_CONTENT_REMOVED"
    assert body["status"] == "removed" and body["decided_at"]
    # and never a moderator's name, a claim, the seller's appeal text or an internal note
    text = json.dumps(body)
    for secret in (
        world.platform_a.moderator.username,
        world.operator_moderator.username,
        "Internal: third strike",
        "My invoice shows resale",
    ):
        assert secret not in text
    assert body["decided_by"] is None and body["claimed_by"] is None
    assert all(e["actor"] is None and e["data"] == {} for e in body["events"])


def test_an_agent_filing_for_the_rights_holder_sees_no_more(world, decided):
    removed, _ = decided
    body = api(world.agent.member).get(reverse("api-case-detail", args=[removed.pk])).json()
    assert world.platform_a.moderator.username not in json.dumps(body)
    assert "claim" not in [e["action"] for e in body["events"]]


def test_the_moderators_keep_seeing_everything(world, decided):
    removed, _ = decided
    body = api(world.platform_a.moderator).get(reverse("api-case-detail", args=[removed.pk])).json()
    assert [e["action"] for e in body["events"]] == [
        "file",
        "claim",
        "remove",
        "suspension_recommended",
        "appeal",
        "appeal_dismiss",
    ]
    assert body["decided_by"] == world.platform_a.moderator.username
    assert body["events"][1]["actor"] == world.platform_a.moderator.username
    operator = api(world.operator_moderator).get(reverse("api-case-detail", args=[removed.pk]))
    assert len(operator.json()["events"]) == 6


def test_the_notifier_s_case_list_and_appeals_name_no_moderator(world, decided):
    notifier = api(world.holder_a.member)
    cases = notifier.get(reverse("api-case-list")).json()["results"]
    assert {c["decided_by"] for c in cases} == {None}
    assert {tuple(c["priority_reasons"]) for c in cases} == {()}
    # the notifier lists its own appeal with its outcome, not the seller's appeal
    appeals = notifier.get(reverse("api-appeal-list"), {"status": "dismissed"}).json()["results"]
    assert [(a["by"], a["decided_by"]) for a in appeals] == [("notifier", None)]
    moderators = (
        api(world.operator_moderator)
        .get(reverse("api-appeal-list"), {"status": "dismissed"})
        .json()["results"]
    )
    assert {a["decided_by"] for a in moderators} == {world.operator_moderator.username}
    assert len(moderators) == 2


def test_the_case_page_shows_the_notifier_no_moderator(client, world, decided):
    removed, _ = decided
    Case.objects.filter(pk=removed.pk).update(claimed_by=world.platform_a.moderator)
    client.force_login(world.holder_a.member)
    page = client.get(reverse("cases:detail", args=[removed.pk])).content.decode()
    assert "Copied BRANDA logo" in page  # the decision's reasons
    assert world.platform_a.moderator.username not in page
    assert "Claimed by" not in page and "Internal: third strike" not in page
    client.force_login(world.platform_a.moderator)
    page = client.get(reverse("cases:detail", args=[removed.pk])).content.decode()
    assert "Internal: third strike" in page and "Claimed by" in page
