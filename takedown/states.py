"""Status values and allowed transitions of every workflow, in one place.

Services check each move against these maps; pages read the same maps to show
only the actions that are allowed.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from takedown.errors import TransitionNotAllowed


class RightStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    VERIFIED = "verified", _("Verified")
    REJECTED = "rejected", _("Rejected")
    SUSPENDED = "suspended", _("Suspended")
    EXPIRED = "expired", _("Expired")


class RightAction(models.TextChoices):
    SUBMIT = "submit", _("Submit")
    VERIFY = "verify", _("Verify")
    REJECT = "reject", _("Reject")
    SUSPEND = "suspend", _("Suspend")
    REINSTATE = "reinstate", _("Reinstate")
    EXPIRE = "expire", _("Expire")
    EDIT = "edit", _("Edit")
    RESUBMIT = "resubmit", _("Resubmit")


# action -> (statuses it may start from, status it leads to)
RIGHT_ALLOWED: dict[str, tuple[frozenset[str], str]] = {
    RightAction.VERIFY: (frozenset({RightStatus.SUBMITTED}), RightStatus.VERIFIED),
    RightAction.REJECT: (frozenset({RightStatus.SUBMITTED}), RightStatus.REJECTED),
    RightAction.SUSPEND: (frozenset({RightStatus.VERIFIED}), RightStatus.SUSPENDED),
    RightAction.REINSTATE: (frozenset({RightStatus.SUSPENDED}), RightStatus.VERIFIED),
    RightAction.EXPIRE: (
        frozenset({RightStatus.SUBMITTED, RightStatus.VERIFIED, RightStatus.SUSPENDED}),
        RightStatus.EXPIRED,
    ),
    # An edit of a rejected, expired or verified right sends it back for review:
    # the moderator verified what the right said, not what it says now.
    RightAction.RESUBMIT: (
        frozenset(
            {RightStatus.REJECTED, RightStatus.EXPIRED, RightStatus.VERIFIED, RightStatus.SUBMITTED}
        ),
        RightStatus.SUBMITTED,
    ),
}

# Actions a moderator takes from the verification pages.
RIGHT_MODERATOR_ACTIONS = (
    RightAction.VERIFY,
    RightAction.REJECT,
    RightAction.SUSPEND,
    RightAction.REINSTATE,
)


def right_actions_from(status: str) -> list[str]:
    """Return the moderator actions allowed from ``status``, in display order."""
    return [a for a in RIGHT_MODERATOR_ACTIONS if status in RIGHT_ALLOWED[a][0]]


def right_target(action: str, current: str) -> str:
    """Return the status ``action`` leads to from ``current``, or raise TransitionNotAllowed."""
    sources, target = RIGHT_ALLOWED[action]
    if current not in sources:
        raise TransitionNotAllowed(
            f"Cannot {RightAction(action).label.lower()} a right that is "
            f"{RightStatus(current).label.lower()}."
        )
    return target


class FeedStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    PROCESSING = "processing", _("Processing")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


# status -> statuses it may move to. PROCESSING -> PROCESSING is a reclaim of a
# batch whose worker died (its claim went stale).
FEED_ALLOWED: dict[str, frozenset[str]] = {
    FeedStatus.RECEIVED: frozenset({FeedStatus.PROCESSING, FeedStatus.FAILED}),
    FeedStatus.PROCESSING: frozenset({FeedStatus.PROCESSING, FeedStatus.DONE, FeedStatus.FAILED}),
    FeedStatus.DONE: frozenset(),
    FeedStatus.FAILED: frozenset(),
}


class ImageStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be fetched")
    FETCHED = "fetched", _("Fetched")
    FAILED = "failed", _("Could not be fetched")
