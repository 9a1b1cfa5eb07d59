"""The platforms' pull feed of decisions and their confirmations of carrying them out."""

import datetime

import pytest
from django.utils import timezone

from listings.services.tokens import platform_token_create
from takedown.models import CaseEvent, PlatformDecision
from takedown.services.cases import case_decide
from takedown.services.complaints import complaint_file
from tests.listings.factories import ListingFactory
from tests.takedown.test_complaints import data
from tests.takedown.test_webhooks import REJECT, REMOVE, cases  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

FEED = "/api/v1/decisions"


def token_of(tenant) -> str:
    return platform_token_create(actor=tenant.admin, platform=tenant.platform, name="sync")[1]


@pytest.fixture
def token_a(world) -> str:
    return token_of(world.platform_a)


@pytest.fixture
def token_b(world) -> str:
    return token_of(world.platform_b)


def get(client, url: str, token: str):
    return client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}")


def executed(client, decision: PlatformDecision, token: str, **body):
    return client.post(
        f"{FEED}/{decision.event_id}/executed",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


@pytest.fixture
def decided(world, cases) -> list[PlatformDecision]:  # noqa: F811
    """Platform A's three cases decided: removed, rejected, removed (sequences 1, 2, 3)."""
    for case, decision in zip(cases, (REMOVE, REJECT, REMOVE), strict=True):
        case_decide(actor=world.operator_moderator, case=case, decision=decision)
    return list(PlatformDecision.objects.order_by("sequence"))


def test_the_feed_pages_through_decisions_in_order_with_since(client, decided, token_a):
    # when platform A polls two at a time from the start
    first = get(client, f"{FEED}?limit=2", token_a).json()
    # then it gets the first two, oldest first, and where to go on
    assert [d["sequence"] for d in first["results"]] == [1, 2]
    assert [d["type"] for d in first["results"]] == ["case.removed", "case.rejected"]
    assert first["results"][0]["id"] == str(decided[0].event_id)
    assert first["cursor"] == 2 and first["has_more"] is True
    # when it follows next
    second = get(client, first["next"], token_a).json()
    assert [d["sequence"] for d in second["results"]] == [3]
    assert second["cursor"] == 3 and second["has_more"] is False
    # then polling again from its cursor finds nothing new, and keeps the cursor
    third = get(client, second["next"], token_a).json()
    assert third["results"] == [] and third["cursor"] == 3
    # and from an older cursor the rest is listed again
    assert [d["sequence"] for d in get(client, f"{FEED}?since=1", token_a).json()["results"]] == [
        2,
        3,
    ]


def test_a_decision_made_after_a_poll_is_found_from_the_cursor(
    client,
    world,
    decided,
    token_a,
    cases,  # noqa: F811
):
    cursor = get(client, FEED, token_a).json()["cursor"]
    listing = ListingFactory(platform=world.platform_a.platform, title="BRANDA bag new")
    case = complaint_file(
        actor=world.holder_a.member,
        rights_holder=world.holder_a.organisation,
        right_ids=[world.holder_a.rights[0].pk],
        listing_ids=[listing.pk],
        data=data(),
    ).cases.get()
    case_decide(actor=world.operator_moderator, case=case, decision=REMOVE)
    page = get(client, f"{FEED}?since={cursor}", token_a).json()
    assert [(d["sequence"], d["case_id"]) for d in page["results"]] == [(4, case.pk)]


def test_a_platform_sees_only_its_own_decisions(client, decided, token_b):
    page = get(client, FEED, token_b).json()
    assert page["results"] == [] and page["cursor"] == 0


def test_a_removal_in_the_feed_carries_its_statement_of_reasons(client, decided, token_a):
    removal = get(client, f"{FEED}?limit=1", token_a).json()["results"][0]
    assert removal["decision"]["needs_execution"] is True
    assert removal["statement_of_reasons"]["decision_ground"] == "DECISION_GROUND_ILLEGAL_CONTENT"
    assert removal["executed_at"] is None
    rejection = get(client, f"{FEED}?since=1&limit=1", token_a).json()["results"][0]
    assert rejection["statement_of_reasons"] is None
    assert rejection["decision"]["reason"] == REJECT.explanation


@pytest.mark.parametrize("query", ["since=-1", "since=abc", "limit=0", "limit=501"])
def test_a_cursor_out_of_range_is_refused(client, decided, token_a, query):
    assert get(client, f"{FEED}?{query}", token_a).status_code == 400


def test_the_feed_needs_a_platform_token(client, decided, world):
    assert client.get(FEED).status_code in (401, 403)
    client.force_login(world.platform_a.admin)
    assert client.get(FEED).status_code in (401, 403)


def test_confirming_execution_is_recorded_once(client, decided, token_a):
    # given a removal platform A has carried out
    removal = decided[0]
    when = timezone.now() - datetime.timedelta(seconds=30)
    # when it confirms, with the time and a note
    first = executed(client, removal, token_a, executed_at=when.isoformat(), note="delisted")
    # then the decision and the case's history show it
    assert first.status_code == 200
    assert first.json()["executed_at"] is not None
    removal.refresh_from_db()
    assert removal.executed_at == when and removal.execution_note == "delisted"
    event = CaseEvent.objects.get(case=removal.case, action="executed")
    assert event.data["decision"] == str(removal.event_id) and event.reason == "delisted"
    assert event.from_status == event.to_status == "removed"
    # when it confirms again (a retry after a lost answer), with another time
    again = executed(client, removal, token_a, note="again")
    # then nothing changes and it is not an error
    assert again.status_code == 200
    assert again.json()["executed_at"] == first.json()["executed_at"]
    assert CaseEvent.objects.filter(case=removal.case, action="executed").count() == 1
    removal.refresh_from_db()
    assert removal.execution_note == "delisted"


def test_another_platform_cannot_confirm_a_decision(client, decided, token_b):
    response = executed(client, decided[0], token_b)
    assert response.status_code == 404
    decided[0].refresh_from_db()
    assert decided[0].executed_at is None


def test_a_decision_that_asks_nothing_cannot_be_confirmed(client, decided, token_a):
    rejection = decided[1]
    response = executed(client, rejection, token_a)
    assert response.status_code == 409
    assert "nothing to confirm" in response.json()["detail"]


def test_an_execution_time_in_the_future_is_refused(client, decided, token_a):
    tomorrow = timezone.now() + datetime.timedelta(days=1)
    response = executed(client, decided[0], token_a, executed_at=tomorrow.isoformat())
    assert response.status_code == 400 and "executed_at" in response.json()


def test_the_feed_answers_in_a_fixed_number_of_queries(
    client, decided, token_a, django_assert_num_queries
):
    get(client, FEED, token_a)  # the token's last use is written once a minute at most
    # token lookup, the page of decisions
    with django_assert_num_queries(2):
        assert get(client, FEED, token_a).status_code == 200
