"""Purges and erasures in the evidence ledger: a PurgedObject or ErasureRecord row alone proves nothing."""

import datetime
import importlib

import pytest
from django.apps import apps
from django.utils import timezone

from takedown.models import (
    CaseEvent,
    ErasureRecord,
    EvidenceSnapshot,
    LedgerEntry,
    PurgedObject,
)
from takedown.services import erasure, retention
from takedown.services.erasure import seller_erase
from takedown.services.evidence import (
    REASON_SALT,
    content_sha256,
    ledger_verify,
    purge_batches_load,
)
from takedown.services.remedies import appeal_file
from takedown.services.retention import retention_purge
from tests.takedown.test_retention import decided_cases, years_later

pytestmark = pytest.mark.django_db


def purged_and_kept(world):
    """One case purged three years after its decision, one kept (its appeal is open)."""
    purged, kept = decided_cases(world, 2)
    appeal_file(case=kept, by="notifier", actor=world.holder_a.member, statement="It is ours.")
    purged_snapshots = set(
        EvidenceSnapshot.objects.filter(case=purged).values_list("pk", flat=True)
    )
    purged_events = set(CaseEvent.objects.filter(case=purged).values_list("pk", flat=True))
    retention_purge(now=years_later(1098))
    return purged_snapshots, purged_events, kept


def test_a_purge_batch_is_chained_naming_each_object_with_its_entry_hash(world):
    # given a purge of one case, its evidence and its listing
    snapshots, events, _kept = purged_and_kept(world)
    # then the case's batch has its own ledger entry
    entry = LedgerEntry.objects.filter(kind=LedgerEntry.Kind.PURGE).order_by("sequence").first()
    batch = purge_batches_load([entry.object_id])[entry.object_id]
    named = {(kind, object_id): digest for kind, object_id, digest, _at in batch.objects}
    assert set(named) == {("snapshot", pk) for pk in snapshots} | {
        ("case_event", pk) for pk in events
    }
    # naming each object's own ledger entry, and its content hash covers them
    entries = {
        (e.kind, e.object_id): e.entry_hash
        for e in LedgerEntry.objects.filter(object_id__in=snapshots | events)
    }
    assert named == {key: entries[key] for key in named}
    assert entry.content_sha256 == content_sha256(LedgerEntry.Kind.PURGE, batch)
    # and the chain verifies, counting the batch
    report = ledger_verify()
    assert report.ok, report.problem
    assert report.purges == LedgerEntry.objects.filter(kind="purge").count() >= 1


def test_a_forged_purged_object_row_hiding_a_deleted_snapshot_fails_naming_it(world):
    # given a purge, and a snapshot of the kept case deleted behind the services' back
    _snapshots, _events, kept = purged_and_kept(world)
    snapshot = EvidenceSnapshot.objects.filter(case=kept).order_by("pk").first()
    EvidenceSnapshot.objects.filter(pk=snapshot.pk).delete()
    # when someone with write access lists it as purged, as the purge used to
    PurgedObject.objects.bulk_create([PurgedObject(kind="snapshot", object_id=snapshot.pk)])
    # then verification fails, naming it
    report = ledger_verify()
    assert not report.ok
    assert f"(snapshot {snapshot.pk}): object missing" in report.problem
    assert f"PurgedObject snapshot {snapshot.pk}" in report.problem
    assert "no purge entry in the chain names it" in report.problem


def test_a_forged_row_slipped_into_a_chained_batch_fails_at_that_batch(world):
    # given a purge, and a kept case's event deleted and listed in the purge's batch
    _snapshots, _events, kept = purged_and_kept(world)
    event = CaseEvent.objects.filter(case=kept).order_by("pk").first()
    CaseEvent.objects.filter(pk=event.pk).delete()
    number = PurgedObject.objects.order_by("batch").values_list("batch", flat=True).first()
    PurgedObject.objects.bulk_create(
        [PurgedObject(kind="case_event", object_id=event.pk, batch=number)]
    )
    # then the batch's entry no longer matches its rows, naming the row by its odd time
    report = ledger_verify()
    assert not report.ok
    assert f"(purge batch {number}): content changed since it was recorded" in report.problem
    assert f"PurgedObject case_event {event.pk} was added or edited: its purged_at" in (
        report.problem
    )


