"""Who the acting user is, in the domain's terms: the one place tenancy is decided.

Selectors filter querysets with the ``*_q`` functions here and services ask the
``can_*`` functions, so a rule changes in one place for pages, API and tasks.
"""

from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q

from rightsholders.models import AgentAuthorisation, Membership, Organisation


@dataclass(frozen=True)
class Representation:
    """What an agent may do for one rights holder under its active authorisations."""

    rights_holder_id: int
    all_rights: bool
    right_ids: frozenset[int]
    may_manage_rights: bool
    may_file_complaints: bool
    agent_id: int = 0


@dataclass(frozen=True)
class Access:
    user_id: int | None = None
    is_operator: bool = False
    is_operator_moderator: bool = False
    # organisation id -> role, per kind of organisation the user belongs to
    rights_holder_roles: dict[int, str] = field(default_factory=dict)
    agent_roles: dict[int, str] = field(default_factory=dict)
    platform_org_roles: dict[int, str] = field(default_factory=dict)
    # listings.Platform ids (not organisation ids) of the user's platform organisations
    platform_ids: frozenset[int] = frozenset()
    platform_moderator_ids: frozenset[int] = frozenset()
    representations: tuple[Representation, ...] = ()

    @property
    def rights_holder_ids(self) -> frozenset[int]:
        return frozenset(self.rights_holder_roles)

    @property
    def represented_rights_holder_ids(self) -> frozenset[int]:
        return frozenset(r.rights_holder_id for r in self.representations)

    @property
    def is_moderator(self) -> bool:
        return self.is_operator_moderator or bool(self.platform_moderator_ids)

    def acts_for_rights_holders(self) -> bool:
        return bool(self.rights_holder_roles or self.representations)


ANONYMOUS = Access()
_CACHE_ATTR = "_takedown_access"


def access_for(user: object) -> Access:
    """Return the Access of ``user``, computed once per user object (one request)."""
    if (
        user is None
        or isinstance(user, AnonymousUser)
        or not getattr(user, "is_authenticated", False)
    ):
        return ANONYMOUS
    if getattr(user, "is_platform_principal", False):
        # A platform API token: that platform's rows, nothing else.
        platform_id = user.platform.pk  # type: ignore[attr-defined]
        return Access(platform_ids=frozenset({platform_id}))
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    access = _compute(user)
    setattr(user, _CACHE_ATTR, access)
    return access


