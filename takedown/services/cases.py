"""The moderators' queue: claim the most urgent case, decide it, ask for more information.

Every move goes through ``_move``: the case's row is locked, the move is
checked against takedown.states.CASE_ALLOWED, the case is saved and a
CaseEvent written in the same transaction; messages go to the outbox. Of
several moderators deciding one case at once, the first to lock it wins and
the others are told it is decided already.
"""

import datetime
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from listings.models import Listing
from rightsholders.models import Right
from takedown.access import access_for, can_file_complaints_for, can_moderate_platform
from takedown.errors import DomainError, NotPermitted
from takedown.geo import expand_territories
from takedown.models import Case, Complaint, StatementOfReasons
from takedown.states import (
    CASE_DECISIONS,
    CaseAction,
    CaseStatus,
    ComplaintReason,
    case_target,
)

from . import remedies
from .decisions import platform_event_queue
from .evidence import case_event_record
from .outbox import email_queue

logger = logging.getLogger(__name__)

# A claim keeps other moderators off a case this long; then it is free again.
CLAIM_MINUTES = 15
# How long the notifier has to answer a request for information.
INFO_ANSWER_DAYS = 7

# The law a removal relies on, by complaint reason (the statement's legal ground).
LEGAL_GROUNDS: dict[str, str] = {
    ComplaintReason.COUNTERFEIT: (
        "Counterfeit goods infringing a registered trademark: Regulation (EU) 2017/1001 "
        "Art. 9; Directive (EU) 2015/2436 Art. 10; PRC Trademark Law Art. 57; 15 U.S.C. 1114"
    ),
    ComplaintReason.TRADEMARK: (
        "Trademark infringement: Regulation (EU) 2017/1001 Art. 9; Directive (EU) 2015/2436 "
        "Art. 10; PRC Trademark Law Art. 57; 15 U.S.C. 1114"
    ),
    ComplaintReason.DESIGN: (
        "Design infringement: Regulation (EC) 6/2002 Art. 19; Directive 98/71/EC Art. 12; "
        "PRC Patent Law Art. 11"
    ),
    ComplaintReason.OTHER: "Infringement of the intellectual property rights relied on",
}
# A counterfeit of a registered design is fought under design law, not
# trademark law: the counterfeit ground names the laws of the rights relied on.
COUNTERFEIT_DESIGN_GROUND = (
    "Counterfeit goods infringing a registered design: Regulation (EC) 6/2002 Art. 19; "
    "Directive 98/71/EC Art. 12; PRC Patent Law Art. 11"
)


def _legal_ground(complaint: Complaint) -> str:
    """The legal ground of a measure on ``complaint``: its reason, and for counterfeits its rights' kinds."""
    if complaint.reason != ComplaintReason.COUNTERFEIT:
        return LEGAL_GROUNDS[complaint.reason]
    kinds = set(complaint.rights.values_list("kind", flat=True))
    grounds = []
    if kinds - {Right.Kind.DESIGN}:
        grounds.append(LEGAL_GROUNDS[ComplaintReason.COUNTERFEIT])
    if Right.Kind.DESIGN in kinds:
        grounds.append(COUNTERFEIT_DESIGN_GROUND)
    return "; and ".join(grounds) or LEGAL_GROUNDS[ComplaintReason.COUNTERFEIT]


def _category_specification(complaint: Complaint) -> list[str]:
    if complaint.reason != ComplaintReason.COUNTERFEIT:
        return CATEGORY_SPECIFICATION[complaint.reason]
    kinds = set(complaint.rights.values_list("kind", flat=True))
    categories = []
    if kinds - {Right.Kind.DESIGN} or not kinds:
        categories.append("KEYWORD_TRADEMARK_INFRINGEMENT")
    if Right.Kind.DESIGN in kinds:
        categories.append("KEYWORD_DESIGN_INFRINGEMENT")
    return categories


CATEGORY_SPECIFICATION: dict[str, list[str]] = {
    ComplaintReason.COUNTERFEIT: ["KEYWORD_TRADEMARK_INFRINGEMENT"],
    ComplaintReason.TRADEMARK: ["KEYWORD_TRADEMARK_INFRINGEMENT"],
    ComplaintReason.DESIGN: ["KEYWORD_DESIGN_INFRINGEMENT"],
    ComplaintReason.OTHER: ["KEYWORD_OTHER"],
}


