"""Scanning in the workbench: feeds and images become Detections, once, and say why."""

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image, ImageDraw

from listings.models import Detection, FeedBatch, Listing, RetroScan
from listings.services import scanning
from listings.services.detections import detections_dismiss
from listings.services.scanning import listings_scan, listings_scan_due_resume
from rightsholders.models import RightImage
from rightsholders.services import right_suspend, right_verify
from takedown.states import DetectionStatus, DismissReason, RetroScanStatus, RightStatus
from tests.listings import test_fetch
from tests.listings.factories import ListingFactory, SellerFactory
from tests.listings.test_feeds import jsonl, line
from tests.rightsholders.factories import AuthorisedSellerFactory, RightFactory

pytestmark = pytest.mark.django_db

image_server = test_fetch.image_server
connections = test_fetch.connections


@pytest.fixture
def token_a(world):
    from listings.services.tokens import platform_token_create

    return platform_token_create(
        actor=world.platform_a.admin, platform=world.platform_a.platform, name="feeder"
    )[1]


@pytest.fixture
def push(client, django_capture_on_commit_callbacks, token_a):
    """POST a feed and run everything it queues (ingestion, images, scans) as workers would."""

    def push(lines: list[dict]) -> FeedBatch:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("api-feed-list"),
                data=jsonl(lines),
                content_type="application/x-ndjson",
                HTTP_AUTHORIZATION=f"Bearer {token_a}",
            )
        assert response.status_code == 202, response.content
        return FeedBatch.objects.get(pk=response.json()["id"])

    return push


def detections(**filters) -> list[Detection]:
    return list(Detection.objects.filter(**filters).order_by("listing__external_id", "right_id"))


def test_a_listing_naming_a_mark_in_disguise_becomes_a_detection_that_says_why(world, push):
    # given holder A's verified word mark BRANDA
    mark = world.holder_a.rights[0]
    # when a feed brings a listing naming it with a Cyrillic "а", and one naming nothing
    push([line(1, title="Brаnda tote bag"), line(2, title="Plain canvas tote")])
    # then the first is a detection of the mark, with the span, the mark and the fold made
    (found,) = detections()
    assert (found.listing.external_id, found.right_id) == ("L1", mark.pk)
    assert found.status == DetectionStatus.OPEN
    (signal,) = found.signals
    assert signal["signal"] == "text"
    assert signal["evidence"]["span"]["text"] == "Brаnda"
    assert signal["evidence"]["mark"] == "BRANDA"
    assert signal["evidence"]["edit"]["folds"] == ["homoglyph"]
    assert found.score == found.text_score == signal["score"] > 0
    # and both listings are scanned
    assert not Listing.objects.filter(scan_due_at__isnull=False).exists()


def test_the_feed_status_shows_scan_progress(world, push, client, token_a):
    feed = push([line(n, title=f"BRANDA bag {n}") for n in range(1, 4)])
    body = client.get(
        reverse("api-feed-detail", args=[feed.pk]), HTTP_AUTHORIZATION=f"Bearer {token_a}"
    ).json()
    assert body["progress"] == {"listings": 3, "images_pending": 0, "scans_due": 0, "scanned": 3}


def test_pushing_and_scanning_again_never_duplicates_a_detection(world, push):
    lines = [line(n, title=f"BRANDA shoe {n}") for n in range(1, 6)]
    push(lines)
    first = {(d.pk, d.score) for d in detections()}
    # when the same feed comes again and every listing is scanned twice more
    push(lines)
    ids = list(Listing.objects.values_list("pk", flat=True))
    again = listings_scan(listing_ids=ids)
    listings_scan(listing_ids=ids)
    # then the detections are the same rows, unchanged
    assert {(d.pk, d.score) for d in detections()} == first
    assert len(first) == 5
    assert (again.created, again.updated, again.cleared) == (0, 0, 0)


def test_a_listing_changed_to_name_nothing_is_cleared_and_comes_back_when_it_names_it_again(
    world, push
):
    push([line(1, title="BRANDA sneakers")])
    (found,) = detections()
    push([line(1, title="Canvas sneakers")])
    found.refresh_from_db()
    assert found.status == DetectionStatus.CLEARED
    push([line(1, title="BRANDA sneakers, new season")])
    found.refresh_from_db()
    assert found.status == DetectionStatus.OPEN
    assert Detection.objects.count() == 1


