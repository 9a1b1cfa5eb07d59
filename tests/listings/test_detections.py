"""The detection inbox: who sees what, dismissing, reopening, handing over, sensitivity."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from listings.models import Detection, DetectionDismissal, Listing
from listings.selectors import DetectionFilters, detections_filtered, detections_for
from listings.services.detections import (
    detections_dismiss,
    detections_prepare_complaint,
    detections_reopen,
    detections_take,
)
from listings.services.scanning import listings_scan
from rightsholders.models import AgentAuthorisation
from rightsholders.services import right_set_detection_min_score
from takedown.errors import DomainError, NotPermitted
from takedown.states import DetectionStatus, DismissReason
from tests.listings.factories import ListingFactory, SellerFactory
from tests.rightsholders.factories import AuthorisedSellerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def found(world) -> dict[str, Detection]:
    """Detections on platform A: three of holder A's BRANDA, one of holder B's BRANDB."""
    seller = SellerFactory(platform=world.platform_a.platform, external_id="shop-1", name="Shop 1")
    titles = {
        "a1": "BRANDA handbag",
        "a2": "Brаnda wallet replica AAA",
        "a3": "BRANDA belt",
        "b1": "BRANDB scarf",
    }
    listings = {
        key: ListingFactory(platform=world.platform_a.platform, seller=seller, title=title)
        for key, title in titles.items()
    }
    listings_scan(listing_ids=[listing.pk for listing in listings.values()])
    marks = {"a": world.holder_a.rights[0], "b": world.holder_b.rights[0]}
    return {
        key: Detection.objects.get(listing=listings[key], right=marks[key[0]]) for key in titles
    }


def test_each_rights_holder_sees_only_detections_of_its_own_rights(world, found):
    assert set(detections_for(world.holder_a.member)) == {found["a1"], found["a2"], found["a3"]}
    assert set(detections_for(world.holder_b.member)) == {found["b1"]}
    # the agent authorised for holder A sees A's; a platform sees none; the operator all
    assert set(detections_for(world.agent.member)) == set(detections_for(world.holder_a.member))
    assert not detections_for(world.platform_a.admin).exists()
    assert detections_for(world.operator_moderator).count() == 4


def test_counterfeit_cues_raise_a_detections_score(found):
    assert found["a2"].score > found["a1"].score


def test_a_right_s_minimum_score_hides_weaker_detections(world, found):
    right = world.holder_a.rights[0]
    right_set_detection_min_score(
        actor=world.holder_a.member, right=right, min_score=found["a2"].score
    )
    assert list(detections_for(world.holder_a.member)) == [found["a2"]]
    with pytest.raises(DomainError, match="from 0 to 1"):
        right_set_detection_min_score(actor=world.holder_a.member, right=right, min_score="1.5")
    with pytest.raises(DomainError, match="from 0 to 1"):
        right_set_detection_min_score(actor=world.holder_a.member, right=right, min_score="x")
    with pytest.raises(NotPermitted):
        right_set_detection_min_score(actor=world.holder_b.admin, right=right, min_score=0)
    right.refresh_from_db()
    assert right.detection_min_score == Decimal(str(round(found["a2"].score, 2)))


def test_a_seller_authorised_after_the_scan_disappears_from_the_inbox(world, found):
    AuthorisedSellerFactory(
        rights_holder=world.holder_a.organisation,
        platform=world.platform_a.platform,
        seller_external_id="shop-1",
    )
    assert not detections_for(world.holder_a.member).exists()
    assert detections_for(world.holder_b.member).count() == 1


def test_delisted_listings_and_rights_out_of_force_leave_the_inbox(world, found):
    Listing.objects.filter(pk=found["a1"].listing_id).update(delisted_at=timezone.now())
    assert found["a1"] not in detections_for(world.holder_a.member)
    world.holder_b.rights[0].__class__.objects.filter(pk=world.holder_b.rights[0].pk).update(
        valid_until=timezone.localdate() - timezone.timedelta(days=1),
        valid_from=timezone.localdate() - timezone.timedelta(days=30),
    )
    assert not detections_for(world.holder_b.member).exists()


def test_dismissing_needs_a_reason_and_other_needs_a_note(world, found):
    with pytest.raises(DomainError, match="Choose a reason"):
        detections_dismiss(actor=world.holder_a.member, detection_ids=[found["a1"].pk], reason="")
    with pytest.raises(DomainError, match="Say why"):
        detections_dismiss(
            actor=world.holder_a.member, detection_ids=[found["a1"].pk], reason="other"
        )
    detections_dismiss(
        actor=world.holder_a.member,
        detection_ids=[found["a1"].pk, found["a3"].pk],
        reason=DismissReason.OTHER,
        note="Our outlet store",
    )
    assert set(
        DetectionDismissal.objects.values_list("listing_id", "reason", "note", "dismissed_by")
    ) == {
        (found["a1"].listing_id, "other", "Our outlet store", world.holder_a.member.pk),
        (found["a3"].listing_id, "other", "Our outlet store", world.holder_a.member.pk),
    }


def test_nobody_dismisses_another_rights_holder_s_detections(world, found):
    with pytest.raises(DomainError, match=f"Detection {found['a1'].pk} does not exist"):
        detections_dismiss(
            actor=world.holder_b.admin, detection_ids=[found["a1"].pk], reason="genuine"
        )
    # the operator sees every detection but acts for no rights holder
    with pytest.raises(NotPermitted):
        detections_dismiss(
            actor=world.operator_moderator, detection_ids=[found["a1"].pk], reason="genuine"
        )
    found["a1"].refresh_from_db()
    assert found["a1"].status == DetectionStatus.OPEN


def test_a_reopened_detection_stays_open_when_scanned_again(world, found):
    detections_dismiss(actor=world.agent.member, detection_ids=[found["a1"].pk], reason="genuine")
    detections_reopen(actor=world.agent.member, detection_ids=[found["a1"].pk])
    assert not DetectionDismissal.objects.exists()
    Listing.objects.filter(pk=found["a1"].listing_id).update(title="BRANDA handbag, black")
    listings_scan(listing_ids=[found["a1"].listing_id])
    found["a1"].refresh_from_db()
    assert found["a1"].status == DetectionStatus.OPEN
    with pytest.raises(DomainError, match="cannot become open"):
        detections_reopen(actor=world.agent.member, detection_ids=[found["a1"].pk])


def test_detections_are_handed_over_to_one_complaint_once(world, found):
    ids = [found["a1"].pk, found["a2"].pk]
    draft = detections_prepare_complaint(actor=world.holder_a.member, detection_ids=ids)
    assert draft.rights_holder == world.holder_a.organisation
    assert draft.rights == [world.holder_a.rights[0]]
    assert [listing.pk for listing in draft.listings] == sorted(
        found[k].listing_id for k in ("a1", "a2")
    )
    taken = detections_take(actor=world.holder_a.member, detection_ids=ids)
    assert {d.status for d in taken.detections} == {DetectionStatus.HANDED_OVER}
    with pytest.raises(DomainError, match="taken into a complaint"):
        detections_take(actor=world.holder_a.member, detection_ids=ids)


def test_a_complaint_is_for_one_rights_holder_and_only_open_detections(world, found):
    with pytest.raises(DomainError, match=f"Detection {found['b1'].pk} does not exist"):
        detections_prepare_complaint(
            actor=world.holder_a.member, detection_ids=[found["a1"].pk, found["b1"].pk]
        )
    with pytest.raises(DomainError, match="several rights holders"):
        detections_prepare_complaint(
            actor=world.operator_moderator, detection_ids=[found["a1"].pk, found["b1"].pk]
        )
    detections_dismiss(
        actor=world.holder_a.member, detection_ids=[found["a3"].pk], reason="handled"
    )
    with pytest.raises(DomainError, match="only open detections"):
        detections_prepare_complaint(actor=world.holder_a.member, detection_ids=[found["a3"].pk])
    with pytest.raises(DomainError, match="at least one"):
        detections_prepare_complaint(actor=world.holder_a.member, detection_ids=[])


def test_an_agent_not_authorised_to_file_complaints_cannot_hand_over(world, found):
    AgentAuthorisation.objects.filter(agent=world.agent.organisation).update(
        may_file_complaints=False
    )
    with pytest.raises(NotPermitted):
        detections_prepare_complaint(actor=world.agent.member, detection_ids=[found["a1"].pk])


def test_filters_narrow_the_inbox(world, found):
    user = world.holder_a.member
    assert list(detections_filtered(user, DetectionFilters(signal="image"))) == []
    assert set(detections_filtered(user, DetectionFilters(signal="text"))) == {
        found["a1"],
        found["a2"],
        found["a3"],
    }
    assert list(detections_filtered(user, DetectionFilters(q="wallet"))) == [found["a2"]]
    assert list(detections_filtered(user, DetectionFilters(min_score=found["a2"].score))) == [
        found["a2"]
    ]
    assert not detections_filtered(user, DetectionFilters(status="dismissed")).exists()


# Pages ---------------------------------------------------------------------------


def test_the_inbox_shows_the_matched_words_and_why(client, world, found):
    client.force_login(world.holder_a.member)
    response = client.get(reverse("detections:inbox"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "<mark>Brаnda</mark> wallet replica AAA" in body
    assert "is the mark BRANDA, disguised" in body
    assert "BRANDB" not in body


def test_the_inbox_is_closed_to_platforms_and_anonymous_users(client, world, found):
    assert client.get(reverse("detections:inbox")).status_code == 302
    client.force_login(world.platform_a.admin)
    assert client.get(reverse("detections:inbox")).status_code == 403


def test_another_rights_holder_s_detection_page_is_a_404(client, world, found):
    client.force_login(world.holder_b.member)
    assert client.get(reverse("detections:detail", args=[found["a1"].pk])).status_code == 404
    assert client.get(reverse("detections:detail", args=[found["b1"].pk])).status_code == 200


def test_bad_filter_values_are_ignored_not_fatal(client, world, found):
    client.force_login(world.holder_a.member)
    response = client.get(
        reverse("detections:inbox"), {"min_score": "lots", "right": "x", "since": "yesterday"}
    )
    assert response.status_code == 200
    assert response.context["page_obj"].paginator.count == 3


def test_selected_detections_are_dismissed_from_the_inbox(client, world, found):
    client.force_login(world.holder_a.member)
    response = client.post(
        reverse("detections:act"),
        {
            "action": "dismiss",
            "detection": [found["a1"].pk, found["a3"].pk],
            "reason": "genuine",
            "next": reverse("detections:inbox"),
        },
    )
    assert response.status_code == 302
    statuses = dict(
        Detection.objects.filter(pk__in=[found["a1"].pk, found["a3"].pk]).values_list(
            "pk", "status"
        )
    )
    assert set(statuses.values()) == {DetectionStatus.DISMISSED}


def test_a_dismissal_without_its_note_is_refused_with_a_message(client, world, found):
    client.force_login(world.holder_a.member)
    response = client.post(
        reverse("detections:act"),
        {"action": "dismiss", "detection": [found["a1"].pk], "reason": "other"},
        follow=True,
    )
    assert "Say why" in response.content.decode()
    found["a1"].refresh_from_db()
    assert found["a1"].status == DetectionStatus.OPEN


def test_prepare_complaint_shows_the_rights_listings_and_evidence(client, world, found):
    client.force_login(world.holder_a.member)
    response = client.post(
        reverse("detections:act"),
        {"action": "complaint", "detection": [found["a1"].pk, found["a2"].pk]},
        follow=True,
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Complaint draft" in body
    assert "REG-" in body  # the registration relied on
    assert "<mark>BRANDA</mark> handbag" in body


def test_the_inbox_runs_a_fixed_number_of_queries(
    client, world, found, django_assert_max_num_queries
):
    client.force_login(world.holder_a.member)
    client.get(reverse("detections:inbox"))  # warm the access cache
    with django_assert_max_num_queries(14) as few:
        client.get(reverse("detections:inbox"))
    seller = SellerFactory(platform=world.platform_a.platform)
    more = [
        ListingFactory(platform=world.platform_a.platform, seller=seller, title=f"BRANDA bag {n}")
        for n in range(20)
    ]
    listings_scan(listing_ids=[listing.pk for listing in more])
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("detections:inbox"))


def test_the_right_page_shows_open_detections_and_tunes_sensitivity(client, world, found):
    right = world.holder_a.rights[0]
    client.force_login(world.holder_a.member)
    page = client.get(reverse("rightsholders:right-detail", args=[right.pk])).content.decode()
    assert "3 open detections" in page
    assert f"/detections/?right={right.pk}" in page
    response = client.post(
        reverse("rightsholders:right-sensitivity", args=[right.pk]),
        {"detection_min_score": "0.90"},
        follow=True,
    )
    assert "scoring under 90% are now hidden" in response.content.decode()
    right.refresh_from_db()
    assert right.detection_min_score == Decimal("0.90")
    # another rights holder cannot even find the right
    client.force_login(world.holder_b.admin)
    assert (
        client.post(
            reverse("rightsholders:right-sensitivity", args=[right.pk]),
            {"detection_min_score": "0"},
        ).status_code
        == 404
    )


def test_a_running_retro_scan_is_polled_with_its_progress(client, world):
    from listings.models import RetroScan

    right = world.holder_a.rights[0]
    RetroScan.objects.create(right=right, status="running", total=200, done=50)
    client.force_login(world.holder_a.member)
    panel = client.get(reverse("rightsholders:right-scanning", args=[right.pk])).content.decode()
    assert "50 of 200 listings" in panel
    assert 'value="25" max="100"' in panel
    assert 'hx-trigger="every 2s"' in panel


# API -----------------------------------------------------------------------------


def test_the_api_lists_a_rights_holder_s_detections_with_evidence_in_words(client, world, found):
    client.force_login(world.holder_a.member)
    body = client.get(reverse("api-detection-list"), {"q": "wallet"}).json()
    (row,) = body["results"]
    assert row["id"] == found["a2"].pk
    assert row["listing"]["title"] == "Brаnda wallet replica AAA"
    assert row["signals"][0]["evidence"]["mark"] == "BRANDA"
    assert "is the mark BRANDA" in row["why"][0]
    assert client.get(reverse("api-detection-detail", args=[found["b1"].pk])).status_code == 404
    bad = client.get(reverse("api-detection-list"), {"min_score": "2"})
    assert bad.status_code == 400 and "min_score" in bad.json()


def test_the_api_dismisses_and_reopens(world, found):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(world.holder_a.member)
    url = reverse("api-detection-dismiss")
    refused = api.post(url, {"detections": [found["a1"].pk], "reason": "other"}, format="json")
    assert refused.status_code == 400 and "Say why" in str(refused.json())
    done = api.post(url, {"detections": [found["a1"].pk], "reason": "genuine"}, format="json")
    assert done.json() == {"changed": [found["a1"].pk]}
    other = api.post(url, {"detections": [found["b1"].pk], "reason": "genuine"}, format="json")
    assert other.status_code == 400 and "not yours" in str(other.json())
    reopened = api.post(
        reverse("api-detection-reopen"), {"detections": [found["a1"].pk]}, format="json"
    )
    assert reopened.json() == {"changed": [found["a1"].pk]}


@pytest.mark.parametrize(
    ("suffix", "fmt", "content_type"),
    [(".jpg", "JPEG", "image/jpeg"), (".webp", "WEBP", "image/webp")],
)
def test_a_listing_thumbnail_is_served_with_the_type_of_its_file(
    client, world, found, suffix, fmt, content_type
):
    # given a fetched image of a detected listing, its thumbnail stored as JPEG (now) or WebP (before)
    import io

    from django.core.files.base import ContentFile
    from PIL import Image

    from listings.models import ImageBlob, ListingImage
    from takedown.states import ImageStatus

    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 0, 0)).save(buffer, fmt)
    blob = ImageBlob(
        sha256=suffix.strip(".") * 16, content_type="image/png", size_bytes=1, width=16, height=16
    )
    blob.thumbnail.save(f"t{suffix}", ContentFile(buffer.getvalue()), save=False)
    blob.save()
    detection = found["a1"]
    image = ListingImage.objects.create(
        listing=detection.listing,
        url="https://img.example.com/1",
        status=ImageStatus.FETCHED,
        blob=blob,
    )
    client.force_login(world.holder_a.admin)
    # when the inbox asks for it
    response = client.get(reverse("detections:listing-image", args=[detection.pk, image.pk]))
    # then it comes with its own content type, not sniffable, not another holder's
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == buffer.getvalue()
    client.force_login(world.holder_b.admin)
    assert (
        client.get(reverse("detections:listing-image", args=[detection.pk, image.pk])).status_code
        == 404
    )


def test_the_inbox_counts_stop_at_the_cap_and_say_more_than(client, world, found, monkeypatch):
    # given a cap of two detections (10,000 in production) and three open ones of holder A
    from listings import selectors
    from takedown import pagination

    monkeypatch.setattr(pagination, "COUNT_CAP", 2)
    monkeypatch.setattr(pagination.CappedPaginator, "cap", 2)
    monkeypatch.setattr("listings.templatetags.detections.COUNT_CAP", 2)
    client.force_login(world.holder_a.admin)
    # when the inbox is shown
    page = client.get(reverse("detections:inbox")).content.decode()
    # then it counts no further than the cap and says there are more
    # (counting stops at cap + 1: with a cap of one the three count as two, "1+")
    assert selectors.detection_counts(world.holder_a.admin, cap=1)[DetectionStatus.OPEN] == 2
    assert selectors.detection_counts(world.holder_a.admin, cap=10)[DetectionStatus.OPEN] == 3
    assert "More than 2 detections" in page
    assert ">2+</span>" in page
