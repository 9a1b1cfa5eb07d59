"""Erase a seller's or a notifier's personal data on request, leaving the ledger verifiable.

Each personal field (takedown.privacy.PERSONAL_FIELDS) of the person's rows
is replaced by a tombstone ("[erased 2026-12-03]"); the same values are
replaced wherever free text copied them (case events' reasons, e-mails in the
outbox, listing snapshots of the feed); evidence snapshots lose their salted
``personal`` part and keep its hash. An ErasureRecord says what was erased,
when, by whom and why, never the values; it is appended to the evidence
ledger in the erasure's transaction, so an edited or deleted record shows.

The ledger hashes none of what is erased: a snapshot's body leaves the
seller's name out, and an event's reason enters the chain as a salted digest
(takedown.services.evidence.case_event_reason_seal). Events recorded before
that seal existed hash their reason whole: their text is kept and the record
lists them (``kept_in_unsealed_events``) so an operator can see what the
chain still holds.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from listings.models import ListingSnapshot, Seller
from takedown.errors import DomainError
from takedown.models import CaseEvent, Complaint, CounterNotice, EvidenceSnapshot, OutboxMessage
from takedown.models.evidence import LedgerEntry
from takedown.models.privacy import ErasureRecord
from takedown.privacy import PERSONAL_FIELDS, is_erased, tombstone
from takedown.services.evidence import REASON_SALT, REASON_SHA256, ledger_append

# Values shorter than this are not searched for in free text: "Al" would
# wipe every "also". A short value is still erased from its own field.
MIN_SCRUB_LENGTH = 4


@dataclass
class _Erasure:
    """What one request erases, gathered before anything is written."""

    stamp: str
    values: set[str] = field(default_factory=set)
    erased: dict[str, Any] = field(default_factory=dict)

    def erase_fields(self, obj: models.Model) -> None:
        """Tombstone every personal field of ``obj`` that still holds a value."""
        label = obj._meta.label_lower
        names = []
        for name in PERSONAL_FIELDS[label]:
            value = getattr(obj, name)
            if value and not is_erased(value):
                self.values.add(str(value))
                setattr(obj, name, self.stamp)
                names.append(name)
        if names:
            obj.save(update_fields=names)
            self.erased.setdefault(label, {})[str(obj.pk)] = sorted(names)

    def scrub(self, text: str) -> str:
        """``text`` with every erased value replaced by the tombstone (longest first)."""
        for value in sorted(self.values, key=len, reverse=True):
            if len(value) >= MIN_SCRUB_LENGTH:
                text = re.sub(re.escape(value), self.stamp, text, flags=re.IGNORECASE)
        return text

    def note(self, key: str, ids: Iterable[int]) -> None:
        ids = sorted(set(ids))
        if ids:
            self.erased[key] = sorted({*self.erased.get(key, []), *ids})


def seller_erase(
    *, seller_id: int, reason: str, actor=None, actor_label: str = ""
) -> ErasureRecord:
    """Erase a seller's store name and contact, and every counter-notice it sent."""
    reason = _checked_reason(reason)
    with transaction.atomic():
        seller = Seller.objects.select_for_update().filter(pk=seller_id).first()
        if seller is None:
            raise DomainError(f"No seller with id {seller_id}.", field="seller")
        job = _Erasure(stamp=tombstone())
        job.erase_fields(seller)
        notices = CounterNotice.objects.select_for_update().filter(case__listing__seller=seller)
        for notice in notices:
            job.erase_fields(notice)
        snapshots = EvidenceSnapshot.objects.filter(listing__seller=seller)
        _drop_snapshot_personal(job, snapshots)
        _scrub_listing_snapshots(job, ListingSnapshot.objects.filter(listing__seller=seller))
        cases = Q(case__listing__seller=seller)
        _scrub_case_texts(job, cases)
        return _record(
            job, ErasureRecord.Subject.SELLER, str(seller_id), reason, actor, actor_label
        )


def notifier_erase(*, email: str, reason: str, actor=None, actor_label: str = "") -> ErasureRecord:
    """Erase a notifier's name, e-mail and signature from every notice it sent from ``email``."""
    reason = _checked_reason(reason)
    email = email.strip()
    if not email or "@" not in email:
        raise DomainError("Give the notifier's e-mail address.", field="notifier_email")
    with transaction.atomic():
        complaints = list(
            Complaint.objects.select_for_update()
            .filter(notifier_email__iexact=email)
            .order_by("pk")
        )
        if not complaints:
            raise DomainError(
                "No notice was sent from that e-mail address.", field="notifier_email"
            )
        job = _Erasure(stamp=tombstone())
        job.values.add(email)
        for complaint in complaints:
            job.erase_fields(complaint)
        ids = [c.pk for c in complaints]
        _scrub_case_texts(
            job,
            Q(case__complaint_id__in=ids),
            Q(case__complaint_id__in=ids) | Q(complaint_id__in=ids),
        )
        _scrub_outbox(job, OutboxMessage.objects.filter(recipient__iexact=email))
        references = ", ".join(c.reference for c in complaints)
        return _record(job, ErasureRecord.Subject.NOTIFIER, references, reason, actor, actor_label)


