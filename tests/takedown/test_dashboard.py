"""The dashboard: each viewer counts only what it may see, and the figures are right.

A small known data set: holder A's complaint about three listings on platform A
(one removed 2 h after filing, one rejected 4 h after, one waiting) and holder
B's complaint about one listing on platform B (removed 10 h after filing).
"""

import datetime
import json
import re

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from listings.services.scanning import listings_scan
from takedown.dashboard import dashboard_figures, period_for
from takedown.models import Case
from takedown.services.cases import case_decide
from takedown.services.complaints import complaint_file, notifier_acceptance
from takedown.services.remedies import (
    appeal_decide,
    appeal_file,
    counter_notice_file,
    counter_notices_restore_due,
)
from tests.listings.factories import ListingFactory, SellerFactory
from tests.takedown.test_complaints import data
from tests.takedown.test_csp import assert_kept_to_policy
from tests.takedown.test_remedies import objection
from tests.takedown.test_webhooks import REJECT, REMOVE

pytestmark = pytest.mark.django_db


def _filed_hours_before_decision(case: Case, hours: int) -> None:
    Case.objects.filter(pk=case.pk).update(
        created_at=F("decided_at") - datetime.timedelta(hours=hours)
    )


def _complaint(world, holder, platform, title: str, seller_name: str, count: int) -> list[Case]:
    seller = SellerFactory(platform=platform.platform, name=seller_name)
    listings = [
        ListingFactory(platform=platform.platform, seller=seller, title=f"{title} {n}")
        for n in range(count)
    ]
    listings_scan(listing_ids=[listing.pk for listing in listings])
    complaint = complaint_file(
        actor=holder.admin,
        rights_holder=holder.organisation,
        right_ids=[holder.rights[0].pk],
        listing_ids=[listing.pk for listing in listings],
        data=data(),
    )
    return list(complaint.cases.order_by("pk"))


@pytest.fixture
def figures_world(world):
    removed, rejected, _waiting = _complaint(
        world, world.holder_a, world.platform_a, "BRANDA bag", "Seller of A", 3
    )
    case_decide(actor=world.platform_a.moderator, case=removed, decision=REMOVE)
    case_decide(actor=world.platform_a.moderator, case=rejected, decision=REJECT)
    _filed_hours_before_decision(removed, 2)
    _filed_hours_before_decision(rejected, 4)
    (removed_b,) = _complaint(
        world, world.holder_b, world.platform_b, "BRANDB scarf", "Seller of B", 1
    )
    case_decide(actor=world.platform_b.moderator, case=removed_b, decision=REMOVE)
    _filed_hours_before_decision(removed_b, 10)
    return world


def totals(user) -> dict:
    figures = dashboard_figures(user, period_for(30))
    return {
        key: figures["totals"][key]
        for key in ("complaints", "detections", "decided", "median_hours", "acceptance", "waiting")
    }


def test_a_rights_holder_counts_its_own_complaints_detections_and_cases(figures_world):
    # when holder A's admin and its agent read the figures
    # then they are holder A's only: 1 complaint, 3 detections, 2 decided (2 h and 4 h), 1 waiting
    expected = {
        "complaints": 1,
        "detections": 3,
        "decided": 2,
        "median_hours": 3.0,
        "acceptance": 50.0,
        "waiting": 1,
    }
    assert totals(figures_world.holder_a.admin) == expected
    assert totals(figures_world.holder_b.admin) == {
        "complaints": 1,
        "detections": 1,
        "decided": 1,
        "median_hours": 10.0,
        "acceptance": 100.0,
        "waiting": 0,
    }


def test_a_platform_counts_what_is_about_its_own_listings(figures_world):
    # when platform A's staff read the figures
    # then they count holder A's complaint, the detections and cases on platform A only
    assert totals(figures_world.platform_a.admin) == {
        "complaints": 1,
        "detections": 3,
        "decided": 2,
        "median_hours": 3.0,
        "acceptance": 50.0,
        "waiting": 1,
    }
    assert totals(figures_world.platform_b.moderator)["median_hours"] == 10.0


def test_the_operator_counts_everything(figures_world):
    # then the operator sees both tenants: the median of 2, 4 and 10 hours is 4
    assert totals(figures_world.operator_moderator) == {
        "complaints": 2,
        "detections": 4,
        "decided": 3,
        "median_hours": 4.0,
        "acceptance": 66.7,
        "waiting": 1,
    }


def test_rates_sellers_queue_age_and_series_are_per_rights_holder_and_seller(figures_world):
    # when the operator reads the figures
    figures = dashboard_figures(figures_world.operator_moderator, period_for(7))
    # then each rights holder has its own acceptance rate
    assert [
        (h["name"], h["accepted"], h["rejected"], h["rate"]) for h in figures["rights_holders"]
    ] == [
        ("Holder A", 1, 1, 50.0),
        ("Holder B", 1, 0, 100.0),
    ]
    # and the sellers with listings removed are listed with their platform
    assert sorted((s["name"], s["cases"]) for s in figures["sellers"]) == [
        ("Seller of A", 1),
        ("Seller of B", 1),
    ]
    # and the one waiting case is under a day old
    assert [band["cases"] for band in figures["queue_age"]] == [1, 0, 0, 0, 0]
    # and the series has one bucket a day, today's holding both complaints
    assert len(figures["buckets"]) == 7
    assert figures["buckets"][-1]["complaints"] == 2
    assert sum(b["complaints"] for b in figures["buckets"][:-1]) == 0


