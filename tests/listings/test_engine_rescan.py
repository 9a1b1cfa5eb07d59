"""After an engine version bump: stored listings re-scanned a chunk at a time; image hashes kept."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from listings.matching import ENGINE_VERSION, IMAGE_HASH_VERSION
from listings.models import Detection, DetectionDismissal, EngineRescan, Listing
from listings.services import rescan, scanning
from listings.services.rescan import engine_rescan_open, engine_rescan_step
from rightsholders.models import Right, RightImage
from takedown.states import DetectionStatus, DismissReason
from tests.listings.factories import ListingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(monkeypatch) -> list[list[int]]:
    """The scans the re-scan queues, recorded instead of run."""
    calls: list[list[int]] = []
    monkeypatch.setattr(rescan, "listings_scan_queue", lambda ids: calls.append(list(ids)))
    return calls


def listings(count: int, **fields) -> list[int]:
    return [ListingFactory(**fields).pk for _ in range(count)]


def test_the_first_version_a_database_records_rescans_nothing(queued):
    # given listings and no engine version recorded yet
    listings(3)
    # when the sweep runs
    marked = engine_rescan_step()
    # then the running version is taken as the one that scanned them
    assert marked == 0
    assert engine_rescan_open().finished_at is not None
    assert queued == []


def test_an_upgraded_database_with_an_older_engine_s_detections_rescans_them(
    world, monkeypatch, queued
):
    # given a listing an older engine found a mark in, before any version was recorded
    listing = ListingFactory(platform=world.platform_a.platform, title="BRANDA replica bag")
    with monkeypatch.context() as patched:
        patched.setattr(scanning, "ENGINE_VERSION", "old")
        scanning.listings_scan(listing_ids=[listing.pk])
    # when the sweep first runs
    marked = engine_rescan_step()
    # then the listings stored before are re-scanned, that one among them
    assert marked == Listing.objects.count() >= 1
    assert listing.pk in [pk for chunk in queued for pk in chunk]


def test_a_new_version_marks_the_listings_stored_before_it_a_chunk_at_a_time(queued):
    # given five listings scanned by an older engine
    ids = listings(5)
    engine_rescan_open(engine_version="old")
    # when the sweep runs with chunks of 2 and 3 listings a run
    first = engine_rescan_step(chunk=2, budget=3)
    # and a listing arrives afterwards (scanned by the new engine as it arrives)
    later = ListingFactory().pk
    second = engine_rescan_step(chunk=2, budget=3)
    third = engine_rescan_step(chunk=2, budget=3)
    # then the first run marks three, in id order, the second the rest and finishes
    assert (first, second, third) == (3, 2, 0)
    assert [pk for chunk in queued for pk in chunk] == ids
    assert set(Listing.objects.exclude(scan_due_at=None).values_list("pk", flat=True)) == set(ids)
    assert Listing.objects.get(pk=later).scan_due_at is None
    row = EngineRescan.objects.get(engine_version=ENGINE_VERSION)
    assert row.finished_at is not None
    assert (row.marked, row.until_id) == (5, ids[-1])


def test_listings_already_due_or_delisted_are_not_marked_again(queued):
    # given an older engine's listings: one due already, one delisted
    due_at = timezone.now()
    due, delisted, plain = (
        ListingFactory(scan_due_at=due_at).pk,
        ListingFactory(delisted_at=timezone.now()).pk,
        ListingFactory().pk,
    )
    engine_rescan_open(engine_version="old")
    # when the sweep runs
    marked = engine_rescan_step(due_ceiling=10)
    # then only the plain one is marked and queued; the due one keeps its time
    assert marked == 1
    assert queued == [[plain]]
    assert Listing.objects.get(pk=due).scan_due_at == due_at
    assert Listing.objects.get(pk=delisted).scan_due_at is None


def test_no_listing_is_marked_while_the_scanners_are_behind(queued):
    # given an older engine's listings, two of them due already
    listings(2, scan_due_at=timezone.now())
    listings(3)
    engine_rescan_open(engine_version="old")
    # when the sweep runs with a ceiling of two listings due
    marked = engine_rescan_step(due_ceiling=2)
    # then it waits, its cursor where it was
    assert marked == 0
    assert queued == []
    assert EngineRescan.objects.get(engine_version=ENGINE_VERSION).next_id == 0


def test_bad_pacing_is_refused_naming_it():
    with pytest.raises(ValueError, match="chunk, budget and due_ceiling must be at least 1"):
        engine_rescan_step(chunk=0)
    with pytest.raises(CommandError, match="--due-ceiling must be at least 1, not 0"):
        call_command("engine_rescan", "--due-ceiling", "0")


def test_the_command_rescans_an_older_engine_s_listings_into_the_new_version(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    # given a listing naming a mark, scanned by an older engine
    listing = ListingFactory(platform=world.platform_a.platform, title="BRANDA replica bag")
    monkeypatch.setattr(scanning, "ENGINE_VERSION", "old")
    scanning.listings_scan(listing_ids=[listing.pk])
    assert Detection.objects.filter(listing=listing, engine_version="old").exists()
    engine_rescan_open(engine_version="old")
    monkeypatch.undo()
    # when the command drives the re-scan to its end (scans run in this process)
    out = io.StringIO()
    call_command("engine_rescan", "--until-done", stdout=out)
    # then the running engine's detection is stored and the re-scan says it finished
    assert Detection.objects.filter(listing=listing, engine_version=ENGINE_VERSION).exists()
    assert f"engine {ENGINE_VERSION}: finished" in out.getvalue()
    assert Listing.objects.get(pk=listing.pk).scan_due_at is None
    status = io.StringIO()
    call_command("engine_rescan", "--status", stdout=status)
    assert "engine old: finished" in status.getvalue()
    assert f"engine {ENGINE_VERSION}: finished" in status.getvalue()


def test_a_match_taken_into_a_complaint_stays_taken_after_a_rescan(world, monkeypatch):
    # given two listings naming a mark, scanned by an older engine; one match handed over,
    # the other dismissed
    taken, dismissed = (
        ListingFactory(platform=world.platform_a.platform, title=f"BRANDA replica bag {n}")
        for n in (1, 2)
    )
    monkeypatch.setattr(scanning, "ENGINE_VERSION", "old")
    scanning.listings_scan(listing_ids=[taken.pk, dismissed.pk])
    Detection.objects.filter(listing=taken).update(status=DetectionStatus.HANDED_OVER)
    old = Detection.objects.get(listing=dismissed)
    DetectionDismissal.objects.create(
        listing=dismissed, right=old.right, reason=DismissReason.GENUINE
    )
    Detection.objects.filter(pk=old.pk).update(status=DetectionStatus.DISMISSED)
    engine_rescan_open(engine_version="old")
    monkeypatch.undo()
    # when the running engine re-scans them
    call_command("engine_rescan", "--until-done", stdout=io.StringIO())
    # then its rows keep what people did with the older rows: nothing is offered again
    current = dict(
        Detection.objects.filter(engine_version=ENGINE_VERSION).values_list("listing_id", "status")
    )
    assert current == {
        taken.pk: DetectionStatus.HANDED_OVER,
        dismissed.pk: DetectionStatus.DISMISSED,
    }


def test_an_engine_bump_alone_hashes_no_registered_image_again(world, monkeypatch):
    # given the registered images hashed once, at the running image hash version
    for image in RightImage.objects.all():
        scanning.right_image_hash(image)
    assert set(RightImage.objects.values_list("match_engine", flat=True)) == {IMAGE_HASH_VERSION}

    def hash_again(data: bytes):
        raise AssertionError("a registered image was hashed again")

    # when the engine version moves (a text-only change) and a worker builds its index
    monkeypatch.setattr(scanning, "ENGINE_VERSION", "2099.1.1")
    monkeypatch.setattr(scanning, "registered_hashes", hash_again)
    index = scanning.build_index(Right.objects.in_force(), revision="after-bump")
    # then the index holds every image, from the stored hashes
    assert len(index.images) == RightImage.objects.count() >= 1


def test_the_sweep_is_on_the_beat_schedule_and_known_to_workers(settings):
    from listings.tasks.scanning import engine_rescan
    from takedown.celery import app

    (entry,) = [
        e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == engine_rescan.name
    ]
    assert entry["task"] in app.tasks
    assert entry["schedule"] == settings.TAKEDOWN_SWEEP_SECONDS
