"""Evidence snapshots and the hash-chained ledger: record, anchor, verify.

Every CaseEvent is written through ``case_event_record`` (or
``case_events_record_bulk``), which appends it to the ledger in the caller's
transaction. A filing and every decision (SNAPSHOT_ACTIONS) first capture an
EvidenceSnapshot of the listing, appended just before its event.

The chain: entry n stores the SHA-256 of its object's canonical content
(``content_sha256``), the previous entry's hash (``prev_hash``) and
``entry_hash = SHA-256(prev_hash + content_sha256 + canonical metadata)``.
Appends lock the single LedgerHead row, so concurrent appends queue and the
chain never forks; an append reads that one row, never the chain.
``ledger_verify`` re-hashes every object's current content from the database,
streaming the chain; ``ledger_anchor`` records the head so a deleted or
rewritten tail shows.
"""

import datetime
import hashlib
import json
import logging
import mimetypes
import secrets
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import Exists, Max, Model, OuterRef
from django.utils import timezone

from listings.models import Detection, Listing, ListingImage
from listings.services.feeds import stored_content
from takedown.models import Case, CaseEvent
from takedown.models.evidence import (
    DETECT_ACTION,
    EvidenceFile,
    EvidenceSnapshot,
    LedgerAnchor,
    LedgerEntry,
    LedgerHead,
)
from takedown.models.privacy import ErasureRecord, PurgedObject
from takedown.states import CaseAction

logger = logging.getLogger(__name__)

GENESIS_HASH = "0" * 64
HEAD_PK = 1
# The steps that capture the listing: the complaint's filing and every decision on it.
SNAPSHOT_ACTIONS = frozenset(
    {
        CaseAction.FILE,
        CaseAction.REMOVE,
        CaseAction.RESTRICT,
        CaseAction.REJECT,
        CaseAction.RESTORE,
        CaseAction.REVERSE_MEASURE,
        CaseAction.REVERSE_REJECTION,
    }
)
# Listing content fields that may name a person: kept out of the snapshot's
# body, in its erasable ``personal`` part.
PERSONAL_FIELDS = ("seller_name",)


# Hashing -------------------------------------------------------------------------


def canonical(value: Any) -> bytes:
    """The one byte form of a JSON value that is hashed: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _iso(moment: datetime.datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(datetime.UTC).isoformat()


def case_event_content(event: CaseEvent) -> dict[str, Any]:
    """What the ledger hashes of a case event.

    An event written since the privacy work (issue 7) carries a salted
    digest of its free-text ``reason`` in ``data`` (REASON_SHA256) and the
    salt beside it (REASON_SALT, not hashed): the chain holds the digest, not
    the text, so a name in the reason can be erased and the event still
    verifies (``case_event_reason_problem`` checks the text against the
    digest while the salt is there). Older events hash their reason whole.
    """
    data = dict(event.data)
    data.pop(REASON_SALT, None)
    return {
        "id": event.pk,
        "case": event.case_id,
        "actor": event.actor_id,
        "action": event.action,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "reason": None if REASON_SHA256 in data else event.reason,
        "data": data,
        "created_at": _iso(event.created_at),
    }


# Keys of CaseEvent.data that seal its reason (privacy, issue 7): the salt is erased
# with the reason's personal data; the digest stays, inside the hashed content.
REASON_SALT = "reason_salt"
REASON_SHA256 = "reason_sha256"


def _reason_digest(salt: str, reason: str) -> str:
    return sha256_hex(salt.encode() + reason.encode())


def case_event_reason_seal(event: CaseEvent) -> None:
    """Put a random salt and the salted digest of the event's reason in its data (before saving)."""
    if not event.reason or REASON_SHA256 in event.data:
        return
    salt = secrets.token_hex(16)
    event.data = {
        **event.data,
        REASON_SALT: salt,
        REASON_SHA256: _reason_digest(salt, event.reason),
    }


def case_event_reason_problem(event: CaseEvent) -> str | None:
    """Why a sealed event's reason does not match its digest, or None.

    Once personal data was erased from the reason its salt is gone too: the
    reason must then carry the erasure's tombstone.
    """
    digest = event.data.get(REASON_SHA256)
    if digest is None:
        return None
    salt = event.data.get(REASON_SALT)
    if salt is None:
        if "[erased " in event.reason:
            return None
        return "its reason's salt is gone but the reason shows no erasure"
    if _reason_digest(salt, event.reason) != digest:
        return "its reason was changed since it was recorded"
    return None


def snapshot_content(snapshot: EvidenceSnapshot) -> dict[str, Any]:
    """What the ledger hashes of a snapshot: everything but the erasable personal part."""
    return {
        "id": snapshot.pk,
        "case": snapshot.case_id,
        "listing": snapshot.listing_id,
        "action": snapshot.action,
        "taken_at": _iso(snapshot.taken_at),
        "body": snapshot.body,
        "personal_sha256": snapshot.personal_sha256,
    }