def test_a_reversal_counts_against_the_notice_and_a_lapsed_window_counts_neither_way(world):
    # given three listings of one complaint removed: one reversed on appeal,
    # one restored because the notifier reported no court action in the
    # counter-notice window, one standing
    reversed_case, lapsed, standing = _complaint(
        world, world.holder_a, world.platform_a, "BRANDA bag", "Seller of A", 3
    )
    for case in (reversed_case, lapsed, standing):
        case_decide(actor=world.platform_a.moderator, case=case, decision=REMOVE)
    appeal = appeal_file(
        case=Case.objects.get(pk=reversed_case.pk), by="seller", statement="Genuine."
    )
    appeal_decide(actor=world.operator_moderator, appeal=appeal, uphold=True, reason="Invoice.")
    counter_notice_file(case=Case.objects.get(pk=lapsed.pk), data=objection())
    counter_notices_restore_due(now=timezone.now() + datetime.timedelta(days=16))
    # when the operator reads the figures
    figures = dashboard_figures(world.operator_moderator, period_for(7))
    # then the notice counts as the queue's priority and trusted flaggers' accuracy count it:
    # upheld once, not upheld once (the reversal), the lapsed window neither way
    assert [(h["accepted"], h["rejected"], h["rate"]) for h in figures["rights_holders"]] == [
        (1, 1, 50.0)
    ]
    assert figures["totals"]["acceptance"] == 50.0
    assert notifier_acceptance(world.holder_a.organisation, minimum=1) == 0.5
    # and the seller counts for the one measure that stands
    assert [(s["name"], s["cases"]) for s in figures["sellers"]] == [("Seller of A", 1)]


def test_the_90_day_period_counts_by_week():
    period = period_for(90, now=datetime.datetime(2025, 6, 15, 12, tzinfo=datetime.UTC))
    assert period.unit == "week"
    assert period.buckets[0] == datetime.date(2025, 3, 17)  # the Monday of 90 days back
    assert period.buckets[-1] == datetime.date(2025, 6, 9)  # the Monday of this week
    assert all(day.weekday() == 0 for day in period.buckets)


def test_an_unknown_period_falls_back_to_30_days():
    assert period_for("365").days == 30
    assert period_for("x").days == 30


def dashboard_json(response) -> dict:
    match = re.search(
        r'<script id="dashboard-data" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    assert match
    return json.loads(match.group(1))


def test_tenant_a_never_sees_tenant_b_s_numbers_on_the_page(client, figures_world):
    for user in (
        figures_world.holder_a.admin,
        figures_world.agent.admin,
        figures_world.platform_a.admin,
        figures_world.platform_a.moderator,
    ):
        # when a person of tenant A opens the dashboard
        client.force_login(user)
        response = client.get("/dashboard/")
        # then it shows none of B's names, in the tables or in the chart data
        body = response.content.decode()
        assert response.status_code == 200
        assert "Holder B" not in body
        assert "Seller of B" not in body
        chart = dashboard_json(response)
        assert sum(chart["complaints"]) <= 1
        assert 10.0 not in chart["median_hours"]


def test_the_page_shows_the_figures_in_tables_and_chart_data(client, figures_world):
    # when the operator opens the dashboard for 7 days
    client.force_login(figures_world.operator_moderator)
    response = client.get("/dashboard/?days=7")
    # then the tables and the chart data carry the same figures
    body = response.content.decode()
    assert '<dd class="fs-4 mb-0" id="total-complaints">2</dd>' in body
    assert '<th scope="row">Holder A</th><td>1</td><td>1</td><td>50.0</td>' in body
    chart = dashboard_json(response)
    assert chart["rights_holders"] == {"labels": ["Holder A", "Holder B"], "rates": [50.0, 100.0]}
    assert chart["queue_age"]["cases"] == [1, 0, 0, 0, 0]
    assert len(chart["labels"]) == 7
    # and it keeps to the Content-Security-Policy (charts drawn from a static file)
    assert_kept_to_policy(response)
    assert "vendor/chartjs-4.6.1/chart.umd.min.js" in body


def test_the_page_renders_without_any_data(client, world):
    # given a rights holder with no complaint, detection or case
    client.force_login(world.holder_a.admin)
    # when it opens the dashboard
    response = client.get("/dashboard/")
    # then it says there is nothing yet, with empty tables and zeros
    body = response.content.decode()
    assert response.status_code == 200
    assert "Nothing to show for this period yet" in body
    assert "No case decided in this period." in body
    assert dashboard_json(response)["complaints"] == [0] * 30


def test_the_query_count_does_not_grow_with_the_data(client, figures_world):
    # given the operator's dashboard with the known data set
    client.force_login(figures_world.operator_moderator)
    client.get("/dashboard/")
    with CaptureQueriesContext(connection) as small:
        client.get("/dashboard/")
    # when three more complaints with decided cases are added
    for n in range(3):
        cases = _complaint(
            figures_world,
            figures_world.holder_a,
            figures_world.platform_a,
            f"BRANDA belt {n}",
            f"Seller {n}",
            2,
        )
        case_decide(actor=figures_world.operator_moderator, case=cases[0], decision=REMOVE)
    # then the page takes as many queries as before
    with CaptureQueriesContext(connection) as large:
        client.get("/dashboard/")
    assert len(large) == len(small)


def test_the_page_s_queries_are_pinned(client, figures_world, django_assert_num_queries):
    client.force_login(figures_world.holder_a.admin)
    # user, memberships (access; the session is read from the cache), then one query a figure:
    # complaints, detections, decision times, rights holders, sellers, queue age and totals
    with django_assert_num_queries(8):
        response = client.get("/dashboard/")
    assert response.status_code == 200
