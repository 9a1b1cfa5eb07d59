"""The moderators' pages: the queue in order, claim next, deciding from the case page."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from listings.models import Detection
from listings.services.scanning import listings_scan
from takedown import case_views
from takedown.models import Case
from takedown.services.cases import case_claim, case_release
from takedown.services.complaints import complaint_file
from takedown.states import CaseStatus
from tests.files import pdf_bytes
from tests.listings.factories import ListingFactory, SellerFactory
from tests.takedown.test_cases import cases  # noqa: F401 - the fixture
from tests.takedown.test_complaints import data

pytestmark = pytest.mark.django_db


def test_the_queue_lists_cases_most_urgent_first_with_why(client, world, cases):  # noqa: F811
    client.force_login(world.platform_a.moderator)
    body = client.get(reverse("cases:queue")).content.decode()
    dearest, middle, cheapest = (
        cases[1].listing.title,
        cases[2].listing.title,
        cases[0].listing.title,
    )
    assert body.index(dearest) < body.index(middle) < body.index(cheapest)
    assert "price 2000.00" in body


def test_the_queue_is_for_moderators_only(client, world, cases):  # noqa: F811
    client.force_login(world.holder_a.member)
    assert client.get(reverse("cases:queue")).status_code == 403
    client.force_login(world.platform_b.moderator)
    assert client.get(reverse("cases:detail", args=[cases[0].pk])).status_code == 404


def test_claim_next_then_decide_and_claim_the_next(client, world, cases):  # noqa: F811
    client.force_login(world.platform_a.moderator)
    opened = client.post(reverse("cases:claim-next"), follow=True)
    first = opened.context["case"]
    assert first == cases[1] and "Decide" in opened.content.decode()
    decided = client.post(
        reverse("cases:act", args=[first.pk]),
        {
            "action": "remove",
            "explanation": "Counterfeit: copied mark on a bag sold at a tenth of the price.",
            "next": "claim-next",
        },
        follow=True,
    )
    assert Case.objects.get(pk=first.pk).status == CaseStatus.REMOVED
    assert decided.context["case"] == cases[2]
    # a decision without its explanation is refused with a message, nothing changes
    refused = client.post(
        reverse("cases:act", args=[cases[2].pk]),
        {"action": "reject", "explanation": ""},
        follow=True,
    )
    assert "the reason the notifier will be told" in refused.content.decode()
    assert Case.objects.get(pk=cases[2].pk).status == CaseStatus.OPEN


# The queue page's queries, whatever the number of cases on it: the session,
# the user, the user's access, the capped count, the page's ids, the page's
# rows with their complaint, notifier, listing, platform and claimant, the
# platforms of the filter, the reason templates of the bulk form and the
# appeals waiting (the nav's badge).
QUEUE_PAGE_QUERIES = 9
# The case page's: session, user, access, the case with its relations and its
# detection, counter-notice, rights, evidence, appeals, statements, events and
# the reason templates offered (one each, however many there are).
CASE_PAGE_QUERIES = 11


def more_cases(world, n: int) -> list[Case]:
    """``n`` more open cases on platform A from holder B, each listing with its own seller."""
    listings = [
        ListingFactory(
            platform=world.platform_a.platform,
            seller=SellerFactory(platform=world.platform_a.platform),
            title=f"BRANDB tote {k}",
            ship_to=["DE", "US"],
        )
        for k in range(n)
    ]
    complaint = complaint_file(
        actor=world.holder_b.member,
        rights_holder=world.holder_b.organisation,
        right_ids=[right.pk for right in world.holder_b.rights],
        listing_ids=[listing.pk for listing in listings],
        data=data(),
    )
    return list(complaint.cases.order_by("pk"))


def test_the_queue_page_reads_as_many_queries_for_33_cases_as_for_3(
    client,
    world,
    cases,  # noqa: F811
    django_assert_max_num_queries,
):
    client.force_login(world.platform_a.moderator)
    with django_assert_max_num_queries(QUEUE_PAGE_QUERIES) as few:
        client.get(reverse("cases:queue"))
    # given 30 more cases from another notifier and another complaint, some claimed
    more = more_cases(world, 30)
    case_claim(actor=world.operator_moderator, case=more[0])
    case_claim(actor=world.platform_a.moderator, case=more[1])
    # when the queue is shown again
    with django_assert_max_num_queries(QUEUE_PAGE_QUERIES) as many:
        body = client.get(reverse("cases:queue")).content.decode()
    # then every row is there, with who claimed it, for no more queries
    assert "33 cases" in body
    assert all(case.listing.title in body for case in more)
    assert "operator-moderator" in body and world.holder_b.organisation.name in body
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_operator_s_queue_pages_read_the_same_queries_on_every_page(
    client,
    world,
    cases,  # noqa: F811
    django_assert_max_num_queries,
    monkeypatch,
):
    more_cases(world, 7)
    monkeypatch.setattr(case_views, "PAGE_SIZE", 4)
    client.force_login(world.operator_moderator)
    # the operator's moderators also see the rights waiting for verification (one count)
    with django_assert_max_num_queries(QUEUE_PAGE_QUERIES + 1) as first:
        client.get(reverse("cases:queue"))
    with django_assert_max_num_queries(QUEUE_PAGE_QUERIES + 1) as last:
        body = client.get(reverse("cases:queue"), {"page": 3}).content.decode()
    assert "Page 3 of 3" in body
    assert len(last.captured_queries) == len(first.captured_queries)


def test_a_later_page_continues_the_queue_s_order(client, world, cases, monkeypatch):  # noqa: F811
    # given pages of two cases
    monkeypatch.setattr(case_views, "PAGE_SIZE", 2)
    client.force_login(world.platform_a.moderator)
    # when the moderator turns to page 2
    body = client.get(reverse("cases:queue"), {"page": 2}).content.decode()
    # then it holds the third most urgent case (the cheapest listing), and only that one
    assert cases[0].listing.title in body
    assert cases[1].listing.title not in body and cases[2].listing.title not in body
    assert "Page 2 of 2" in body


def test_the_queue_sorted_by_deadline_puts_the_nearest_deadline_first(
    client,
    world,
    cases,  # noqa: F811
):
    # given the least urgent case by priority has the nearest SLA deadline
    soon = timezone.now() + datetime.timedelta(hours=1)
    Case.objects.filter(pk=cases[0].pk).update(deadline_at=soon)
    client.force_login(world.platform_a.moderator)
    by_priority = client.get(reverse("cases:queue")).content.decode()
    by_deadline = client.get(reverse("cases:queue"), {"sort": "deadline"}).content.decode()
    cheapest, dearest = cases[0].listing.title, cases[1].listing.title
    assert by_priority.index(dearest) < by_priority.index(cheapest)
    assert by_deadline.index(cheapest) < by_deadline.index(dearest)


def test_past_the_cap_the_queue_says_more_than_and_does_not_count_on(
    client,
    world,
    cases,  # noqa: F811
    monkeypatch,
):
    monkeypatch.setattr(case_views.QueuePaginator, "cap", 2)
    client.force_login(world.platform_a.moderator)
    body = client.get(reverse("cases:queue")).content.decode()
    assert "More than 2 cases: narrow the filters" in body
    assert "3 cases" not in body


def test_the_case_page_reads_as_many_queries_with_a_long_history(
    client, world, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    # given a case filed from a detection, with two rights and a piece of evidence
    listing = ListingFactory(
        platform=world.platform_a.platform, title="BRANDA replica bag", ship_to=["DE"]
    )
    listings_scan(listing_ids=[listing.pk])
    detection = Detection.objects.get(listing=listing, right=world.holder_a.rights[0])
    with django_capture_on_commit_callbacks(execute=True):
        complaint = complaint_file(
            actor=world.holder_a.member,
            rights_holder=world.holder_a.organisation,
            right_ids=[world.holder_a.rights[1].pk],
            detection_ids=[detection.pk],
            data=data(),
            evidence=[SimpleUploadedFile("test-buy.pdf", pdf_bytes(), "application/pdf")],
        )
    case = complaint.cases.get()
    moderator = world.platform_a.moderator
    client.force_login(moderator)
    page = reverse("cases:detail", args=[case.pk])
    with django_assert_max_num_queries(CASE_PAGE_QUERIES) as short:
        client.get(page)
    # when its history grows: claimed and given back three times
    for _ in range(3):
        case_claim(actor=moderator, case=case)
        case_release(actor=moderator, case=case)
    with django_assert_max_num_queries(CASE_PAGE_QUERIES) as long:
        body = client.get(page).content.decode()
    # then the page shows every step, the marked title and the evidence for no more queries
    assert body.count("Claimed") >= 3
    assert "<mark>BRANDA</mark>" in body and "test-buy.pdf" in body
    assert len(long.captured_queries) == len(short.captured_queries)
