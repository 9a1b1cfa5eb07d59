"""Listing images end to end: the task fetches, checks, hashes and stores them once."""

import factory
import pytest
from PIL import Image, ImageFile

from listings.matching.stored import decode_views
from listings.models import ImageBlob, ListingImage
from listings.services import images as image_services
from listings.services.images import listing_image_fetch
from listings.tasks.images import fetch_listing_images
from takedown.celery import app
from takedown.states import ImageStatus
from tests.files import jpeg_bytes, png_bomb_bytes, png_bytes
from tests.listings import test_fetch
from tests.listings.factories import ListingFactory

pytestmark = pytest.mark.django_db

# The fetcher tests' loopback image server and connection guard, as fixtures here too.
image_server = test_fetch.image_server
connections = test_fetch.connections


class ListingImageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ListingImage

    listing = factory.SubFactory(ListingFactory)
    url = factory.Sequence(lambda n: f"http://127.0.0.1:9/{n}.png")
    position = 0


@pytest.fixture
def allow_loopback_server(settings):
    settings.TAKEDOWN_IMAGE_FETCH_ALLOW_NETS = ["127.0.0.1/32"]


@pytest.fixture
def decodes(monkeypatch):
    """Count how many times image bytes are decoded."""
    calls: list[int] = []
    real = image_services.listing_decode

    def counting(data: bytes, **kwargs):
        calls.append(len(data))
        return real(data, **kwargs)

    monkeypatch.setattr(image_services, "listing_decode", counting)
    return calls


@pytest.fixture
def eager_retries():
    """Run a task's retries at once, in process: Celery does so only when eager errors do not propagate."""
    old = app.conf.task_eager_propagates
    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = old


def test_a_png_is_fetched_thumbnailed_and_hashed(image_server, connections, allow_loopback_server):
    # given a pending listing image at a URL serving a 64 x 48 PNG
    image = ListingImageFactory(url=image_server.serve("/bag.png", png_bytes(64, 48)))
    # when the task runs for it
    fetch_listing_images.delay([image.pk])
    # then the image is fetched, with a blob holding its size, type, hashes and a JPEG thumbnail
    image.refresh_from_db()
    assert (image.status, image.attempts, image.error) == (ImageStatus.FETCHED, 1, "")
    assert image.fetched_at is not None
    blob = image.blob
    assert (blob.content_type, blob.width, blob.height) == ("image/png", 64, 48)
    assert blob.size_bytes == len(png_bytes(64, 48))
    views, hashes = decode_views(blob.view_hashes)
    assert views[0] == "whole" and hashes.shape == (2, len(views))
    with blob.thumbnail.open("rb") as f, Image.open(f) as thumb:
        assert thumb.format == "JPEG"


def test_the_same_bytes_at_two_urls_share_one_blob_decoded_once(
    image_server, connections, allow_loopback_server, decodes
):
    # given two listings whose images are the same bytes at different URLs
    first = ListingImageFactory(url=image_server.serve("/a.png", png_bytes(seed=5)))
    second = ListingImageFactory(url=image_server.serve("/copy-of-a.png", png_bytes(seed=5)))
    # when both are fetched
    fetch_listing_images.delay([first.pk])
    fetch_listing_images.delay([second.pk])
    # then both point at one blob, and the bytes were decoded once
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.blob_id == second.blob_id
    assert ImageBlob.objects.count() == 1
    assert len(decodes) == 1


def test_a_listing_jpeg_is_decoded_once_for_its_thumbnail_and_its_hashes(
    image_server, connections, allow_loopback_server, monkeypatch
):
    # given a pending listing image serving an 800-pixel JPEG, and Pillow's pixel
    # decoding counted
    loads: list[str | None] = []
    real_load = ImageFile.ImageFile.load

    def counting_load(self):
        if self.tile:  # pixels not decoded yet: this load decodes them
            loads.append(self.format)
        return real_load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", counting_load)
    image = ListingImageFactory(
        url=image_server.serve(
            "/shot.jpg", jpeg_bytes(800, 800), headers={"Content-Type": "image/jpeg"}
        )
    )
    # when the task fetches it
    fetch_listing_images.delay([image.pk])
    # then it is stored with its thumbnail and view hashes, its pixels decoded once
    image.refresh_from_db()
    assert image.status == ImageStatus.FETCHED
    assert decode_views(image.blob.view_hashes) is not None
    assert image.blob.thumbnail.name.endswith(".jpg")
    assert loads == ["JPEG"]


