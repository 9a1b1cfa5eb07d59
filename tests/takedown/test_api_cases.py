"""The complaint and case API: notifiers file and follow, moderators claim and decide."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from takedown.models import Case
from takedown.states import CaseStatus
from tests.listings.factories import ListingFactory

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def notice(world, **overrides) -> dict:
    body = {
        "rights_holder": world.holder_a.organisation.pk,
        "rights": [world.holder_a.rights[0].pk],
        "reason": "counterfeit",
        "explanation": "Counterfeit bags bearing our word mark BRANDA, sold far under price.",
        "notifier_name": "Ada Brand",
        "notifier_email": "ada@holder-a.example",
        "good_faith": True,
        "accurate": True,
        "signature": "Ada Brand",
    }
    body.update(overrides)
    return body


@pytest.fixture
def listings(world):
    return [
        ListingFactory(platform=world.platform_a.platform, title=f"BRANDA bag {n}")
        for n in range(3)
    ]


def test_a_notifier_files_by_reference_and_follows_its_cases(world, listings):
    slug = world.platform_a.organisation.slug
    references = "\n".join(f"{slug}:{listing.external_id}" for listing in listings[:2])
    filed = api(world.agent.member).post(
        reverse("api-complaint-list"),
        notice(world, listing_references=references),
        format="json",
    )
    assert filed.status_code == 201, filed.content
    body = filed.json()
    assert body["reference"].startswith("TD-")
    assert [c["listing"] for c in body["cases"]] == [x.external_id for x in listings[:2]]
    # holder A's own staff see it; holder B does not
    assert (
        api(world.holder_a.member)
        .get(reverse("api-complaint-detail", args=[body["reference"]]))
        .status_code
        == 200
    )
    assert (
        api(world.holder_b.member)
        .get(reverse("api-complaint-detail", args=[body["reference"]]))
        .status_code
        == 404
    )


def test_a_refused_notice_names_the_field(world, listings):
    refused = api(world.holder_a.member).post(
        reverse("api-complaint-list"),
        notice(world, listings=[listings[0].pk], signature="Someone Else"),
        format="json",
    )
    assert refused.status_code == 400
    assert "Sign with the notifier's name" in refused.json()["signature"][0]
    unknown = api(world.holder_a.member).post(
        reverse("api-complaint-list"),
        notice(world, listing_references="https://nowhere.example/x"),
        format="json",
    )
    assert unknown.json() == {
        "listings": ["Line 1: no listing is known at https://nowhere.example/x."]
    }
    stranger = api(world.holder_b.member).post(
        reverse("api-complaint-list"), notice(world, listings=[listings[0].pk]), format="json"
    )
    assert stranger.status_code == 403


def test_a_moderator_claims_next_decides_and_the_notifier_sees_the_outcome(world, listings):
    api(world.holder_a.member).post(
        reverse("api-complaint-list"),
        notice(world, listings=[x.pk for x in listings]),
        format="json",
    )
    moderator = api(world.platform_a.moderator)
    queue = moderator.get(reverse("api-case-list"), {"queue": "true"}).json()
    assert queue["count"] == 3
    claimed = moderator.post(reverse("api-case-claim-next")).json()
    assert claimed["claimed_by"] == world.platform_a.moderator.username
    decided = moderator.post(
        reverse("api-case-decide", args=[claimed["id"]]),
        {"action": "remove", "explanation": "Counterfeit: the logo is a copy, the price a tenth."},
        format="json",
    )
    assert decided.status_code == 200
    detail = decided.json()
    assert detail["status"] == "removed"
    assert [e["action"] for e in detail["events"]] == ["file", "claim", "remove"]
    assert detail["statements"][0]["decision_visibility"] == "DECISION_VISIBILITY_CONTENT_REMOVED"
    again = moderator.post(
        reverse("api-case-decide", args=[claimed["id"]]),
        {"action": "reject", "explanation": "No."},
        format="json",
    )
    assert again.status_code == 400 and "Cannot reject a case that is removed" in str(again.json())
    # platform B's moderator cannot even see the case
    assert (
        api(world.platform_b.moderator)
        .get(reverse("api-case-detail", args=[claimed["id"]]))
        .status_code
        == 404
    )


def test_bulk_decisions_and_answers(world, listings):
    api(world.holder_a.member).post(
        reverse("api-complaint-list"),
        notice(world, listings=[x.pk for x in listings]),
        format="json",
    )
    ids = list(Case.objects.order_by("pk").values_list("pk", flat=True))
    outcome = api(world.operator_moderator).post(
        reverse("api-case-decide-bulk"),
        {"cases": [*ids, 999_999], "action": "request_info", "explanation": "Which size?"},
        format="json",
    )
    assert [(o["case_id"], o["ok"]) for o in outcome.json()] == [
        *((pk, True) for pk in ids),
        (999_999, False),
    ]
    answered = api(world.holder_a.member).post(
        reverse("api-case-answer", args=[ids[0]]), {"answer": "Size M."}, format="json"
    )
    assert answered.json()["status"] == CaseStatus.OPEN
    assert (
        api(world.holder_b.member)
        .post(reverse("api-case-answer", args=[ids[1]]), {"answer": "x"}, format="json")
        .status_code
        == 404
    )


def test_the_case_list_counts_up_to_the_cap_and_says_so(world, listings, monkeypatch):
    from takedown import pagination

    # given three open cases of one complaint
    filed = api(world.holder_a.member).post(
        reverse("api-complaint-list"),
        notice(world, listings=[listing.pk for listing in listings]),
        format="json",
    )
    assert filed.status_code == 201, filed.content
    moderator = api(world.operator_moderator)
    # when the queue is listed with a cap of two, it counts three ("more than two") and says so
    monkeypatch.setattr(pagination.CappedPaginator, "cap", 2)
    body = moderator.get("/api/v1/cases?queue=true").json()
    assert (body["count"], body["count_capped"]) == (3, True)
    # and under the cap the count is exact
    monkeypatch.setattr(pagination.CappedPaginator, "cap", 100)
    body = moderator.get("/api/v1/cases?queue=true").json()
    assert (body["count"], body["count_capped"], len(body["results"])) == (3, False, 3)
