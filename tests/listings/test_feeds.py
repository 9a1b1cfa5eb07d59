"""Platforms push feeds: the API contract, idempotent upserts, per-line errors, resumption."""

import json
from decimal import Decimal

import pytest
from django.urls import reverse

from listings.models import FeedBatch, FeedLineError, Listing, ListingImage, ListingSnapshot, Seller
from listings.services import feeds as feed_service
from listings.services.tokens import platform_token_create, platform_token_revoke
from takedown.states import FeedStatus

pytestmark = pytest.mark.django_db

NDJSON = "application/x-ndjson"


def line(n: int, **overrides) -> dict:
    values = {
        "external_id": f"L{n}",
        "title": f"Leather bag model {n}",
        "price": "49.90",
        "currency": "EUR",
        "seller_id": f"S{n % 7}",
        "seller_name": f"Store {n % 7}",
        "ship_to": ["DE", "FR"],
    }
    values.update(overrides)
    return values


def jsonl(lines: list) -> bytes:
    return b"".join(
        (item if isinstance(item, bytes) else json.dumps(item).encode()) + b"\n" for item in lines
    )


@pytest.fixture
def token_a(world):
    return platform_token_create(
        actor=world.platform_a.admin, platform=world.platform_a.platform, name="feeder"
    )[1]


@pytest.fixture
def token_b(world):
    return platform_token_create(
        actor=world.platform_b.admin, platform=world.platform_b.platform, name="feeder"
    )[1]


@pytest.fixture
def queued_images(monkeypatch):
    """Record image fetches the ingestion queues instead of fetching (no network in tests)."""
    queued: list[list[int]] = []
    monkeypatch.setattr(feed_service, "_queue_images", queued.append)
    return queued


@pytest.fixture
def push(client, django_capture_on_commit_callbacks, queued_images):
    """POST a feed with a token and run the queued ingestion as a worker would."""

    def push(body: bytes, token: str, content_type: str = NDJSON):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                reverse("api-feed-list"),
                data=body,
                content_type=content_type,
                HTTP_AUTHORIZATION=f"Bearer {token}",
            )

    return push


def status_of(client, response, token: str) -> dict:
    return client.get(response.json()["status_url"], HTTP_AUTHORIZATION=f"Bearer {token}").json()


def platform_rows(world) -> list[tuple]:
    return list(
        Listing.objects.filter(platform=world.platform_a.platform)
        .order_by("external_id")
        .values_list("external_id", "title", "price", "content_hash")
    )


def test_a_pushed_feed_is_accepted_at_once_and_ingested(world, client, push, token_a):
    # when platform A pushes three listings
    response = push(jsonl([line(1), line(2), line(3)]), token_a)
    # then it is accepted with a status URL, and ingestion lands all three
    assert response.status_code == 202
    assert set(response.json()) == {"id", "status", "status_url"}
    status = status_of(client, response, token_a)
    assert (
        status["status"],
        status["lines"],
        status["accepted"],
        status["rejected"],
        status["created"],
    ) == ("done", 3, 3, 0, 3)
    assert Listing.objects.get(
        platform=world.platform_a.platform, external_id="L2"
    ).price == Decimal("49.90")


def test_replaying_a_feed_three_times_leaves_the_same_rows(world, client, push, token_a):
    body = jsonl([line(n) for n in range(50)])
    push(body, token_a)
    first = platform_rows(world)
    for _ in range(2):
        status = status_of(client, push(body, token_a), token_a)
        assert (status["created"], status["updated"], status["unchanged"]) == (0, 0, 50)
    assert platform_rows(world) == first
    assert (
        Listing.objects.filter(platform=world.platform_a.platform).count() == 52
    )  # 2 from the world
    assert ListingSnapshot.objects.count() == 0