def test_a_url_already_fetched_for_another_listing_is_not_downloaded_again(
    image_server, connections, allow_loopback_server
):
    # given one listing image already fetched and another listing with the same URL
    url = image_server.serve("/shared.png", png_bytes())
    first = ListingImageFactory(url=url)
    fetch_listing_images.delay([first.pk])
    second = ListingImageFactory(url=url)
    # when the second is fetched
    fetch_listing_images.delay([second.pk])
    # then it reuses the blob and the server was asked once
    second.refresh_from_db()
    assert second.status == ImageStatus.FETCHED
    first.refresh_from_db()
    assert second.blob_id == first.blob_id
    assert len(image_server.requests) == 1


def test_a_redirect_to_another_allowed_path_is_followed(
    image_server, connections, allow_loopback_server
):
    # given an image URL that redirects to where the image is
    image_server.serve("/cdn/bag.png", png_bytes(seed=2))
    image = ListingImageFactory(url=image_server.redirect("/bag", "/cdn/bag.png"))
    # when it is fetched
    fetch_listing_images.delay([image.pk])
    # then the image is stored
    image.refresh_from_db()
    assert image.status == ImageStatus.FETCHED


def test_an_image_larger_than_the_cap_fails_with_the_limit(
    image_server, connections, allow_loopback_server, settings
):
    # given an image larger than the byte cap
    settings.TAKEDOWN_IMAGE_MAX_BYTES = 1000
    image = ListingImageFactory(url=image_server.serve("/huge.png", png_bytes(400, 400, seed=9)))
    # when it is fetched
    fetch_listing_images.delay([image.pk])
    # then it failed, saying the limit, after one attempt
    image.refresh_from_db()
    assert (image.status, image.attempts) == (ImageStatus.FAILED, 1)
    assert "the limit is 1000 bytes" in image.error
    assert image.blob is None


def test_html_sent_as_png_fails_as_not_an_image(image_server, connections, allow_loopback_server):
    # given a URL answering an HTML page labelled image/png
    image = ListingImageFactory(
        url=image_server.serve("/fake.png", b"<html><body>hi</body></html>")
    )
    # when it is fetched
    fetch_listing_images.delay([image.pk])
    # then it failed because the content is not an image, and nothing was stored
    image.refresh_from_db()
    assert image.status == ImageStatus.FAILED
    assert "this type of file is not accepted" in image.error
    assert ImageBlob.objects.count() == 0


def test_a_decompression_bomb_fails_on_its_pixel_count(
    image_server, connections, allow_loopback_server, decodes
):
    # given a few-KB PNG claiming 20000 x 20000 pixels
    image = ListingImageFactory(url=image_server.serve("/bomb.png", png_bomb_bytes()))
    # when it is fetched
    fetch_listing_images.delay([image.pk])
    # then it failed on its size in pixels, and was never decoded
    image.refresh_from_db()
    assert image.status == ImageStatus.FAILED
    assert "megapixels" in image.error
    assert decodes == []


def test_a_404_fails_at_once(image_server, connections, allow_loopback_server):
    # given a URL the server does not have
    image = ListingImageFactory(url=image_server.url("/gone.png"))
    # when it is fetched
    fetch_listing_images.delay([image.pk])
    # then it failed after one request
    image.refresh_from_db()
    assert (image.status, image.attempts) == (ImageStatus.FAILED, 1)
    assert "answered 404" in image.error
    assert len(image_server.requests) == 1


def test_a_503_is_retried_then_marked_failed_with_the_reason(
    image_server, connections, allow_loopback_server, eager_retries
):
    # given a server answering 503 every time, and a second image that fetches fine
    busy = ListingImageFactory(url=image_server.serve("/busy.png", b"busy", status=503))
    fine = ListingImageFactory(url=image_server.serve("/fine.png", png_bytes()))
    # when the task runs eagerly, each retry at once
    result = fetch_listing_images.delay([busy.pk, fine.pk])
    # then the busy one was tried six times and failed with the reason; the other was fetched once
    busy.refresh_from_db()
    fine.refresh_from_db()
    assert (busy.status, busy.attempts) == (ImageStatus.FAILED, 6)
    assert busy.error.startswith("gave up after 6 attempts:")
    assert "answered 503" in busy.error
    assert (fine.status, fine.attempts) == (ImageStatus.FETCHED, 1)
    assert result.get() == {"fetched": 1, "failed": 1, "retry": 0, "missing": 0}
    assert [path for path, _ in image_server.requests].count("/busy.png") == 6
    assert [path for path, _ in image_server.requests].count("/fine.png") == 1


