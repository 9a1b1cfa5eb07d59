"""A feed pushed through the API is ingested by a real Celery worker on PostgreSQL."""

import json
import time

import pytest
from django.urls import reverse

from listings.models import FeedBatch, Listing, ListingSnapshot
from listings.services.tokens import platform_token_create


def _wait_done(batch_id: int, timeout: float = 60) -> FeedBatch:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        batch = FeedBatch.objects.get(pk=batch_id)
        if batch.status in ("done", "failed"):
            return batch
        time.sleep(0.2)
    raise AssertionError(f"feed {batch_id} not ingested within {timeout} s")


@pytest.mark.postgres
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_ingests_pushed_feeds_with_copy_and_updates(celery_worker_process, world, client):
    # given a platform token and 2,500 listings (three chunks of 1,000 on PostgreSQL's COPY path)
    _, token = platform_token_create(
        actor=None, platform=world.platform_a.platform, name="worker test"
    )
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    lines = [
        {
            "external_id": f"W{n}",
            "title": f"Tote {n}",
            "price": "20.00",
            "currency": "EUR",
            "seller_id": f"S{n % 40}",
        }
        for n in range(2500)
    ]
    body = "".join(json.dumps(line) + "\n" for line in lines).encode()

    # when it is pushed, and pushed again with every price changed
    first = client.post(
        reverse("api-feed-list"), data=body, content_type="application/x-ndjson", **auth
    )
    done = _wait_done(first.json()["id"])
    changed = body.replace(b'"20.00"', b'"25.00"')
    second = client.post(
        reverse("api-feed-list"), data=changed, content_type="application/x-ndjson", **auth
    )
    redone = _wait_done(second.json()["id"])

    # then the worker created every listing once, then updated each and kept its old content
    assert (done.status, done.accepted, done.created) == ("done", 2500, 2500)
    assert (redone.status, redone.updated, redone.created) == ("done", 2500, 0)
    ours = Listing.objects.filter(platform=world.platform_a.platform, external_id__startswith="W")
    assert ours.count() == 2500
    assert set(ours.values_list("price", flat=True)) == {25}
    assert ListingSnapshot.objects.filter(listing__in=ours, content__price="20.00").count() == 2500