def test_one_percent_bad_lines_land_ninety_nine_percent_with_line_numbers(
    world, client, push, token_a
):
    # given 1,000 lines of which 10 are bad in different ways
    lines: list = [line(n) for n in range(1000)]
    bad = {
        11: b"{not json",
        102: line(102, title=""),
        203: line(203, currency="EURO"),
        304: line(304, price="cheap"),
        405: {k: v for k, v in line(405).items() if k != "external_id"},
        506: line(506, ship_to=["Germany"]),
        607: b'\xff\xfe{"external_id": "x"}',
        708: line(708, title="x" * 501),
        809: b"[1, 2, 3]",
        910: line(910, images=["javascript:alert(1)"]),
    }
    for index, value in bad.items():
        lines[index - 1] = value
    # when the feed is pushed
    status = status_of(client, push(jsonl(lines), token_a), token_a)
    # then 990 land and the 10 are reported on their own lines
    assert (status["lines"], status["accepted"], status["rejected"]) == (1000, 990, 10)
    assert [e["line"] for e in status["errors"]] == sorted(bad)
    by_line = {e["line"]: e for e in status["errors"]}
    assert by_line[11]["message"].startswith("is not valid JSON")
    assert (by_line[102]["field"], by_line[203]["field"], by_line[304]["field"]) == (
        "title",
        "currency",
        "price",
    )
    assert (by_line[405]["field"], by_line[405]["message"]) == ("external_id", "is required")
    assert by_line[506]["message"] == "GERMANY not ISO 3166 alpha-2 country code(s)"
    assert by_line[607]["message"].startswith("is not valid UTF-8")
    assert by_line[809]["message"] == "must be a JSON object, not list"
    assert Listing.objects.filter(platform=world.platform_a.platform).count() == 2 + 990


def test_a_changed_listing_keeps_its_previous_content_and_unchanged_ones_are_not_rewritten(
    world, client, push, token_a
):
    push(jsonl([line(1), line(2)]), token_a)
    untouched = Listing.objects.get(external_id="L2", platform=world.platform_a.platform).updated_at
    # when the next feed changes the first listing's price and title
    status = status_of(
        client,
        push(jsonl([line(1, price="12.00", title="Bag REPLICA"), line(2)]), token_a),
        token_a,
    )
    # then it is updated, its old content kept as a snapshot, and the other one not rewritten
    assert (status["updated"], status["unchanged"]) == (1, 1)
    listing = Listing.objects.get(external_id="L1", platform=world.platform_a.platform)
    assert (listing.title, listing.price) == ("Bag REPLICA", Decimal("12.00"))
    [snapshot] = listing.snapshots.all()
    assert (snapshot.content["title"], snapshot.content["price"]) == (
        "Leather bag model 1",
        "49.90",
    )
    assert (
        Listing.objects.get(external_id="L2", platform=world.platform_a.platform).updated_at
        == untouched
    )


def test_duplicates_in_one_feed_resolve_to_the_last_line(world, client, push, token_a, settings):
    settings.TAKEDOWN_FEED_CHUNK_LINES = 2  # the duplicates fall in different chunks too
    body = jsonl(
        [line(1, title="first"), line(2), line(1, title="second"), line(3), line(1, title="last")]
    )
    push(body, token_a)
    assert Listing.objects.get(platform=world.platform_a.platform, external_id="L1").title == "last"
    assert Listing.objects.filter(platform=world.platform_a.platform, external_id="L1").count() == 1


def test_csv_feed_with_list_columns_and_unknown_fields(world, client, push, token_a):
    body = (
        b"external_id,title,price,currency,images,ship_to,colour\n"
        b'C1,"Tote, red",10.00,CNY,https://img.test/a.jpg|https://img.test/b.jpg,CN|HK,red\n'
        b"C2,,5,CNY,,,\n"
    )
    status = status_of(client, push(body, token_a, "text/csv"), token_a)
    assert (status["accepted"], status["rejected"]) == (1, 1)
    assert status["errors"] == [{"line": 3, "field": "title", "message": "is required"}]
    listing = Listing.objects.get(platform=world.platform_a.platform, external_id="C1")
    assert (listing.image_urls, listing.ship_to, listing.extra) == (
        ["https://img.test/a.jpg", "https://img.test/b.jpg"],
        ["CN", "HK"],
        {"colour": "red"},
    )