@dataclass(frozen=True)
class PurgeBatch:
    """A retention purge batch as the ledger hashes it: its number and its PurgedObject rows.

    ``objects`` holds (kind, object id, the object's ledger entry hash,
    purged_at in ISO form) per row, sorted: the chain then names what the
    batch deleted, and pins each object to the entry it had.
    """

    pk: int
    objects: tuple[tuple[str, int, str | None, str | None], ...]


def purge_batch_content(batch: PurgeBatch) -> dict[str, Any]:
    """What the ledger hashes of a purge batch: every object it deleted, with its entry's hash."""
    return {
        "batch": batch.pk,
        "objects": [
            {"kind": kind, "object_id": object_id, "entry_hash": digest, "purged_at": purged_at}
            for kind, object_id, digest, purged_at in batch.objects
        ],
    }


def erasure_content(record: ErasureRecord) -> dict[str, Any]:
    """What the ledger hashes of an erasure: what was erased, when, by whom and why.

    The user is named by ``erased_by_label`` (the username at the time), not
    by the foreign key, which a deleted account sets to NULL.
    """
    return {
        "id": record.pk,
        "subject": record.subject,
        "subject_ref": record.subject_ref,
        "reason": record.reason,
        "erased_by": record.erased_by_label,
        "erased_at": _iso(record.erased_at),
        "erased": record.erased,
    }


CONTENT_OF: dict[str, Callable[[Any], dict[str, Any]]] = {
    LedgerEntry.Kind.CASE_EVENT: case_event_content,
    LedgerEntry.Kind.SNAPSHOT: snapshot_content,
    LedgerEntry.Kind.PURGE: purge_batch_content,
    LedgerEntry.Kind.ERASURE: erasure_content,
}


def content_sha256(kind: str, obj: Any) -> str:
    return sha256_hex(canonical(CONTENT_OF[kind](obj)))


def entry_hash(
    prev_hash: str,
    content_hash: str,
    *,
    sequence: int,
    kind: str,
    object_id: int,
    recorded_at: datetime.datetime,
) -> str:
    metadata = canonical(
        {
            "sequence": sequence,
            "kind": kind,
            "object_id": object_id,
            "recorded_at": _iso(recorded_at),
        }
    )
    return sha256_hex(prev_hash.encode() + content_hash.encode() + metadata)


# Appending ---------------------------------------------------------------------------


def _locked_head() -> LedgerHead:
    head = LedgerHead.objects.select_for_update().filter(pk=HEAD_PK).first()
    if head is not None:
        return head
    # Only on a new database (or one a test flushed): start from the last entry, if any.
    last = LedgerEntry.objects.order_by("-sequence").first()
    LedgerHead.objects.get_or_create(
        pk=HEAD_PK,
        defaults={
            "sequence": last.sequence if last else 0,
            "entry_hash": last.entry_hash if last else GENESIS_HASH,
        },
    )
    return LedgerHead.objects.select_for_update().get(pk=HEAD_PK)


def ledger_append(items: Sequence[tuple[str, Any]]) -> list[LedgerEntry]:
    """Append (kind, saved object) pairs to the chain, in order, in the caller's transaction.

    Three queries whatever the number of items: lock the head, insert the
    entries, move the head. The head stays locked until the caller commits.
    """
    if not items:
        return []
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Append to the evidence ledger in the transaction of what it records.")
    head = _locked_head()
    now = timezone.now()
    sequence, prev = head.sequence, head.entry_hash
    entries = []
    for kind, obj in items:
        sequence += 1
        digest = content_sha256(kind, obj)
        current = entry_hash(
            prev, digest, sequence=sequence, kind=kind, object_id=obj.pk, recorded_at=now
        )
        entries.append(
            LedgerEntry(
                sequence=sequence,
                kind=kind,
                object_id=obj.pk,
                content_sha256=digest,
                prev_hash=prev,
                entry_hash=current,
                recorded_at=now,
            )
        )
        prev = current
    LedgerEntry.objects.bulk_create(entries)
    LedgerHead.objects.filter(pk=HEAD_PK).update(sequence=sequence, entry_hash=prev, updated_at=now)
    return entries