def test_a_kept_object_slipped_into_a_chained_batch_fails_naming_its_row(world):
    # given a purge, and a kept case's event (not deleted) listed in the purge's batch
    # with the batch's own time
    _snapshots, _events, kept = purged_and_kept(world)
    event = CaseEvent.objects.filter(case=kept).order_by("pk").first()
    first = PurgedObject.objects.order_by("batch", "pk").first()
    PurgedObject.objects.bulk_create(
        [
            PurgedObject(
                kind="case_event", object_id=event.pk, batch=first.batch, purged_at=first.purged_at
            )
        ]
    )
    # then the batch fails, naming the row whose object is still there
    report = ledger_verify()
    assert f"(purge batch {first.batch}): content changed since it was recorded: " in (
        report.problem
    )
    assert (
        f"PurgedObject case_event {event.pk} was added or edited: its object was not deleted"
        in (report.problem)
    )


def test_a_changed_batch_with_no_row_standing_out_keeps_the_batch_wide_hint(world):
    # given a purge whose rows are all moved to one new time
    purged_and_kept(world)
    number = PurgedObject.objects.order_by("batch").values_list("batch", flat=True).first()
    PurgedObject.objects.filter(batch=number).update(purged_at=timezone.now())
    # then the batch fails without naming a row
    report = ledger_verify()
    assert f"(purge batch {number}): content changed" in report.problem
    assert "a PurgedObject row of the batch was added, removed or edited" in report.problem


def test_a_batch_of_several_purges_does_not_blame_a_row_for_its_time_or_missing_entry(world):
    # given a batch as migration 0015 makes of earlier purges: rows of three times, one
    # naming no ledger entry (its object purged before the ledger)
    purged_and_kept(world)
    number = PurgedObject.objects.order_by("batch").values_list("batch", flat=True).first()
    rows = list(PurgedObject.objects.filter(batch=number).order_by("pk"))
    assert len(rows) >= 3
    base = timezone.now() - datetime.timedelta(days=30)
    for offset, row in enumerate(rows[:3]):
        PurgedObject.objects.filter(pk=row.pk).update(
            purged_at=base + datetime.timedelta(days=offset)
        )
    PurgedObject.objects.create(kind="snapshot", object_id=10**9, batch=number, purged_at=base)
    # when the batch no longer matches its entry
    report = ledger_verify()
    # then it fails at the batch without naming an innocent row
    assert f"(purge batch {number}): content changed" in report.problem
    assert "was added or edited" not in report.problem
    assert "a PurgedObject row of the batch was added, removed or edited" in report.problem


def test_an_edited_or_removed_purged_object_row_fails(world):
    # given a purge
    purged_and_kept(world)
    row = PurgedObject.objects.order_by("pk").first()
    # when a row's time is edited
    PurgedObject.objects.filter(pk=row.pk).update(purged_at=timezone.now())
    # then its batch fails
    report = ledger_verify()
    assert f"(purge batch {row.batch}): content changed" in report.problem
    # and when a row is removed instead, its object is missing unexplained
    PurgedObject.objects.filter(pk=row.pk).delete()
    report = ledger_verify()
    assert f"({row.kind.replace('_', ' ')} {row.object_id}): object missing" in report.problem


def test_a_purged_object_row_no_batch_covers_fails_naming_it_even_for_a_kept_object(world):
    # given a purge, and a row listing a kept event (not deleted) added by hand
    _snapshots, _events, kept = purged_and_kept(world)
    event = CaseEvent.objects.filter(case=kept).order_by("pk").first()
    PurgedObject.objects.bulk_create([PurgedObject(kind="case_event", object_id=event.pk)])
    # then verification names the row
    report = ledger_verify()
    assert report.problem == (
        f"PurgedObject case_event {event.pk} is listed as purged but no purge entry in the "
        "ledger covers it: the row was added around the retention purge."
    )


def test_each_purge_transaction_chains_its_own_batch(world):
    # given three cases purged two at a time
    decided_cases(world, 3)
    reports = [retention_purge(now=years_later(1098), batch_size=2)]
    while reports[-1].more:
        reports.append(retention_purge(now=years_later(1098), batch_size=2))
    # then every batch has its entry and no object is in two
    numbers = set(PurgedObject.objects.values_list("batch", flat=True))
    chained = set(LedgerEntry.objects.filter(kind="purge").values_list("object_id", flat=True))
    assert numbers == chained and len(numbers) >= 2
    assert ledger_verify().ok


# Erasures ---------------------------------------------------------------------


