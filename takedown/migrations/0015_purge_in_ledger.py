"""Purges and erasures in the evidence ledger; the outbox's delivery lease.

The data step chains what an existing database already holds: every
PurgedObject row not in a batch becomes one purge batch with its own ledger
entry, and every ErasureRecord without an entry gets one, oldest first, so
``verify_evidence`` passes after the upgrade. It trusts the rows present at
the upgrade; from then on each purge and erasure chains itself.
"""

import datetime

from django.db import migrations, models
from django.db.models import Exists, Max, OuterRef
from django.utils import timezone

from takedown.services.evidence import (
    GENESIS_HASH,
    HEAD_PK,
    PurgeBatch,
    canonical,
    entry_hash,
    erasure_content,
    purge_batch_content,
    sha256_hex,
)


def chain_existing(apps, schema_editor) -> None:
    LedgerEntry = apps.get_model("takedown", "LedgerEntry")
    LedgerHead = apps.get_model("takedown", "LedgerHead")
    PurgedObject = apps.get_model("takedown", "PurgedObject")
    ErasureRecord = apps.get_model("takedown", "ErasureRecord")
    rows = list(PurgedObject.objects.filter(batch__isnull=True).order_by("pk"))
    records = list(
        ErasureRecord.objects.filter(
            ~Exists(LedgerEntry.objects.filter(kind="erasure", object_id=OuterRef("pk")))
        ).order_by("erased_at", "pk")
    )
    if not rows and not records:
        return
    head = LedgerHead.objects.select_for_update().filter(pk=HEAD_PK).first()
    if head is None:
        last = LedgerEntry.objects.order_by("-sequence").first()
        head = LedgerHead.objects.create(
            pk=HEAD_PK,
            sequence=last.sequence if last else 0,
            entry_hash=last.entry_hash if last else GENESIS_HASH,
        )
    contents: list[tuple[str, int, dict]] = []
    if rows:
        number = 1 + max(
            PurgedObject.objects.aggregate(last=Max("batch"))["last"] or 0,
            LedgerEntry.objects.filter(kind="purge").aggregate(last=Max("object_id"))["last"] or 0,
        )
        PurgedObject.objects.filter(pk__in=[row.pk for row in rows]).update(batch=number)
        hashes = {
            (kind, object_id): digest
            for kind, object_id, digest in LedgerEntry.objects.filter(
                kind__in={row.kind for row in rows}, object_id__in={row.object_id for row in rows}
            ).values_list("kind", "object_id", "entry_hash")
        }
        objects = sorted(
            (
                row.kind,
                row.object_id,
                hashes.get((row.kind, row.object_id)),
                row.purged_at.astimezone(datetime.UTC).isoformat(),
            )
            for row in rows
        )
        batch = PurgeBatch(pk=number, objects=tuple(objects))
        contents.append(("purge", number, purge_batch_content(batch)))
    for record in records:
        contents.append(("erasure", record.pk, erasure_content(record)))
    now = timezone.now()
    sequence, prev = head.sequence, head.entry_hash
    entries = []
    for kind, object_id, content in contents:
        sequence += 1
        digest = sha256_hex(canonical(content))
        current = entry_hash(
            prev, digest, sequence=sequence, kind=kind, object_id=object_id, recorded_at=now
        )
        entries.append(
            LedgerEntry(
                sequence=sequence,
                kind=kind,
                object_id=object_id,
                content_sha256=digest,
                prev_hash=prev,
                entry_hash=current,
                recorded_at=now,
            )
        )
        prev = current
    LedgerEntry.objects.bulk_create(entries)
    LedgerHead.objects.filter(pk=HEAD_PK).update(sequence=sequence, entry_hash=prev, updated_at=now)


class Migration(migrations.Migration):
    dependencies = [("takedown", "0014_background_files")]

    operations = [
        migrations.AddField(
            model_name="outboxmessage",
            name="leased_until",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="purgedobject",
            name="batch",
            field=models.PositiveBigIntegerField(blank=True, db_index=True, null=True),
        ),
        migrations.AlterField(
            model_name="ledgerentry",
            name="kind",
            field=models.CharField(
                choices=[
                    ("snapshot", "Evidence snapshot"),
                    ("case_event", "Case event"),
                    ("purge", "Retention purge"),
                    ("erasure", "Erasure of personal data"),
                ],
                max_length=16,
            ),
        ),
        migrations.RunPython(chain_existing, migrations.RunPython.noop, elidable=True),
    ]