def purge_batches_load(numbers: Iterable[int]) -> dict[int, PurgeBatch]:
    """The purge batches of these numbers as stored now (two queries; none for no numbers)."""
    numbers = set(numbers)
    if not numbers:
        return {}
    rows = list(
        PurgedObject.objects.filter(batch__in=numbers).values_list(
            "batch", "kind", "object_id", "purged_at"
        )
    )
    hashes = dict(
        ((kind, object_id), digest)
        for kind, object_id, digest in LedgerEntry.objects.filter(
            kind__in={row[1] for row in rows}, object_id__in={row[2] for row in rows}
        ).values_list("kind", "object_id", "entry_hash")
    )
    objects: dict[int, list[tuple[str, int, str | None, str | None]]] = {}
    for number, kind, object_id, purged_at in rows:
        if number is None:  # pragma: no cover - filtered by batch__in
            continue
        objects.setdefault(number, []).append(
            (kind, object_id, hashes.get((kind, object_id)), _iso(purged_at))
        )
    return {
        number: PurgeBatch(pk=number, objects=tuple(sorted(items, key=lambda o: (o[0], o[1]))))
        for number, items in objects.items()
    }


def ledger_purge_record(objects: Sequence[tuple[str, int]]) -> LedgerEntry | None:
    """List deleted ledger objects, (kind, id) pairs, as one purge batch and chain the batch.

    Call in the transaction that deletes them: the PurgedObject rows and the
    batch's ledger entry commit or roll back with the deletion. The batch is
    numbered under the ledger head's lock, so two purges never share a number.
    """
    if not objects:
        return None
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Record a purge in the transaction that deletes the objects.")
    _locked_head()
    number = (PurgedObject.objects.aggregate(last=Max("batch"))["last"] or 0) + 1
    now = timezone.now()
    PurgedObject.objects.bulk_create(
        [
            PurgedObject(kind=kind, object_id=object_id, purged_at=now, batch=number)
            for kind, object_id in objects
        ],
        # An object listed by an earlier batch stays in that one.
        ignore_conflicts=True,
    )
    batch = purge_batches_load([number]).get(number)
    if batch is None:
        return None
    return ledger_append([(LedgerEntry.Kind.PURGE, batch)])[0]


def case_event_record(**fields: Any) -> CaseEvent:
    """Write a CaseEvent (CaseEvent's fields as keywords) and append it to the ledger.

    A filing or a decision captures the listing first (SNAPSHOT_ACTIONS).
    Call inside the transaction that makes the change the event records.
    """
    return case_events_record_bulk([CaseEvent(**fields)])[0]


def case_events_record_bulk(events: Sequence[CaseEvent]) -> list[CaseEvent]:
    """Write many CaseEvents at once, with their snapshots, and append them all to the ledger."""
    if not events:
        return []
    for event in events:
        case_event_reason_seal(event)
    created = CaseEvent.objects.bulk_create(events)
    if any(event.pk is None for event in created):  # pragma: no cover - every backend we run
        raise RuntimeError("The database did not return the new events' ids.")
    to_snapshot = [e for e in created if e.action in SNAPSHOT_ACTIONS]
    snapshots = _snapshots_take(to_snapshot)
    items: list[tuple[str, Any]] = []
    for event in created:
        if event.pk in snapshots:
            items.append((LedgerEntry.Kind.SNAPSHOT, snapshots[event.pk]))
        items.append((LedgerEntry.Kind.CASE_EVENT, event))
    ledger_append(items)
    return list(created)


# Snapshots ----------------------------------------------------------------------------


def _snapshots_take(events: Sequence[CaseEvent]) -> dict[int, EvidenceSnapshot]:
    """Capture the listing of each event's case, as stored now; return them by event id.

    A fixed number of queries for any number of events: listings, images,
    detections, known evidence files, then one insert of snapshots.
    """
    if not events:
        return {}
    cases: list[Case] = [event.case for event in events]
    listings = Listing.objects.select_related("seller", "platform__organisation").in_bulk(
        {case.listing_id for case in cases}
    )
    images_of: dict[int, list[ListingImage]] = {}
    for image in (
        ListingImage.objects.filter(listing_id__in=listings)
        .select_related("blob")
        .order_by("listing_id", "position", "pk")
    ):
        images_of.setdefault(image.listing_id, []).append(image)
    detections = Detection.objects.in_bulk(
        {case.detection_id for case in cases if case.detection_id is not None}
    )
    copies = _thumbnail_copies(image for images in images_of.values() for image in images)
    snapshots = {}
    for event, case in zip(events, cases, strict=True):
        listing = listings[case.listing_id]
        body, personal = _listing_evidence(listing, images_of.get(listing.pk, []), copies)
        detection = detections.get(case.detection_id) if case.detection_id else None
        body["detection"] = _detection_evidence(detection) if detection else None
        snapshots[event.pk] = EvidenceSnapshot(
            case=case,
            listing=listing,
            action=event.action,
            taken_at=event.created_at,
            body=body,
            personal=personal,
            personal_sha256=sha256_hex(canonical(personal)),
        )
    EvidenceSnapshot.objects.bulk_create(snapshots.values())
    return snapshots


