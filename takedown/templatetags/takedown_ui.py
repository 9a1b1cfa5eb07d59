"""Small helpers the page templates share: status colours, the queue badge, the main navigation."""

from dataclasses import dataclass
from functools import lru_cache

from django import template
from django.template.loader import render_to_string
from django.urls import get_script_prefix, get_urlconf
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from rightsholders.selectors import rights_awaiting_verification
from takedown.access import access_for
from takedown.states import RightStatus

register = template.Library()

# Bootstrap colour of each right status: what needs attention stands out.
STATUS_COLOURS = {
    "submitted": "text-bg-warning",
    "verified": "text-bg-success",
    "rejected": "text-bg-danger",
    "suspended": "text-bg-dark",
    "expired": "text-bg-secondary",
}


# Statuses whose reason the rights holder must read: the right is not enforced because of it.
EXPLAINED_STATUSES = frozenset({"rejected", "suspended", "expired"})


@register.filter
def status_explained(status: str) -> bool:
    return status in EXPLAINED_STATUSES


@register.filter
def right_status_label(status: str) -> str:
    """The translated label of a right status value (for dicts keyed by value)."""
    return str(RightStatus(status).label) if status in RightStatus.values else status


@register.filter
def status_colour(status: str) -> str:
    return STATUS_COLOURS.get(status, "text-bg-light")


@register.simple_tag(takes_context=True)
def verification_queue_count(context: template.Context) -> int | None:
    """Count the rights waiting for an operator moderator; None for everyone else."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if not access_for(user).is_operator_moderator:
        return None
    return rights_awaiting_verification(user).count()


@dataclass(frozen=True)
class NavState:
    """Everything includes/main_nav.html shows: equal states render the same navigation."""

    language: str | None
    # Where reverse() starts its URLs (the thread's script prefix and URLconf).
    script_prefix: str
    urlconf: str | None
    section: str | None  # the view name of the page, marked as the current one
    acts_for_rights_holders: bool
    is_operator: bool
    is_operator_moderator: bool
    platform_moderator: bool
    rights_holder_roles: bool
    agent_roles: bool
    platform_staff: bool
    is_moderator: bool
    is_staff: bool
    appeals_waiting: int | None  # the appeals badge, on the moderators' queues only
    queue_count: int | None  # rights waiting for verification, for the operator's moderators


@register.simple_tag(takes_context=True)
def main_nav(context: template.Context) -> SafeString:
    """The signed-in user's main navigation, rendered once for each distinct ``NavState``.

    With its 17 {% url %}, 18 {% translate %} and the role tests, the
    navigation was most of base.html's ~1.2 ms on every signed-in page; it
    depends only on the language, the page's section, the user's roles and
    the two badges' numbers, which the state holds.
    """
    request = context.get("request")
    user = getattr(request, "user", None)
    access = access_for(user)
    match = getattr(request, "resolver_match", None)
    state = NavState(
        language=get_language(),
        script_prefix=get_script_prefix(),
        urlconf=get_urlconf(),
        section=match.view_name if match else None,
        acts_for_rights_holders=access.acts_for_rights_holders(),
        is_operator=access.is_operator,
        is_operator_moderator=access.is_operator_moderator,
        platform_moderator=bool(access.platform_moderator_ids),
        rights_holder_roles=bool(access.rights_holder_roles),
        agent_roles=bool(access.agent_roles),
        platform_staff=bool(access.platform_ids),
        is_moderator=access.is_moderator,
        is_staff=bool(getattr(user, "is_staff", False)),
        appeals_waiting=context.get("appeals_waiting"),
        queue_count=verification_queue_count(context),
    )
    return _main_nav_html(state)


# One navigation is ~4 KB: a few hundred states (sections x roles x languages x badge numbers).
@lru_cache(maxsize=512)
def _main_nav_html(state: NavState) -> SafeString:
    return SafeString(render_to_string("includes/main_nav.html", {"nav": state}))
