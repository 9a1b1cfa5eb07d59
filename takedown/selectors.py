"""Reads of complaints and cases, always through the acting user's access.

Notifiers (the rights holder's members, its agents) see their complaints and
the cases they opened; a platform's staff see the cases about its listings;
the operator sees everything. Another tenant's complaint or case is a 404.

Within a case a notifier sees what is meant for it: the decisions and their
reasons, requests for information, the seller's counter-notice, restorations
and appeal outcomes. It never sees who the moderators are, claims, internal
notes or the seller's standing (strikes, warnings, suspension).
"""

from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from takedown.access import NOTHING, access_for
from takedown.models import Appeal, Case, CaseEvent, Complaint
from takedown.states import CaseAction, CaseStatus

# The steps of a case a notifier is shown (without who took them, or their data).
NOTIFIER_EVENT_ACTIONS = frozenset(
    {
        CaseAction.FILE,
        CaseAction.REMOVE,
        CaseAction.RESTRICT,
        CaseAction.REJECT,
        CaseAction.REQUEST_INFO,
        CaseAction.ANSWER_INFO,
        CaseAction.CLOSE_UNANSWERED,
        CaseAction.COUNTER_NOTICE,
        CaseAction.REPORT_ACTION,
        CaseAction.RESTORE,
        CaseAction.APPEAL_DISMISS,
        CaseAction.REVERSE_MEASURE,
        CaseAction.REVERSE_REJECTION,
    }
)


def _notifier_q(user, prefix: str = "") -> Q:
    """A rights holder's members see all its complaints; an agent sees those it filed."""
    access = access_for(user)
    q = (
        Q(**{f"{prefix}rights_holder_id__in": list(access.rights_holder_roles)})
        if access.rights_holder_roles
        else NOTHING
    )
    for rep in access.representations:
        if rep.may_file_complaints:
            q |= Q(
                **{
                    f"{prefix}rights_holder_id": rep.rights_holder_id,
                    f"{prefix}agent_id": rep.agent_id,
                }
            )
    return q


def complaints_for(user) -> QuerySet[Complaint]:
    """Complaints the user filed for, or may see as operator."""
    access = access_for(user)
    q = Q() if access.is_operator else _notifier_q(user)
    return (
        Complaint.objects.filter(q)
        .select_related("rights_holder", "agent", "filed_by")
        .prefetch_related("rights")
    )


def complaint_get(user, reference: str, *, cases: Prefetch | None = None) -> Complaint:
    complaints = complaints_for(user)
    if cases is not None:
        complaints = complaints.prefetch_related(cases)
    return get_object_or_404(complaints, reference=reference)


def cases_for(user) -> QuerySet[Case]:
    """Cases the user may see: its platforms' (staff), its complaints' (notifiers), or all."""
    access = access_for(user)
    if access.is_operator:
        q = Q()
    else:
        q = _notifier_q(user, prefix="complaint__")
        if access.platform_ids:
            q |= Q(platform_id__in=access.platform_ids)
    return Case.objects.filter(q).select_related(
        "complaint__rights_holder",
        "listing__seller",
        "platform__organisation",
        "claimed_by",
        "decided_by",
    )


def case_get(user, pk: int) -> Case:
    return get_object_or_404(cases_for(user), pk=pk)


def case_row_get(user, pk: int) -> Case:
    """``case_get`` without the related rows: for claiming and giving back, which lock it anew."""
    return get_object_or_404(cases_for(user).select_related(None), pk=pk)


def case_page_get(user, pk: int) -> Case:
    """``case_get`` for the case page: with its detection, without its decider's row.

    The page shows the detection (a query of its own when read afterwards) and
    compares the decider's id only; the join stays at 9 tables.
    """
    cases = (
        cases_for(user)
        .select_related(None)
        .select_related(
            "complaint__rights_holder",
            "listing__seller",
            "platform__organisation",
            "claimed_by",
            "detection",
        )
    )
    return get_object_or_404(cases, pk=pk)


def case_internals_visible(user, case: Case) -> bool:
    """Whether ``user`` sees the whole history of ``case``: who did what, claims, notes.

    The operator and the staff of the case's platform (its moderators among
    them) do; a notifier sees only what is meant for it (``case_events_for``).
    """
    access = access_for(user)
    return access.is_operator or case.platform_id in access.platform_ids


def _notifier_events_q() -> Q:
    # A notifier's own appeal is its step; the seller's appeal is not shown, its outcome is.
    return Q(action__in=NOTIFIER_EVENT_ACTIONS) | Q(
        action=CaseAction.APPEAL, data__by=Appeal.By.NOTIFIER
    )