def _listing_evidence(
    listing: Listing, images: list[ListingImage], copies: dict[int, dict[str, Any]]
) -> tuple[dict[str, Any], dict[str, Any]]:
    content = stored_content(listing)
    # The hash the feed gave this content when it arrived, and the hash of it as
    # stored now: equal unless the row was changed outside a feed.
    recomputed = sha256_hex(canonical(content))
    personal: dict[str, Any] = {name: content.pop(name) for name in PERSONAL_FIELDS}
    # A random salt: a bare name's hash could be confirmed by guessing the name.
    personal["salt"] = secrets.token_hex(16)
    body = {
        "platform": listing.platform.organisation.slug,
        "external_id": listing.external_id,
        "content": content,
        "content_sha256_as_received": listing.content_hash,
        "content_sha256_as_stored": recomputed,
        "last_feed": listing.last_feed_id,
        "listing_updated_at": _iso(listing.updated_at),
        "delisted_at": _iso(listing.delisted_at),
        "images": [_image_evidence(image, copies) for image in images],
    }
    return body, personal


def _image_evidence(image: ListingImage, copies: dict[int, dict[str, Any]]) -> dict[str, Any]:
    evidence: dict[str, Any] = {
        "position": image.position,
        "url": image.url,
        "status": image.status,
        "fetched_at": _iso(image.fetched_at),
    }
    blob = image.blob
    if blob is not None:
        evidence.update(
            {
                "original_sha256": blob.sha256,
                "original_content_type": blob.content_type,
                "original_size": blob.size_bytes,
                "width": blob.width,
                "height": blob.height,
                "thumbnail": copies.get(blob.pk),
            }
        )
    return evidence


def _detection_evidence(detection: Detection) -> dict[str, Any]:
    return {
        "id": detection.pk,
        "right": detection.right_id,
        "engine_version": detection.engine_version,
        "score": detection.score,
        "text_score": detection.text_score,
        "image_score": detection.image_score,
        "signals": detection.signals,
        "listing_content_hash": detection.listing_content_hash,
        "last_matched_at": _iso(detection.last_matched_at),
    }


def _thumbnail_copies(images: Iterable[ListingImage]) -> dict[int, dict[str, Any]]:
    """Copy each image's stored thumbnail into evidence storage, once per SHA-256.

    Returns {blob id: {"sha256", "content_type", "size"}}; a thumbnail whose
    file is gone is recorded as missing. The file name is the SHA-256, so a
    copy left by a rolled-back transaction is simply reused.
    """
    found: dict[int, dict[str, Any]] = {}
    data_of: dict[str, bytes] = {}
    for image in images:
        blob = image.blob
        if blob is None or blob.pk in found:
            continue
        try:
            with blob.thumbnail.open("rb") as handle:
                data = handle.read()
        except (OSError, ValueError):
            found[blob.pk] = {"missing": True, "name": blob.thumbnail.name}
            continue
        digest = sha256_hex(data)
        content_type = mimetypes.guess_type(blob.thumbnail.name)[0] or "application/octet-stream"
        found[blob.pk] = {"sha256": digest, "content_type": content_type, "size": len(data)}
        data_of[digest] = data
    if not data_of:
        return found
    known = set(EvidenceFile.objects.filter(sha256__in=data_of).values_list("sha256", flat=True))
    storage = EvidenceFile._meta.get_field("file").storage  # type: ignore[attr-defined]
    new_files = []
    for digest, data in data_of.items():
        if digest in known:
            continue
        copy = next(c for c in found.values() if c.get("sha256") == digest)
        extension = mimetypes.guess_extension(copy["content_type"]) or ""
        name = f"evidence/images/{digest[:2]}/{digest}{extension}"
        if not storage.exists(name):
            name = storage.save(name, ContentFile(data))
        new_files.append(
            EvidenceFile(
                sha256=digest, file=name, content_type=copy["content_type"], size=len(data)
            )
        )
    # Another transaction may store the same picture at the same moment: one row wins.
    EvidenceFile.objects.bulk_create(new_files, ignore_conflicts=True)
    return found


# Snapshots at detection (issue 7) ------------------------------------------------------


