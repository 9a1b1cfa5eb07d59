"""Scanning on PostgreSQL with real workers: nothing duplicated under concurrency, retro-scans."""

import json
import threading
import time

import pytest
from django.db import connection
from django.urls import reverse

from listings.models import Detection, Listing, RetroScan
from listings.services.scanning import listings_scan
from listings.services.tokens import platform_token_create
from rightsholders.services import right_verify
from takedown.states import RetroScanStatus, RightStatus
from tests.listings.factories import ListingFactory
from tests.rightsholders.factories import ProofDocumentFactory, RightFactory


def _wait(condition, what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what} not within {timeout} s")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_scans_of_the_same_listings_store_each_detection_once(world):
    # given 300 listings, a third naming holder A's mark
    listings = [
        ListingFactory(
            platform=world.platform_a.platform,
            title=f"BRANDA bag {n}" if n % 3 == 0 else f"Plain bag {n}",
        )
        for n in range(300)
    ]
    ids = [listing.pk for listing in listings]
    errors: list[BaseException] = []

    def scan() -> None:
        try:
            listings_scan(listing_ids=ids)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    # when four workers scan the same chunk at the same time
    threads = [threading.Thread(target=scan) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then none failed and each detection exists once
    assert errors == []
    mark = world.holder_a.rights[0]
    assert Detection.objects.filter(right=mark).count() == 100
    assert Detection.objects.filter(right=mark).values("listing").distinct().count() == 100


@pytest.mark.postgres
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_scans_pushed_feeds_and_retro_scans_a_newly_verified_right(
    celery_worker_process, world, client
):
    _, token = platform_token_create(actor=None, platform=world.platform_a.platform, name="t")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    lines = [
        {
            "external_id": f"W{n}",
            "title": f"BRANDA tote {n}" if n % 4 == 0 else f"Quorvex trainers {n}",
            "seller_id": f"S{n % 9}",
        }
        for n in range(1200)
    ]
    body = "".join(json.dumps(line) + "\n" for line in lines).encode()
    ours = Listing.objects.filter(external_id__startswith="W")
    # when a feed is pushed twice
    for _ in range(2):
        response = client.post(
            reverse("api-feed-list"), data=body, content_type="application/x-ndjson", **auth
        )
        assert response.status_code == 202
        _wait(
            lambda: ours.count() == 1200 and not ours.filter(scan_due_at__isnull=False).exists(),
            "ingested and scanned",
        )
    # then the worker found each listing naming the mark once
    mark = world.holder_a.rights[0]
    assert Detection.objects.filter(right=mark, listing__in=ours).count() == 300
    # when a new mark named by the other listings is verified
    right = RightFactory(
        rights_holder=world.holder_b.organisation, name="Quorvex", status=RightStatus.SUBMITTED
    )
    ProofDocumentFactory(right=right)
    right_verify(actor=world.operator_moderator, right=right)
    # then the worker's retro-scan goes over every stored listing and finds them
    _wait(
        lambda: RetroScan.objects.filter(right=right, status=RetroScanStatus.DONE).exists(),
        "retro-scan done",
    )
    retro = RetroScan.objects.get(right=right)
    assert retro.total == retro.done == Listing.objects.live().count()
    assert Detection.objects.filter(right=right).count() == retro.detections == 900
