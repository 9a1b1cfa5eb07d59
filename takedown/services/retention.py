"""Retention: purge closed cases, their evidence and unreferenced listings after the period.

Listings, snapshots and case records are kept at least three years
(``TAKEDOWN_RETENTION_DAYS``, default 1096; lower values are refused), then
deleted in bounded batches by the beat task ``takedown.purge_expired``. The
ledger entries of purged snapshots and case events stay (they hold hashes
and ids only); each purged object is listed in ``PurgedObject`` and each
batch appends its own ledger entry naming them, in the transaction of the
deletion, so ``verify_evidence`` tells a purged object from a deleted one
(a PurgedObject row alone does not do), and still fails on a kept object
that was edited or deleted.

A case is purged when it is closed for good: rejected, closed unanswered,
restored, or removed/restricted with no counter-notice window or court action
pending and no appeal open, and nothing happened on it since the cut-off. A
complaint goes with its last case. A listing goes once no case refers to it
and it has not changed since the cut-off (nor been snapshot since).
"""

import datetime
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import cast

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import default_storage
from django.db import models, transaction
from django.db.models import Exists, OuterRef, Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from listings.models import Listing
from takedown.models import (
    Appeal,
    Case,
    CaseEvent,
    Complaint,
    CounterNotice,
    EvidenceFile,
    EvidenceSnapshot,
    LedgerEntry,
)
from takedown.services.evidence import ledger_purge_record
from takedown.states import CaseStatus

logger = logging.getLogger(__name__)

# Three years and a day: the shortest period the operator's policy allows (issue 7).
MIN_RETENTION_DAYS = 1096
# Statuses after which nothing more happens to a case on its own.
FINAL_STATUSES = frozenset(
    {
        CaseStatus.REJECTED,
        CaseStatus.CLOSED,
        CaseStatus.RESTORED,
        CaseStatus.REMOVED,
        CaseStatus.RESTRICTED,
    }
)
# Cases per transaction: a batch deletes about 20 rows a case, so a transaction
# stays well under a second and a crashed run loses at most one batch of work.
BATCH_SIZE = 200


def retention_days() -> int:
    """The configured period, refused when under three years."""
    days = int(getattr(settings, "TAKEDOWN_RETENTION_DAYS", MIN_RETENTION_DAYS))
    if days < MIN_RETENTION_DAYS:
        raise ImproperlyConfigured(
            f"TAKEDOWN_RETENTION_DAYS is {days}: listings, snapshots and case records "
            f"must be kept at least three years ({MIN_RETENTION_DAYS} days)."
        )
    return days


def retention_cutoff(now: datetime.datetime | None = None) -> datetime.datetime:
    return (now or timezone.now()) - datetime.timedelta(days=retention_days())


def purgeable_cases(cutoff: datetime.datetime) -> models.QuerySet[Case]:
    """Cases closed for good before ``cutoff``, with no activity since."""
    open_appeal = Appeal.objects.filter(case=OuterRef("pk"), status=Appeal.Status.OPEN)
    # A counter-notice whose window is still running (or ended after the cut-off).
    pending_notice = CounterNotice.objects.filter(case=OuterRef("pk")).filter(
        Q(window_ends_at__gte=cutoff) | Q(action_reported_at__gte=cutoff)
    )
    recent_event = CaseEvent.objects.filter(case=OuterRef("pk"), created_at__gte=cutoff)
    return (
        Case.objects.filter(status__in=FINAL_STATUSES, status_changed_at__lt=cutoff)
        .filter(Q(decided_at__isnull=True) | Q(decided_at__lt=cutoff))
        .exclude(Exists(open_appeal))
        .exclude(Exists(pending_notice))
        .exclude(Exists(recent_event))
        .order_by("pk")
    )


def purgeable_listings(cutoff: datetime.datetime) -> models.QuerySet[Listing]:
    """Listings no case refers to, unchanged and not captured since ``cutoff``."""
    any_case = Case.objects.filter(listing=OuterRef("pk"))
    recent_snapshot = EvidenceSnapshot.objects.filter(listing=OuterRef("pk"), taken_at__gte=cutoff)
    return (
        Listing.objects.filter(updated_at__lt=cutoff)
        .filter(Q(delisted_at__isnull=True) | Q(delisted_at__lt=cutoff))
        .exclude(Exists(any_case))
        .exclude(Exists(recent_snapshot))
        .order_by("pk")
    )


@dataclass
class PurgeReport:
    cases: int = 0
    complaints: int = 0
    listings: int = 0
    snapshots: int = 0
    case_events: int = 0
    files: int = 0
    more: bool = False


def retention_purge(
    *, now: datetime.datetime | None = None, batch_size: int = BATCH_SIZE
) -> PurgeReport:
    """Purge one batch of expired cases and one of expired listings; ``more`` if any is left."""
    cutoff = retention_cutoff(now)
    report = PurgeReport()
    with transaction.atomic():
        case_ids = list(purgeable_cases(cutoff).values_list("pk", flat=True)[:batch_size])
        if case_ids:
            _purge_cases(case_ids, report)
    with transaction.atomic():
        listing_ids = list(purgeable_listings(cutoff).values_list("pk", flat=True)[:batch_size])
        if listing_ids:
            _purge_listings(listing_ids, report)
    report.more = len(case_ids) == batch_size or len(listing_ids) == batch_size
    logger.info(
        "retention purge before %s: %s cases, %s complaints, %s listings, %s snapshots, "
        "%s case events, %s files%s",
        cutoff.isoformat(),
        report.cases,
        report.complaints,
        report.listings,
        report.snapshots,
        report.case_events,
        report.files,
        " (more to do)" if report.more else "",
    )
    return report