def erased_seller(world):
    case = decided_cases(world, 1)[0]
    return seller_erase(
        seller_id=case.listing.seller_id, reason="Seller's request of 2 Dec", actor_label="dpo"
    )


def test_an_erasure_is_chained_and_verifies(world):
    # when a seller's data is erased
    record = erased_seller(world)
    # then its record is in the ledger, the chain's last entry, and verifies
    last = LedgerEntry.objects.order_by("-sequence").first()
    assert (last.kind, last.object_id) == ("erasure", record.pk)
    report = ledger_verify()
    assert report.ok, report.problem
    assert report.erasures == 1


@pytest.mark.parametrize(
    "edit",
    [
        {"reason": "Routine clean-up"},
        {"erased_by_label": "someone else"},
        {"erased": {}},
    ],
)
def test_an_edited_erasure_record_fails_naming_it(world, edit):
    record = erased_seller(world)
    ErasureRecord.objects.filter(pk=record.pk).update(**edit)
    report = ledger_verify()
    assert not report.ok
    assert f"(erasure record {record.pk}): content changed" in report.problem
    assert "the erasure record was edited" in report.problem


def test_a_deleted_erasure_record_fails(world):
    record = erased_seller(world)
    ErasureRecord.objects.filter(pk=record.pk).delete()
    assert f"(erasure record {record.pk}): object missing" in ledger_verify().problem


def test_an_erasure_record_written_around_the_service_fails(world):
    ErasureRecord.objects.bulk_create(
        [ErasureRecord(subject="seller", subject_ref="1", reason="made up")]
    )
    record = ErasureRecord.objects.get()
    assert ledger_verify().problem == (
        f"Erasure record {record.pk} is not in the ledger: written around the services, "
        "or its entry deleted."
    )


# Upgrade -----------------------------------------------------------------------


def test_an_upgraded_database_chains_its_existing_purges_and_erasures(world, monkeypatch):
    # given a database purged and erased by the code before this change
    # (PurgedObject rows with no batch, an ErasureRecord with no entry)
    def old_purge_record(objects):
        PurgedObject.objects.bulk_create(
            [PurgedObject(kind=kind, object_id=pk) for kind, pk in objects]
        )

    monkeypatch.setattr(retention, "ledger_purge_record", old_purge_record)
    monkeypatch.setattr(erasure, "ledger_append", lambda items: [])
    purged_and_kept(world)
    seller_erase(
        seller_id=EvidenceSnapshot.objects.first().listing.seller_id,
        reason="Seller's request",
        actor_label="dpo",
    )
    monkeypatch.undo()
    assert "no purge entry in the chain names it" in ledger_verify().problem
    # when the migration's data step runs
    migration = importlib.import_module("takedown.migrations.0015_purge_in_ledger")
    migration.chain_existing(apps, None)
    # then the chain verifies, with the old rows in one batch and the erasure chained
    report = ledger_verify()
    assert report.ok, report.problem
    assert (report.purges, report.erasures) == (1, 1)
    assert set(PurgedObject.objects.values_list("batch", flat=True)) == {1}
    # and running it again adds nothing
    entries = LedgerEntry.objects.count()
    migration.chain_existing(apps, None)
    assert LedgerEntry.objects.count() == entries
    # and later purges chain their own batches on top
    decided_cases(world, 1)
    retention_purge(now=years_later(1098) + datetime.timedelta(days=1))
    assert set(PurgedObject.objects.values_list("batch", flat=True)) >= {1, 2}
    assert ledger_verify().ok


def test_a_reason_tombstoned_by_hand_without_an_erasure_record_fails(world):
    # given a decided case, whose decision's reason the ledger holds as a salted digest
    case = decided_cases(world, 1)[0]
    event = CaseEvent.objects.filter(case=case).exclude(reason="").order_by("pk").last()
    assert REASON_SALT in event.data
    # when someone rewrites the reason as an erasure would, without erasing
    data = {k: v for k, v in event.data.items() if k != REASON_SALT}
    CaseEvent.objects.filter(pk=event.pk).update(data=data, reason="[erased 2026-12-03]")
    # then verification names the event
    report = ledger_verify()
    assert report.problem == (
        f"Entry #{LedgerEntry.objects.get(kind='case_event', object_id=event.pk).sequence} "
        f"(case event {event.pk}): content changed: its reason's salt is gone but no "
        "erasure record names the event."
    )
