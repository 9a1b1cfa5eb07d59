"""The moderators' queue: claim next, decide, statements of reasons, requests for information."""

import datetime
import threading

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from takedown.errors import DomainError, NotPermitted, TransitionNotAllowed
from takedown.models import (
    Case,
    CaseEvent,
    OutboxMessage,
    PlatformDecision,
    StatementOfReasons,
)
from takedown.services import outbox
from takedown.services.cases import (
    CLAIM_MINUTES,
    Decision,
    case_answer_info,
    case_claim_next,
    case_decide,
    case_release,
    cases_close_unanswered,
    cases_decide_bulk,
)
from takedown.services.complaints import complaint_file
from takedown.states import CaseStatus
from tests.listings.factories import ListingFactory
from tests.takedown.test_complaints import data

pytestmark = pytest.mark.django_db

REMOVE = Decision(
    action="remove", explanation="Counterfeit AURELIA bag sold at a tenth of the price."
)


@pytest.fixture
def cases(world) -> list[Case]:
    """Three cases on platform A from one complaint of holder A; the dearest listing first."""
    listings = [
        ListingFactory(
            platform=world.platform_a.platform,
            title=f"BRANDA bag {n}",
            price=price,
            ship_to=["DE", "US"],
        )
        for n, price in enumerate(["20.00", "2000.00", "200.00"])
    ]
    complaint = complaint_file(
        actor=world.holder_a.member,
        rights_holder=world.holder_a.organisation,
        right_ids=[world.holder_a.rights[0].pk],
        listing_ids=[listing.pk for listing in listings],
        data=data(),
    )
    return list(complaint.cases.order_by("pk"))


def test_claim_next_hands_out_the_most_urgent_case_once(world, cases):
    moderator = world.platform_a.moderator
    first = case_claim_next(actor=moderator)
    second = case_claim_next(actor=world.operator_moderator)
    # the dearest listing reaches furthest: it comes first, then the next dearest
    assert first == cases[1] and second == cases[2]
    assert first.claimed_by == moderator
    assert first.claim_expires_at - timezone.now() <= datetime.timedelta(minutes=CLAIM_MINUTES)
    assert case_claim_next(actor=moderator) == cases[0]
    assert case_claim_next(actor=moderator) is None


def test_a_platform_s_moderators_get_only_its_cases(world, cases):
    assert case_claim_next(actor=world.platform_b.moderator) is None
    with pytest.raises(NotPermitted):
        case_claim_next(actor=world.holder_a.member)
    with pytest.raises(NotPermitted):
        case_decide(actor=world.platform_b.moderator, case=cases[0], decision=REMOVE)


