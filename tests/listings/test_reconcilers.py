"""Work lost to a killed worker or a lost broker comes back quickly (found by tests/faults)."""

import datetime
import io
import uuid

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerDown

from listings.models import FeedBatch, Listing
from listings.services import feeds as feed_service
from listings.services import scanning
from takedown.states import FeedStatus
from tests.listings.factories import ListingFactory
from tests.listings.test_feeds import NDJSON, jsonl, line

pytestmark = pytest.mark.django_db


def _receive(world, lines: int) -> FeedBatch:
    return feed_service.feed_receive(
        platform=world.platform_a.platform,
        token=None,
        body=io.BytesIO(jsonl([line(n) for n in range(lines)])),
        content_type=NDJSON,
        content_length=None,
    )


def test_a_retried_ingest_takes_its_own_claim_back_at_once(world, settings, monkeypatch):
    # given a 30-line feed in chunks of 10 whose task died after the first chunk
    settings.TAKEDOWN_FEED_CHUNK_LINES = 10
    monkeypatch.setattr(feed_service, "_queue_images", lambda ids: None)
    batch = _receive(world, 30)
    real_apply = feed_service._apply_chunk
    calls = {"n": 0}

    def dying(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise SystemExit("pool process killed")
        return real_apply(*args, **kwargs)

    monkeypatch.setattr(feed_service, "_apply_chunk", dying)
    with pytest.raises(SystemExit):
        feed_service.feed_ingest(batch_id=batch.pk, worker="w@host:101:task-1", task_id="task-1")
    monkeypatch.setattr(feed_service, "_apply_chunk", real_apply)
    # when another task finds the fresh claim, then the same task runs again elsewhere
    other = feed_service.feed_ingest(batch_id=batch.pk, worker="v@host:7:task-2", task_id="task-2")
    again = feed_service.feed_ingest(
        batch_id=batch.pk, worker="v@host:202:task-1", task_id="task-1"
    )
    # then the other task is refused and the redelivered one finishes from line 11, not in 10 min
    assert other is None
    assert (again.status, again.lines, again.created) == (FeedStatus.DONE, 30, 30)
    assert Listing.objects.filter(platform=world.platform_a.platform).count() == 2 + 30


def test_a_run_whose_claim_was_taken_back_stops(world, settings, monkeypatch):
    # given a feed claimed by a first run of task-1, still alive
    settings.TAKEDOWN_FEED_CHUNK_LINES = 10
    monkeypatch.setattr(feed_service, "_queue_images", lambda ids: None)
    batch = _receive(world, 20)
    first = feed_service.feed_claim(batch_id=batch.pk, worker="w@a:1:task-1", task_id="task-1")
    # when a redelivery of task-1 takes the claim back
    second = feed_service.feed_claim(batch_id=batch.pk, worker="w@b:2:task-1", task_id="task-1")
    # then the first run's next chunk finds the claim gone and applies nothing
    assert first is not None and second is not None
    with pytest.raises(feed_service._ClaimLost):
        feed_service._apply_chunk(first, feed_service._Chunk(), worker="w@a:1:task-1")
    assert FeedBatch.objects.get(pk=batch.pk).claimed_by == "w@b:2:task-1"


def test_a_push_is_stored_and_answered_when_the_broker_is_down(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    # given a broker that refuses every message
    from listings.tasks.feeds import ingest_feed

    def refuse(*args, **kwargs):
        raise BrokerDown("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(ingest_feed, "delay", refuse)
    # when a feed is pushed
    with django_capture_on_commit_callbacks(execute=True):
        batch = _receive(world, 3)
    # then it is stored, its file kept, and the sweep queues it a minute later
    batch.refresh_from_db()
    assert batch.status == FeedStatus.RECEIVED
    assert batch.file.storage.exists(batch.file.name)
    FeedBatch.objects.filter(pk=batch.pk).update(
        created_at=timezone.now() - datetime.timedelta(minutes=2)
    )
    queued: list[int] = []
    monkeypatch.setattr(feed_service, "_queue_ingest", queued.append)
    assert feed_service.feeds_resume_stale() == [batch.pk]


def test_with_no_backlog_the_sweep_requeues_a_scan_lost_minutes_ago(world, monkeypatch):
    # given a listing due 10 minutes, its scan queued 5 minutes ago, and an empty task queue
    now = timezone.now()
    listing = ListingFactory(
        platform=world.platform_a.platform,
        title="BRANDA scarf",
        scan_due_at=now - datetime.timedelta(minutes=10),
        scan_queued_at=now - datetime.timedelta(minutes=5),
    )
    monkeypatch.setattr(scanning, "scan_backlog", lambda: False)
    # when the sweep runs
    queued = scanning.listings_scan_due_resume()
    # then its message is taken as lost (a killed worker held it): scanned again now
    listing.refresh_from_db()
    assert queued == 1
    assert listing.scan_due_at is None and listing.scan_queued_at > now


def test_with_a_backlog_the_sweep_leaves_a_recently_queued_scan(world, monkeypatch):
    now = timezone.now()
    due = now - datetime.timedelta(minutes=10)
    listing = ListingFactory(
        platform=world.platform_a.platform,
        title="BRANDA scarf",
        scan_due_at=due,
        scan_queued_at=now - datetime.timedelta(minutes=5),
    )
    monkeypatch.setattr(scanning, "scan_backlog", lambda: True)
    assert scanning.listings_scan_due_resume() == 0
    listing.refresh_from_db()
    assert listing.scan_due_at == due


@pytest.mark.redis
def test_the_backlog_is_the_length_of_the_task_queue_in_redis():
    # given a queue of this test's own on the test Redis
    from takedown.celery import app

    queue = f"takedown-backlog-{uuid.uuid4().hex[:8]}"
    old_queue = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    with app.connection_for_write() as conn:
        client = conn.default_channel.client
        try:
            # when it is empty, then when a message waits in it
            empty = scanning.scan_backlog()
            client.rpush(queue, b"{}")
            waiting = scanning.scan_backlog()
        finally:
            client.delete(queue)
            app.conf.task_default_queue = old_queue
    # then the sweep sees no backlog, then a backlog
    assert (empty, waiting) == (False, True)


def test_a_redelivered_retro_scan_takes_its_own_claim_back_at_once(world):
    # given a running retro-scan claimed a minute ago by a run of task-1 whose process was killed
    from listings.models import RetroScan
    from takedown.states import RetroScanStatus

    retro = RetroScan.objects.create(
        right=world.holder_a.rights[0],
        status=RetroScanStatus.RUNNING,
        claimed_by="w@a:101:task-1",
        claimed_at=timezone.now() - datetime.timedelta(minutes=1),
        until_id=0,
    )
    # when another task tries, then task-1 is delivered again to another process
    other = scanning.retro_scan_run(retro_scan_id=retro.pk, worker="w@b:7:task-2", task_id="task-2")
    again = scanning.retro_scan_run(
        retro_scan_id=retro.pk, worker="w@b:202:task-1", task_id="task-1"
    )
    # then the other is refused and the redelivery runs it (not in ten minutes)
    assert other is None
    assert again is not None and again.status == RetroScanStatus.DONE