def test_listings_of_an_authorised_seller_are_never_flagged(world, push):
    # given holder A authorised seller S1 on platform A for all its rights
    AuthorisedSellerFactory(
        rights_holder=world.holder_a.organisation,
        platform=world.platform_a.platform,
        seller_external_id="S1",
    )
    # when S1 and S2 both list goods named after the mark
    push([line(1, title="BRANDA bag"), line(2, title="BRANDA bag")])
    # then only S2's listing is a detection
    assert [d.listing.seller.external_id for d in detections()] == ["S2"]


def test_an_authorisation_for_other_rights_does_not_cover_this_one(world, push):
    seller = AuthorisedSellerFactory(
        rights_holder=world.holder_a.organisation,
        platform=world.platform_a.platform,
        seller_external_id="S1",
    )
    seller.rights.set([world.holder_a.rights[1]])  # the design only
    push([line(1, title="BRANDA bag")])
    assert len(detections()) == 1


def test_a_dismissal_is_remembered_when_the_listing_changes_and_by_a_newer_engine(
    world, push, monkeypatch
):
    push([line(1, title="BRANDA wallet")])
    (found,) = detections()
    detections_dismiss(
        actor=world.holder_a.member, detection_ids=[found.pk], reason=DismissReason.GENUINE
    )
    # when the listing changes but still names the mark
    push([line(1, title="BRANDA wallet, brown")])
    found.refresh_from_db()
    assert found.status == DetectionStatus.DISMISSED
    # and when a newer engine scans it
    monkeypatch.setattr(scanning, "ENGINE_VERSION", "next")
    listings_scan(listing_ids=[found.listing_id])
    newer = Detection.objects.get(engine_version="next")
    assert newer.status == DetectionStatus.DISMISSED


def test_ordinary_word_marks_need_the_category_of_their_class(world, push):
    # given "Shell" registered for class 9 (phones, electronics), an everyday word
    RightFactory(
        rights_holder=world.holder_a.organisation,
        name="Shell",
        ordinary_word=True,
        nice_classes=[9],
    )
    push(
        [
            line(1, title="Shell pendant necklace", category="Jewellery > Necklaces"),
            line(2, title="Shell charger cable", category="Electronics > Phone accessories"),
        ]
    )
    (found,) = detections(right__name="Shell")
    assert found.listing.external_id == "L2"
    assert found.signals[0]["evidence"]["ordinary_word_support"] == "category class"
    assert found.signals[0]["evidence"]["ordinary_word_classes"] == [9]


def test_verifying_a_right_retro_scans_stored_listings_with_progress(
    world, push, django_capture_on_commit_callbacks
):
    push(
        [line(n, title=f"Zorvana trainers {n}" if n % 2 else "Plain trainers") for n in range(1, 7)]
    )
    assert not detections()
    # given a newly submitted mark, verified by the operator's moderator
    right = RightFactory(
        rights_holder=world.holder_a.organisation, name="Zorvana", status=RightStatus.SUBMITTED
    )
    from tests.rightsholders.factories import ProofDocumentFactory

    ProofDocumentFactory(right=right)
    with django_capture_on_commit_callbacks(execute=True):
        right_verify(actor=world.operator_moderator, right=right)
    # then the retro-scan ran over every stored listing and found the three naming it
    (retro,) = RetroScan.objects.filter(right=right)
    live = Listing.objects.live().count()
    assert (retro.status, retro.total, retro.done, retro.percent) == (
        RetroScanStatus.DONE,
        live,
        live,
        100,
    )
    assert retro.detections == 3
    assert len(detections(right=right)) == 3


