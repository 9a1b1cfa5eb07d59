"""The evidence ledger: snapshots at filing and decisions, a hash chain, anchors, verify_evidence."""

import hashlib
import io
import logging
import threading

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

from listings.models import Detection, ImageBlob, ListingImage
from listings.services.scanning import listings_scan
from takedown.models import (
    Case,
    CaseEvent,
    EvidenceFile,
    EvidenceSnapshot,
    LedgerAnchor,
    LedgerEntry,
    LedgerHead,
)
from takedown.services.cases import Decision, case_decide
from takedown.services.complaints import complaint_file
from takedown.states import ImageStatus
from takedown.tasks import anchor_evidence_ledger
from tests.listings.factories import ListingFactory
from tests.takedown.test_complaints import data

pytestmark = pytest.mark.django_db

REMOVE = Decision(action="remove", explanation="Counterfeit BRANDA bag at a tenth of the price.")


def _thumbnail_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 0, 0)).save(buffer, "JPEG")
    return buffer.getvalue()


def _fetched_image(listing, data: bytes) -> ListingImage:
    blob = ImageBlob(
        sha256=hashlib.sha256(b"original " + data).hexdigest(),
        content_type="image/png",
        size_bytes=1234,
        width=640,
        height=480,
    )
    blob.thumbnail.save("thumb.jpg", ContentFile(data), save=False)
    blob.save()
    image = ListingImage(
        listing=listing, url="https://img.example.com/1.png", status=ImageStatus.FETCHED, blob=blob
    )
    image.save()
    return image


@pytest.fixture
def cases(world) -> list[Case]:
    """Three cases of holder A on platform A, from detections; one listing has a picture."""
    listings = [
        ListingFactory(
            platform=world.platform_a.platform,
            title=f"BRANDA bag {n}",
            description="Replica AAA quality",
            seller__name="Jane Doe Store",
        )
        for n in range(3)
    ]
    _fetched_image(listings[0], _thumbnail_bytes())
    listings_scan(listing_ids=[listing.pk for listing in listings])
    detections = Detection.objects.filter(right=world.holder_a.rights[0])
    complaint = complaint_file(
        actor=world.holder_a.member,
        rights_holder=world.holder_a.organisation,
        detection_ids=list(detections.values_list("pk", flat=True)),
        data=data(),
    )
    return list(complaint.cases.order_by("pk"))  # the order of the ledger


def verify(*args: str) -> str:
    out = io.StringIO()
    call_command("verify_evidence", *args, stdout=out)
    return out.getvalue()


def test_filing_captures_each_listing_with_its_pictures_and_why_it_matched(world, cases):
    # given a complaint just filed from detections on three listings
    case = Case.objects.get(listing__images__isnull=False)
    # then each listing was captured, as stored, before its filing event entered the ledger
    snapshots = EvidenceSnapshot.objects.filter(case__in=cases, action="file")
    assert snapshots.count() == 3
    snapshot = snapshots.get(case=case)
    body = snapshot.body
    assert body["content"]["title"] == case.listing.title
    assert body["content"]["description"] == "Replica AAA quality"
    assert body["content"]["price"] == "59.00"
    assert body["external_id"] == case.listing.external_id
    # the picture: the original's hash, and a copy of the stored thumbnail's bytes
    (image,) = body["images"]
    assert image["original_sha256"] == case.listing.images.get().blob.sha256
    thumbnail = _thumbnail_bytes()
    assert image["thumbnail"]["sha256"] == hashlib.sha256(thumbnail).hexdigest()
    copy = EvidenceFile.objects.get(sha256=image["thumbnail"]["sha256"])
    with copy.file.open("rb") as handle:
        assert handle.read() == thumbnail
    # the detection's explanation, and no personal data in the hashed body
    assert body["detection"]["id"] == case.detection_id
    assert body["detection"]["signals"] and body["detection"]["score"] > 0
    assert "Jane Doe Store" not in str(body)
    assert snapshot.personal["seller_name"] == "Jane Doe Store"
    first = EvidenceSnapshot.objects.get(case=cases[0])
    # (the scan's detection snapshots come before, tests/takedown/test_evidence_detection.py)
    start = LedgerEntry.objects.get(kind="snapshot", object_id=first.pk).sequence
    kinds = list(
        LedgerEntry.objects.filter(sequence__in=[start, start + 1])
        .order_by("sequence")
        .values_list("kind", "object_id")
    )
    event = CaseEvent.objects.get(case=cases[0], action="file")
    assert kinds == [("snapshot", first.pk), ("case_event", event.pk)]


