"""Tell a platform about decisions on its listings, and record that it carried them out.

``platform_event_queue`` runs in the transaction of the decision: it numbers
the decision for the platform's pull feed (PlatformDecision) and writes one
webhook message per active endpoint to the outbox, delivered after commit.
"""

import datetime
import json
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from takedown.access import access_for, platforms_q
from takedown.errors import DomainError, NotPermitted
from takedown.models import (
    Case,
    OutboxMessage,
    PlatformDecision,
    PlatformDecisionSequence,
    StatementOfReasons,
    WebhookEndpoint,
)
from takedown.states import CaseAction

from .evidence import case_event_record
from .outbox import queue_delivery

# The event type a platform receives for each action on a case. Keys are
# takedown.states.CaseAction values; restorations are named here already so
# the counter-notice and appeal services only have to call platform_event_queue.
EVENT_TYPES: dict[str, str] = {
    "remove": "case.removed",
    "restrict": "case.restricted",
    "reject": "case.rejected",
    "request_info": "case.info_requested",
    "restore": "case.restored",
    "reverse_measure": "case.restored",
    "reverse_rejection": "case.removed",
    # The seller's standing under the repeat-infringer policy (DSA Art. 23(1)).
    "seller_warned": "seller.warned",
    "suspension_recommended": "seller.suspension_recommended",
}
# Decisions the platform must carry out (and confirm): a measure or its reversal.
NEEDS_EXECUTION = frozenset(
    {"remove", "restrict", "restore", "reverse_measure", "reverse_rejection"}
)
# Clocks differ: an execution time this far after now, or before the decision, is accepted.
CLOCK_SKEW = datetime.timedelta(minutes=5)

STATEMENT_FIELDS = (
    "decision_visibility",
    "decision_ground",
    "illegal_content_legal_ground",
    "illegal_content_explanation",
    "incompatible_content_ground",
    "incompatible_content_explanation",
    "category",
    "category_specification",
    "decision_facts",
    "source_type",
    "automated_detection",
    "automated_decision",
    "territorial_scope",
    "content_type",
    "application_date",
    "end_date_visibility_restriction",
    "puid",
)


