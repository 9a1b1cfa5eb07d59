"""Filing complaints: what a notice must contain, what is refused and why, the queue's order."""

import datetime

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from listings.models import Detection
from listings.services.scanning import listings_scan
from rightsholders.models import AgentAuthorisation, Right
from takedown.access import forget_access
from takedown.errors import DomainError, NotPermitted
from takedown.models import Case, CaseEvent, Complaint, ComplaintEvidence, OutboxMessage
from takedown.services.complaints import (
    ComplaintData,
    complaint_file,
    complaint_listings_resolve,
)
from takedown.states import CaseStatus, DetectionStatus, RightStatus
from tests.files import pdf_bytes, png_bytes
from tests.listings.factories import ListingFactory
from tests.rightsholders.factories import AuthorisedSellerFactory

pytestmark = pytest.mark.django_db


def data(**overrides) -> ComplaintData:
    values = {
        "reason": "counterfeit",
        "explanation": "The listings sell counterfeit goods bearing our registered word mark.",
        "notifier_name": "Ada Brand",
        "notifier_email": "ada@holder-a.example",
        "good_faith": True,
        "accurate": True,
        "signature": "Ada Brand",
    }
    values.update(overrides)
    return ComplaintData(**values)


@pytest.fixture
def listings(world):
    return [
        ListingFactory(platform=world.platform_a.platform, title=f"BRANDA bag {n}")
        for n in range(3)
    ]


def file(world, who=None, **kwargs) -> Complaint:
    kwargs.setdefault("right_ids", [world.holder_a.rights[0].pk])
    kwargs.setdefault("data", data())
    return complaint_file(
        actor=who or world.holder_a.member, rights_holder=world.holder_a.organisation, **kwargs
    )


def test_a_complaint_from_detections_opens_a_case_per_listing_and_is_acknowledged(
    world, listings, django_capture_on_commit_callbacks
):
    # given detections of holder A's mark on three listings
    listings_scan(listing_ids=[listing.pk for listing in listings])
    detections = Detection.objects.filter(right=world.holder_a.rights[0])
    assert detections.count() == 3
    # when holder A files one complaint from them, with a PDF as evidence
    with django_capture_on_commit_callbacks(execute=True):
        complaint = file(
            world,
            right_ids=[],
            detection_ids=list(detections.values_list("pk", flat=True)),
            evidence=[SimpleUploadedFile("test-buy.pdf", pdf_bytes(), "application/pdf")],
        )
    # then each listing is a case waiting in platform A's queue, confident from its detection
    cases = list(complaint.cases.order_by("listing_id"))
    assert [c.listing_id for c in cases] == [listing.pk for listing in listings]
    assert {c.status for c in cases} == {CaseStatus.OPEN}
    assert all(c.detection_id is not None for c in cases)
    assert all(any("confidence" in r for r in c.priority_reasons) for c in cases)
    assert list(complaint.rights.all()) == [world.holder_a.rights[0]]
    # and the detections are taken, the evidence kept with its hash, each case's filing recorded
    assert set(detections.values_list("status", flat=True)) == {DetectionStatus.HANDED_OVER}
    (evidence,) = ComplaintEvidence.objects.filter(complaint=complaint)
    assert evidence.content_type == "application/pdf" and len(evidence.sha256) == 64
    assert CaseEvent.objects.filter(case__complaint=complaint, action="file").count() == 3
    # and the notifier got an acknowledgement quoting the reference
    assert complaint.reference.startswith("TD-") and complaint.acknowledged_at is not None
    (ack,) = mail.outbox
    assert ack.to == ["ada@holder-a.example"] and complaint.reference in ack.subject
    assert OutboxMessage.objects.get(complaint=complaint).status == "sent"


def test_listings_are_named_by_url_or_platform_id_one_a_line_or_as_csv(world, listings):
    listings[0].url = "https://market-a.example/item/1"
    listings[0].save(update_fields=["url"])
    slug = world.platform_a.organisation.slug
    text = f"url,note\n{listings[0].url},first\n{slug}:{listings[1].external_id},second\n"
    assert complaint_listings_resolve(text) == [listings[0].pk, listings[1].pk]
    with pytest.raises(DomainError, match="Line 2: no listing is known at https://nowhere"):
        complaint_listings_resolve(f"{listings[0].url}\nhttps://nowhere.example/x\n")
    with pytest.raises(DomainError, match="Line 1: 'just words' is neither"):
        complaint_listings_resolve("just words\n")


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"reason": "annoying"}, "reason", "Choose a reason"),
        ({"reason": "other"}, "reason_other", "Say what the other reason"),
        ({"explanation": "fake"}, "explanation", "at least 30 characters"),
        ({"notifier_email": "ada@"}, "notifier_email", "valid email"),
        ({"good_faith": False}, "good_faith", "good faith"),
        ({"accurate": False}, "accurate", "accurate"),
        ({"signature": "A. B."}, "signature", "Sign with the notifier's name"),
    ],
)
def test_a_notice_missing_what_the_law_asks_is_refused_naming_the_field(
    world, listings, overrides, field, message
):
    with pytest.raises(DomainError, match=message) as refused:
        file(world, listing_ids=[listings[0].pk], data=data(**overrides))
    assert refused.value.field == field
    assert not Complaint.objects.exists()


def test_a_right_not_verified_or_expired_cannot_be_relied_on(world, listings):
    right = world.holder_a.rights[0]
    Right.objects.filter(pk=right.pk).update(status=RightStatus.SUBMITTED)
    with pytest.raises(DomainError, match="is submitted, not verified"):
        file(world, listing_ids=[listings[0].pk])
    Right.objects.filter(pk=right.pk).update(
        status=RightStatus.VERIFIED, valid_until=timezone.localdate() - datetime.timedelta(days=1)
    )
    with pytest.raises(DomainError, match="expired on"):
        file(world, listing_ids=[listings[0].pk])
    with pytest.raises(DomainError, match="is not a right of Holder A"):
        file(world, listing_ids=[listings[0].pk], right_ids=[world.holder_b.rights[0].pk])