def test_a_transient_failure_leaves_the_image_pending_for_the_retry(
    image_server, connections, allow_loopback_server
):
    # given a server answering 503
    image = ListingImageFactory(url=image_server.serve("/busy.png", b"busy", status=503))
    # when the service is called once
    # then it re-raises for the task to retry, counting the attempt on a pending row
    with pytest.raises(image_services.FetchTransient, match="answered 503"):
        listing_image_fetch(image_id=image.pk)
    image.refresh_from_db()
    assert (image.status, image.attempts) == (ImageStatus.PENDING, 1)
    assert "answered 503" in image.error


def test_an_internal_address_fails_without_any_request(image_server, connections, settings):
    # given no allowlist and an image URL on the loopback server
    settings.TAKEDOWN_IMAGE_FETCH_ALLOW_NETS = []
    image = ListingImageFactory(url=image_server.serve("/a.png", png_bytes()))
    # when it is fetched
    fetch_listing_images.delay([image.pk])
    # then it failed as loopback and nothing was connected to
    image.refresh_from_db()
    assert image.status == ImageStatus.FAILED
    assert "127.0.0.1 is loopback" in image.error
    assert connections == []


def test_a_fetched_image_and_a_missing_id_are_left_alone(
    image_server, connections, allow_loopback_server
):
    # given an image already fetched and an id that does not exist
    image = ListingImageFactory(url=image_server.serve("/a.png", png_bytes()))
    fetch_listing_images.delay([image.pk])
    image.refresh_from_db()
    # when the task runs again for both (a redelivered message)
    result = fetch_listing_images.delay([image.pk, image.pk + 1000]).get()
    # then nothing is fetched again and the missing id is skipped
    assert len(image_server.requests) == 1
    assert result == {"fetched": 1, "failed": 0, "retry": 0, "missing": 1}
    refreshed = ListingImage.objects.get(pk=image.pk)
    assert (refreshed.attempts, refreshed.fetched_at) == (1, image.fetched_at)


def test_two_workers_storing_the_same_bytes_end_with_one_blob(
    image_server, connections, allow_loopback_server, monkeypatch, settings
):
    # given a blob already stored for some bytes, which a second worker did not see yet
    first = ListingImageFactory(url=image_server.serve("/a.png", png_bytes(seed=7)))
    listing_image_fetch(image_id=first.pk)
    second = ListingImageFactory(url=image_server.serve("/b.png", png_bytes(seed=7)))
    monkeypatch.setattr(image_services, "_stored_blob_ids", lambda sha256s: {})
    # when the second worker stores the same bytes
    listing_image_fetch(image_id=second.pk)
    # then the unique sha256 makes it use the existing blob, and its own thumbnail is removed
    first.refresh_from_db()
    second.refresh_from_db()
    assert second.status == ImageStatus.FETCHED
    assert second.blob_id == first.blob_id
    assert ImageBlob.objects.count() == 1
    thumbnails = list((settings.MEDIA_ROOT / "thumbnails").rglob("*"))
    assert [p.name for p in thumbnails if p.is_file()] == [first.blob.thumbnail.name.split("/")[-1]]


def test_one_url_twice_in_a_batch_is_downloaded_once(
    image_server, connections, allow_loopback_server
):
    # given two listings' pending images at the same URL, queued in one task
    url = image_server.serve("/twice.png", png_bytes(seed=3))
    first, second = ListingImageFactory(url=url), ListingImageFactory(url=url)
    # when the task runs
    result = fetch_listing_images.delay([first.pk, second.pk]).get()
    # then the server was asked once and both point at one blob
    first.refresh_from_db()
    second.refresh_from_db()
    assert result == {"fetched": 2, "failed": 0, "retry": 0, "missing": 0}
    assert len(image_server.requests) == 1
    assert first.blob_id == second.blob_id is not None
    assert (first.attempts, second.attempts) == (1, 0)


def test_a_batch_of_images_costs_a_few_queries_not_a_few_per_image(
    image_server, connections, allow_loopback_server, django_assert_max_num_queries
):
    # given twenty pending images with distinct bytes, one failing with a 404
    images = [
        ListingImageFactory(url=image_server.serve(f"/{n}.png", png_bytes(seed=100 + n)))
        for n in range(19)
    ]
    images.append(ListingImageFactory(url=image_server.serve("/gone.png", b"x", status=404)))
    # when they are fetched as one batch
    # then the rows are read, blobs looked up and stored and rows settled in a
    # fixed number of queries: none is made per image
    with django_assert_max_num_queries(10):
        done = image_services.listing_images_fetch(image_ids=[image.pk for image in images])
    statuses = [done.images[image.pk].status for image in images]
    assert statuses == [ImageStatus.FETCHED] * 19 + [ImageStatus.FAILED]
    assert ImageBlob.objects.count() == 19


