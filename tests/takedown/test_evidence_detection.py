"""Evidence snapshots at detection time: what the scanner found, captured as it found it."""

import hashlib

import pytest
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from listings.models import Detection
from listings.services.scanning import listings_scan
from takedown.models import EvidenceFile, EvidenceSnapshot, LedgerEntry
from tests.listings.factories import ListingFactory
from tests.takedown.test_evidence import _fetched_image, _thumbnail_bytes, verify

pytestmark = pytest.mark.django_db


def _listings(world, count: int) -> list:
    return [
        ListingFactory(
            platform=world.platform_a.platform,
            title=f"BRANDA bag {n}",
            description="Replica AAA quality",
            seller__name="Jane Doe Store",
        )
        for n in range(count)
    ]


def test_a_scan_captures_each_new_detection_with_its_listing_pictures_and_why(world):
    # given two listings naming holder A's mark, one with a fetched picture
    listings = _listings(world, 2)
    _fetched_image(listings[0], _thumbnail_bytes())
    # when they are scanned
    listings_scan(listing_ids=[listing.pk for listing in listings])
    # then each detection has its snapshot, without a case, taken when it was matched
    detections = list(Detection.objects.filter(listing__in=listings))
    assert len(detections) == 2
    snapshots = EvidenceSnapshot.objects.filter(action="detect")
    assert sorted(s.detection_id for s in snapshots) == sorted(d.pk for d in detections)
    snapshot = snapshots.get(listing=listings[0])
    detection = snapshot.detection
    assert snapshot.case is None
    assert snapshot.taken_at == detection.last_matched_at
    body = snapshot.body
    assert body["content"]["title"] == "BRANDA bag 0"
    assert body["content_sha256_as_received"] == listings[0].content_hash
    # the matching explanation as stored on the detection
    assert body["detection"]["id"] == detection.pk
    assert body["detection"]["signals"] == detection.signals
    assert body["detection"]["right"] == world.holder_a.rights[0].pk
    # the picture's bytes copied once, named by their hash
    (image,) = body["images"]
    digest = hashlib.sha256(_thumbnail_bytes()).hexdigest()
    assert image["thumbnail"]["sha256"] == digest
    assert EvidenceFile.objects.filter(sha256=digest).count() == 1
    # the seller's name kept out of the hashed body
    assert "Jane Doe Store" not in str(body)
    assert snapshot.personal["seller_name"] == "Jane Doe Store"
    # and every snapshot is in the ledger, which verifies with its picture
    assert LedgerEntry.objects.filter(kind="snapshot").count() == 2
    out = verify()
    assert "Evidence ledger verified: 2 entries (2 snapshots, 0 case events, 0 purge" in out
    assert "image copies 1 checked" in out


def test_a_rescan_captures_only_what_changed(world):
    # given listings scanned once
    listings = _listings(world, 2)
    ids = [listing.pk for listing in listings]
    listings_scan(listing_ids=ids)
    assert EvidenceSnapshot.objects.count() == 2
    # when they are scanned again unchanged
    listings_scan(listing_ids=ids)
    # then nothing new was captured
    assert EvidenceSnapshot.objects.count() == 2
    # when one listing's title changes and the match with it
    listings[1].title = "BRANDA replica bag 1:1"
    listings[1].save(update_fields=["title"])
    listings_scan(listing_ids=ids)
    # then only that detection is captured again, with the new title
    latest = EvidenceSnapshot.objects.order_by("-pk").first()
    assert EvidenceSnapshot.objects.count() == 3
    assert latest.listing_id == listings[1].pk
    assert latest.body["content"]["title"] == "BRANDA replica bag 1:1"


def _evidence_queries(world, count: int) -> list[str]:
    listings = _listings(world, count)
    with CaptureQueriesContext(connection) as queries:
        listings_scan(listing_ids=[listing.pk for listing in listings])
    assert Detection.objects.filter(listing__in=listings).count() == count
    return [
        q["sql"]
        for q in queries.captured_queries
        if "takedown_ledger" in q["sql"] or "takedown_evidence" in q["sql"]
    ]


def test_a_chunk_is_captured_in_the_same_few_queries_however_many_detections(world):
    # given chunks of 2 and of 12 detections
    few = _evidence_queries(world, 2)
    many = _evidence_queries(world, 12)
    # then both take the snapshots' insert and one ledger append (lock, insert, move the head)
    assert len(few) == len(many) == 4
    assert sum("takedown_ledgerentry" in sql and "INSERT" in sql for sql in many) == 1


def test_an_edited_detection_snapshot_fails_verification_naming_it(world):
    # given a scan's snapshot
    listings_scan(listing_ids=[listing.pk for listing in _listings(world, 1)])
    snapshot = EvidenceSnapshot.objects.get()
    # when its recorded explanation is edited in the database
    body = snapshot.body
    body["detection"]["score"] = 0.1
    EvidenceSnapshot.objects.filter(pk=snapshot.pk).update(body=body)
    # then verification names it
    with pytest.raises(CommandError, match=rf"\(snapshot {snapshot.pk}\): content changed"):
        verify()
