"""The broker down when a decision commits: webhook and seller notice still go out, once each.

Redis is killed (``kill -9``) before a moderator removes a listing, so the
decision commits while no task can be queued: its outbox messages (the
platform's webhook, the statement of reasons to the seller, and the e-mails
of the complaint filed just before) are rows in PostgreSQL only. Redis is
started again a few seconds later. The outbox sweep on beat (every minute, as
in production: no interval is shortened here) queues every pending message;
one worker delivers them to a webhook receiver on 127.0.0.1 and to the
console e-mail backend (the worker's log).

Within two minutes of Redis's return every message is sent, the receiver got
the decision once, the seller's notice was written once, and each message
took exactly one attempt.

    .venv/bin/python -m tests.faults broker_down_outbox
"""

import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from .harness import Services, wait_until

pytestmark = pytest.mark.faults

SETTINGS = {"TAKEDOWN_WEBHOOK_ALLOW_NETS": "127.0.0.1/32"}
WITHIN_SECONDS = 120
# Queuing each message tries the broker about a second (3 quick retries) before giving up.
DECIDE_SECONDS = 10


class Receiver(ThreadingHTTPServer):
    """A platform's webhook endpoint: counts deliveries by event id."""

    daemon_threads = True

    def __init__(self) -> None:
        self.events: Counter[str] = Counter()
        self.first_at: dict[str, float] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                event = self.headers.get("X-Takedown-Event-Id", "")
                receiver.events[event] += 1
                receiver.first_at.setdefault(event, time.monotonic())
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hooks/takedown"


def run(*, down_seconds: float = 5.0, timeout: float = 240) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    receiver = Receiver()
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        with Services(
            "broker-down", workers=1, concurrency=1, web=False, settings=SETTINGS
        ) as services:
            services.start_servers()
            pg, redis = services.postgres, services.redis
            redis.kill9()
            decided = services.django("decide_case", webhook_url=receiver.url)
            # case_decide alone: the transaction, then queuing its messages (which fails)
            figures["decide_seconds_with_broker_down"] = decided["decide_seconds"]
            messages = {pk: (channel, topic) for pk, channel, topic in decided["messages"]}
            figures["messages_of_the_case"] = sorted(f"{c}:{t}" for c, t in messages.values())
            all_ids = [pk for (pk,) in pg.query("SELECT id FROM takedown_outboxmessage")]
            figures["messages_written"] = len(all_ids)
            figures["messages_pending_while_down"] = pg.scalar(
                "SELECT count(*) FROM takedown_outboxmessage WHERE status = 'pending'"
            )
            time.sleep(down_seconds)
            redis.start()
            back = time.monotonic()
            _, waited = wait_until(
                lambda: (
                    pg.scalar("SELECT count(*) FROM takedown_outboxmessage WHERE status <> 'sent'")
                    == 0
                ),
                timeout=timeout,
                what="every outbox message sent after the broker came back",
                every=1,
            )
            figures["seconds_from_broker_return_to_all_sent"] = round(waited, 1)
            time.sleep(5)  # time for a duplicate to arrive, were one sent
            figures["webhook_deliveries_by_event"] = dict(receiver.events)
            figures["webhook_first_delivery_after_return_s"] = [
                round(at - back, 1) for at in receiver.first_at.values()
            ]
            attempts = pg.query(
                "SELECT m.id, m.attempts, count(a.id) FROM takedown_outboxmessage m "
                "LEFT JOIN takedown_outboxattempt a ON a.message_id = m.id GROUP BY m.id"
            )
            figures["messages_with_more_than_one_attempt"] = [
                pk for pk, tries, logged in attempts if tries != 1 or logged != 1
            ]
            log = services.logs.joinpath("worker-0.log").read_text(errors="replace")
            subject = f"Subject: Your listing {decided['listing']} was removed"
            figures["seller_notices_in_mail_log"] = log.count(subject)
            figures["server_restarts_by_supervisor"] = services.restarts()
            figures["webhook_event_ids"] = [
                str(e)
                for (e,) in pg.query(
                    "SELECT d.event_id FROM takedown_platformdecision d WHERE d.case_id = %s",
                    decided["case"],
                )
            ]
    finally:
        receiver.shutdown()
        receiver.server_close()
    return figures


def test_a_decision_taken_while_the_broker_is_down_goes_out_once():
    # given a worker and beat whose broker (Redis) has been killed
    # when a moderator removes a listing and Redis comes back five seconds later
    figures = run()
    # then within two minutes the webhook and the seller's notice went out, once each
    assert any(m.startswith("webhook:") for m in figures["messages_of_the_case"]), figures
    assert "email:case.statement_of_reasons" in figures["messages_of_the_case"], figures
    assert figures["messages_pending_while_down"] == figures["messages_written"], figures
    # the moderator's request is not held up by the broker (it was ~20 s a message)
    assert figures["decide_seconds_with_broker_down"] < DECIDE_SECONDS, figures
    assert figures["seconds_from_broker_return_to_all_sent"] <= WITHIN_SECONDS, figures
    (event,) = figures["webhook_event_ids"]
    assert figures["webhook_deliveries_by_event"] == {event: 1}, figures
    assert figures["seller_notices_in_mail_log"] == 1, figures
    assert figures["messages_with_more_than_one_attempt"] == [], figures
