"""Reads of the rights registry, always through the acting user's access."""

from django.db.models import Count, Max, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from takedown.access import (
    NOTHING,
    access_for,
    can_administer,
    can_manage_rights_of,
    can_moderate_rights,
    rights_holders_q,
    rights_q,
)
from takedown.states import RightStatus

from .models import (
    AgentAuthorisation,
    AuthorisedSeller,
    Organisation,
    ProofDocument,
    Right,
    RightEvent,
    RightImage,
    RightsRevision,
)


def rights_revision() -> str:
    """The version of the set of rights in force, compared by the scanners' workers.

    The bump counter (moved in the transaction of every status change) makes
    it exact for changes made through the services; today's date covers
    validity dates that bring rights into and out of force without any write;
    and a fingerprint of the verified rights (count, highest id, latest status
    change) covers what bypasses the services: a database restored from a
    backup, whose counter went back, or rows written directly.
    """
    number = RightsRevision.objects.filter(pk=1).values_list("number", flat=True).first() or 0
    fingerprint = Right.objects.filter(status=RightStatus.VERIFIED).aggregate(
        n=Count("pk"), top=Max("pk"), changed=Max("status_changed_at")
    )
    changed = fingerprint["changed"].isoformat() if fingerprint["changed"] else "-"
    return (
        f"{number}:{timezone.localdate():%Y-%m-%d}:"
        f"{fingerprint['n']}:{fingerprint['top'] or 0}:{changed}"
    )


def rights_for(user) -> QuerySet[Right]:
    """Rights ``user`` may see, with what list and detail pages show."""
    return (
        Right.objects.filter(rights_q(access_for(user)))
        .select_related("rights_holder")
        .prefetch_related("images")
    )


def rights_search(
    user, *, q: str = "", status: str = "", kind: str = "", office: str = ""
) -> QuerySet[Right]:
    """Rights ``user`` may see, narrowed by what a list page or API caller chose."""
    rights = rights_for(user)
    for name, value in (("status", status), ("kind", kind), ("office", office)):
        if value:
            rights = rights.filter(**{name: value})
    if q := q.strip():
        rights = rights.filter(
            Q(name__icontains=q) | Q(mark_text__icontains=q) | Q(registration_number__icontains=q)
        )
    return rights


def right_get(user, pk: int) -> Right:
    """Return the right, or raise Http404 when it does not exist or is another tenant's."""
    return get_object_or_404(
        rights_for(user).prefetch_related(
            "proof_documents",
            Prefetch("events", queryset=RightEvent.objects.select_related("actor")),
        ),
        pk=pk,
    )


def rights_awaiting_verification(user) -> QuerySet[Right]:
    """The verification queue, oldest first: operator moderators only."""
    if not can_moderate_rights(access_for(user)):
        return Right.objects.none()
    return (
        Right.objects.awaiting_verification()
        .select_related("rights_holder", "submitted_by")
        .prefetch_related("images", "proof_documents")
        .order_by("status_changed_at", "pk")
    )


def proof_document_get(user, *, right_id: int, pk: int) -> ProofDocument:
    return get_object_or_404(
        ProofDocument.objects.filter(rights_q(access_for(user), prefix="right__")),
        right_id=right_id,
        pk=pk,
    )


def right_image_get(user, *, right_id: int, pk: int) -> RightImage:
    return get_object_or_404(
        RightImage.objects.filter(rights_q(access_for(user), prefix="right__")),
        right_id=right_id,
        pk=pk,
    )


def rights_holders_for(user) -> QuerySet[Organisation]:
    """Rights holders ``user`` acts for: its own, and those represented under authorisation."""
    return Organisation.objects.filter(rights_holders_q(access_for(user)), is_active=True)


def rights_holders_managed_by(user) -> QuerySet[Organisation]:
    """Rights holders ``user`` may register rights and authorised sellers for."""
    access = access_for(user)
    holders = rights_holders_for(user)
    return holders.filter(pk__in=[h.pk for h in holders if can_manage_rights_of(access, h.pk)])


def rights_holders_administered_by(user) -> QuerySet[Organisation]:
    """Rights holders ``user`` may grant letters of authorisation for."""
    access = access_for(user)
    holders = rights_holders_for(user)
    if access.is_operator:
        return holders
    return holders.filter(pk__in=[h.pk for h in holders if can_administer(access, h.pk)])


def agents_available() -> QuerySet[Organisation]:
    """Agents a rights holder may authorise (a public directory of law firms)."""
    return Organisation.objects.filter(kind=Organisation.Kind.AGENT, is_active=True)


def authorisations_for(user) -> QuerySet[AgentAuthorisation]:
    """Letters of authorisation the user's organisations granted or hold."""
    access = access_for(user)
    qs = AgentAuthorisation.objects.select_related("agent", "rights_holder").prefetch_related(
        "rights"
    )
    if access.is_operator:
        return qs
    ids = access.rights_holder_ids | frozenset(access.agent_roles)
    if not ids:
        return qs.filter(NOTHING)
    return qs.filter(Q(rights_holder_id__in=ids) | Q(agent_id__in=ids))


def authorisation_get(user, pk: int) -> AgentAuthorisation:
    return get_object_or_404(authorisations_for(user), pk=pk)


def _owned_by_represented(user) -> Q:
    """Rows with a ``rights_holder_id`` of a rights holder the user acts for."""
    access = access_for(user)
    if access.is_operator:
        return Q()
    ids = access.rights_holder_ids | access.represented_rights_holder_ids
    return Q(rights_holder_id__in=ids) if ids else NOTHING


def authorised_sellers_for(user) -> QuerySet[AuthorisedSeller]:
    return (
        AuthorisedSeller.objects.filter(_owned_by_represented(user))
        .select_related("rights_holder", "platform__organisation")
        .prefetch_related("rights")
    )


def authorised_seller_get(user, pk: int) -> AuthorisedSeller:
    return get_object_or_404(authorised_sellers_for(user), pk=pk)


def is_authorised_seller(*, right: Right, platform_id: int, seller_external_id: str) -> bool:
    """Is this seller allowed to sell goods under ``right`` (so never flagged for it)?

    An authorised seller with no rights listed is authorised for all of the
    rights holder's rights.
    """
    return (
        AuthorisedSeller.objects.filter(
            rights_holder_id=right.rights_holder_id,
            platform_id=platform_id,
            seller_external_id=seller_external_id,
        )
        .filter(Q(rights__isnull=True) | Q(rights__pk=right.pk))
        .exists()
    )


def right_counts_by_status(user) -> dict[str, int]:
    rows = rights_for(user).order_by().values("status").annotate(n=Count("pk"))
    counts = {s: 0 for s in RightStatus.values}
    counts.update({r["status"]: r["n"] for r in rows})
    return counts