def _locked(case_id: int) -> Case:
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("complaint", "listing", "platform__organisation")
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise DomainError(f"Case {case_id} does not exist.", field="case")
    return case


def _check_moderator(actor, case: Case) -> None:
    if not can_moderate_platform(access_for(actor), case.platform_id):
        raise NotPermitted("Only the platform's moderators and the operator's decide this case.")


def check_notifier(actor, case: Case, refusal: str = "Only the notifier may do this.") -> None:
    """Refuse anyone who may not file complaints on the rights this case's complaint relies on."""
    complaint = case.complaint
    access = access_for(actor)
    if not any(
        can_file_complaints_for(access, rights_holder_id=complaint.rights_holder_id, right_id=r.pk)
        for r in complaint.rights.all()
    ):
        raise NotPermitted(refusal)


def _check_claim(actor, case: Case, now: datetime.datetime) -> None:
    claimed = (
        case.claimed_by_id is not None
        and case.claim_expires_at is not None
        and case.claim_expires_at > now
    )
    if claimed and case.claimed_by_id != actor.pk:
        raise DomainError(
            f"{case.claimed_by} is working on this case until "
            f"{timezone.localtime(case.claim_expires_at):%H:%M}.",
            field="case",
        )


def _move(
    case: Case,
    action: str,
    *,
    actor,
    reason: str = "",
    data: dict | None = None,
    fields: Sequence[str] = (),
) -> Case:
    """Apply an allowed move to a locked case, save it and record the event."""
    from_status = case.status
    case.status = case_target(action, from_status)
    case.status_changed_at = timezone.now()
    case.save(update_fields=["status", "status_changed_at", "updated_at", *fields])
    case_event_record(
        case=case,
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=case.status,
        reason=reason,
        data=data or {},
        created_at=case.status_changed_at,
    )
    return case


def _event(case: Case, action: str, *, actor, data: dict | None = None) -> None:
    """Record a step that does not change the status (claims)."""
    case_event_record(
        case=case,
        actor=actor,
        action=action,
        from_status=case.status,
        to_status=case.status,
        data=data or {},
    )


# Claims ----------------------------------------------------------------------


def case_claim_next(*, actor, platform_id: int | None = None) -> Case | None:
    """Hand the moderator the most urgent unclaimed case it may decide, claimed; None if none.

    Rows another moderator is claiming at this instant are skipped (SKIP
    LOCKED on PostgreSQL), so two moderators never get the same case.
    """
    access = access_for(actor)
    if not (access.is_operator_moderator or access.platform_moderator_ids):
        raise NotPermitted("Only moderators take cases from the queue.")
    now = timezone.now()
    with transaction.atomic():
        candidates = Case.objects.claimable(now)
        if not access.is_operator_moderator:
            candidates = candidates.filter(platform_id__in=access.platform_moderator_ids)
        if platform_id is not None:
            candidates = candidates.filter(platform_id=platform_id)
        case = (
            candidates.select_for_update(skip_locked=True, of=("self",))
            .order_by("due_at", "pk")
            .first()
        )
        if case is None:
            return None
        case.claimed_by = actor
        case.claim_expires_at = now + datetime.timedelta(minutes=CLAIM_MINUTES)
        case.save(update_fields=["claimed_by", "claim_expires_at", "updated_at"])
        _event(
            case, CaseAction.CLAIM, actor=actor, data={"until": case.claim_expires_at.isoformat()}
        )
    return case


def case_claim(*, actor, case: Case) -> Case:
    """Claim one case (opened from the queue) for CLAIM_MINUTES."""
    now = timezone.now()
    with transaction.atomic():
        locked = _locked(case.pk)
        _check_moderator(actor, locked)
        if locked.status != CaseStatus.OPEN:
            raise DomainError(
                f"The case is {locked.get_status_display().lower()}; there is nothing to claim.",
                field="case",
            )
        _check_claim(actor, locked, now)
        locked.claimed_by = actor
        locked.claim_expires_at = now + datetime.timedelta(minutes=CLAIM_MINUTES)
        locked.save(update_fields=["claimed_by", "claim_expires_at", "updated_at"])
        _event(locked, CaseAction.CLAIM, actor=actor)
    return locked


def case_release(*, actor, case: Case) -> Case:
    """Give a claimed case back to the queue."""
    with transaction.atomic():
        locked = _locked(case.pk)
        _check_moderator(actor, locked)
        if locked.claimed_by_id != actor.pk:
            raise DomainError("You have not claimed this case.", field="case")
        locked.claimed_by = None
        locked.claim_expires_at = None
        locked.save(update_fields=["claimed_by", "claim_expires_at", "updated_at"])
        _event(locked, CaseAction.RELEASE, actor=actor)
    return locked


