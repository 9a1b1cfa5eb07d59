"""One whole journey through the services and the API, as the issue tells it.

A verified right, a feed, detections, a complaint of ten listings, decisions of
each kind, the platform's webhook received on loopback, a counter-notice and a
restoration when its window closes (time moved forward), an appeal reversing a
decision, strikes and their withdrawal, and an audit trail that tells it all.
"""

import datetime
import json

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from listings.models import Detection, Seller
from listings.services.tokens import platform_token_create
from takedown.models import Case, CaseEvent, PlatformDecision, Strike
from takedown.services.remedies import counter_notices_restore_due, seller_case
from takedown.services.webhooks import webhook_endpoint_create
from takedown.states import CaseStatus
from tests.listings.test_feeds import jsonl
from tests.takedown.test_webhooks import allow_loopback, receiver  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_a_complaint_s_whole_life(
    world,
    client,
    receiver,  # noqa: F811 - the fixture imported above
    allow_loopback,  # noqa: F811
    django_capture_on_commit_callbacks,
    settings,
):
    settings.TAKEDOWN_STRIKES_TO_SUSPEND = 2
    platform = world.platform_a.platform
    mark = world.holder_a.rights[0]  # BRANDA, verified, EU and CN
    webhook_endpoint_create(actor=world.platform_a.admin, platform=platform, url=receiver.url)
    run = django_capture_on_commit_callbacks

    # a feed of twelve listings, ten naming the mark, reaches the platform API and is scanned
    token = platform_token_create(actor=world.platform_a.admin, platform=platform, name="feed")[1]
    lines = [
        {
            "external_id": f"J{n}",
            "title": f"BRANDA handbag replica {n}" if n < 10 else f"Plain tote {n}",
            "price": "19.00",
            "currency": "EUR",
            "seller_id": "shady" if n < 5 else "other",
            "seller_name": "Shady Store" if n < 5 else "Other Store",
            "ship_to": ["DE", "FR"],
        }
        for n in range(12)
    ]
    with run(execute=True):
        pushed = client.post(
            reverse("api-feed-list"),
            data=jsonl(lines),
            content_type="application/x-ndjson",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
    assert pushed.status_code == 202
    Seller.objects.filter(external_id="shady").update(contact_email="shady@seller.example")
    detections = list(Detection.objects.filter(right=mark).order_by("listing__external_id"))
    assert len(detections) == 10

    # the rights holder files one complaint of ten listings from its detections (API)
    with run(execute=True):
        filed = api(world.holder_a.member).post(
            reverse("api-complaint-list"),
            {
                "rights_holder": world.holder_a.organisation.pk,
                "detections": [d.pk for d in detections],
                "reason": "counterfeit",
                "explanation": "Replica bags bearing our word mark BRANDA at a tenth of the price.",
                "notifier_name": "Ada Brand",
                "notifier_email": "ada@holder-a.example",
                "good_faith": True,
                "accurate": True,
                "signature": "Ada Brand",
            },
            format="json",
        )
    assert filed.status_code == 201, filed.content
    reference = filed.json()["reference"]
    cases = {c.listing.external_id: c for c in Case.objects.select_related("listing")}
    assert len(cases) == 10
    assert any(reference in m.subject for m in mail.outbox)  # acknowledged

    # decisions of each kind by platform A's moderator (API)
    moderator = api(world.platform_a.moderator)

    def decide(external_id: str, action: str, explanation: str, **extra) -> dict:
        with run(execute=True):
            answer = moderator.post(
                reverse("api-case-decide", args=[cases[external_id].pk]),
                {"action": action, "explanation": explanation, **extra},
                format="json",
            )
        assert answer.status_code == 200, answer.content
        return answer.json()

    decide("J0", "remove", "Replica of the BRANDA bag, sold at a tenth of the price.")
    decide("J1", "remove", "Replica of the BRANDA bag, same store.")
    decide("J2", "restrict", "Probably a replica; hidden while checked.", restriction_days=30)
    decide("J5", "reject", "The photo shows a different, unbranded bag.")
    decide("J6", "request_info", "Send the test purchase invoice.")
    assert Case.objects.get(pk=cases["J6"].pk).status == CaseStatus.INFO_REQUESTED

    # the platform's receiver got each decision, signed, in order
    types = [json.loads(body)["type"] for _, body in receiver.requests]
    assert types == [
        "case.removed",
        "seller.warned",
        "case.removed",
        "case.restricted",
        "case.rejected",
        "case.info_requested",
    ]

    # three upheld measures of one complaint against the shady store: one strike, which
    # (one below the suspension threshold of two) brings a warning and no suspension yet
    shady = Seller.objects.get(external_id="shady")
    assert Strike.objects.filter(seller=shady, withdrawn_at=None).count() == 1
    assert shady.suspension_recommended_at is None
    warnings = [m for m in mail.outbox if m.subject.startswith("Warning about your listings")]
    assert [m.to for m in warnings] == [["shady@seller.example"]]

    # the seller objects to J0 through the private link in its email
    to_seller = [m for m in mail.outbox if m.to == ["shady@seller.example"] and m not in warnings]
    assert len(to_seller) == 3 and "statement of reasons" in to_seller[0].subject
    link = next(
        line for line in to_seller[0].body.splitlines() if "/respond/" in line
    ).removeprefix(settings.TAKEDOWN_PUBLIC_URL)
    assert seller_case(link.rstrip("/").split("/")[-1]) == cases["J0"]
    with run(execute=True):
        client.post(
            link,
            {
                "what": "counter_notice",
                "seller_name": "Sam Shady",
                "seller_email": "shady@seller.example",
                "seller_address": "2 Harbour Road, Marseille",
                "statement": "These are genuine bags from a liquidation lot.",
                "good_faith": "on",
                "consent_to_jurisdiction": "on",
                "signature": "Sam Shady",
            },
        )
    assert Case.objects.get(pk=cases["J0"].pk).status == CaseStatus.COUNTER_NOTICED
    assert any("the seller objects" in m.subject for m in mail.outbox)

    # the notifier reports no court action; sixteen days later the sweep restores J0, once
    later = timezone.now() + datetime.timedelta(days=16)
    with run(execute=True):
        assert counter_notices_restore_due(now=later) == 1
        assert counter_notices_restore_due(now=later) == 0
    assert Case.objects.get(pk=cases["J0"].pk).status == CaseStatus.RESTORED
    assert json.loads(receiver.requests[-1][1])["type"] == "case.restored"

    # the notifier appeals the rejection of J5; another moderator upholds it (API)
    appeal = api(world.holder_a.member).post(
        reverse("api-case-appeal", args=[cases["J5"].pk]),
        {"statement": "The invoice of our test purchase shows it is a replica."},
        format="json",
    )
    assert appeal.status_code == 201, appeal.content
    refused = moderator.post(
        reverse("api-appeal-decide", args=[appeal.json()["id"]]),
        {"uphold": True, "reason": "Same moderator."},
        format="json",
    )
    assert refused.status_code == 403  # the first decider may not decide the appeal
    with run(execute=True):
        upheld = api(world.operator_moderator).post(
            reverse("api-appeal-decide", args=[appeal.json()["id"]]),
            {"uphold": True, "reason": "The test purchase proves a replica."},
            format="json",
        )
    assert upheld.json()["status"] == "upheld"
    assert Case.objects.get(pk=cases["J5"].pk).status == CaseStatus.REMOVED

    # the seller appeals J1 and J2 and wins both: the listings are restored and, with no
    # upheld case of the complaint left against the store, its strike is withdrawn
    from takedown.services.remedies import appeal_decide, appeal_file

    for external_id in ("J1", "J2"):
        seller_appeal = appeal_file(
            case=cases[external_id], by="seller", statement="Genuine, invoice."
        )
        with run(execute=True):
            appeal_decide(
                actor=world.operator_moderator, appeal=seller_appeal, uphold=True, reason="Genuine."
            )
        assert Case.objects.get(pk=cases[external_id].pk).status == CaseStatus.RESTORED
        still = 1 if external_id == "J1" else 0  # J2 held the strike up until it went too
        assert Strike.objects.filter(seller=shady, withdrawn_at=None).count() == still

    # every decision is in the platform's feed, numbered without gaps
    feed = PlatformDecision.objects.filter(platform=platform).order_by("sequence")
    assert list(feed.values_list("sequence", flat=True)) == list(range(1, feed.count() + 1))

    # and the audit trail tells J0's story, J5's too
    def story(external_id: str) -> list[str]:
        return list(
            CaseEvent.objects.filter(case=cases[external_id])
            .order_by("created_at", "pk")
            .values_list("action", flat=True)
        )

    assert story("J0") == ["file", "remove", "seller_warned", "counter_notice", "restore"]
    # J5's removal on appeal is the first strike of the other store: its warning
    assert story("J5") == ["file", "reject", "appeal", "reverse_rejection", "seller_warned"]
    detail = moderator.get(reverse("api-case-detail", args=[cases["J0"].pk])).json()
    assert [e["action"] for e in detail["events"]] == story("J0")