def _purge_cases(case_ids: list[int], report: PurgeReport) -> None:
    complaint_ids = set(Case.objects.filter(pk__in=case_ids).values_list("complaint_id", flat=True))
    snapshots = EvidenceSnapshot.objects.filter(case_id__in=case_ids)
    digests = _thumbnail_digests(snapshots)
    snapshot_ids = list(snapshots.values_list("pk", flat=True))
    event_ids = list(CaseEvent.objects.filter(case_id__in=case_ids).values_list("pk", flat=True))
    for notice in CounterNotice.objects.filter(case_id__in=case_ids):
        report.files += _delete_paths(e.get("path") for e in notice.evidence)
    for appeal in Appeal.objects.filter(case_id__in=case_ids):
        report.files += _delete_paths(e.get("path") for e in appeal.evidence)
    report.files += _delete_with_dependants(Case, case_ids)
    report.cases += len(case_ids)
    report.snapshots += len(snapshot_ids)
    report.case_events += len(event_ids)
    emptied = list(
        Complaint.objects.filter(pk__in=complaint_ids)
        .exclude(Exists(Case.objects.filter(complaint=OuterRef("pk"))))
        .values_list("pk", flat=True)
    )
    if emptied:
        report.files += _delete_with_dependants(Complaint, emptied)
        report.complaints += len(emptied)
    report.files += _delete_unused_evidence_files(digests)
    # Last, so the ledger's head is locked only for the end of the batch's transaction.
    ledger_purge_record(
        [(LedgerEntry.Kind.SNAPSHOT, pk) for pk in snapshot_ids]
        + [(LedgerEntry.Kind.CASE_EVENT, pk) for pk in event_ids]
    )


def _purge_listings(listing_ids: list[int], report: PurgeReport) -> None:
    snapshots = EvidenceSnapshot.objects.filter(listing_id__in=listing_ids)
    digests = _thumbnail_digests(snapshots)
    snapshot_ids = list(snapshots.values_list("pk", flat=True))
    EvidenceSnapshot.objects.filter(pk__in=snapshot_ids).delete()
    # Images, detections, dismissals and feed snapshots go with the listing (CASCADE).
    Listing.objects.filter(pk__in=listing_ids).delete()
    report.listings += len(listing_ids)
    report.snapshots += len(snapshot_ids)
    report.files += _delete_unused_evidence_files(digests)
    ledger_purge_record([(LedgerEntry.Kind.SNAPSHOT, pk) for pk in snapshot_ids])


def _delete_with_dependants(model: type[models.Model], ids: list[int]) -> int:
    """Delete ``model`` rows and, first, every row that protects them; return files deleted.

    Walks the reverse relations (``_meta.related_objects``), so a table added
    later that points at a case (an evidence package, a delivery) is purged
    with it instead of blocking the purge. Files of FileFields are deleted too.
    """
    files = 0
    for relation in model._meta.related_objects:
        if relation.many_to_many or relation.on_delete is not models.PROTECT:
            continue
        related = cast(type[models.Model], relation.related_model)
        rows = related._base_manager.filter(**{f"{relation.field.name}__in": ids})
        related_ids = list(rows.values_list("pk", flat=True))
        if related_ids:
            files += _delete_with_dependants(related, related_ids)
    files += _delete_files_of(model, ids)
    model._base_manager.filter(pk__in=ids).delete()
    return files


def _delete_files_of(model: type[models.Model], ids: list[int]) -> int:
    fields = [f for f in model._meta.concrete_fields if isinstance(f, models.FileField)]
    if not fields:
        return 0
    deleted = 0
    rows = model._base_manager.filter(pk__in=ids).values_list(*[f.name for f in fields])
    for row in rows:
        for file_field, path in zip(fields, row, strict=True):
            if path and file_field.storage.exists(path):
                file_field.storage.delete(path)
                deleted += 1
    return deleted


def _delete_paths(paths: Iterable[str | None]) -> int:
    deleted = 0
    for path in paths:
        if path and default_storage.exists(path):
            default_storage.delete(path)
            deleted += 1
    return deleted


def _thumbnail_digests(snapshots: models.QuerySet[EvidenceSnapshot]) -> set[str]:
    digests = set()
    for body in snapshots.values_list("body", flat=True):
        for image in body.get("images", []):
            digest = (image.get("thumbnail") or {}).get("sha256")
            if digest:
                digests.add(digest)
    return digests


def _delete_unused_evidence_files(digests: set[str]) -> int:
    """Delete the image copies no remaining snapshot refers to (they are shared by SHA-256)."""
    if not digests:
        return 0
    bodies = EvidenceSnapshot.objects.annotate(text=Cast("body", TextField()))
    in_use = {d for d in digests if bodies.filter(text__contains=d).exists()}
    unused = list(EvidenceFile.objects.filter(sha256__in=digests - in_use))
    for copy in unused:
        copy.file.delete(save=False)
    EvidenceFile.objects.filter(pk__in=[c.pk for c in unused]).delete()
    return len(unused)