def test_image_rows_follow_the_listing_urls_and_new_ones_are_queued(
    world, client, push, token_a, queued_images
):
    push(jsonl([line(1, images=["https://img.test/1.jpg", "https://img.test/2.jpg"])]), token_a)
    listing = Listing.objects.get(platform=world.platform_a.platform, external_id="L1")
    first = list(listing.images.values_list("url", "position", "status"))
    assert first == [
        ("https://img.test/1.jpg", 0, "pending"),
        ("https://img.test/2.jpg", 1, "pending"),
    ]
    assert sorted(sum(queued_images, [])) == sorted(listing.images.values_list("pk", flat=True))
    # when the next feed drops one image, reorders and adds another
    queued_images.clear()
    push(jsonl([line(1, images=["https://img.test/3.jpg", "https://img.test/1.jpg"])]), token_a)
    assert list(listing.images.values_list("url", "position")) == [
        ("https://img.test/3.jpg", 0),
        ("https://img.test/1.jpg", 1),
    ]
    assert sum(queued_images, []) == [ListingImage.objects.get(url="https://img.test/3.jpg").pk]


def test_sellers_are_upserted_and_renamed(world, client, push, token_a):
    push(jsonl([line(1, seller_id="S9", seller_name="Old name")]), token_a)
    push(jsonl([line(1, seller_id="S9", seller_name="New name", title="changed")]), token_a)
    [seller] = Seller.objects.filter(platform=world.platform_a.platform, external_id="S9")
    assert seller.name == "New name"


def test_an_over_long_line_is_refused_with_its_line_number(world, client, push, token_a, settings):
    settings.TAKEDOWN_FEED_MAX_LINE_BYTES = 2000
    body = jsonl([line(1), line(2, description="x" * 5000), line(3)])
    status = status_of(client, push(body, token_a), token_a)
    assert status["errors"] == [
        {"line": 2, "field": "", "message": "the line is longer than 2000 bytes"}
    ]
    assert status["accepted"] == 2


def test_errors_are_paged(world, client, push, token_a):
    body = jsonl([b"{bad"] * 150)
    status = status_of(client, push(body, token_a), token_a)
    assert (status["errors_count"], len(status["errors"])) == (150, 100)
    second = client.get(status["errors_next"], HTTP_AUTHORIZATION=f"Bearer {token_a}").json()
    assert [e["line"] for e in second["errors"]] == list(range(101, 151))
    assert second["errors_next"] is None


