"""Decisions on PostgreSQL: numbered without gaps under concurrency, delivered by a real worker."""

import os
import threading
import time

import pytest
from django.db import connection

from takedown.models import OutboxMessage, PlatformDecision
from takedown.services.cases import case_decide
from takedown.services.complaints import complaint_file
from takedown.services.webhooks import webhook_endpoint_create, webhook_signature_valid
from tests.listings.factories import ListingFactory
from tests.takedown.test_complaints import data
from tests.takedown.test_webhooks import REMOVE, allow_loopback, receiver  # noqa: F401 (fixtures)

# The worker process reads its settings from the environment when the session's
# worker starts (after collection): let it reach this module's receiver on 127.0.0.1.
os.environ.setdefault("TAKEDOWN_WEBHOOK_ALLOW_NETS", "127.0.0.1/32")

CONCURRENT_DECISIONS = 12


def _open_cases(world, count: int):
    listings = [
        ListingFactory(platform=world.platform_a.platform, title=f"BRANDA bag {n}", ship_to=["DE"])
        for n in range(count)
    ]
    complaint = complaint_file(
        actor=world.holder_a.member,
        rights_holder=world.holder_a.organisation,
        right_ids=[world.holder_a.rights[0].pk],
        listing_ids=[listing.pk for listing in listings],
        data=data(),
    )
    return list(complaint.cases.order_by("pk"))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_decisions_are_numbered_without_gaps_or_repeats(world):
    # given a dozen cases of platform A
    cases = _open_cases(world, CONCURRENT_DECISIONS)
    errors: list[BaseException] = []

    def decide(case) -> None:
        try:
            case_decide(actor=world.operator_moderator, case=case, decision=REMOVE)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    # when they are decided at once by twelve moderators' requests
    threads = [threading.Thread(target=decide, args=(case,)) for case in cases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then the platform's decisions are 1..12, each case once
    assert errors == []
    rows = list(PlatformDecision.objects.order_by("sequence").values_list("sequence", "case_id"))
    assert [sequence for sequence, _ in rows] == list(range(1, CONCURRENT_DECISIONS + 1))
    assert sorted(case_id for _, case_id in rows) == sorted(case.pk for case in cases)


@pytest.mark.postgres
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_delivers_a_decision_to_the_webhook(
    celery_worker_process,
    world,
    receiver,  # noqa: F811
    allow_loopback,  # noqa: F811
):
    # given platform A's webhook and an open case
    _, secret = webhook_endpoint_create(
        actor=world.platform_a.admin, platform=world.platform_a.platform, url=receiver.url
    )
    case = _open_cases(world, 1)[0]
    # when the case is decided (committed: the worker takes the delivery from Redis)
    case_decide(actor=world.operator_moderator, case=case, decision=REMOVE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        message = OutboxMessage.objects.get(channel="webhook")
        if message.status != "pending":
            break
        time.sleep(0.2)
    # then the receiver got it once, signed, and the outbox says so
    assert message.status == "sent", message.last_error
    assert len(receiver.requests) == 1
    headers, body = receiver.requests[0]
    assert webhook_signature_valid(
        secret,
        timestamp=headers["x-takedown-timestamp"],
        body=body,
        signature=headers["x-takedown-signature"],
    )
    assert headers["x-takedown-event-id"] == str(PlatformDecision.objects.get().event_id)