def test_a_suspended_right_is_no_longer_matched_by_the_workers_index(
    world, push, django_capture_on_commit_callbacks
):
    mark = world.holder_a.rights[0]
    push([line(1, title="BRANDA belt")])
    assert len(detections(right=mark)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        right_suspend(actor=world.operator_moderator, right=mark, reason="Lapsed fee")
    push([line(2, title="BRANDA belt")])
    assert [d.listing.external_id for d in detections(right=mark)] == ["L1"]


def test_the_sweep_scans_listings_whose_scan_was_lost(world):
    # given a listing changed ten minutes ago whose scan message was lost
    listing = ListingFactory(
        platform=world.platform_a.platform,
        title="BRANDA scarf",
        scan_due_at=timezone.now() - datetime.timedelta(minutes=10),
    )
    # when the sweep runs
    assert listings_scan_due_resume() >= 1
    # then it is scanned
    listing.refresh_from_db()
    assert listing.scan_due_at is None
    assert [d.listing_id for d in detections()] == [listing.pk]


def test_a_listing_changed_while_it_was_being_scanned_stays_due(world, monkeypatch):
    listing = ListingFactory(
        platform=world.platform_a.platform, title="BRANDA scarf", scan_due_at=timezone.now()
    )
    real = scanning.match_listing

    def changed_meanwhile(index, item, images):
        Listing.objects.filter(pk=item.pk).update(scan_due_at=timezone.now())
        return real(index, item, images)

    monkeypatch.setattr(scanning, "match_listing", changed_meanwhile)
    listings_scan(listing_ids=[listing.pk])
    listing.refresh_from_db()
    assert listing.scan_due_at is not None


def logo_png(seed: int = 5) -> bytes:
    im = Image.new("RGB", (400, 300), "white")
    draw = ImageDraw.Draw(im)
    draw.ellipse([40, 40, 200, 200], outline=(200, 30, 30), width=20)
    draw.rectangle([220, 60, 360, 160], fill=(20, 90, 200))
    draw.polygon([(240, 280), (300, 180), (360, 280)], fill=(30, 160, 60))
    out = io.BytesIO()
    im.save(out, "PNG")
    return out.getvalue()


def mirrored_jpeg(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as im:
        out = io.BytesIO()
        im.transpose(Image.Transpose.FLIP_LEFT_RIGHT).resize((800, 600)).save(out, "JPEG")
        return out.getvalue()


def test_a_listing_photo_copying_a_registered_logo_is_an_image_detection(
    world, push, image_server, connections, settings
):
    settings.TAKEDOWN_IMAGE_FETCH_ALLOW_NETS = ["127.0.0.1/32"]
    # given a figurative mark whose logo was registered (hashes computed on first use)
    from django.core.files.base import ContentFile

    right = RightFactory(rights_holder=world.holder_a.organisation, figurative=True, name="Logo")
    logo = RightImage.objects.create(
        right=right,
        role=RightImage.Role.LOGO,
        file=ContentFile(logo_png(), name="logo.png"),
        original_name="logo.png",
        content_type="image/png",
        sha256="f" * 64,
        width=400,
        height=300,
    )
    # when a listing with no brand in its title shows the logo mirrored
    url = image_server.serve(
        "/copy.jpg", mirrored_jpeg(logo_png()), headers={"Content-Type": "image/jpeg"}
    )
    push([line(1, title="Stylish canvas bag", images=[url])])
    # then the image is the evidence: registered image, variant, distances, listing image
    (found,) = detections(right=right)
    (signal,) = found.signals
    assert signal["signal"] == "image"
    assert signal["evidence"]["registered_image"] == logo.pk
    assert signal["evidence"]["variant"] == "mirror"
    assert signal["evidence"]["listing_image_url"] == url
    assert found.image_score == signal["score"] > 0.8
    # and the logo's hashes were stored, so the next index build decodes nothing
    logo.refresh_from_db()
    assert logo.match_hashes


def test_stored_listing_image_hashes_are_searched_without_decoding(
    world, push, image_server, connections, settings, monkeypatch
):
    settings.TAKEDOWN_IMAGE_FETCH_ALLOW_NETS = ["127.0.0.1/32"]
    url = image_server.serve(
        "/p.jpg", mirrored_jpeg(logo_png()), headers={"Content-Type": "image/jpeg"}
    )
    push([line(1, title="Canvas bag", images=[url])])
    listing = Listing.objects.get(external_id="L1")
    blob = listing.images.get().blob
    assert blob.view_hashes["views"][0] == "whole"

    def no_decoding(*args, **kwargs):
        raise AssertionError("decoded again")

    monkeypatch.setattr(scanning, "listing_view_hashes", no_decoding)
    assert listings_scan(listing_ids=[listing.pk]).scanned == 1


def test_the_index_is_rebuilt_only_when_the_rights_revision_moves(
    world, django_capture_on_commit_callbacks
):
    first = scanning.matching_index()
    assert scanning.matching_index() is first
    with django_capture_on_commit_callbacks(execute=True):
        right_suspend(actor=world.operator_moderator, right=world.holder_b.rights[0], reason="x")
    second = scanning.matching_index()
    assert second is not first
    assert world.holder_b.rights[0].pk not in second.rights


def test_a_seller_listing_on_another_platform_is_not_covered_by_an_authorisation(world, push):
    AuthorisedSellerFactory(
        rights_holder=world.holder_a.organisation,
        platform=world.platform_b.platform,
        seller_external_id="S1",
    )
    SellerFactory(platform=world.platform_a.platform, external_id="S9")
    push([line(1, title="BRANDA bag")])
    assert len(detections()) == 1


def test_an_older_scan_finishing_last_does_not_overwrite_a_newer_one(world, monkeypatch):
    # given a listing naming the mark, read by a scan that is slow to store
    listing = ListingFactory(
        platform=world.platform_a.platform, title="BRANDA scarf", scan_due_at=timezone.now()
    )
    real = scanning.match_listing

    def changed_and_rescanned_meanwhile(index, item, images):
        result = real(index, item, images)
        # meanwhile the platform changes the title and a newer scan stores first
        Listing.objects.filter(pk=item.pk).update(
            title="Plain scarf", content_hash="v2", scan_due_at=timezone.now()
        )
        monkeypatch.setattr(scanning, "match_listing", real)
        listings_scan(listing_ids=[item.pk])
        return result

    monkeypatch.setattr(scanning, "match_listing", changed_and_rescanned_meanwhile)
    listings_scan(listing_ids=[listing.pk])
    # then the older result is dropped: no open detection for content that names nothing
    assert not Detection.objects.filter(listing=listing, status=DetectionStatus.OPEN).exists()


def test_a_retro_scan_runs_in_slices_each_a_task_that_queues_the_next(
    world, push, django_capture_on_commit_callbacks, monkeypatch
):
    # given seven stored listings, chunks of two, and slices that end after one chunk
    push([line(n, title=f"Zorvana boots {n}") for n in range(1, 8)])
    monkeypatch.setattr(scanning, "RETRO_CHUNK", 2)
    slices = []
    run = scanning.retro_scan_run

    def counted(**kwargs):
        retro = run(**kwargs, slice_length=datetime.timedelta(0))
        slices.append((retro.status, retro.claimed_by, retro.done))
        return retro

    monkeypatch.setattr(scanning, "retro_scan_run", counted)
    right = RightFactory(
        rights_holder=world.holder_a.organisation, name="Zorvana", status=RightStatus.SUBMITTED
    )
    from tests.rightsholders.factories import ProofDocumentFactory

    ProofDocumentFactory(right=right)
    # when the right is verified
    with django_capture_on_commit_callbacks(execute=True):
        right_verify(actor=world.operator_moderator, right=right)
    # then each task scanned one chunk, released its claim and queued the next, until done
    live = Listing.objects.live().count()
    (retro,) = RetroScan.objects.filter(right=right)
    assert (retro.status, retro.done, retro.detections) == (RetroScanStatus.DONE, live, 7)
    chunks = -(-live // 2)
    assert len(slices) == chunks + 1  # the last slice finds nothing left and finishes
    assert [s[0] for s in slices[:-1]] == [RetroScanStatus.RUNNING] * chunks
    assert {s[1] for s in slices[:-1]} == {""}
    assert [s[2] for s in slices[:-1]] == [min(live, 2 * n) for n in range(1, chunks + 1)]


def test_a_retro_scan_held_by_a_live_worker_is_not_claimed_but_a_released_one_is(world):
    right = world.holder_a.rights[0]
    retro = RetroScan.objects.create(
        right=right,
        status=RetroScanStatus.RUNNING,
        claimed_by="w1:task",
        claimed_at=timezone.now(),
        until_id=0,
    )
    assert scanning.retro_scan_run(retro_scan_id=retro.pk, worker="w2:task") is None
    RetroScan.objects.filter(pk=retro.pk).update(claimed_by="")
    finished = scanning.retro_scan_run(retro_scan_id=retro.pk, worker="w2:task")
    assert finished.status == RetroScanStatus.DONE


def test_a_right_verified_before_its_valid_from_is_retro_scanned_on_that_day(
    world, push, django_capture_on_commit_callbacks
):
    push([line(1, title="Quellmar jacket"), line(2, title="Plain jacket")])
    today = timezone.localdate()
    right = RightFactory(
        rights_holder=world.holder_a.organisation,
        name="Quellmar",
        status=RightStatus.SUBMITTED,
        valid_from=today + datetime.timedelta(days=3),
    )
    from tests.rightsholders.factories import ProofDocumentFactory

    ProofDocumentFactory(right=right)
    # given a right verified today that comes into force in three days
    with django_capture_on_commit_callbacks(execute=True):
        right_verify(actor=world.operator_moderator, right=right)
    assert not RetroScan.objects.filter(right=right).exists()
    # when the hourly sweep runs before that day, nothing is created
    assert scanning.retro_scans_for_rights_come_into_force() == []
    # when that day has come (the clock cannot move here: the date moves instead, as
    # the right's validity would look three days later) and the sweep runs
    from rightsholders.models import Right

    Right.objects.filter(pk=right.pk).update(valid_from=today)
    with django_capture_on_commit_callbacks(execute=True):
        created = scanning.retro_scans_for_rights_come_into_force()
    # then a retro-scan is created and runs over the stored listings; the next hour adds none
    (retro,) = RetroScan.objects.filter(right=right)
    assert created == [retro.pk]
    assert (retro.status, retro.detections) == (RetroScanStatus.DONE, 1)
    assert [d.listing.external_id for d in detections(right=right)] == ["L1"]
    assert scanning.retro_scans_for_rights_come_into_force() == []


def test_the_sweep_leaves_a_scan_queued_behind_a_backlog_and_requeues_a_lost_one(world):
    now = timezone.now()
    due = now - datetime.timedelta(minutes=10)
    waiting = ListingFactory(
        platform=world.platform_a.platform,
        title="BRANDA scarf",
        scan_due_at=due,
        scan_queued_at=now - datetime.timedelta(minutes=5),
    )
    lost = ListingFactory(
        platform=world.platform_a.platform,
        title="BRANDA hat",
        scan_due_at=due,
        scan_queued_at=now - datetime.timedelta(minutes=40),
    )
    # when the sweep runs
    assert listings_scan_due_resume() == 1
    # then only the listing whose message is taken as lost was queued (and scanned) again
    waiting.refresh_from_db()
    lost.refresh_from_db()
    assert waiting.scan_due_at == due
    assert lost.scan_due_at is None and lost.scan_queued_at > now
    assert [d.listing_id for d in detections()] == [lost.pk]


def test_an_index_of_the_rights_in_force_read_as_values_matches_one_built_from_rights(world):
    # given a figurative mark with a registered logo beside the world's word marks
    from django.core.files.base import ContentFile

    from rightsholders.models import Right

    right = RightFactory(rights_holder=world.holder_a.organisation, figurative=True, name="Logo")
    RightImage.objects.create(
        right=right,
        role=RightImage.Role.LOGO,
        file=ContentFile(logo_png(), name="logo.png"),
        original_name="logo.png",
        content_type="image/png",
        sha256="e" * 64,
        width=400,
        height=300,
    )
    # when the worker's index is built from the queryset (plain values, stored hashes as bytes)
    from_values = scanning.build_index(Right.objects.in_force())
    from_rights = scanning.build_index(list(Right.objects.in_force()))
    # then it holds the same rights, facts, marks and logo hashes as one built from Right rows
    assert from_values.rights == from_rights.rights
    assert from_values.reference_prices == from_rights.reference_prices
    assert len(from_values.text) == len(from_rights.text) > 0
    assert from_values.images.to_arrays()["hashes"].tolist() == (
        from_rights.images.to_arrays()["hashes"].tolist()
    )
    assert right.pk in set(from_values.images.right_ids.tolist())


def test_marking_settled_listings_due_leaves_recently_due_ones_alone(world, settings):
    settings.TAKEDOWN_SCAN_DUE_STALE_SECONDS = 120
    now = timezone.now()
    fresh = ListingFactory(platform=world.platform_a.platform)
    stale = ListingFactory(platform=world.platform_a.platform)
    scanned = ListingFactory(platform=world.platform_a.platform)
    Listing.objects.filter(pk=fresh.pk).update(scan_due_at=now - datetime.timedelta(seconds=10))
    Listing.objects.filter(pk=stale.pk).update(scan_due_at=now - datetime.timedelta(hours=1))
    Listing.objects.filter(pk=scanned.pk).update(scan_due_at=None)
    # when their images settle
    scanning.listings_mark_due([fresh.pk, stale.pk, scanned.pk])
    due = dict(Listing.objects.values_list("pk", "scan_due_at"))
    # then the fresh one keeps its time; the others are due from now (the sweep waits for the scan)
    assert due[fresh.pk] == now - datetime.timedelta(seconds=10)
    assert due[stale.pk] >= now
    assert due[scanned.pk] >= now
