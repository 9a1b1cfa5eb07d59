"""Small helpers the page templates share: status colours and the queue badge."""

from django import template

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
