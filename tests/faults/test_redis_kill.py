"""Redis killed during ingestion and again during scanning: no feed line, no scan chunk lost.

Redis runs as in production, with AOF persistence (``appendfsync everysec``):
a ``kill -9`` loses at most the last second of writes, and every message a
worker had taken but not acknowledged stays in Redis's unacked set, returned
only after the visibility timeout (an hour). Feeds are pushed through
gunicorn; two workers ingest and scan them. Redis is killed once while feeds
are being ingested and once while listings are being scanned (if any are
left), and started again from its AOF a few seconds later each time. A push
is tried while it is down.

What brings the lost work back is the sweeps on beat: feeds received and
never claimed are queued again after a minute (feeds_resume_stale), listings
left due are scanned again (listings_scan_due_resume; with the queue empty,
a scan whose message a worker held is taken as lost after the due stale
time, not the half hour kept for backlogs).

Afterwards every acknowledged feed is ingested with each line counted once,
every listing is scanned, and the detections are a fault-free scan's, once.

    .venv/bin/python -m tests.faults redis_kill --listings 20000
"""

import time
from typing import Any

import pytest

from .harness import (
    Services,
    batches_with_status,
    feed_lines,
    scan_figures,
    scan_state,
    seed_and_write_feeds,
    try_push,
    wait_until,
)

pytestmark = pytest.mark.faults

SETTINGS = {"TAKEDOWN_SWEEP_SECONDS": "5", "TAKEDOWN_SCAN_DUE_STALE_SECONDS": "15"}
FEEDS = 4


def run(
    *, listings: int, marks: int = 1000, down_seconds: float = 4.0, timeout: float
) -> dict[str, Any]:
    figures: dict[str, Any] = {"listings": listings, "feeds": FEEDS}
    with Services("redis-kill", workers=2, concurrency=2, settings=SETTINGS) as services:
        paths = seed_and_write_feeds(services, listings=listings, marks=marks, feeds=FEEDS)
        sizes = [feed_lines(path) for path in paths]
        pg, redis = services.postgres, services.redis
        acknowledged: dict[int, int] = {}
        started = time.monotonic()
        for path, size in zip(paths[:-1], sizes[:-1], strict=True):
            if (batch_id := try_push(services.base_url, services.token, path)) is not None:
                acknowledged[batch_id] = size

        def outage(label: str) -> None:
            redis.kill9()
            figures[f"redis_killed_{label}_at_s"] = round(time.monotonic() - started, 1)
            time.sleep(down_seconds)
            redis.start()

        wait_until(
            lambda: scan_state(pg)["listings"] >= listings // 4,
            timeout=timeout,
            what="a quarter of the lines stored",
        )
        figures["feeds_being_ingested_at_first_kill"] = pg.scalar(
            "SELECT count(*) FROM listings_feedbatch WHERE status IN ('received', 'processing')"
        )
        redis.kill9()
        figures["redis_killed_during_ingest_at_s"] = round(time.monotonic() - started, 1)
        during = try_push(services.base_url, services.token, paths[-1], timeout=30)
        figures["push_while_down_acknowledged"] = during is not None
        time.sleep(down_seconds)
        redis.start()
        if during is None:  # the platform pushes again after the error
            during, _ = wait_until(
                lambda: try_push(services.base_url, services.token, paths[-1]),
                timeout=120,
                what="the last feed accepted after Redis came back",
            )
        acknowledged[during] = sizes[-1]
        wait_until(
            lambda: batches_with_status(pg, acknowledged, ("done",)) == len(acknowledged),
            timeout=timeout,
            what="every acknowledged feed ingested",
        )
        state = scan_state(pg)
        if state["scanned"] < listings:
            figures["listings_unscanned_at_second_kill"] = listings - state["scanned"]
            outage("during_scan")

        def finished() -> dict[str, int] | None:
            done = batches_with_status(pg, acknowledged, ("done",))
            state = scan_state(pg)
            return state if done == len(acknowledged) and state["scanned"] == listings else None

        state, _ = wait_until(
            finished, timeout=timeout, what="every feed ingested, every listing scanned", every=1
        )
        figures["seconds_to_all_scanned"] = round(time.monotonic() - started, 1)
        lines = dict(
            pg.query(
                "SELECT id, lines FROM listings_feedbatch WHERE id = ANY(%s)", list(acknowledged)
            )
        )
        figures["feeds_acknowledged"] = len(acknowledged)
        figures["feed_lines_acknowledged"] = sum(acknowledged.values())
        figures["feed_lines_ingested"] = sum(lines.values())
        figures["feed_lines_lost"] = sum(
            size - lines.get(pk, 0) for pk, size in acknowledged.items()
        )
        figures["beat_alive_at_end"] = bool(services.beat and services.beat.alive())
        figures.update(scan_figures(services, state))
    return figures


def test_killing_redis_loses_no_feed_line_and_no_scan():
    # given 4,000 listings pushed in four feeds, ingested and scanned by two workers
    # when Redis is killed -9 during the ingest (and during the scan) and restarted from its AOF
    figures = run(listings=4000, marks=500, timeout=180)
    # then every acknowledged line is ingested once and every listing scanned, as without faults
    assert figures["feeds_acknowledged"] == FEEDS, figures
    assert figures["feed_lines_lost"] == 0, figures
    assert figures["feed_lines_ingested"] == figures["feed_lines_acknowledged"] == 4000, figures
    assert figures["listing_rows"] == figures["listings_scanned"] == 4000, figures
    assert figures["detections_lost"] == 0, figures
    assert figures["detections_unexpected"] == 0, figures
    assert figures["detections_duplicated"] == 0, figures
