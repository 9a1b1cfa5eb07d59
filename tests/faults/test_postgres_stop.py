"""PostgreSQL stopped abruptly during an ingest: no listing twice, every acknowledged feed kept.

A feed of ``listings`` lines is pushed through gunicorn in four parts; two
workers ingest them. When a third of the lines are stored, PostgreSQL is
stopped with ``pg_ctl stop -m immediate`` (no checkpoint: crash recovery at
the next start), a push is tried while it is down, and it is started again
after a few seconds. The platform then pushes every part again, as a platform
does after an error. Afterwards:

- the listing rows equal the distinct (platform, external id) pairs of the
  feed: nothing missing, nothing twice;
- every push answered 202 has its batch stored and ingested to the end, each
  line counted once (``lines`` equals the part's line count);
- the ingest interrupted by the crash resumed from its last committed chunk.

    .venv/bin/python -m tests.faults postgres_stop --listings 100000
"""

import time
from typing import Any

import pytest

from .harness import (
    Services,
    batches_with_status,
    feed_lines,
    scan_state,
    try_push,
    wait_until,
    write_feeds,
)

pytestmark = pytest.mark.faults

# Production's claim timeout (10 minutes) is kept: the interrupted ingest must
# resume through its own retry, not through the stale-claim sweep.
SETTINGS = {"TAKEDOWN_SWEEP_SECONDS": "5", "TAKEDOWN_SCAN_DUE_STALE_SECONDS": "15"}
PARTS = 4


def run(*, listings: int, down_seconds: float = 5.0, timeout: float) -> dict[str, Any]:
    figures: dict[str, Any] = {"lines": listings, "parts": PARTS}
    with Services("postgres-stop", workers=2, concurrency=1, settings=SETTINGS) as services:
        parts = write_feeds(services.folder, listings, PARTS, [], prefix="part")
        sizes = {path: feed_lines(path) for path in parts}
        services.start_servers()
        pg = services.postgres
        push = lambda path: try_push(services.base_url, services.token, path)  # noqa: E731
        acknowledged: dict[int, int] = {}  # batch id -> lines

        started = time.monotonic()
        for path in parts[:3]:
            if (batch_id := push(path)) is not None:
                acknowledged[batch_id] = sizes[path]
        wait_until(
            lambda: scan_state(pg)["listings"] >= listings // 3,
            timeout=timeout,
            what="a third of the lines stored",
        )
        figures["rows_when_stopped"] = scan_state(pg)["listings"]
        figures["feeds_being_ingested_when_stopped"] = pg.scalar(
            "SELECT count(*) FROM listings_feedbatch WHERE status = 'processing'"
        )
        pg.stop_immediate()
        figures["stopped_at_s"] = round(time.monotonic() - started, 1)
        during = push(parts[3])
        figures["push_while_down_acknowledged"] = during is not None
        if during is not None:
            acknowledged[during] = sizes[parts[3]]
        time.sleep(down_seconds)
        pg.start()
        figures["down_seconds"] = round(time.monotonic() - started - figures["stopped_at_s"], 1)
        for path in parts:  # the platform pushes the feed again
            batch_id, _ = wait_until(
                lambda path=path: push(path), timeout=120, what="a push accepted after the restart"
            )
            acknowledged[batch_id] = sizes[path]

        wait_until(
            lambda: batches_with_status(pg, acknowledged, ("done", "failed")) == len(acknowledged),
            timeout=timeout,
            what="every acknowledged feed ingested",
        )
        figures["seconds_to_all_ingested"] = round(time.monotonic() - started, 1)
        batches = {
            pk: (status, lines, accepted)
            for pk, status, lines, accepted in pg.query(
                "SELECT id, status, lines, accepted FROM listings_feedbatch"
            )
        }
        figures["batches_acknowledged"] = len(acknowledged)
        figures["acknowledged_batches_missing"] = sorted(set(acknowledged) - set(batches))
        figures["acknowledged_batches_not_done"] = sorted(
            pk for pk in acknowledged if pk in batches and batches[pk][0] != "done"
        )
        figures["acknowledged_batches_miscounted"] = sorted(
            pk
            for pk, lines in acknowledged.items()
            if pk in batches and batches[pk][1:] != (lines, lines)
        )
        rows, distinct, expected_ids = pg.query(
            "SELECT count(*), count(DISTINCT (platform_id, external_id)), "
            "count(*) FILTER (WHERE external_id = ANY(%s)) FROM listings_listing",
            [f"E-{k:07d}" for k in range(listings)],
        )[0]
        figures["listing_rows"] = rows
        figures["server_restarts_by_supervisor"] = services.restarts()
        figures["distinct_platform_external_ids"] = distinct
        figures["rows_of_the_feed"] = expected_ids
        figures["task_retries_in_logs"] = sum(
            log.read_text(errors="replace").count("Retry in")
            for log in services.logs.glob("worker-*.log")
        )
    return figures


def test_an_immediate_postgres_stop_loses_and_duplicates_nothing():
    # given a 5,000-line feed pushed in four parts
    # when PostgreSQL stops abruptly a third of the way and the parts are pushed again
    figures = run(listings=5000, timeout=150)
    # then one row per listing, and every acknowledged feed stored and ingested once
    assert figures["listing_rows"] == figures["distinct_platform_external_ids"] == 5000, figures
    assert figures["rows_of_the_feed"] == 5000, figures
    assert figures["batches_acknowledged"] >= 3 + PARTS, figures
    assert figures["acknowledged_batches_missing"] == [], figures
    assert figures["acknowledged_batches_not_done"] == [], figures
    assert figures["acknowledged_batches_miscounted"] == [], figures
