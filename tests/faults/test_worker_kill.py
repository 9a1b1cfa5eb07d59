"""Workers killed during a scan: every listing scanned, no detection lost or duplicated.

Feeds are pushed through gunicorn; two Celery workers (``--concurrency 2``
each) ingest them and scan the listings in chunks. While they work, a pool
process of a random worker is killed with ``kill -9`` every few seconds (its
parent starts another; the task it ran is re-queued because
``task_reject_on_worker_lost``), and once, half-way through the scan, a whole
worker (parent and pool) is killed with ``kill -9`` and started again a few
seconds later: the messages it held stay unacknowledged in Redis, and the
sweeps (due scans, stale feeds) re-queue the work.

Afterwards every listing is scanned and the detections stored are exactly
those of a fault-free scan of the same listings (the same engine run in one
process, storing nothing), one row each.

    .venv/bin/python -m tests.faults worker_kill --listings 100000
"""

import random
import time
from typing import Any

import pytest

from .harness import (
    Services,
    periodically,
    scan_figures,
    scan_state,
    seed_and_write_feeds,
    wait_until,
)

pytestmark = pytest.mark.faults

# The sweeps run every 5 s instead of every minute, so a small run recovers in
# seconds; the stale times are production's but for the due time (2 minutes):
# what is under test is that the work comes back, not the production clock.
SETTINGS = {
    "TAKEDOWN_SWEEP_SECONDS": "5",
    "TAKEDOWN_SCAN_DUE_STALE_SECONDS": "15",
    "TAKEDOWN_FEED_CLAIM_TIMEOUT_SECONDS": "60",
}


def run(
    *, listings: int, marks: int = 1000, feeds: int = 4, kill_every: float = 4.0, timeout: float
) -> dict[str, Any]:
    rng = random.Random(11)
    figures: dict[str, Any] = {"listings": listings, "marks": marks, "feeds": feeds}
    with Services("worker-kill", workers=2, concurrency=2, settings=SETTINGS) as services:
        paths = seed_and_write_feeds(services, listings=listings, marks=marks, feeds=feeds)
        pg = services.postgres
        kills: list[int] = []

        def kill_a_pool_process() -> None:
            worker = rng.choice([w for w in services.workers if w.alive()])
            if (pid := worker.kill9_child(rng)) is not None:
                kills.append(pid)

        started = time.monotonic()
        for path in paths:
            services.push(path)
        with periodically(kill_a_pool_process, kill_every):
            wait_until(
                lambda: scan_state(pg)["scanned"] >= listings // 2,
                timeout=timeout,
                what="half the listings scanned",
            )
            whole = services.workers[0]
            whole.kill9_all()
            figures["whole_worker_killed_at_s"] = round(time.monotonic() - started, 1)
            time.sleep(3)
            whole.start()
            services.wait_worker_ready(whole)
            state, _ = wait_until(
                lambda: (s := scan_state(pg))["scanned"] == listings and s["feeds"] == feeds and s,
                timeout=timeout,
                what=f"all {listings} listings scanned",
                every=1.0,
            )
        figures["seconds_to_all_scanned"] = round(time.monotonic() - started, 1)
        figures["pool_processes_killed"] = len(kills)
        figures["whole_worker_kills"] = 1
        figures.update(scan_figures(services, state))
        figures["feed_lines_ingested"] = pg.scalar(
            "SELECT coalesce(sum(lines), 0) FROM listings_feedbatch"
        )
    return figures


def test_killed_workers_lose_and_duplicate_no_detection():
    # given 3,000 listings pushed in 4 feeds, scanned by 2 workers of 2 processes
    # when pool processes are killed every 3 s and one whole worker once
    figures = run(listings=3000, marks=500, kill_every=3.0, timeout=180)
    # then every listing is scanned and the detections are the fault-free scan's, once each
    assert figures["pool_processes_killed"] >= 3, figures
    assert figures["listing_rows"] == figures["listings_scanned"] == 3000, figures
    assert figures["feed_lines_ingested"] == 3000, figures
    assert figures["detections_expected"] > 500, figures
    assert figures["detections_lost"] == 0, figures
    assert figures["detections_unexpected"] == 0, figures
    assert figures["detections_duplicated"] == 0, figures