def test_a_decision_is_captured_and_the_whole_ledger_verifies(world, cases):
    # given a removal and a rejection
    case_decide(actor=world.operator_moderator, case=cases[0], decision=REMOVE)
    case_decide(
        actor=world.operator_moderator,
        case=cases[1],
        decision=Decision(action="reject", explanation="A genuine second-hand bag."),
    )
    # then each decision has its snapshot, and every event is in the chain
    assert list(
        EvidenceSnapshot.objects.filter(case=cases[0]).values_list("action", flat=True)
    ) == ["file", "remove"]
    assert EvidenceSnapshot.objects.filter(case=cases[1], action="reject").exists()
    assert LedgerEntry.objects.filter(kind="case_event").count() == CaseEvent.objects.count()
    # and verify_evidence walks it in small chunks and says so
    out = verify("--chunk-size", "2")
    total = LedgerEntry.objects.count()
    # (three snapshots of them taken when the scan found the listings)
    assert f"Evidence ledger verified: {total} entries (8 snapshots, 5 case events, 0 purge" in out
    assert "image copies 1 checked" in out
    head = LedgerHead.objects.get()
    assert f"Head #{total} {head.entry_hash}" in out


def test_editing_a_case_event_in_the_database_fails_naming_it(world, cases):
    case_decide(actor=world.operator_moderator, case=cases[0], decision=REMOVE)
    event = CaseEvent.objects.get(case=cases[0], action="remove")
    entry = LedgerEntry.objects.get(kind="case_event", object_id=event.pk)
    # when someone rewrites the decision's reason behind the application's back
    CaseEvent.objects.filter(pk=event.pk).update(reason="Nothing wrong with it.")
    # then verification fails, naming that entry and what differs
    with pytest.raises(
        CommandError, match=rf"Entry #{entry.sequence} \(case event {event.pk}\): content changed"
    ):
        verify()


def test_editing_a_stored_snapshot_fails_naming_it(world, cases):
    snapshot = EvidenceSnapshot.objects.filter(case=cases[1]).get()
    entry = LedgerEntry.objects.get(kind="snapshot", object_id=snapshot.pk)
    body = snapshot.body | {"content": snapshot.body["content"] | {"price": "590.00"}}
    EvidenceSnapshot.objects.filter(pk=snapshot.pk).update(body=body)
    with pytest.raises(
        CommandError, match=rf"Entry #{entry.sequence} \(snapshot {snapshot.pk}\): content changed"
    ):
        verify()


def test_a_changed_image_copy_fails(world, cases):
    copy = EvidenceFile.objects.get()
    with copy.file.open("wb") as handle:
        handle.write(b"another picture")
    with pytest.raises(CommandError, match=rf"image copy {copy.file.name} changed"):
        verify()
    # a quick check of the rows alone still passes
    assert "image copies not checked" in verify("--skip-files")


def test_an_entry_deleted_in_the_middle_is_detected(world, cases):
    LedgerEntry.objects.filter(sequence=3).delete()
    with pytest.raises(CommandError, match=r"Entry #3 missing: the chain goes from #2 to #4"):
        verify()


def test_a_rewritten_link_is_detected(world, cases):
    LedgerEntry.objects.filter(sequence=4).update(prev_hash="f" * 64)
    with pytest.raises(CommandError, match=r"Entry #4 .*chain link broken"):
        verify()


def test_an_event_written_around_the_services_is_detected(world, cases):
    stray = CaseEvent(case=cases[0], action="claim", from_status="open", to_status="open")
    stray.save()
    with pytest.raises(CommandError, match=rf"Case event {stray.pk} is not in the ledger"):
        verify()


def test_a_snapshot_written_around_the_services_is_detected(world, cases):
    stray = EvidenceSnapshot(
        case=cases[0], listing=cases[0].listing, action="file", body={}, personal_sha256="0" * 64
    )
    stray.save()
    with pytest.raises(
        CommandError,
        match=rf"\. Snapshot {stray.pk} is not in the ledger: written around the services, "
        r"or its entry deleted\. \(",
    ):
        verify()