def forget_access(user: object) -> None:
    """Drop the cached Access after the user's memberships or authorisations changed."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def _compute(user) -> Access:
    memberships = list(
        Membership.objects.filter(user=user, organisation__is_active=True).select_related(
            "organisation__platform"
        )
    )
    roles: dict[str, dict[int, str]] = {kind: {} for kind in Organisation.Kind.values}
    platform_ids: set[int] = set()
    platform_moderator_ids: set[int] = set()
    is_operator_moderator = bool(user.is_superuser)
    for m in memberships:
        org = m.organisation
        roles[org.kind][org.pk] = m.role
        if org.kind == Organisation.Kind.PLATFORM and hasattr(org, "platform"):
            platform_ids.add(org.platform.pk)
            if m.role == Membership.Role.MODERATOR:
                platform_moderator_ids.add(org.platform.pk)
        if org.kind == Organisation.Kind.OPERATOR and m.role == Membership.Role.MODERATOR:
            is_operator_moderator = True

    representations: tuple[Representation, ...] = ()
    if roles[Organisation.Kind.AGENT]:
        auths = (
            AgentAuthorisation.objects.active()
            .filter(agent_id__in=roles[Organisation.Kind.AGENT], rights_holder__is_active=True)
            .prefetch_related("rights")
        )
        representations = tuple(
            Representation(
                rights_holder_id=a.rights_holder_id,
                all_rights=a.all_rights,
                right_ids=frozenset(r.pk for r in a.rights.all()),
                may_manage_rights=a.may_manage_rights,
                may_file_complaints=a.may_file_complaints,
                agent_id=a.agent_id,
            )
            for a in auths
        )

    return Access(
        user_id=user.pk,
        is_operator=bool(user.is_superuser or roles[Organisation.Kind.OPERATOR]),
        is_operator_moderator=is_operator_moderator,
        rights_holder_roles=roles[Organisation.Kind.RIGHTS_HOLDER],
        agent_roles=roles[Organisation.Kind.AGENT],
        platform_org_roles=roles[Organisation.Kind.PLATFORM],
        platform_ids=frozenset(platform_ids),
        platform_moderator_ids=frozenset(platform_moderator_ids),
        representations=representations,
    )


# Querysets -------------------------------------------------------------------

NOTHING = Q(pk__in=[])


def rights_q(access: Access, *, prefix: str = "") -> Q:
    """Rights the user sees: its own rights holders', those an active authorisation covers.

    Operators see all. ``prefix`` lets other models filter through a relation
    (``prefix="right__"``).
    """
    if access.is_operator:
        return Q()
    q = (
        Q(**{f"{prefix}rights_holder_id__in": access.rights_holder_ids})
        if access.rights_holder_roles
        else NOTHING
    )
    for rep in access.representations:
        if rep.all_rights:
            q |= Q(**{f"{prefix}rights_holder_id": rep.rights_holder_id})
        else:
            q |= Q(
                **{
                    f"{prefix}rights_holder_id": rep.rights_holder_id,
                    f"{prefix}pk__in": rep.right_ids,
                }
            )
    return q


def rights_holders_q(access: Access) -> Q:
    """Rights holders the user acts for (own organisations and represented ones)."""
    if access.is_operator:
        return Q(kind=Organisation.Kind.RIGHTS_HOLDER)
    ids = access.rights_holder_ids | access.represented_rights_holder_ids
    return Q(kind=Organisation.Kind.RIGHTS_HOLDER, pk__in=ids) if ids else NOTHING


def platforms_q(access: Access, *, field: str = "pk") -> Q:
    """Platform-owned rows the user sees: its own platforms', or all for operators.

    ``field`` is the lookup holding the platform id (``platform_id`` on a listing).
    """
    if access.is_operator:
        return Q()
    if not access.platform_ids:
        return NOTHING
    return Q(**{f"{field}__in": access.platform_ids})


# Capabilities ----------------------------------------------------------------


def can_manage_rights_of(access: Access, rights_holder_id: int) -> bool:
    """May register new rights and edit rights of this rights holder."""
    if rights_holder_id in access.rights_holder_roles:
        return True
    return any(
        rep.rights_holder_id == rights_holder_id and rep.may_manage_rights and rep.all_rights
        for rep in access.representations
    )


def can_edit_right(access: Access, *, rights_holder_id: int, right_id: int) -> bool:
    if rights_holder_id in access.rights_holder_roles:
        return True
    return any(
        rep.rights_holder_id == rights_holder_id
        and rep.may_manage_rights
        and (rep.all_rights or right_id in rep.right_ids)
        for rep in access.representations
    )


def can_administer(access: Access, organisation_id: int) -> bool:
    """Is an administrator of this organisation (grants letters of authorisation, etc.)."""
    roles = {**access.rights_holder_roles, **access.agent_roles, **access.platform_org_roles}
    return roles.get(organisation_id) == Membership.Role.ADMIN


def can_revoke_authorisation(access: Access, *, rights_holder_id: int, agent_id: int) -> bool:
    """Either party's administrator (or the operator) may end a letter of authorisation."""
    return (
        access.is_operator
        or can_administer(access, rights_holder_id)
        or can_administer(access, agent_id)
    )


def can_manage_platform_tokens(access: Access, organisation_id: int) -> bool:
    """Creates and revokes a platform's API tokens: its administrators and the operator."""
    return access.is_operator or can_administer(access, organisation_id)


def can_moderate_rights(access: Access) -> bool:
    """Verifies, rejects and suspends rights: operator moderators only."""
    return access.is_operator_moderator


def can_act_on_detections(access: Access, *, rights_holder_id: int, right_id: int) -> bool:
    """Dismisses, reopens and hands over detections of a right: the rights holder's members
    and agents whose authorisation covers the right (to manage rights or file complaints)."""
    if rights_holder_id in access.rights_holder_roles:
        return True
    return any(
        rep.rights_holder_id == rights_holder_id
        and (rep.may_file_complaints or rep.may_manage_rights)
        and (rep.all_rights or right_id in rep.right_ids)
        for rep in access.representations
    )


def can_file_complaints_for(access: Access, *, rights_holder_id: int, right_id: int) -> bool:
    """Files complaints relying on a right: the rights holder's members, agents authorised to."""
    if rights_holder_id in access.rights_holder_roles:
        return True
    return any(
        rep.rights_holder_id == rights_holder_id
        and rep.may_file_complaints
        and (rep.all_rights or right_id in rep.right_ids)
        for rep in access.representations
    )


def can_moderate_platform(access: Access, platform_id: int) -> bool:
    """Decides cases about a platform's listings: its moderators and the operator's."""
    return access.is_operator_moderator or platform_id in access.platform_moderator_ids