def detections_snapshot(
    *, listing_ids: Sequence[int], matched_at: datetime.datetime
) -> list[EvidenceSnapshot]:
    """Capture the listing of every detection a scan chunk just stored, in one ledger append.

    The chunk's new and changed detections are those whose ``last_matched_at``
    is the chunk's ``matched_at``. A fixed number of queries for the chunk:
    the detections with their listings, the images, the image copies known,
    the snapshots' insert, and the ledger's three. Call in the scan's
    transaction, so a rolled-back chunk leaves no snapshot.
    """
    detections = list(
        Detection.objects.filter(listing_id__in=listing_ids, last_matched_at=matched_at)
        .select_related("listing__seller", "listing__platform__organisation")
        .order_by("pk")
    )
    if not detections:
        return []
    images_of: dict[int, list[ListingImage]] = {}
    for image in (
        ListingImage.objects.filter(listing_id__in={d.listing_id for d in detections})
        .select_related("blob")
        .order_by("listing_id", "position", "pk")
    ):
        images_of.setdefault(image.listing_id, []).append(image)
    copies = _thumbnail_copies(image for images in images_of.values() for image in images)
    snapshots = []
    # One listing found for several rights is captured once a right: each
    # detection's snapshot stands alone in a package.
    for detection in detections:
        listing = detection.listing
        body, personal = _listing_evidence(listing, images_of.get(listing.pk, []), copies)
        body["detection"] = _detection_evidence(detection)
        snapshots.append(
            EvidenceSnapshot(
                case=None,
                detection=detection,
                listing=listing,
                action=DETECT_ACTION,
                taken_at=matched_at,
                body=body,
                personal=personal,
                personal_sha256=sha256_hex(canonical(personal)),
            )
        )
    _snapshots_insert(snapshots)
    ledger_append([(LedgerEntry.Kind.SNAPSHOT, snapshot) for snapshot in snapshots])
    return snapshots


# Columns of a snapshot's row, in COPY's order.
SNAPSHOT_COLUMNS = (
    "id",
    "case_id",
    "detection_id",
    "listing_id",
    "action",
    "taken_at",
    "body",
    "personal",
    "personal_sha256",
)


def _snapshots_insert(snapshots: list[EvidenceSnapshot]) -> None:
    """Insert snapshots with their ids set; on PostgreSQL through COPY.

    bulk_create's UNNEST sends the JSON bodies as a jsonb[] array, quoted
    in Python by psycopg's array dumper: 0.3 ms a snapshot of a scan's chunk
    (profiled on the end-to-end bench), more than the rest of the capture.
    COPY streams them in psycopg's C code; the ids come first from the
    table's sequence, so the ledger can name them.
    """
    if not snapshots:
        return
    if connection.vendor != "postgresql":
        EvidenceSnapshot.objects.bulk_create(snapshots)
        return
    table = EvidenceSnapshot._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, len(snapshots)],
        )
        for snapshot, (pk,) in zip(snapshots, cursor.fetchall(), strict=True):
            snapshot.pk = pk
        columns = ", ".join(SNAPSHOT_COLUMNS)
        with cursor.connection.cursor().copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for snapshot in snapshots:
                copy.write_row(
                    [
                        snapshot.pk,
                        snapshot.case_id,
                        snapshot.detection_id,
                        snapshot.listing_id,
                        snapshot.action,
                        snapshot.taken_at,
                        json.dumps(snapshot.body, ensure_ascii=False),
                        None
                        if snapshot.personal is None
                        else json.dumps(snapshot.personal, ensure_ascii=False),
                        snapshot.personal_sha256,
                    ]
                )
    for snapshot in snapshots:
        snapshot._state.adding = False


# Anchoring ----------------------------------------------------------------------------


def ledger_anchor() -> LedgerAnchor | None:
    """Record the chain's head (and log it): a later, shorter or rewritten chain shows.

    Returns the new anchor, or None when the chain is empty or has not moved
    since the last anchor. The log line is the copy outside the database.
    """
    last = LedgerEntry.objects.order_by("-sequence").only("sequence", "entry_hash").first()
    if last is None:
        logger.info("evidence ledger empty: nothing to anchor")
        return None
    previous = LedgerAnchor.objects.order_by("-sequence", "-pk").first()
    if previous is not None and previous.sequence == last.sequence:
        logger.info(
            "evidence ledger head unchanged: sequence=%s hash=%s", last.sequence, last.entry_hash
        )
        return None
    anchor = LedgerAnchor.objects.create(sequence=last.sequence, entry_hash=last.entry_hash)
    logger.info(
        "evidence ledger anchored: sequence=%s hash=%s at=%s",
        anchor.sequence,
        anchor.entry_hash,
        _iso(anchor.anchored_at),
    )
    return anchor


# Verifying ---------------------------------------------------------------------------


@dataclass
class LedgerReport:
    """The outcome of a walk of the chain; ``problem`` names the first failure."""

    entries: int = 0
    snapshots: int = 0
    case_events: int = 0
    purges: int = 0
    erasures: int = 0
    files: int = 0
    anchors: int = 0
    head_sequence: int = 0
    head_hash: str = GENESIS_HASH
    problem: str | None = None
    details: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.problem is None


def _batches(entries: Iterator[LedgerEntry], size: int) -> Iterator[list[LedgerEntry]]:
    batch: list[LedgerEntry] = []
    for entry in entries:
        batch.append(entry)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