@pytest.mark.parametrize(
    ("body", "content_type", "code", "message"),
    [
        (b'{"external_id": "1", "title": "t"}\n', "application/xml", 415, "application/x-ndjson"),
        (
            b'{"external_id": "1", "title": "t"}\n',
            "application/x-ndjson; charset=latin-1",
            415,
            "UTF-8",
        ),
        (b"<html><body>hello</body></html>", NDJSON, 400, "not JSON Lines"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", NDJSON, 400, "binary"),
        (b"", NDJSON, 400, "empty"),
        (b"id,name\n1,bag\n", "text/csv", 400, "must name the columns external_id and title"),
    ],
)
def test_bodies_that_are_not_feeds_are_refused_and_nothing_is_stored(
    world, push, token_a, body, content_type, code, message
):
    response = push(body, token_a, content_type)
    assert response.status_code == code
    assert message in response.json()["detail"]
    assert FeedBatch.objects.count() == 0


def test_a_feed_over_the_size_limit_is_413_and_nothing_is_kept(world, push, token_a, settings):
    settings.TAKEDOWN_FEED_MAX_BYTES = 1000
    response = push(jsonl([line(n) for n in range(50)]), token_a)
    assert response.status_code == 413
    assert "larger than the limit" in response.json()["detail"]
    assert FeedBatch.objects.count() == 0


def test_a_body_longer_than_declared_limit_is_cut_off_and_its_file_removed(
    world, token_a, settings, tmp_path
):
    # given a limit the Content-Length does not reveal (a chunked or lying client)
    import io

    settings.TAKEDOWN_FEED_MAX_BYTES = 1000
    body = io.BytesIO(jsonl([line(n) for n in range(50)]))
    with pytest.raises(feed_service.FeedTooLarge):
        feed_service.feed_receive(
            platform=world.platform_a.platform,
            token=None,
            body=body,
            content_type=NDJSON,
            content_length=None,
        )
    feeds_dir = settings.MEDIA_ROOT / "feeds"
    assert not feeds_dir.exists() or not [p for p in feeds_dir.rglob("*") if p.is_file()]


@pytest.mark.parametrize("header", ["Bearer nope", "Bearer", "Token abc", ""])
def test_a_bad_or_missing_token_is_401(world, client, header):
    response = client.post(
        reverse("api-feed-list"), data=b"{}", content_type=NDJSON, HTTP_AUTHORIZATION=header
    )
    assert response.status_code == 401


def test_a_revoked_token_is_401(world, client, token_a):
    from listings.models import PlatformToken

    platform_token_revoke(
        actor=world.platform_a.admin,
        token=PlatformToken.objects.get(platform=world.platform_a.platform),
    )
    response = client.get(reverse("api-feed-list"), HTTP_AUTHORIZATION=f"Bearer {token_a}")
    assert response.status_code == 401


def test_a_logged_in_user_cannot_use_the_platform_api(world, client):
    client.force_login(world.platform_a.admin)
    assert client.get(reverse("api-feed-list")).status_code in (401, 403)


def test_one_platform_cannot_read_or_change_anothers_listings_or_feeds(
    world, client, push, token_a, token_b
):
    response = push(jsonl([line(1)]), token_a)
    feed_id = response.json()["id"]
    as_b = {"HTTP_AUTHORIZATION": f"Bearer {token_b}"}
    assert client.get(reverse("api-feed-detail", args=[feed_id]), **as_b).status_code == 404
    assert client.get(reverse("api-listing-detail", args=["L1"]), **as_b).status_code == 404
    assert client.delete(reverse("api-listing-detail", args=["L1"]), **as_b).status_code == 404
    assert (
        Listing.objects.get(platform=world.platform_a.platform, external_id="L1").delisted_at
        is None
    )
    assert client.get(reverse("api-feed-list"), **as_b).json()["count"] == 0


def test_a_platform_reads_and_delists_its_listing(world, client, push, token_a):
    push(jsonl([line(1, images=["https://img.test/1.jpg"])]), token_a)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token_a}"}
    body = client.get(reverse("api-listing-detail", args=["L1"]), **auth).json()
    assert (body["title"], body["enforcement"]["status"], body["images"][0]["status"]) == (
        "Leather bag model 1",
        "live",
        "pending",
    )
    assert client.delete(reverse("api-listing-detail", args=["L1"]), **auth).status_code == 204
    assert (
        client.get(reverse("api-listing-detail", args=["L1"]), **auth).json()["enforcement"][
            "status"
        ]
        == "delisted_by_platform"
    )
    # a listing the platform sends again is live again
    push(jsonl([line(1, images=["https://img.test/1.jpg"])]), token_a)
    assert (
        client.get(reverse("api-listing-detail", args=["L1"]), **auth).json()["enforcement"][
            "status"
        ]
        == "live"
    )


