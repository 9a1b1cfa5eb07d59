"""Operations a fault scenario runs inside Django, in a process of its own on the scenario's services.

    python -m tests.faults.ops <operation> '<json arguments>'

prints one JSON line: the operation's result. The scenario's own process
stays free of Django, so it can start and kill the services under it.
"""

import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "takedown.settings")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402


def seed_marks(*, marks: int, seed: int) -> dict[str, Any]:
    """Insert ``marks`` verified word marks (bench/end_to_end.py's rights, without logos)."""
    from bench.end_to_end import mark_names, seed_rights

    names = mark_names(marks, random.Random(seed))
    seed_rights(names, [], Path(settings.MEDIA_ROOT), lazy=False)
    return {"names": names}


def reference_detections() -> list[list[str]]:
    """(external id, registration number) of every match a fault-free scan finds.

    The same engine and index the workers use, run here on every stored
    listing, storing nothing: the scan the faulted run is compared with.
    """
    from listings.models import Listing
    from listings.services.scanning import build_index, match_listing
    from rightsholders.models import Right

    rights = list(Right.objects.in_force())
    registration = {r.pk: r.registration_number for r in rights}
    index = build_index(rights)
    out: list[list[str]] = []
    listings = (
        Listing.objects.filter(delisted_at=None)
        .only("pk", "external_id", "title", "description", "brand", "category", "price", "currency")
        .order_by("pk")
    )
    for listing in listings.iterator(chunk_size=2000):
        for right_id in match_listing(index, listing, []):
            out.append([listing.external_id, registration[right_id]])
    return out


def decide_case(*, webhook_url: str) -> dict[str, Any]:
    """Build the test world (two holders, two platforms), file a complaint, remove the listing.

    Platform A has a webhook at ``webhook_url`` and the listing's seller an
    email address, so the decision writes a webhook and a seller notice to
    the outbox. Returns the ids of the case and of its outbox messages.
    """
    from takedown.models import OutboxMessage
    from takedown.services.cases import case_decide
    from takedown.services.complaints import complaint_file
    from takedown.services.webhooks import webhook_endpoint_create
    from tests.conftest import world as world_fixture
    from tests.listings.factories import ListingFactory, SellerFactory
    from tests.takedown.test_complaints import data
    from tests.takedown.test_webhooks import REMOVE

    world = world_fixture.__wrapped__(db=None)  # type: ignore[attr-defined]
    platform = world.platform_a.platform
    webhook_endpoint_create(actor=world.platform_a.admin, platform=platform, url=webhook_url)
    seller = SellerFactory(platform=platform, contact_email="seller@shop.example")
    listing = ListingFactory(
        platform=platform, seller=seller, title="BRANDA bag replica", ship_to=["DE"]
    )
    complaint = complaint_file(
        actor=world.holder_a.member,
        rights_holder=world.holder_a.organisation,
        right_ids=[world.holder_a.rights[0].pk],
        listing_ids=[listing.pk],
        data=data(),
    )
    case = complaint.cases.get()
    started = time.monotonic()
    case_decide(actor=world.operator_moderator, case=case, decision=REMOVE)
    decide_seconds = time.monotonic() - started
    messages = OutboxMessage.objects.filter(case=case).values_list("pk", "channel", "topic")
    return {
        "case": case.pk,
        "listing": listing.external_id,
        "messages": [list(m) for m in messages],
        "decide_seconds": round(decide_seconds, 2),
    }


OPERATIONS = {
    "seed_marks": seed_marks,
    "reference_detections": reference_detections,
    "decide_case": decide_case,
}


def main() -> None:
    operation = OPERATIONS[sys.argv[1]]
    arguments = json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
    result = operation(**arguments)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