KIND_LABELS: dict[str, str] = {
    LedgerEntry.Kind.SNAPSHOT: "snapshot",
    LedgerEntry.Kind.CASE_EVENT: "case event",
    LedgerEntry.Kind.PURGE: "purge batch",
    LedgerEntry.Kind.ERASURE: "erasure record",
}
# What a changed content means, where the kind says more than "changed".
CHANGED_HINTS: dict[str, str] = {
    LedgerEntry.Kind.PURGE: ": a PurgedObject row of the batch was added, removed or edited",
    LedgerEntry.Kind.ERASURE: ": the erasure record was edited",
}
# The kinds a retention purge deletes, and their models.
PURGEABLE: dict[str, type[Model]] = {
    LedgerEntry.Kind.SNAPSHOT: EvidenceSnapshot,
    LedgerEntry.Kind.CASE_EVENT: CaseEvent,
}
# Counted in the report, by kind.
REPORT_COUNTS: dict[str, str] = {
    LedgerEntry.Kind.SNAPSHOT: "snapshots",
    LedgerEntry.Kind.CASE_EVENT: "case_events",
    LedgerEntry.Kind.PURGE: "purges",
    LedgerEntry.Kind.ERASURE: "erasures",
}


def _label(entry: LedgerEntry) -> str:
    return f"Entry #{entry.sequence} ({KIND_LABELS.get(entry.kind, entry.kind)} {entry.object_id})"


def ledger_verify(
    *,
    chunk_size: int = 1000,
    check_files: bool = True,
    expected: Sequence[tuple[int, str]] = (),
) -> LedgerReport:
    """Walk the chain from its start and re-hash every object's current content.

    Streams the entries (``iterator(chunk_size=...)``) and loads their objects
    a chunk at a time. Stops at the first entry that does not verify. Checks
    the chain against every stored anchor and any ``expected`` (sequence,
    hash) pairs kept elsewhere, against the head row, and that no case event
    or snapshot is missing from it.
    """
    report = LedgerReport()
    anchors: dict[int, str] = {}
    for sequence, digest in LedgerAnchor.objects.values_list("sequence", "entry_hash"):
        anchors[sequence] = digest
    report.anchors = len(anchors)
    for sequence, digest in expected:
        anchors[sequence] = digest
    prev = GENESIS_HASH
    sequence = 0
    checked_files: set[str] = set()
    erased_events = _ErasedEvents()
    entries = LedgerEntry.objects.order_by("sequence").iterator(chunk_size=chunk_size)
    for batch in _batches(entries, chunk_size):
        events = CaseEvent.objects.in_bulk(
            [e.object_id for e in batch if e.kind == LedgerEntry.Kind.CASE_EVENT]
        )
        snapshots = EvidenceSnapshot.objects.defer("personal").in_bulk(
            [e.object_id for e in batch if e.kind == LedgerEntry.Kind.SNAPSHOT]
        )
        objects: dict[str, dict[int, Any]] = {
            LedgerEntry.Kind.CASE_EVENT: events,
            LedgerEntry.Kind.SNAPSHOT: snapshots,
            LedgerEntry.Kind.PURGE: purge_batches_load(
                e.object_id for e in batch if e.kind == LedgerEntry.Kind.PURGE
            ),
            LedgerEntry.Kind.ERASURE: ErasureRecord.objects.in_bulk(
                [e.object_id for e in batch if e.kind == LedgerEntry.Kind.ERASURE]
            ),
        }
        purged = _purged_of(batch, objects)
        for entry in batch:
            problem = _check_entry(
                entry, sequence + 1, prev, objects, anchors, purged, erased_events
            )
            if problem:
                report.problem = problem
                return report
            sequence, prev = entry.sequence, entry.entry_hash
            report.entries += 1
            counter = REPORT_COUNTS[entry.kind]
            setattr(report, counter, getattr(report, counter) + 1)
        if check_files:
            problem = _check_files(batch, snapshots, checked_files)
            if problem:
                report.problem = problem
                return report
    report.files = len(checked_files)
    report.head_sequence, report.head_hash = sequence, prev
    report.problem = _check_ends(sequence, prev, anchors)
    return report


