"""Append the case events written before the evidence ledger existed, oldest first.

From this migration on, the chain attests that they have not changed since;
it cannot say what happened to them before. No snapshots are made for them
(the listing may have changed since). Uses the ledger's own hash functions:
they are the format of the chain and do not change.
"""

from django.db import migrations
from django.utils import timezone

CHUNK = 2000


def append_existing_events(apps, schema_editor):
    from takedown.services.evidence import (
        GENESIS_HASH,
        canonical,
        case_event_content,
        entry_hash,
        sha256_hex,
    )

    CaseEvent = apps.get_model("takedown", "CaseEvent")
    LedgerEntry = apps.get_model("takedown", "LedgerEntry")
    LedgerHead = apps.get_model("takedown", "LedgerHead")
    recorded = set(
        LedgerEntry.objects.filter(kind="case_event").values_list("object_id", flat=True)
    )
    head = LedgerHead.objects.select_for_update().filter(pk=1).first()
    last = LedgerEntry.objects.order_by("-sequence").first()
    sequence = last.sequence if last else 0
    prev = last.entry_hash if last else GENESIS_HASH
    now = timezone.now()
    entries = []
    for event in CaseEvent.objects.order_by("created_at", "pk").iterator(chunk_size=CHUNK):
        if event.pk in recorded:
            continue
        sequence += 1
        digest = sha256_hex(canonical(case_event_content(event)))
        current = entry_hash(
            prev, digest, sequence=sequence, kind="case_event", object_id=event.pk, recorded_at=now
        )
        entries.append(
            LedgerEntry(
                sequence=sequence,
                kind="case_event",
                object_id=event.pk,
                content_sha256=digest,
                prev_hash=prev,
                entry_hash=current,
                recorded_at=now,
            )
        )
        prev = current
        if len(entries) == CHUNK:
            LedgerEntry.objects.bulk_create(entries)
            entries = []
    LedgerEntry.objects.bulk_create(entries)
    if head is None:
        LedgerHead.objects.create(pk=1, sequence=sequence, entry_hash=prev, updated_at=now)
    else:
        LedgerHead.objects.filter(pk=1).update(sequence=sequence, entry_hash=prev, updated_at=now)


class Migration(migrations.Migration):
    dependencies = [
        ("takedown", "0009_case_queue_indexes"),
    ]

    operations = [
        migrations.RunPython(append_existing_events, migrations.RunPython.noop),
    ]