def test_the_anchor_records_the_head_and_a_deleted_tail_is_detected(world, cases, caplog):
    # given the head anchored by the periodic task (logged, too): three snapshots
    # at detection, then three filings (snapshot and event each)
    with caplog.at_level(logging.INFO, logger="takedown.services.evidence"):
        assert anchor_evidence_ledger() == 9
    anchor = LedgerAnchor.objects.get()
    assert (anchor.sequence, anchor.entry_hash) == (
        9,
        LedgerEntry.objects.get(sequence=9).entry_hash,
    )
    assert f"evidence ledger anchored: sequence=9 hash={anchor.entry_hash}" in caplog.text
    assert anchor_evidence_ledger() is None  # nothing new: no second anchor
    # when the last two entries are deleted and the head row made to match
    LedgerEntry.objects.filter(sequence__gt=7).delete()
    CaseEvent.objects.filter(case=cases[2]).delete()
    EvidenceSnapshot.objects.filter(case=cases[2]).delete()
    last = LedgerEntry.objects.get(sequence=7)
    LedgerHead.objects.update(sequence=7, entry_hash=last.entry_hash)
    # then the chain is shorter than its anchor
    with pytest.raises(CommandError, match=r"ends at #7 but was anchored at #9"):
        verify()


def test_the_anchor_runs_on_the_beat_schedule(settings):
    from takedown.celery import app

    (entry,) = [
        e
        for e in settings.CELERY_BEAT_SCHEDULE.values()
        if e["task"] == anchor_evidence_ledger.name
    ]
    assert entry["task"] in app.tasks


def test_a_rewritten_tail_does_not_match_its_anchor(world, cases):
    # given an anchored head, and a tail then deleted and replaced by new entries
    anchor_evidence_ledger()
    LedgerEntry.objects.filter(sequence__gt=7).delete()
    CaseEvent.objects.filter(case=cases[2]).delete()
    EvidenceSnapshot.objects.filter(case=cases[2]).delete()
    LedgerHead.objects.all().delete()  # the next append starts from the last entry
    case_decide(actor=world.operator_moderator, case=cases[0], decision=REMOVE)
    # then the entry at the anchored sequence is not the anchored one
    with pytest.raises(CommandError, match=r"Entry #9 .*does not match the anchor of #9"):
        verify()


def test_a_head_kept_elsewhere_is_checked(world, cases):
    head = LedgerHead.objects.get()
    assert "verified" in verify("--expect", f"{head.sequence}:{head.entry_hash}")
    with pytest.raises(CommandError, match=r"does not match the anchor of #6"):
        verify("--expect", f"6:{'a' * 64}")


def test_a_decision_costs_the_same_few_ledger_queries_however_long_the_chain(world, cases):
    def ledger_queries(case: Case) -> list[str]:
        with CaptureQueriesContext(connection) as queries:
            case_decide(actor=world.operator_moderator, case=case, decision=REMOVE)
        return [q["sql"] for q in queries.captured_queries if "takedown_ledger" in q["sql"]]

    first = ledger_queries(cases[0])
    # a longer chain: a hundred more listings filed
    more = [ListingFactory(platform=world.platform_a.platform) for _ in range(100)]
    complaint_file(
        actor=world.holder_a.member,
        rights_holder=world.holder_a.organisation,
        right_ids=[world.holder_a.rights[0].pk],
        listing_ids=[listing.pk for listing in more],
        data=data(),
    )
    assert LedgerEntry.objects.count() > 200
    second = ledger_queries(cases[1])
    # lock the head row, insert the snapshot's and the event's entries, move the head
    assert len(first) == len(second) == 3
    assert "FOR UPDATE" in first[0] or connection.vendor == "sqlite"
    assert "verified" in verify()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_decisions_append_to_one_unforked_chain(world):
    # given twenty cases decided by twenty moderators' requests at once
    listings = [ListingFactory(platform=world.platform_a.platform) for _ in range(20)]
    complaint = complaint_file(
        actor=world.holder_a.member,
        rights_holder=world.holder_a.organisation,
        right_ids=[world.holder_a.rights[0].pk],
        listing_ids=[listing.pk for listing in listings],
        data=data(),
    )
    errors: list[Exception] = []

    def decide(case: Case) -> None:
        try:
            case_decide(actor=world.operator_moderator, case=case, decision=REMOVE)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=(c,)) for c in complaint.cases.all()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then every decision landed, in one gap-free chain that verifies
    assert errors == []
    sequences = list(LedgerEntry.objects.order_by("sequence").values_list("sequence", flat=True))
    assert EvidenceSnapshot.objects.filter(action="remove").count() == 20
    recorded = CaseEvent.objects.count() + EvidenceSnapshot.objects.count()
    assert sequences == list(range(1, recorded + 1))
    assert f"verified: {recorded} entries" in verify()