def counter_notice_erase(
    *, counter_notice_id: int, reason: str, actor=None, actor_label: str = ""
) -> ErasureRecord:
    """Erase the sender's name, e-mail, address, phone and signature from one counter-notice."""
    reason = _checked_reason(reason)
    with transaction.atomic():
        notice = CounterNotice.objects.select_for_update().filter(pk=counter_notice_id).first()
        if notice is None:
            raise DomainError(
                f"No counter-notice with id {counter_notice_id}.", field="counter_notice"
            )
        job = _Erasure(stamp=tombstone())
        job.erase_fields(notice)
        _scrub_case_texts(job, Q(case_id=notice.case_id))
        return _record(
            job,
            ErasureRecord.Subject.COUNTER_NOTICE,
            str(counter_notice_id),
            reason,
            actor,
            actor_label,
        )


def _checked_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise DomainError(
            "Say why the data is erased (the request and who made it).", field="reason"
        )
    return reason


def _drop_snapshot_personal(job: _Erasure, snapshots: models.QuerySet[EvidenceSnapshot]) -> None:
    """Delete snapshots' salted personal part; ``personal_sha256`` stays in the hashed content."""
    rows = list(snapshots.exclude(personal=None).only("pk", "personal"))
    for snapshot in rows:
        for value in (snapshot.personal or {}).values():
            if isinstance(value, str) and value and not is_erased(value):
                job.values.add(value)
    ids = [s.pk for s in rows]
    EvidenceSnapshot.objects.filter(pk__in=ids).update(personal=None)
    job.note("takedown.evidencesnapshot", ids)
    # The salt is gone with it: these are the ids, not the values.


def _scrub_listing_snapshots(job: _Erasure, rows: models.QuerySet[ListingSnapshot]) -> None:
    changed = []
    for row in rows.only("pk", "content"):
        name = row.content.get("seller_name")
        if name and not is_erased(name):
            row.content = {**row.content, "seller_name": job.stamp}
            changed.append(row)
    ListingSnapshot.objects.bulk_update(changed, ["content"])
    job.note("listings.listingsnapshot", [r.pk for r in changed])


def _scrub_case_texts(job: _Erasure, where: Q, outbox_where: Q | None = None) -> None:
    """Replace the erased values in the cases' event reasons and e-mails.

    ``where`` selects case events (and, unless ``outbox_where`` is given, outbox messages).
    """
    events = CaseEvent.objects.filter(where & ~Q(reason="")).only("pk", "reason", "data")
    scrubbed, unsealed = [], []
    for event in events:
        text = job.scrub(event.reason)
        if text == event.reason:
            continue
        if REASON_SHA256 not in event.data:
            # Hashed whole by the ledger (recorded before reasons were sealed): kept.
            unsealed.append(event.pk)
            continue
        event.reason = text
        event.data = {k: v for k, v in event.data.items() if k != REASON_SALT}
        scrubbed.append(event)
    CaseEvent.objects.bulk_update(scrubbed, ["reason", "data"])
    job.note("takedown.caseevent", [e.pk for e in scrubbed])
    job.note("kept_in_unsealed_events", unsealed)
    _scrub_outbox(
        job, OutboxMessage.objects.filter(where if outbox_where is None else outbox_where)
    )


def _scrub_outbox(job: _Erasure, messages: models.QuerySet[OutboxMessage]) -> None:
    changed = []
    for message in messages.only("pk", "recipient", "subject", "body"):
        before = (message.recipient, message.subject, message.body)
        message.recipient = job.scrub(message.recipient)
        message.subject = job.scrub(message.subject)
        message.body = job.scrub(message.body)
        if (message.recipient, message.subject, message.body) != before:
            changed.append(message)
    OutboxMessage.objects.bulk_update(changed, ["recipient", "subject", "body"])
    job.note("takedown.outboxmessage", [m.pk for m in changed])


def _record(
    job: _Erasure, subject: str, subject_ref: str, reason: str, actor, actor_label: str
) -> ErasureRecord:
    """Write the ErasureRecord and append it to the evidence ledger, in the erasure's transaction."""
    record = ErasureRecord.objects.create(
        subject=subject,
        subject_ref=subject_ref[:500],
        reason=reason,
        erased_by=actor if getattr(actor, "is_authenticated", False) else None,
        erased_by_label=(actor_label or getattr(actor, "username", ""))[:200],
        erased_at=timezone.now(),
        erased=job.erased,
    )
    ledger_append([(LedgerEntry.Kind.ERASURE, record)])
    return record