def test_an_expired_claim_frees_the_case(world, cases):
    claimed = case_claim_next(actor=world.platform_a.moderator)
    with pytest.raises(DomainError, match="is working on this case until"):
        case_decide(actor=world.operator_moderator, case=claimed, decision=REMOVE)
    Case.objects.filter(pk=claimed.pk).update(
        claim_expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    assert case_claim_next(actor=world.operator_moderator) == claimed


def test_a_released_case_goes_back_to_the_queue(world, cases):
    claimed = case_claim_next(actor=world.platform_a.moderator)
    case_release(actor=world.platform_a.moderator, case=claimed)
    assert case_claim_next(actor=world.operator_moderator) == claimed


def test_a_removal_carries_a_statement_of_reasons_in_the_transparency_database_s_terms(
    world, cases, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        decided = case_decide(actor=world.platform_a.moderator, case=cases[0], decision=REMOVE)
    assert decided.status == CaseStatus.REMOVED
    assert decided.decided_by == world.platform_a.moderator
    statement = StatementOfReasons.objects.get(case=decided)
    assert statement.decision_visibility == "DECISION_VISIBILITY_CONTENT_REMOVED"
    assert statement.decision_ground == "DECISION_GROUND_ILLEGAL_CONTENT"
    assert "Regulation (EU) 2017/1001" in statement.illegal_content_legal_ground
    assert statement.category == "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS"
    assert statement.source_type == "SOURCE_ARTICLE_16"
    assert statement.automated_detection is False
    assert statement.automated_decision == "AUTOMATED_DECISION_NOT_AUTOMATED"
    # the listing ships to DE and US; the right holds in the EU and CN: the EU part only
    assert statement.territorial_scope == ["DE"]
    assert statement.end_date_visibility_restriction is None
    assert statement.puid.endswith(f":{cases[0].listing.external_id}")
    assert cases[0].complaint.reference in statement.decision_facts
    # the notifier is told
    assert any("removed" in m.subject for m in mail.outbox)


def test_a_restriction_ends_after_its_days(world, cases):
    decided = case_decide(
        actor=world.operator_moderator,
        case=cases[0],
        decision=Decision(action="restrict", explanation="Likely infringing.", restriction_days=30),
    )
    statement = decided.statements.get()
    assert statement.decision_visibility == "DECISION_VISIBILITY_CONTENT_DISABLED"
    assert statement.end_date_visibility_restriction - statement.application_date == (
        datetime.timedelta(days=30)
    )


def test_a_rejection_tells_the_notifier_why(world, cases, django_capture_on_commit_callbacks):
    with pytest.raises(DomainError, match="the reason the notifier will be told"):
        case_decide(actor=world.operator_moderator, case=cases[0], decision=Decision("reject", " "))
    with django_capture_on_commit_callbacks(execute=True):
        case_decide(
            actor=world.operator_moderator,
            case=cases[0],
            decision=Decision("reject", "The listing shows a different logo."),
        )
    rejected = [m for m in mail.outbox if "not removed" in m.subject]
    assert rejected and "The listing shows a different logo." in rejected[0].body
    assert not StatementOfReasons.objects.filter(case=cases[0]).exists()


def test_a_decided_case_cannot_be_decided_again(world, cases):
    case_decide(actor=world.operator_moderator, case=cases[0], decision=REMOVE)
    with pytest.raises(TransitionNotAllowed, match="Cannot reject a case that is removed"):
        case_decide(
            actor=world.platform_a.moderator,
            case=cases[0],
            decision=Decision("reject", "Changed my mind."),
        )
    assert CaseEvent.objects.filter(case=cases[0], action="remove").count() == 1


def test_asking_the_notifier_stops_the_clock_until_it_answers(world, cases):
    before = Case.objects.get(pk=cases[0].pk)
    asked = case_decide(
        actor=world.operator_moderator,
        case=cases[0],
        decision=Decision("request_info", "Send a photo of the test purchase."),
    )
    assert asked.status == CaseStatus.INFO_REQUESTED
    # when the notifier answers two hours later
    Case.objects.filter(pk=asked.pk).update(
        info_requested_at=timezone.now() - datetime.timedelta(hours=2)
    )
    with pytest.raises(NotPermitted):
        case_answer_info(actor=world.holder_b.member, case=asked, answer="Here.")
    answered = case_answer_info(actor=world.holder_a.member, case=asked, answer="Photo attached.")
    # then the case is back in the queue, its deadline two hours later
    assert answered.status == CaseStatus.OPEN
    moved = answered.deadline_at - before.deadline_at
    assert datetime.timedelta(hours=2) <= moved < datetime.timedelta(hours=2, seconds=5)


def test_an_unanswered_request_closes_the_case_when_its_time_is_up(
    world, cases, django_capture_on_commit_callbacks
):
    case_decide(
        actor=world.operator_moderator,
        case=cases[0],
        decision=Decision("request_info", "Which registration covers bags?"),
    )
    assert cases_close_unanswered() == 0
    later = timezone.now() + datetime.timedelta(days=8)
    with django_capture_on_commit_callbacks(execute=True):
        assert cases_close_unanswered(now=later) == 1
    assert Case.objects.get(pk=cases[0].pk).status == CaseStatus.CLOSED
    assert cases_close_unanswered(now=later) == 0
    # the notifier is told, once, why and what it can do
    (told,) = [m for m in mail.outbox if "closed without a decision" in m.subject]
    assert told.to == ["ada@holder-a.example"]
    assert cases[0].complaint.reference in told.subject and "new complaint" in told.body
    # the listing was never restricted: the platform has nothing to lift and hears nothing
    assert list(PlatformDecision.objects.values_list("type", flat=True)) == ["case.info_requested"]


def test_bulk_decisions_report_each_case(world, cases):
    case_decide(actor=world.operator_moderator, case=cases[2], decision=REMOVE)
    outcomes = cases_decide_bulk(
        actor=world.platform_a.moderator, case_ids=[c.pk for c in cases], decision=REMOVE
    )
    assert [(o.case_id, o.ok) for o in outcomes] == [
        (cases[0].pk, True),
        (cases[1].pk, True),
        (cases[2].pk, False),
    ]
    assert "removed" in outcomes[2].message


def test_the_audit_trail_tells_the_story(world, cases):
    case_claim_next(actor=world.platform_a.moderator)
    case = Case.objects.get(pk=cases[1].pk)
    case_decide(actor=world.platform_a.moderator, case=case, decision=REMOVE)
    trail = list(case.events.order_by("created_at", "pk").values_list("action", "to_status"))
    assert trail == [("file", "open"), ("claim", "open"), ("remove", "removed")]


def test_a_failing_email_is_retried_with_backoff_then_sent(world, cases, monkeypatch):
    # given a message written with a change (its delivery task was not run: broker down)
    failing = outbox.email_queue(topic="test", to="x@example.test", subject="s", body="b")
    assert OutboxMessage.objects.get(pk=failing.pk).status == "pending"

    def broken(*args, **kwargs):
        raise ConnectionRefusedError("SMTP down")

    monkeypatch.setattr(outbox, "email_send", broken)
    outbox.outbox_deliver(message_id=failing.pk)
    failing.refresh_from_db()
    assert (failing.status, failing.attempts) == ("pending", 1)
    assert "SMTP down" in failing.last_error and failing.next_attempt_at > timezone.now()
    outbox.outbox_resume()  # the sweep leaves it: not due yet
    failing.refresh_from_db()
    assert failing.attempts == 1
    # when its time comes and the mail server is back, the sweep sends it
    monkeypatch.undo()
    OutboxMessage.objects.filter(pk=failing.pk).update(next_attempt_at=timezone.now())
    outbox.outbox_resume()
    failing.refresh_from_db()
    assert failing.status == "sent" and failing.sent_at is not None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_decisions_on_one_case_one_wins(world, cases):
    case = cases[0]
    results: list[str] = []
    lock = threading.Lock()

    def decide() -> None:
        try:
            case_decide(actor=world.operator_moderator, case=case, decision=REMOVE)
            outcome = "won"
        except DomainError as exc:
            outcome = exc.message
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=decide) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count("won") == 1
    assert all("Cannot remove a case that is removed" in r for r in results if r != "won")
    assert CaseEvent.objects.filter(case=case, action="remove").count() == 1
    assert StatementOfReasons.objects.filter(case=case).count() == 1


def test_an_answer_after_its_deadline_is_refused(world, cases):
    asked = case_decide(
        actor=world.operator_moderator,
        case=cases[0],
        decision=Decision("request_info", "Which registration covers bags?"),
    )
    Case.objects.filter(pk=asked.pk).update(
        info_deadline_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    with pytest.raises(DomainError, match="was due by"):
        case_answer_info(actor=world.holder_a.member, case=asked, answer="The EU one.")
    assert Case.objects.get(pk=asked.pk).status == CaseStatus.INFO_REQUESTED


def test_a_removal_event_names_its_statement_of_reasons(world, cases):
    decided = case_decide(actor=world.platform_a.moderator, case=cases[0], decision=REMOVE)
    event = decided.events.get(to_status=CaseStatus.REMOVED)
    assert event.data["statement"] == StatementOfReasons.objects.get(case=decided).pk


@pytest.mark.parametrize(
    ("kinds", "laws", "categories"),
    [
        (["design"], ["Regulation (EC) 6/2002"], ["KEYWORD_DESIGN_INFRINGEMENT"]),
        (["word_mark"], ["Regulation (EU) 2017/1001"], ["KEYWORD_TRADEMARK_INFRINGEMENT"]),
        (
            ["word_mark", "design"],
            ["Regulation (EU) 2017/1001", "Regulation (EC) 6/2002"],
            ["KEYWORD_TRADEMARK_INFRINGEMENT", "KEYWORD_DESIGN_INFRINGEMENT"],
        ),
    ],
)
def test_a_counterfeit_s_statement_names_the_laws_of_the_rights_relied_on(
    world, kinds, laws, categories
):
    from rightsholders.models import Right
    from tests.rightsholders.factories import RightFactory

    # given a counterfeit complaint relying on rights of these kinds
    rights = [
        RightFactory(rights_holder=world.holder_a.organisation, kind=kind, territories=["EU"])
        for kind in kinds
    ]
    listing = ListingFactory(platform=world.platform_a.platform, title="Bag", ship_to=["DE"])
    complaint = complaint_file(
        actor=world.holder_a.member,
        rights_holder=world.holder_a.organisation,
        right_ids=[right.pk for right in rights],
        listing_ids=[listing.pk],
        data=data(),
    )
    assert {r.kind for r in complaint.rights.all()} == set(kinds) <= set(Right.Kind.values)
    # when its case is removed
    decided = case_decide(
        actor=world.platform_a.moderator, case=complaint.cases.get(), decision=REMOVE
    )
    # then the statement of reasons cites the law of each kind, and only those
    statement = StatementOfReasons.objects.get(case=decided)
    for law in laws:
        assert law in statement.illegal_content_legal_ground
    others = {"Regulation (EU) 2017/1001", "Regulation (EC) 6/2002"} - set(laws)
    assert not any(law in statement.illegal_content_legal_ground for law in others)
    assert statement.category_specification == categories
