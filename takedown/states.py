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


class DetectionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DISMISSED = "dismissed", _("Dismissed")
    HANDED_OVER = "handed_over", _("Taken into a complaint")
    # A later scan of the changed listing no longer matched the right.
    CLEARED = "cleared", _("No longer matches")


# status -> statuses it may move to. Scans move OPEN <-> CLEARED; people
# dismiss, reopen and hand over.
DETECTION_ALLOWED: dict[str, frozenset[str]] = {
    DetectionStatus.OPEN: frozenset(
        {DetectionStatus.DISMISSED, DetectionStatus.HANDED_OVER, DetectionStatus.CLEARED}
    ),
    DetectionStatus.DISMISSED: frozenset({DetectionStatus.OPEN}),
    DetectionStatus.HANDED_OVER: frozenset(),
    DetectionStatus.CLEARED: frozenset({DetectionStatus.OPEN}),
}


class DismissReason(models.TextChoices):
    AUTHORISED = "authorised", _("Our own or an authorised seller's listing")
    GENUINE = "genuine", _("Genuine goods (resale)")
    NOT_OUR_MARK = "not_our_mark", _("Not our mark or product")
    REFERENCE = "reference", _("Legitimate reference (compatible with, review, parody)")
    HANDLED = "handled", _("Already handled elsewhere")
    OTHER = "other", _("Other (say why)")


class RetroScanStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ComplaintReason(models.TextChoices):
    COUNTERFEIT = "counterfeit", _("Counterfeit goods")
    TRADEMARK = "trademark", _("Trademark infringement")
    DESIGN = "design", _("Design infringement")
    OTHER = "other", _("Other (say what)")


class CaseStatus(models.TextChoices):
    OPEN = "open", _("Waiting for a decision")
    INFO_REQUESTED = "info_requested", _("Waiting for the notifier's answer")
    REMOVED = "removed", _("Removed")
    RESTRICTED = "restricted", _("Visibility restricted")
    REJECTED = "rejected", _("Complaint rejected")
    CLOSED = "closed", _("Closed without a decision")
    COUNTER_NOTICED = "counter_noticed", _("Seller objected: notifier's window open")
    IN_COURT = "in_court", _("Measure kept: court action reported")
    RESTORED = "restored", _("Restored")


class CaseAction(models.TextChoices):
    FILE = "file", _("Filed")
    CLAIM = "claim", _("Claimed")
    RELEASE = "release", _("Released")
    REMOVE = "remove", _("Remove")
    RESTRICT = "restrict", _("Restrict visibility")
    REJECT = "reject", _("Reject")
    REQUEST_INFO = "request_info", _("Ask the notifier for information")
    ANSWER_INFO = "answer_info", _("Notifier answered")
    CLOSE_UNANSWERED = "close_unanswered", _("Closed: no answer in time")
    # The platform confirmed it carried out the measure (status unchanged).
    EXECUTED = "executed", _("Carried out by the platform")
    COUNTER_NOTICE = "counter_notice", _("Seller's counter-notice")
    REPORT_ACTION = "report_action", _("Notifier reported a court action")
    RESTORE = "restore", _("Restored: no court action in the window")
    APPEAL = "appeal", _("Appealed")
    APPEAL_DISMISS = "appeal_dismiss", _("Appeal dismissed")
    REVERSE_MEASURE = "reverse_measure", _("Appeal upheld: listing restored")
    REVERSE_REJECTION = "reverse_rejection", _("Appeal upheld: listing removed")
    # DSA Art. 23(1): the seller is warned before its suspension is recommended.
    SELLER_WARNED = "seller_warned", _("Seller warned: one strike from suspension")
    SUSPENSION_RECOMMENDED = "suspension_recommended", _("Seller's suspension recommended")


# Decisions a moderator takes on a case, in display order (CASE_ALLOWED says where each leads).
CASE_DECISIONS: tuple[str, ...] = (
    CaseAction.REMOVE,
    CaseAction.RESTRICT,
    CaseAction.REJECT,
    CaseAction.REQUEST_INFO,
)

# action -> (statuses it may start from, status it leads to)
CASE_ALLOWED: dict[str, tuple[frozenset[str], str]] = {
    CaseAction.REMOVE: (frozenset({CaseStatus.OPEN}), CaseStatus.REMOVED),
    CaseAction.RESTRICT: (frozenset({CaseStatus.OPEN}), CaseStatus.RESTRICTED),
    CaseAction.REJECT: (frozenset({CaseStatus.OPEN}), CaseStatus.REJECTED),
    CaseAction.REQUEST_INFO: (frozenset({CaseStatus.OPEN}), CaseStatus.INFO_REQUESTED),
    CaseAction.ANSWER_INFO: (frozenset({CaseStatus.INFO_REQUESTED}), CaseStatus.OPEN),
    CaseAction.CLOSE_UNANSWERED: (frozenset({CaseStatus.INFO_REQUESTED}), CaseStatus.CLOSED),
    CaseAction.COUNTER_NOTICE: (
        frozenset({CaseStatus.REMOVED, CaseStatus.RESTRICTED}),
        CaseStatus.COUNTER_NOTICED,
    ),
    CaseAction.REPORT_ACTION: (frozenset({CaseStatus.COUNTER_NOTICED}), CaseStatus.IN_COURT),
    CaseAction.RESTORE: (frozenset({CaseStatus.COUNTER_NOTICED}), CaseStatus.RESTORED),
    CaseAction.REVERSE_MEASURE: (
        frozenset(
            {
                CaseStatus.REMOVED,
                CaseStatus.RESTRICTED,
                CaseStatus.COUNTER_NOTICED,
                CaseStatus.IN_COURT,
            }
        ),
        CaseStatus.RESTORED,
    ),
    CaseAction.REVERSE_REJECTION: (frozenset({CaseStatus.REJECTED}), CaseStatus.REMOVED),
}


def case_target(action: str, current: str) -> str:
    """Return the status ``action`` leads to from ``current``, or raise TransitionNotAllowed."""
    sources, target = CASE_ALLOWED[action]
    if current not in sources:
        raise TransitionNotAllowed(
            f"Cannot {CaseAction(action).label.lower()} a case that is "
            f"{CaseStatus(current).label.lower()}."
        )
    return target


def case_actions_from(status: str) -> list[str]:
    """The decisions a moderator may take from ``status``, in display order."""
    return [a for a in CASE_DECISIONS if status in CASE_ALLOWED[a][0]]