@pytest.mark.parametrize("held_bytes_max", [1, 64 * 2**20])
def test_a_batch_held_in_several_goes_or_one_settles_the_same(
    image_server, connections, allow_loopback_server, monkeypatch, held_bytes_max
):
    # given bytes already stored as a blob, the same new bytes at two URLs, and other new bytes
    stored = ListingImageFactory(url=image_server.serve("/stored.png", png_bytes(seed=1)))
    listing_image_fetch(image_id=stored.pk)
    again = ListingImageFactory(url=image_server.serve("/again.png", png_bytes(seed=1)))
    twin_a = ListingImageFactory(url=image_server.serve("/twin-a.png", png_bytes(seed=2)))
    twin_b = ListingImageFactory(url=image_server.serve("/twin-b.png", png_bytes(seed=2)))
    other = ListingImageFactory(url=image_server.serve("/other.png", png_bytes(seed=3)))
    # when one task fetches them, looking blobs up after every image or once for all
    monkeypatch.setattr(image_services, "HELD_BYTES_MAX", held_bytes_max)
    done = image_services.listing_images_fetch(image_ids=[again.pk, twin_a.pk, twin_b.pk, other.pk])
    # then the stored blob is reused, the twins share one new blob, and three blobs exist in all
    rows = done.images
    assert {row.status for row in rows.values()} == {ImageStatus.FETCHED}
    assert rows[again.pk].blob_id == ListingImage.objects.get(pk=stored.pk).blob_id
    assert rows[twin_a.pk].blob_id == rows[twin_b.pk].blob_id != rows[other.pk].blob_id
    assert ImageBlob.objects.count() == 3
    assert [rows[pk].attempts for pk in (again.pk, twin_a.pk, twin_b.pk, other.pk)] == [1] * 4


def test_a_truncated_jpeg_fails_as_undecodable_and_the_rest_of_the_batch_lands(
    image_server, connections, allow_loopback_server
):
    # given a JPEG cut off after its headers (header and size read fine, pixel data does not)
    whole = jpeg_bytes(400, 300)
    cut = ListingImageFactory(
        url=image_server.serve(
            "/cut.jpg", whole[: len(whole) // 3], headers={"Content-Type": "image/jpeg"}
        )
    )
    good = ListingImageFactory(url=image_server.serve("/good.png", png_bytes(seed=9)))
    # when both are fetched in one task
    result = fetch_listing_images.delay([cut.pk, good.pk]).get()
    # then the cut one fails saying it cannot be decoded, and the good one is stored
    cut.refresh_from_db()
    good.refresh_from_db()
    assert result == {"fetched": 1, "failed": 1, "retry": 0, "missing": 0}
    assert cut.status == ImageStatus.FAILED and cut.blob_id is None
    assert cut.error.startswith("the image cannot be decoded")
    assert good.status == ImageStatus.FETCHED
    assert ImageBlob.objects.count() == 1


def test_two_images_at_one_refused_url_in_a_batch_both_fail_with_one_download(
    image_server, connections, allow_loopback_server
):
    # given two listings' pending images at one URL that answers HTML labelled as PNG
    url = image_server.serve("/page.png", b"<html>not an image</html>")
    first, second = ListingImageFactory(url=url), ListingImageFactory(url=url)
    # when one task fetches both
    result = fetch_listing_images.delay([first.pk, second.pk]).get()
    # then the URL was downloaded once and both failed for its reason: none is left pending
    first.refresh_from_db()
    second.refresh_from_db()
    assert len(image_server.requests) == 1
    assert result == {"fetched": 0, "failed": 2, "retry": 0, "missing": 0}
    assert first.status == second.status == ImageStatus.FAILED
    assert first.error == second.error and "not accepted" in first.error
    assert (first.attempts, second.attempts) == (1, 0)


def test_a_fetched_image_records_when_as_an_aware_time(
    image_server, connections, allow_loopback_server
):
    from django.utils import timezone

    before = timezone.now()
    image = ListingImageFactory(url=image_server.serve("/t.png", png_bytes(seed=4)))
    fetch_listing_images.delay([image.pk])
    image.refresh_from_db()
    assert before <= image.fetched_at <= timezone.now()
    assert ListingImage.objects.filter(fetched_at__gte=before).get() == image
