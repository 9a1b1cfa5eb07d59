"""What rights holders do with detections: dismiss, reopen, hand over to a complaint.

A dismissal is remembered per (listing, right): later scans of the changed
listing, or by a newer engine, keep the detection dismissed. Handing over
checks everything a complaint will rely on (the detections are open, of one
rights holder, of rights in force the person may file complaints for) and,
when taken, marks them so no second complaint takes them.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from listings.models import Detection, DetectionDismissal, Listing
from listings.selectors import detections_for
from rightsholders.models import Organisation, Right
from takedown.access import access_for, can_act_on_detections, can_file_complaints_for
from takedown.errors import DomainError, NotPermitted
from takedown.states import DETECTION_ALLOWED, DetectionStatus, DismissReason

# Detections one complaint may take: a notice is read by a person.
HAND_OVER_MAX = 500


def _move(detection: Detection, target: str, actor) -> None:
    if target not in DETECTION_ALLOWED[detection.status]:
        raise DomainError(
            f"Detection {detection.pk} is {detection.get_status_display().lower()}; "
            f"it cannot become {DetectionStatus(target).label.lower()}.",
            field="detections",
        )
    detection.status = target
    detection.status_changed_at = timezone.now()
    detection.status_changed_by = actor


def _locked(actor, detection_ids: Sequence[int]) -> list[Detection]:
    """The actor's detections with these ids, locked; refuses ids it cannot see."""
    ids = sorted(set(detection_ids))
    if not ids:
        raise DomainError("Choose at least one detection.", field="detections")
    found = list(
        detections_for(actor).select_for_update(of=("self",)).filter(pk__in=ids).order_by("pk")
    )
    missing = sorted(set(ids) - {d.pk for d in found})
    if missing:
        raise DomainError(
            f"Detection {missing[0]} does not exist or is not yours.", field="detections"
        )
    return found


def _check_may_act(actor, detection: Detection) -> None:
    if not can_act_on_detections(
        access_for(actor),
        rights_holder_id=detection.right.rights_holder_id,
        right_id=detection.right_id,
    ):
        raise NotPermitted(f"You may not act on detections of {detection.right.name}.")


def detections_dismiss(
    *, actor, detection_ids: Sequence[int], reason: str, note: str = ""
) -> list[Detection]:
    """Dismiss detections with a reason remembered for the listing and right."""
    if reason not in DismissReason.values:
        raise DomainError(f"Choose a reason: {', '.join(DismissReason.values)}.", field="reason")
    note = note.strip()
    if reason == DismissReason.OTHER and not note:
        raise DomainError("Say why the detection is dismissed.", field="note")
    with transaction.atomic():
        detections = _locked(actor, detection_ids)
        for detection in detections:
            _check_may_act(actor, detection)
            _move(detection, DetectionStatus.DISMISSED, actor)
        Detection.objects.bulk_update(
            detections, ["status", "status_changed_at", "status_changed_by", "updated_at"]
        )
        for detection in detections:
            DetectionDismissal.objects.update_or_create(
                listing_id=detection.listing_id,
                right_id=detection.right_id,
                defaults={"reason": reason, "note": note, "dismissed_by": actor},
            )
    return detections


def detections_reopen(*, actor, detection_ids: Sequence[int]) -> list[Detection]:
    """Take dismissed detections back to the inbox and forget the dismissal."""
    with transaction.atomic():
        detections = _locked(actor, detection_ids)
        for detection in detections:
            _check_may_act(actor, detection)
            _move(detection, DetectionStatus.OPEN, actor)
        Detection.objects.bulk_update(
            detections, ["status", "status_changed_at", "status_changed_by", "updated_at"]
        )
        for detection in detections:
            DetectionDismissal.objects.filter(
                listing_id=detection.listing_id, right_id=detection.right_id
            ).delete()
    return detections


@dataclass(frozen=True)
class HandOver:
    """What a complaint built from detections relies on and covers."""

    rights_holder: Organisation
    rights: list[Right]
    listings: list[Listing]
    detections: list[Detection]


def _hand_over(actor, detections: list[Detection]) -> HandOver:
    if len(detections) > HAND_OVER_MAX:
        raise DomainError(
            f"One complaint covers at most {HAND_OVER_MAX} detections; "
            f"{len(detections)} were chosen.",
            field="detections",
        )
    access = access_for(actor)
    holders = {d.right.rights_holder_id for d in detections}
    if len(holders) > 1:
        raise DomainError(
            "The detections are of several rights holders' rights; a complaint is filed "
            "for one rights holder.",
            field="detections",
        )
    for detection in detections:
        if detection.status != DetectionStatus.OPEN:
            raise DomainError(
                f"Detection {detection.pk} is {detection.get_status_display().lower()}; "
                "only open detections go into a complaint.",
                field="detections",
            )
        if not can_file_complaints_for(
            access, rights_holder_id=detection.right.rights_holder_id, right_id=detection.right_id
        ):
            raise NotPermitted(f"You may not file complaints relying on {detection.right.name}.")
    rights = sorted({d.right_id: d.right for d in detections}.values(), key=lambda r: r.name)
    listings = sorted(
        {d.listing_id: d.listing for d in detections}.values(), key=lambda item: item.pk
    )
    return HandOver(
        rights_holder=detections[0].right.rights_holder,
        rights=rights,
        listings=listings,
        detections=detections,
    )


def detections_prepare_complaint(*, actor, detection_ids: Sequence[int]) -> HandOver:
    """Check detections can go into one complaint and return what it would rely on (no write)."""
    ids = sorted(set(detection_ids))
    if not ids:
        raise DomainError("Choose at least one detection.", field="detections")
    detections = list(detections_for(actor).filter(pk__in=ids).order_by("pk"))
    missing = sorted(set(ids) - {d.pk for d in detections})
    if missing:
        raise DomainError(
            f"Detection {missing[0]} does not exist or is not yours.", field="detections"
        )
    return _hand_over(actor, detections)


def detections_take(*, actor, detection_ids: Sequence[int]) -> HandOver:
    """Hand detections over to a complaint being filed (call inside its transaction).

    Locks them and checks again, so two complaints never take the same detection.
    """
    with transaction.atomic():
        detections = _locked(actor, detection_ids)
        hand_over = _hand_over(actor, detections)
        for detection in detections:
            _move(detection, DetectionStatus.HANDED_OVER, actor)
        Detection.objects.bulk_update(
            detections, ["status", "status_changed_at", "status_changed_by", "updated_at"]
        )
    return hand_over