def _check_entry(
    entry: LedgerEntry,
    expected_sequence: int,
    prev: str,
    objects: dict[str, dict[int, Any]],
    anchors: dict[int, str],
    purged: dict[tuple[str, int], int | None] | None = None,
    erased_events: "_ErasedEvents | None" = None,
) -> str | None:
    label = _label(entry)
    if entry.sequence != expected_sequence:
        missing = (
            f"#{expected_sequence}"
            if entry.sequence == expected_sequence + 1
            else f"#{expected_sequence} to #{entry.sequence - 1}"
        )
        return f"Entry {missing} missing: the chain goes from #{expected_sequence - 1} to #{entry.sequence}."
    if entry.prev_hash != prev:
        return f"{label}: chain link broken: its previous hash is not the hash of entry #{expected_sequence - 1}."
    recomputed = entry_hash(
        entry.prev_hash,
        entry.content_sha256,
        sequence=entry.sequence,
        kind=entry.kind,
        object_id=entry.object_id,
        recorded_at=entry.recorded_at,
    )
    if recomputed != entry.entry_hash:
        return f"{label}: entry altered: its hash does not match its own fields."
    if entry.sequence in anchors and anchors[entry.sequence] != entry.entry_hash:
        return (
            f"{label}: does not match the anchor of #{entry.sequence} "
            f"({anchors[entry.sequence][:16]}…): the chain was rewritten."
        )
    obj = objects.get(entry.kind, {}).get(entry.object_id)
    if obj is None:
        if purged and (entry.kind, entry.object_id) in purged:
            if purged[(entry.kind, entry.object_id)] is not None:
                # Deleted at the end of its retention period, by a batch the chain
                # holds (its own entry, later on, checks the batch's rows); the entry stays.
                return None
            return (
                f"{label}: object missing: it is listed as purged (PurgedObject "
                f"{entry.kind} {entry.object_id}) but no purge entry in the chain names it: "
                "the row was deleted and the listing added around the retention purge."
            )
        if entry.kind == LedgerEntry.Kind.PURGE:
            return f"{label}: object missing: the batch's PurgedObject rows were deleted."
        return f"{label}: object missing: the row was deleted."
    current = content_sha256(entry.kind, obj)
    if current != entry.content_sha256:
        what = CHANGED_HINTS.get(entry.kind, "")
        if entry.kind == LedgerEntry.Kind.PURGE:
            what = _purge_row_suspect(obj) or what
        return (
            f"{label}: content changed since it was recorded{what} "
            f"(recorded {entry.content_sha256[:16]}…, now {current[:16]}…)."
        )
    if entry.kind == LedgerEntry.Kind.CASE_EVENT:
        problem = case_event_reason_problem(obj)
        if problem:
            return f"{label}: content changed: {problem}."
        erased = REASON_SHA256 in obj.data and REASON_SALT not in obj.data
        if erased and erased_events is not None and obj.pk not in erased_events:
            return (
                f"{label}: content changed: its reason's salt is gone but no erasure "
                "record names the event."
            )
    return None


def _purge_row_suspect(batch: PurgeBatch) -> str | None:
    """Name the row of a changed purge batch that shows it was added or edited, if one does.

    A purge deletes the objects it lists, each with its ledger entry, and
    writes the batch's rows in one statement with one ``purged_at``. A row
    whose object still exists, that names no ledger entry, or whose time is
    the odd one out was not written by the purge. Read only once a batch has
    failed (one query per kind of object listed).
    """
    present: set[tuple[str, int]] = set()
    for kind, model in PURGEABLE.items():
        ids = [object_id for k, object_id, _digest, _at in batch.objects if k == kind]
        if ids:
            found = model._default_manager.filter(pk__in=ids).values_list("pk", flat=True)
            present.update((kind, pk) for pk in found)
    times = Counter(purged_at for _kind, _id, _digest, purged_at in batch.objects)
    usual, usual_count = times.most_common(1)[0]
    odd_time = usual_count == len(batch.objects) - 1 and usual_count > 1
    # A batch of one purge has one time, or one odd row added by hand. More
    # times mean a batch that migration 0015 made of the purges before it,
    # whose rows may name no ledger entry: only a row whose object still
    # exists tells there.
    one_purge = len(times) == 1 or odd_time
    for kind, object_id, digest, purged_at in batch.objects:
        row = f"PurgedObject {kind} {object_id}"
        if (kind, object_id) in present:
            return f": {row} was added or edited: its object was not deleted"
        if not one_purge:
            continue
        if digest is None:
            return f": {row} was added or edited: no ledger entry names its object"
        if odd_time and purged_at != usual:
            return (
                f": {row} was added or edited: its purged_at ({purged_at}) is not "
                f"the batch's ({usual})"
            )
    return None


class _ErasedEvents:
    """The case events whose reason an ErasureRecord says it rewrote, read once a walk if needed.

    An event's reason loses its salt only through an erasure, which names the
    event in its record; the record itself is chained (kind "erasure"), so
    dropping a salt and writing a tombstone by hand does not pass.
    """

    def __init__(self) -> None:
        self._ids: set[int] | None = None

    def __contains__(self, event_id: object) -> bool:
        if self._ids is None:
            self._ids = set()
            for erased in ErasureRecord.objects.values_list("erased", flat=True):
                self._ids.update(erased.get("takedown.caseevent", []))
        return event_id in self._ids