def case_events_for(user, case: Case) -> QuerySet[CaseEvent]:
    """The events of ``case`` the user may see, oldest first."""
    events = (
        CaseEvent.objects.filter(case=case).select_related("actor").order_by("created_at", "pk")
    )
    if case_internals_visible(user, case):
        return events
    return events.filter(_notifier_events_q())


# The queue's orders (the ``sort`` parameter of the page): "most urgent first" is
# the deadline brought forward by the priority signals (``due_at``); moderators
# can also sort by the SLA deadline itself. Each has its index (Case.Meta).
QUEUE_ORDERS = {
    "priority": ("due_at", "pk"),
    "deadline": ("deadline_at", "pk"),
}


def queue_for(
    user, *, platform_id: int | None = None, status: str = "", order: str = "priority"
) -> QuerySet[Case]:
    """The moderator's queue: cases it may decide, most urgent first (or by ``order``)."""
    access = access_for(user)
    cases = cases_for(user)
    if not access.is_operator_moderator:
        cases = cases.filter(platform_id__in=access.platform_moderator_ids)
    if platform_id is not None:
        cases = cases.filter(platform_id=platform_id)
    cases = cases.filter(status=status or CaseStatus.OPEN)
    return cases.order_by(*QUEUE_ORDERS.get(order, QUEUE_ORDERS["priority"]))


# What a row of the queue page shows, and no more: the join stays at 7 tables
# (under PostgreSQL's join_collapse_limit of 8; the 9 of ``cases_for`` took
# ~10 ms to plan) and 50 rows load 13 columns instead of ~130.
QUEUE_ROW_FIELDS = (
    "pk",
    "deadline_at",
    "priority_reasons",
    "complaint__reference",
    "complaint__rights_holder__name",
    "listing__external_id",
    "listing__title",
    "listing__price",
    "listing__currency",
    "platform__organisation__name",
    "claimed_by__username",
    "claimed_by__first_name",
    "claimed_by__last_name",
)


def queue_page(cases: QuerySet[Case], offset: int, limit: int) -> list[dict[str, Any]]:
    """Rows ``offset`` to ``offset + limit`` of the queue ``cases`` (``queue_for``), in order.

    The page's ids come first, from the queue's index alone (an index-only scan
    that skips ``offset`` entries); only those rows are then joined to their
    complaint, listing and platform. In one query, page 50 joined the 2,500
    rows before it only to throw them away (29 ms, against 1 ms for page 1).
    Rows are dicts of ``QUEUE_ROW_FIELDS``, not models: building 50 cases with
    their complaint, notifier, listing, platform and claimant was ~300 model
    instances a page. Open a case with ``case_get``.
    """
    ids = list(cases.values_list("pk", flat=True)[offset : offset + limit])
    rows = {
        row["pk"]: row
        for row in cases.order_by()
        .select_related(None)
        .filter(pk__in=ids)
        .values(*QUEUE_ROW_FIELDS)
    }
    return [rows[pk] for pk in ids if pk in rows]


def appeals_for(user) -> QuerySet[Appeal]:
    """Appeals on the cases the user sees; moderators see those they may decide.

    A notifier sees its own appeals; a seller's appeal reaches it as an outcome.
    """
    access = access_for(user)
    appeals = Appeal.objects.filter(case__in=cases_for(user)).select_related("case", "decided_by")
    if not access.is_operator:
        appeals = appeals.filter(
            Q(case__platform_id__in=access.platform_ids) | Q(by=Appeal.By.NOTIFIER)
        )
    if not access.is_operator_moderator and access.platform_moderator_ids:
        appeals = appeals.filter(case__platform_id__in=access.platform_moderator_ids)
    return appeals.order_by("created_at", "pk")


def open_appeals_count(user) -> int:
    """How many open appeals of ``appeals_for(user)`` there are: the moderators' badge.

    For a moderator the rules of ``appeals_for`` come down to the case's
    platform: any for the operator's moderators, their own platforms' for a
    platform's (whose cases they see). Counted so, without the subquery of
    ``cases_for``, the query takes half the CPU to build; on every load of the
    moderators' queues.
    """
    access = access_for(user)
    if not access.is_moderator:
        return appeals_for(user).filter(status=Appeal.Status.OPEN).count()
    appeals = Appeal.objects.filter(status=Appeal.Status.OPEN)
    if not access.is_operator_moderator:
        appeals = appeals.filter(case__platform_id__in=access.platform_moderator_ids)
    return appeals.count()