def test_an_agent_files_only_under_a_valid_authorisation(world, listings):
    complaint = file(world, who=world.agent.member, listing_ids=[listings[0].pk])
    assert complaint.agent == world.agent.organisation
    AgentAuthorisation.objects.filter(agent=world.agent.organisation).update(
        revoked_at=timezone.now()
    )
    forget_access(world.agent.member)  # as a new request would
    with pytest.raises(NotPermitted, match="no valid authorisation"):
        file(world, who=world.agent.member, listing_ids=[listings[1].pk])


def test_a_listing_not_shipped_where_the_right_holds_is_refused(world, listings):
    listings[0].ship_to = ["US", "CA"]
    listings[0].save(update_fields=["ship_to"])
    with pytest.raises(DomainError, match=r"ships to CA, US, where none of the rights"):
        file(world, listing_ids=[listings[0].pk, listings[1].pk])
    assert not Case.objects.exists()


def test_an_authorised_seller_s_listing_is_refused(world, listings):
    AuthorisedSellerFactory(
        rights_holder=world.holder_a.organisation,
        platform=world.platform_a.platform,
        seller_external_id=listings[0].seller.external_id,
    )
    with pytest.raises(DomainError, match="an authorised seller of BRANDA"):
        file(world, listing_ids=[listings[0].pk])


def test_a_listing_already_waiting_for_a_decision_is_not_filed_twice(world, listings):
    first = file(world, listing_ids=[listings[0].pk])
    with pytest.raises(DomainError, match=f"already in complaint {first.reference}"):
        file(world, listing_ids=[listings[1].pk, listings[0].pk])


def test_evidence_that_is_not_what_it_claims_is_refused_and_nothing_is_kept(world, listings):
    with pytest.raises(DomainError, match="photo.pdf: the name ends in .pdf but the content"):
        file(
            world,
            listing_ids=[listings[0].pk],
            evidence=[SimpleUploadedFile("photo.pdf", png_bytes(), "application/pdf")],
        )
    assert not Complaint.objects.exists() and not ComplaintEvidence.objects.exists()


def test_trusted_flaggers_and_confident_detections_go_ahead_in_the_queue(world, listings):
    # given an ordinary complaint filed first
    first = file(world, listing_ids=[listings[0].pk])
    ordinary = first.cases.get()
    # when a trusted flagger files later
    world.holder_a.organisation.trusted_flagger_since = timezone.now()
    world.holder_a.organisation.save(update_fields=["trusted_flagger_since"])
    trusted = file(world, listing_ids=[listings[1].pk]).cases.get()
    # then its case comes first, and says why
    assert trusted.due_at < ordinary.due_at
    assert "trusted flagger" in trusted.priority_reasons
    assert ordinary.deadline_at - first.acknowledged_at == datetime.timedelta(hours=24)


def test_a_platform_s_sla_per_reason_sets_the_deadline(world, listings):
    platform = world.platform_a.platform
    platform.sla_hours_by_reason = {"design": 72}
    platform.save(update_fields=["sla_hours_by_reason"])
    complaint = file(
        world,
        listing_ids=[listings[0].pk],
        right_ids=[world.holder_a.rights[1].pk],
        data=data(reason="design"),
    )
    assert complaint.cases.get().deadline_at - complaint.acknowledged_at == datetime.timedelta(
        hours=72
    )


# Pages ---------------------------------------------------------------------------


def test_a_rights_holder_files_from_its_detections_in_the_browser_pages(
    client, world, listings, django_capture_on_commit_callbacks
):
    from django.urls import reverse

    listings_scan(listing_ids=[listing.pk for listing in listings])
    ids = list(
        Detection.objects.filter(right=world.holder_a.rights[0]).values_list("pk", flat=True)
    )
    client.force_login(world.holder_a.member)
    url = reverse("detections:complaint-draft")
    form = client.get(url, {"detection": ids})
    assert "Sign and file the complaint" in form.content.decode()
    fields = {
        "detection": ids,
        "reason": "counterfeit",
        "explanation": "Counterfeit bags with our word mark, sold at a tenth of the price.",
        "notifier_name": "Ada Brand",
        "notifier_email": "ada@holder-a.example",
        "good_faith": "on",
        "accurate": "on",
        "signature": "Ada Brand",
    }
    # an unsigned notice is refused next to the signature, nothing filed
    refused = client.post(url, {**fields, "signature": "Someone"})
    assert "Sign with the notifier" in refused.content.decode()
    assert not Complaint.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        filed = client.post(url, fields, follow=True)
    complaint = Complaint.objects.get()
    body = filed.content.decode()
    assert f"Complaint {complaint.reference}" in body
    assert body.count("Waiting for a decision") == 3
    listed = client.get(reverse("complaints:list")).content.decode()
    assert listed.count(f">{complaint.reference}</a>") == 1
    client.force_login(world.holder_b.member)
    assert client.get(reverse("complaints:detail", args=[complaint.reference])).status_code == 404


def test_an_agent_sees_only_the_complaints_it_filed(world, listings):
    from takedown.selectors import complaints_for

    own = file(world, listing_ids=[listings[0].pk])
    by_agent = file(world, who=world.agent.member, listing_ids=[listings[1].pk])
    assert set(complaints_for(world.holder_a.member)) == {own, by_agent}
    assert list(complaints_for(world.agent.member)) == [by_agent]
    assert not complaints_for(world.holder_b.member).exists()