def _iso(value: datetime.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _statement_payload(statement: StatementOfReasons) -> dict:
    data = {name: getattr(statement, name) for name in STATEMENT_FIELDS}
    for name in ("application_date", "end_date_visibility_restriction"):
        data[name] = _iso(data[name])
    return data


def _next_sequence(platform_id: int) -> int:
    """Take the platform's next number; the row stays locked until the caller commits."""
    counter, _ = PlatformDecisionSequence.objects.select_for_update().get_or_create(
        platform_id=platform_id
    )
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last


def platform_event_queue(
    *, case: Case, action: str, explanation: str = "", seller: dict | None = None
) -> PlatformDecision:
    """Record a decision for the platform's feed and queue it to each active webhook.

    Call it in the transaction of the decision, after the case is saved (and,
    for a removal or restriction, its statement of reasons written). ``seller``:
    for the seller's warning and suspension recommendation, who and why, with
    the reason the seller is told.
    """
    now = timezone.now()
    needs_execution = action in NEEDS_EXECUTION
    statement = (
        case.statements.order_by("-created_at", "-pk").first()
        if action in (CaseAction.REMOVE, CaseAction.RESTRICT)
        else None
    )
    with transaction.atomic():
        decision = PlatformDecision(
            platform_id=case.platform_id,
            case=case,
            sequence=_next_sequence(case.platform_id),
            type=EVENT_TYPES.get(action, f"case.{action}"),
            action=action,
            needs_execution=needs_execution,
            occurred_at=now,
        )
        decision.payload = {
            "id": str(decision.event_id),
            "sequence": decision.sequence,
            "type": decision.type,
            "occurred_at": now.isoformat(),
            "platform": case.platform.organisation.slug,
            "case_id": case.pk,
            "case_status": case.status,
            "complaint_reference": case.complaint.reference,
            "listing_external_id": case.listing.external_id,
            "decision": {
                "action": action,
                "needs_execution": needs_execution,
                "decided_at": _iso(case.decided_at),
                # A rejection's reason; a measure's reasons are in the statement.
                "reason": explanation if action == CaseAction.REJECT else "",
            },
            "statement_of_reasons": _statement_payload(statement) if statement else None,
            # For a measure: the seller's private page (statement, counter-notice,
            # appeal). The platform passes it on when the workbench has no email
            # for the seller (DSA Art. 17: the seller must be able to seek redress).
            "seller_response_url": _seller_url(case) if statement else None,
        }
        if seller is not None:
            decision.payload["seller"] = {**seller, "reason": explanation}
        decision.save()
        body = json.dumps(decision.payload, separators=(",", ":"), sort_keys=True)
        for endpoint in WebhookEndpoint.objects.filter(platform_id=case.platform_id, active=True):
            message = OutboxMessage.objects.create(
                channel=OutboxMessage.Channel.WEBHOOK,
                topic=decision.type,
                recipient=endpoint.url,
                body=body,
                payload=decision.payload,
                case=case,
                endpoint=endpoint,
                decision=decision,
            )
            transaction.on_commit(partial(queue_delivery, message.pk))
    return decision


def _seller_url(case: Case) -> str:
    from .remedies import seller_link

    return settings.TAKEDOWN_PUBLIC_URL.rstrip("/") + seller_link(case)


def decisions_for(user) -> QuerySet[PlatformDecision]:
    """The decisions the caller's platform was told, in sequence order (the pull feed)."""
    return (
        PlatformDecision.objects.filter(platforms_q(access_for(user), field="platform_id"))
        .select_related("platform")
        .order_by("platform_id", "sequence")
    )


def decision_confirm_executed(
    *,
    actor,
    decision: PlatformDecision,
    executed_at: datetime.datetime | None = None,
    note: str = "",
) -> tuple[PlatformDecision, bool]:
    """Record that the platform carried out a decision; return it and whether this call did.

    Idempotent: a second confirmation changes nothing and is not an error (a
    platform retrying after a lost answer must not be told it failed).
    """
    if decision.platform_id not in access_for(actor).platform_ids:
        raise NotPermitted("Only the platform told of a decision confirms carrying it out.")
    note = note.strip()
    now = timezone.now()
    executed_at = executed_at or now
    with transaction.atomic():
        locked = (
            PlatformDecision.objects.select_for_update(of=("self",))
            .select_related("case")
            .get(pk=decision.pk)
        )
        if not locked.needs_execution:
            raise DomainError(
                f"A decision of type {locked.type} asks nothing of the platform; "
                "there is nothing to confirm.",
                field="decision",
            )
        if locked.executed_at is not None:
            return locked, False
        if executed_at > now + CLOCK_SKEW:
            raise DomainError("executed_at is in the future.", field="executed_at")
        if executed_at < locked.occurred_at - CLOCK_SKEW:
            raise DomainError(
                f"executed_at is before the decision was made ({locked.occurred_at.isoformat()}).",
                field="executed_at",
            )
        locked.executed_at = executed_at
        locked.execution_confirmed_at = now
        locked.execution_note = note
        locked.save(update_fields=["executed_at", "execution_confirmed_at", "execution_note"])
        token = getattr(actor, "token", None)
        case_event_record(
            case=locked.case,
            actor=None,  # a platform's system, named by its token below
            action=CaseAction.EXECUTED,
            from_status=locked.case.status,
            to_status=locked.case.status,
            reason=note,
            data={
                "decision": str(locked.event_id),
                "sequence": locked.sequence,
                "type": locked.type,
                "executed_at": executed_at.isoformat(),
                "token": getattr(token, "prefix", ""),
            },
            created_at=now,
        )
    return locked, True