# Decisions -------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """A moderator's decision on a case.

    ``explanation``: for a removal or restriction, the facts and circumstances
    (the statement of reasons); for a rejection, the reason the notifier is
    told; for a request, the question the notifier must answer.
    """

    action: str
    explanation: str
    # Territories the measure applies in; default: where the listing ships and the rights hold.
    territorial_scope: Sequence[str] = ()
    # For a restriction: how long it lasts (None: until lifted).
    restriction_days: int | None = None
    # The measure is taken on the terms of service, not as illegal content.
    on_terms: bool = False
    terms_clause: str = ""
    automated_decision: str = StatementOfReasons.Automation.NOT_AUTOMATED
    # A rejection of a manifestly unfounded notice: counts toward the notifier's
    # misuse (DSA Art. 23(2)).
    manifestly_unfounded: bool = False
    extra: dict = field(default_factory=dict)


DECISION_ACTIONS = CASE_DECISIONS


def case_decide(*, actor, case: Case, decision: Decision) -> Case:
    """Decide a case: remove, restrict, reject or ask the notifier for information."""
    if decision.action not in DECISION_ACTIONS:
        raise DomainError(f"Choose a decision: {', '.join(DECISION_ACTIONS)}.", field="action")
    explanation = decision.explanation.strip()
    if not explanation:
        prompts: dict[str, str] = {
            CaseAction.REJECT: "the reason the notifier will be told",
            CaseAction.REQUEST_INFO: "what the notifier must answer",
        }
        what = prompts.get(decision.action, "the facts and circumstances of the decision")
        raise DomainError(f"Write {what}.", field="explanation")
    if decision.restriction_days is not None and decision.restriction_days < 1:
        raise DomainError("A restriction lasts at least one day.", field="restriction_days")
    now = timezone.now()
    with transaction.atomic():
        locked = _locked(case.pk)
        _check_moderator(actor, locked)
        _check_claim(actor, locked, now)
        case_target(decision.action, locked.status)  # refuses a decided case before any write
        fields = ["claimed_by", "claim_expires_at"]
        locked.claimed_by = None
        locked.claim_expires_at = None
        data: dict = {}
        if decision.action == CaseAction.REQUEST_INFO:
            locked.info_request = explanation
            locked.info_requested_at = now
            locked.info_deadline_at = now + datetime.timedelta(days=INFO_ANSWER_DAYS)
            fields += ["info_request", "info_requested_at", "info_deadline_at"]
            data["answer_by"] = locked.info_deadline_at.isoformat()
        else:
            locked.decided_by = actor
            locked.decided_at = now
            fields += ["decided_by", "decided_at"]
            if decision.action == CaseAction.REJECT:
                locked.rejection_reason = explanation
                locked.manifestly_unfounded = decision.manifestly_unfounded
                fields += ["rejection_reason", "manifestly_unfounded"]
                data["manifestly_unfounded"] = decision.manifestly_unfounded
        if decision.action in (CaseAction.REMOVE, CaseAction.RESTRICT):
            # Before the move, so its event (and the evidence ledger) names the statement.
            statement = _statement(locked, decision, explanation, now)
            data["statement"] = statement.pk
        _move(locked, decision.action, actor=actor, reason=explanation, data=data, fields=fields)
        if decision.action == CaseAction.REJECT and decision.manifestly_unfounded:
            remedies.notifier_misuse_check(case=locked)
        _notify(locked, decision.action, explanation)
        if decision.action in (CaseAction.REMOVE, CaseAction.RESTRICT):
            # After the decision's own messages: the platform hears of the removal
            # before any warning or suspension recommendation it brings.
            remedies.strike_add(case=locked)
    return locked


def _statement(
    case: Case, decision: Decision, explanation: str, now: datetime.datetime
) -> StatementOfReasons:
    complaint = case.complaint
    listing: Listing = case.listing
    scope = [c.upper() for c in decision.territorial_scope] or _default_scope(case)
    end = (
        now + datetime.timedelta(days=decision.restriction_days)
        if decision.action == CaseAction.RESTRICT and decision.restriction_days
        else None
    )
    ground = (
        StatementOfReasons.Ground.INCOMPATIBLE
        if decision.on_terms
        else StatementOfReasons.Ground.ILLEGAL
    )
    detected = case.detection_id is not None
    return StatementOfReasons.objects.create(
        case=case,
        decision_visibility=(
            StatementOfReasons.Visibility.REMOVED
            if decision.action == CaseAction.REMOVE
            else StatementOfReasons.Visibility.DISABLED
        ),
        decision_ground=ground,
        illegal_content_legal_ground="" if decision.on_terms else _legal_ground(complaint),
        illegal_content_explanation="" if decision.on_terms else explanation,
        incompatible_content_ground=decision.terms_clause if decision.on_terms else "",
        incompatible_content_explanation=explanation if decision.on_terms else "",
        category_specification=_category_specification(complaint),
        decision_facts=_facts(case, explanation),
        source_type=(
            StatementOfReasons.Source.TRUSTED_NOTIFIER
            if complaint.trusted_flagger
            else StatementOfReasons.Source.ARTICLE_16
        ),
        automated_detection=detected,
        automated_decision=decision.automated_decision,
        territorial_scope=scope,
        content_type=["CONTENT_TYPE_PRODUCT"],
        application_date=now,
        end_date_visibility_restriction=end,
        puid=f"{case.platform.organisation.slug}:{listing.external_id}",
    )


def _default_scope(case: Case) -> list[str]:
    covered = set().union(*(expand_territories(r.territories) for r in case.complaint.rights.all()))
    ships = {c.upper() for c in case.listing.ship_to}
    return sorted(ships & covered if ships else covered)


def _facts(case: Case, explanation: str) -> str:
    complaint = case.complaint
    rights = ", ".join(
        f"{r.name} ({r.office} {r.registration_number})" for r in complaint.rights.all()
    )
    parts = [
        f"Notice {complaint.reference} of {complaint.created_at:%Y-%m-%d} by "
        f"{complaint.rights_holder} relying on {rights}.",
        f"Listing {case.listing.external_id}: {case.listing.title}.",
    ]
    if case.detection_id is not None:
        parts.append("The listing was first found by the automated scanner.")
    parts.append(explanation)
    return " ".join(parts)


def _notify(case: Case, action: str, explanation: str) -> None:
    platform_event_queue(case=case, action=action, explanation=explanation)
    complaint = case.complaint
    listing = case.listing
    if action == CaseAction.REJECT:
        email_queue(
            topic="case.rejected",
            to=complaint.notifier_email,
            subject=f"Complaint {complaint.reference}: listing {listing.external_id} not removed",
            body=(
                f"Your complaint {complaint.reference} about {listing.platform} listing "
                f"{listing.external_id} ({listing.title}) was rejected.\n\nReason: {explanation}\n\n"
                "You may appeal this decision within six months."
            ),
            case=case,
        )
    elif action == CaseAction.REQUEST_INFO:
        email_queue(
            topic="case.info_requested",
            to=complaint.notifier_email,
            subject=f"Complaint {complaint.reference}: more information needed",
            body=(
                f"To decide on {listing.platform} listing {listing.external_id} "
                f"({listing.title}) we need more information:\n\n{explanation}\n\n"
                f"Answer by {case.info_deadline_at:%Y-%m-%d %H:%M} UTC, or the case is closed."
            ),
            case=case,
        )
    else:
        measure = "removed" if action == CaseAction.REMOVE else "restricted"
        email_queue(
            topic=f"case.{measure}",
            to=complaint.notifier_email,
            subject=f"Complaint {complaint.reference}: listing {listing.external_id} {measure}",
            body=(
                f"Following your complaint {complaint.reference}, {listing.platform} listing "
                f"{listing.external_id} ({listing.title}) is {measure}."
            ),
            case=case,
        )
        _statement_to_seller(case, measure)


def _statement_to_seller(case: Case, measure: str) -> None:
    """DSA Art. 17: the seller gets the statement of reasons when the measure applies.

    With its private link to object or appeal. Without a seller email the
    platform relays it: the statement is in its webhook and decision feed.
    """
    listing = case.listing
    seller = listing.seller
    if seller is None or not seller.contact_email:
        return
    statement = case.statements.order_by("-created_at", "-pk").first()
    if statement is None:
        return
    link = settings.TAKEDOWN_PUBLIC_URL.rstrip("/") + remedies.seller_link(case)
    until = (
        f" until {statement.end_date_visibility_restriction:%Y-%m-%d}"
        if statement.end_date_visibility_restriction
        else ""
    )
    email_queue(
        topic="case.statement_of_reasons",
        to=seller.contact_email,
        subject=f"Your listing {listing.external_id} was {measure}: statement of reasons",
        body="\n".join(
            [
                f"Your listing “{listing.title}” ({listing.platform}, {listing.external_id}) "
                f"was {measure}{until} in {', '.join(statement.territorial_scope)}.",
                "",
                f"Ground: {statement.get_decision_ground_display()}: "
                f"{statement.illegal_content_legal_ground or statement.incompatible_content_ground}",
                f"Facts and circumstances: {statement.decision_facts}",
                f"Found by an automated scanner: {'yes' if statement.automated_detection else 'no'}; "
                f"decision: {statement.get_automated_decision_display().lower()}.",
                "",
                "You may object (counter-notice) or appeal to another moderator within six "
                "months at this private link, without an account:",
                link,
                "",
                "You may also use an out-of-court dispute settlement body or go to court.",
            ]
        ),
        case=case,
    )


@dataclass(frozen=True)
class BulkOutcome:
    case_id: int
    ok: bool
    message: str = ""


def cases_decide_bulk(*, actor, case_ids: Sequence[int], decision: Decision) -> list[BulkOutcome]:
    """Apply one decision to each chosen case, each in its own transaction; report each."""
    outcomes: list[BulkOutcome] = []
    for case in Case.objects.filter(pk__in=list(dict.fromkeys(case_ids))).order_by("pk"):
        try:
            case_decide(actor=actor, case=case, decision=decision)
        except DomainError as exc:
            outcomes.append(BulkOutcome(case.pk, False, exc.message))
        else:
            outcomes.append(BulkOutcome(case.pk, True))
    return outcomes


# Requests for information ------------------------------------------------------


def case_answer_info(*, actor, case: Case, answer: str) -> Case:
    """The notifier answers a request for information: the case returns to the queue.

    The clock stood still while the notifier was asked: the deadline and the
    queue position move later by the time it took to answer.
    """
    answer = answer.strip()
    if not answer:
        raise DomainError("Write your answer.", field="answer")
    now = timezone.now()
    with transaction.atomic():
        locked = _locked(case.pk)
        check_notifier(actor, locked, "Only the notifier answers its requests for information.")
        if locked.info_deadline_at is not None and now > locked.info_deadline_at:
            raise DomainError(
                f"The answer was due by {locked.info_deadline_at:%Y-%m-%d %H:%M} UTC; the case "
                "closes without a decision. File a new complaint with the information.",
                field="answer",
            )
        paused = now - (locked.info_requested_at or now)
        locked.deadline_at += paused
        locked.due_at += paused
        locked.info_answer = answer
        _move(
            locked,
            CaseAction.ANSWER_INFO,
            actor=actor,
            reason=answer,
            data={"clock_paused_seconds": int(paused.total_seconds())},
            fields=["deadline_at", "due_at", "info_answer"],
        )
    return locked


def cases_close_unanswered(*, now: datetime.datetime | None = None) -> int:
    """Close cases whose request for information was not answered in time (the sweep).

    The notifier is told by email. The platform gets no event: a request for
    information is asked only of an open case (CASE_ALLOWED), so no measure
    was ever applied to the listing and there is nothing to lift; the
    ``case.info_requested`` it was told of asked nothing of it either.
    """
    now = now or timezone.now()
    ids = list(
        Case.objects.filter(status=CaseStatus.INFO_REQUESTED, info_deadline_at__lt=now).values_list(
            "pk", flat=True
        )
    )
    closed = 0
    for pk in ids:
        with transaction.atomic():
            locked = _locked(pk)
            if locked.status != CaseStatus.INFO_REQUESTED:
                continue  # answered meanwhile
            _move(
                locked,
                CaseAction.CLOSE_UNANSWERED,
                actor=None,
                reason="The notifier did not answer the request for information in time.",
            )
            email_queue(
                topic="case.closed_unanswered",
                to=locked.complaint.notifier_email,
                subject=f"Complaint {locked.complaint.reference}: closed without a decision",
                body=(
                    f"The case about {locked.listing.platform} listing {locked.listing.external_id} "
                    "was closed: the information asked for did not arrive in time. You may "
                    "file a new complaint with it."
                ),
                case=locked,
            )
            closed += 1
    return closed