def test_the_rate_limit_is_per_platform(world, client, token_a, token_b, settings):
    settings.TAKEDOWN_PLATFORM_API_RATE = "3/min"
    statuses = [
        client.get(reverse("api-feed-list"), HTTP_AUTHORIZATION=f"Bearer {token_a}").status_code
        for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    assert (
        client.get(reverse("api-feed-list"), HTTP_AUTHORIZATION=f"Bearer {token_b}").status_code
        == 200
    )


# Resumption ------------------------------------------------------------------


def test_a_feed_interrupted_mid_way_resumes_without_duplicates(
    world, settings, queued_images, monkeypatch
):
    # given a 95-line feed with 5 bad lines, stored, and chunks of 10 lines
    settings.TAKEDOWN_FEED_CHUNK_LINES = 10
    import io

    lines: list = [line(n) for n in range(95)]
    for index in (5, 25, 45, 65, 85):
        lines[index] = b"{broken"
    batch = feed_service.feed_receive(
        platform=world.platform_a.platform,
        token=None,
        body=io.BytesIO(jsonl(lines)),
        content_type=NDJSON,
        content_length=None,
    )
    # when the worker dies after three chunks
    real_apply = feed_service._apply_chunk
    calls = {"n": 0}

    def dying(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 4:
            raise SystemExit("worker killed")
        return real_apply(*args, **kwargs)

    monkeypatch.setattr(feed_service, "_apply_chunk", dying)
    with pytest.raises(SystemExit):
        feed_service.feed_ingest(batch_id=batch.pk, worker="w1")
    batch.refresh_from_db()
    assert (batch.status, batch.lines) == (FeedStatus.PROCESSING, 30)
    # and a second worker tries while the claim is fresh: it must not take it
    monkeypatch.setattr(feed_service, "_apply_chunk", real_apply)
    assert feed_service.feed_ingest(batch_id=batch.pk, worker="w2") is None
    # when the claim goes stale and the sweep re-queues it
    settings.TAKEDOWN_FEED_CLAIM_TIMEOUT_SECONDS = 0
    resumed = feed_service.feed_ingest(batch_id=batch.pk, worker="w2")
    # then the whole feed is applied once: every good line, every error once
    assert (resumed.status, resumed.lines, resumed.accepted, resumed.rejected, resumed.created) == (
        "done",
        95,
        90,
        5,
        90,
    )
    assert FeedLineError.objects.filter(batch=batch).count() == 5
    assert Listing.objects.filter(platform=world.platform_a.platform).count() == 2 + 90


def test_a_finished_feed_is_not_ingested_again(world, queued_images):
    import io

    batch = feed_service.feed_receive(
        platform=world.platform_a.platform,
        token=None,
        body=io.BytesIO(jsonl([line(1)])),
        content_type=NDJSON,
        content_length=None,
    )
    assert feed_service.feed_ingest(batch_id=batch.pk).status == FeedStatus.DONE
    assert feed_service.feed_ingest(batch_id=batch.pk) is None
    assert FeedBatch.objects.get(pk=batch.pk).lines == 1


def test_the_sweep_requeues_lost_and_stale_feeds_only(world, settings, monkeypatch):
    import datetime
    import io

    from django.utils import timezone

    queued: list[int] = []
    monkeypatch.setattr(feed_service, "_queue_ingest", queued.append)
    make = lambda: feed_service.feed_receive(  # noqa: E731
        platform=world.platform_a.platform,
        token=None,
        body=io.BytesIO(jsonl([line(1)])),
        content_type=NDJSON,
        content_length=None,
    )
    lost, fresh, stale = make(), make(), make()
    old = timezone.now() - datetime.timedelta(hours=1)
    FeedBatch.objects.filter(pk=lost.pk).update(created_at=old)
    FeedBatch.objects.filter(pk=stale.pk).update(
        status=FeedStatus.PROCESSING, claimed_by="dead", claimed_at=old
    )
    queued.clear()
    assert sorted(feed_service.feeds_resume_stale()) == sorted([lost.pk, stale.pk])
    assert fresh.pk not in queued


def test_an_image_fetch_that_fails_to_run_does_not_fail_the_feed(
    world, client, token_a, monkeypatch, django_capture_on_commit_callbacks
):
    # given image fetching that raises when run in-process (a transient failure retried eagerly)
    from celery.exceptions import Retry

    from listings.tasks import images as image_tasks

    def failing_delay(ids):
        raise Retry("503 from the image host")

    monkeypatch.setattr(image_tasks.fetch_listing_images, "delay", failing_delay)
    # when a feed with images is pushed
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("api-feed-list"),
            data=jsonl([line(1, images=["https://img.test/1.jpg"]), line(2)]),
            content_type=NDJSON,
            HTTP_AUTHORIZATION=f"Bearer {token_a}",
        )
    # then the feed is done and the image waits for the sweep
    assert status_of(client, response, token_a)["status"] == "done"
    assert ListingImage.objects.get(url="https://img.test/1.jpg").status == "pending"


def test_the_sweep_requeues_images_pending_too_long(world, listing_factory, monkeypatch):
    import datetime

    from django.utils import timezone

    from listings.services.images import listing_images_resume_pending
    from listings.tasks import images as image_tasks

    queued: list[list[int]] = []
    monkeypatch.setattr(image_tasks.fetch_listing_images, "delay", queued.append)
    listing = listing_factory(platform=world.platform_a.platform)
    old = ListingImage.objects.create(listing=listing, url="https://img.test/old.jpg")
    ListingImage.objects.create(listing=listing, url="https://img.test/new.jpg", position=1)
    ListingImage.objects.filter(pk=old.pk).update(
        updated_at=timezone.now() - datetime.timedelta(hours=1)
    )
    assert listing_images_resume_pending() == 1
    assert queued == [[old.pk]]
    # and it is not queued again by the next sweep before it had a chance to run
    assert listing_images_resume_pending() == 0


def test_an_empty_feed_is_refused_and_the_schema_says_a_body_is_required(world, client, token_a):
    # when a platform pushes a feed with no body
    response = client.post(
        reverse("api-feed-list"),
        data=b"",
        content_type=NDJSON,
        HTTP_AUTHORIZATION=f"Bearer {token_a}",
    )
    # then it is refused, and the schema clients are built from says so beforehand
    assert response.status_code == 400
    body = client.get(reverse("api-schema"), {"format": "json"}).json()
    request_body = body["paths"]["/api/v1/feeds"]["post"]["requestBody"]
    assert request_body["required"] is True
    assert request_body["content"][NDJSON]["schema"]["minLength"] == 1


def test_the_schema_documents_the_401_and_404_the_platform_api_answers(world, client, token_a):
    # given a listing id platform A does not have
    url = reverse("api-listing-detail", args=["no-such-listing"])
    # then without a token it is a 401 and with one a 404, both documented
    assert client.get(url).status_code == 401
    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {token_a}").status_code == 404
    paths = client.get(reverse("api-schema"), {"format": "json"}).json()["paths"]
    for path, method in [
        ("/api/v1/feeds", "get"),
        ("/api/v1/feeds/{id}", "get"),
        ("/api/v1/listings/{external_id}", "get"),
        ("/api/v1/listings/{external_id}", "delete"),
    ]:
        assert {"401", "404", "429"} <= set(paths[path][method]["responses"]), (path, method)


@pytest.mark.parametrize(
    ("query", "message"),
    [("page=1&page=2", "once, not 2 times"), ("page=", "is empty"), ("page=x", "Invalid page")],
)
def test_a_page_number_that_cannot_be_read_is_refused(client, token_a, query, message):
    response = client.get(f"/api/v1/feeds?{query}", HTTP_AUTHORIZATION=f"Bearer {token_a}")
    assert response.status_code == 404
    assert message in response.json()["detail"]


def test_a_valid_page_number_is_served(client, token_a):
    response = client.get("/api/v1/feeds?page=1", HTTP_AUTHORIZATION=f"Bearer {token_a}")
    assert response.status_code == 200


def test_an_image_url_too_long_in_bytes_is_refused_on_its_line_and_the_rest_land(
    world, client, push, token_a
):
    # given an image URL of 1,000 characters that are 3 bytes each in UTF-8 (3,000 bytes:
    # more than the index of listing image URLs takes), and one of exactly 2,000 ASCII bytes
    wide = "https://img.example.com/" + "鞋" * 1000
    ascii_max = "https://img.example.com/" + "a" * (2000 - len("https://img.example.com/"))
    lines = [line(1, images=[ascii_max]), line(2, images=[wide]), line(3)]
    # when the feed is pushed
    status = status_of(client, push(jsonl(lines), token_a), token_a)
    # then line 2 is refused naming the field and the limit, and the others land with their images
    assert (status["accepted"], status["rejected"]) == (2, 1)
    (error,) = status["errors"]
    assert (error["line"], error["field"]) == (2, "images")
    assert "at most 2000 bytes" in error["message"] and "3024" in error["message"]
    kept = Listing.objects.get(platform=world.platform_a.platform, external_id="L1")
    assert kept.images.get().url == ascii_max
