"""The public archive of notices: anyone may search it, and it shows no personal data."""

import datetime

import pytest
from django.utils import timezone

from listings.models import Listing
from takedown.models import Case, Complaint
from takedown.services.cases import case_decide
from takedown.services.remedies import counter_notice_file
from tests.takedown.test_csp import assert_kept_to_policy
from tests.takedown.test_remedies import objection
from tests.takedown.test_transparency import SELLER_EMAIL, SELLER_NAME, _notice
from tests.takedown.test_webhooks import REJECT, REMOVE

pytestmark = pytest.mark.django_db

PHONE = "+33 6 12 34 56 78"


@pytest.fixture
def archive_world(world):
    removed, rejected, _waiting = _notice(
        world, world.holder_a, world.platform_a, ["BRANDA bag 1", "BRANDA bag 2", "BRANDA bag 3"]
    )
    case_decide(actor=world.platform_a.moderator, case=removed, decision=REMOVE)
    case_decide(actor=world.platform_a.moderator, case=rejected, decision=REJECT)
    counter_notice_file(case=Case.objects.get(pk=removed.pk), data=objection(seller_phone=PHONE))
    (case_b,) = _notice(world, world.holder_b, world.platform_b, ["BRANDB scarf"])
    case_decide(actor=world.platform_b.moderator, case=case_b, decision=REMOVE)
    # holder B's notice filed last month
    Complaint.objects.filter(pk=case_b.complaint_id).update(
        created_at=timezone.now() - datetime.timedelta(days=40)
    )
    return world


def test_a_stranger_reads_the_archive_without_any_personal_data(client, archive_world):
    # when a stranger opens the archive
    response = client.get("/archive/")
    body = response.content.decode()
    # then it lists both notices with their rights, listings, platforms, outcomes and grounds
    assert response.status_code == 200
    assert "2 notices." in body
    assert "Holder A" in body and "Holder B" in body
    assert "BRANDA (Word mark, EU" in body
    assert "<td>BRANDA bag 1</td>" in body
    assert "<td>Market A</td>" in body
    assert "<td>Complaint rejected</td>" in body
    assert "<td>Seller objected: notifier&#x27;s window open</td>" in body
    assert "Regulation (EU) 2017/1001" in body
    assert_kept_to_policy(response)
    # and nothing that identifies a person: sellers, store names, notifiers, the
    # counter-notice's author, listing URLs and the platforms' ids
    listings = Listing.objects.filter(cases__isnull=False)
    personal = [
        SELLER_NAME,
        SELLER_EMAIL,
        "Ada Brand",
        "ada@holder-a.example",
        "Sam Seller",
        "sam@shop.example",
        "1 Market Street",
        PHONE,
        *(listing.url for listing in listings if listing.url),
        *(f">{listing.external_id}<" for listing in listings),
        *(listing.seller.external_id for listing in listings),
        "The listings sell counterfeit goods",  # the notice's explanation
        REJECT.explanation,  # the moderator's reason
    ]
    assert [value for value in personal if value in body] == []


@pytest.mark.parametrize(
    ("query", "holders"),
    [
        ("holder=holder+b", ["Holder B"]),
        ("right=BRANDA", ["Holder A"]),
        ("right=brandb", ["Holder B"]),
        ("holder=holder&right=nothing-like-it", []),
        ("from={today}", ["Holder A"]),
        ("to={last_month}", ["Holder B"]),
    ],
)
def test_the_archive_is_searched_by_holder_right_and_date(client, archive_world, query, holders):
    # given the registration number of a right, its search finds it too
    today = timezone.localdate()
    query = query.format(
        today=today.isoformat(),
        last_month=(today - datetime.timedelta(days=30)).isoformat(),
    )
    body = client.get(f"/archive/?{query}").content.decode()
    shown = [name for name in ("Holder A", "Holder B") if f"· {name} ·" in body]
    assert shown == holders


def test_a_right_is_found_by_its_registration_number(client, archive_world):
    number = archive_world.holder_b.rights[0].registration_number
    body = client.get(f"/archive/?right={number}").content.decode()
    assert "· Holder B ·" in body and "· Holder A ·" not in body


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2026-02-30", "&#x27;from&#x27; must be a date as YYYY-MM-DD, not &#x27;2026-02-30"),
        ("from=2026-03-01&to=2026-02-01", "&#x27;from&#x27; (2026-03-01) is after &#x27;to&#x27;"),
        ("holder=" + "x" * 101, "&#x27;holder&#x27; is longer than 100 characters."),
    ],
)
def test_a_wrong_search_is_named(client, world, query, message):
    response = client.get(f"/archive/?{query}")
    assert response.status_code == 400
    assert message in response.content.decode()


def test_the_archive_s_queries_are_pinned(client, archive_world, django_assert_num_queries):
    # count, notices, their rights, their first listings, those listings' statements
    with django_assert_num_queries(5):
        client.get("/archive/")
    # and more notices with more listings take no more
    for n in range(3):
        cases = _notice(
            archive_world,
            archive_world.holder_a,
            archive_world.platform_a,
            [f"BRANDA belt {n} {m}" for m in range(3)],
        )
        case_decide(actor=archive_world.platform_a.moderator, case=cases[0], decision=REMOVE)
    with django_assert_num_queries(5):
        body = client.get("/archive/").content.decode()
    assert "5 notices." in body


def test_a_notice_with_many_listings_shows_the_first_ten(client, world, settings):
    _notice(world, world.holder_a, world.platform_a, [f"BRANDA cap {n:02}" for n in range(12)])
    body = client.get("/archive/").content.decode()
    assert "12 listings notified. The first 10 are shown." in body
    assert "BRANDA cap 09" in body and "BRANDA cap 10" not in body


def test_the_archive_is_paged(client, world):
    for n in range(21):
        _notice(world, world.holder_a, world.platform_a, [f"BRANDA hat {n}"])
    first = client.get("/archive/").content.decode()
    second = client.get("/archive/?page=2").content.decode()
    assert first.count("<article") == 20
    assert second.count("<article") == 1
    assert "Page 2 of 2" in second