def _purged_of(
    batch: list[LedgerEntry], objects: dict[str, dict[int, Any]]
) -> dict[tuple[str, int], int | None]:
    """The batch's missing objects listed in PurgedObject (one query, if any is missing).

    Maps (kind, object id) to the purge batch whose chained entry names it,
    or None when no purge entry in the ledger has the row's batch number.
    """
    missing = [e for e in batch if e.object_id not in objects.get(e.kind, {})]
    if not missing:
        return {}
    chained = LedgerEntry.objects.filter(kind=LedgerEntry.Kind.PURGE, object_id=OuterRef("batch"))
    rows = (
        PurgedObject.objects.filter(object_id__in={e.object_id for e in missing})
        .annotate(chained=Exists(chained))
        .values_list("kind", "object_id", "batch", "chained")
    )
    return {
        (kind, object_id): number if is_chained else None
        for kind, object_id, number, is_chained in rows
    }


def _check_files(
    batch: list[LedgerEntry], snapshots: dict[int, EvidenceSnapshot], checked: set[str]
) -> str | None:
    """Re-hash the image copies the batch's snapshots refer to (each file once a run)."""
    wanted: dict[str, LedgerEntry] = {}
    for entry in batch:
        snapshot = (
            snapshots.get(entry.object_id) if entry.kind == LedgerEntry.Kind.SNAPSHOT else None
        )
        for image in snapshot.body.get("images", []) if snapshot else []:
            digest = (image.get("thumbnail") or {}).get("sha256")
            if digest and digest not in checked:
                wanted.setdefault(digest, entry)
    if not wanted:
        return None
    files = {f.sha256: f for f in EvidenceFile.objects.filter(sha256__in=wanted)}
    for digest, entry in wanted.items():
        stored = files.get(digest)
        if stored is None:
            return f"{_label(entry)}: image copy {digest[:16]}… missing: its row was deleted."
        try:
            with stored.file.open("rb") as handle:
                actual = sha256_hex(handle.read())
        except OSError:
            return f"{_label(entry)}: image copy {stored.file.name} missing from storage."
        if actual != digest:
            return f"{_label(entry)}: image copy {stored.file.name} changed: its bytes hash to {actual[:16]}…."
        checked.add(digest)
    return None


# Rows that each need an entry in the chain, checked in this order: the model,
# the entry's kind, the row's field the entry's object id holds, the row's
# fields the message names, and the message.
UNCHAINED_ROWS: tuple[tuple[type[Model], str, str, tuple[str, ...], str], ...] = (
    (
        CaseEvent,
        LedgerEntry.Kind.CASE_EVENT,
        "pk",
        ("pk",),
        "Case event {} is not in the ledger: written around the services, or its entry deleted.",
    ),
    (
        EvidenceSnapshot,
        LedgerEntry.Kind.SNAPSHOT,
        "pk",
        ("pk",),
        "Snapshot {} is not in the ledger: written around the services, or its entry deleted.",
    ),
    (
        PurgedObject,
        LedgerEntry.Kind.PURGE,
        "batch",
        ("kind", "object_id"),
        "PurgedObject {} {} is listed as purged but no purge entry in the "
        "ledger covers it: the row was added around the retention purge.",
    ),
    (
        ErasureRecord,
        LedgerEntry.Kind.ERASURE,
        "pk",
        ("pk",),
        "Erasure record {} is not in the ledger: written around the services, or its entry deleted.",
    ),
)


def _first_unchained(
    model: type[Model], kind: str, named_by: str, fields: tuple[str, ...]
) -> tuple[Any, ...] | None:
    """The named fields of the first row (by pk) that no ledger entry of this kind names."""
    chained = LedgerEntry.objects.filter(kind=kind, object_id=OuterRef(named_by))
    row: tuple[Any, ...] | None = (
        model._default_manager.filter(~Exists(chained)).order_by("pk").values_list(*fields).first()
    )
    return row


def _check_ends(last_sequence: int, last_hash: str, anchors: dict[int, str]) -> str | None:
    beyond = [s for s in anchors if s > last_sequence]
    if beyond:
        return (
            f"The chain ends at #{last_sequence} but was anchored at #{max(beyond)}: "
            "entries at its end were deleted."
        )
    head = LedgerHead.objects.filter(pk=HEAD_PK).first()
    if head is not None and (head.sequence, head.entry_hash) != (last_sequence, last_hash):
        return (
            f"The chain ends at #{last_sequence} but its head row says #{head.sequence}: "
            "entries at its end were deleted or the head was altered."
        )
    for model, kind, named_by, fields, message in UNCHAINED_ROWS:
        row = _first_unchained(model, kind, named_by, fields)
        if row is not None:
            return message.format(*row)
    return None
