"""The transparency report: the figures are right, scoped, the same on the page, in CSV and JSON,
the public page holds counts only, and the number of queries does not grow with the data.

A known data set (``report_world``): holder A's notice about four listings on
platform A (one found by the scanner and removed, then restored after an
unanswered counter-notice; one restricted, appealed by the seller and the
appeal dismissed; one rejected as manifestly unfounded; one waiting) and
holder B's notice, as a trusted flagger, about one listing on platform B,
removed.
"""

import csv
import datetime
import io
import json

import pytest
from django.utils import timezone

from listings.models import Detection
from listings.services.scanning import listings_scan
from takedown.errors import DomainError
from takedown.models import Case
from takedown.services.cases import Decision, case_decide
from takedown.services.complaints import complaint_file
from takedown.services.remedies import (
    appeal_decide,
    appeal_file,
    counter_notice_file,
    counter_notices_restore_due,
    trusted_flagger_designate,
)
from takedown.transparency import (
    ReportPeriod,
    ReportScope,
    _median_hours,
    period_parse,
    transparency_report,
)
from tests.listings.factories import ListingFactory, SellerFactory
from tests.takedown.test_complaints import data
from tests.takedown.test_csp import assert_kept_to_policy
from tests.takedown.test_remedies import objection
from tests.takedown.test_webhooks import REMOVE, RESTRICT

pytestmark = pytest.mark.django_db

SELLER_NAME = "Sam Lefebvre Store"
SELLER_EMAIL = "sam.lefebvre@seller.example"


def _notice(world, holder, platform, titles: list[str], *, detected: int = 0) -> list[Case]:
    seller = SellerFactory(platform=platform.platform, name=SELLER_NAME, contact_email=SELLER_EMAIL)
    listings = [ListingFactory(platform=platform.platform, seller=seller, title=t) for t in titles]
    listings_scan(listing_ids=[listing.pk for listing in listings])
    found = list(Detection.objects.filter(listing__in=listings[:detected], right=holder.rights[0]))
    complaint = complaint_file(
        actor=holder.admin,
        rights_holder=holder.organisation,
        right_ids=[holder.rights[0].pk],
        listing_ids=[listing.pk for listing in listings[detected:]],
        detection_ids=[d.pk for d in found],
        data=data(),
    )
    return list(complaint.cases.order_by("listing__title"))


@pytest.fixture
def report_world(world):
    removed, restricted, rejected, _waiting = _notice(
        world,
        world.holder_a,
        world.platform_a,
        ["BRANDA bag 1", "BRANDA bag 2", "BRANDA bag 3", "BRANDA bag 4"],
        detected=1,
    )
    moderator = world.platform_a.moderator
    case_decide(actor=moderator, case=removed, decision=REMOVE)
    case_decide(actor=moderator, case=restricted, decision=RESTRICT)
    case_decide(
        actor=moderator,
        case=rejected,
        decision=Decision("reject", "Not the registered mark at all.", manifestly_unfounded=True),
    )
    counter_notice_file(case=Case.objects.get(pk=removed.pk), data=objection())
    counter_notices_restore_due(now=timezone.now() + datetime.timedelta(days=16))
    appeal = appeal_file(case=Case.objects.get(pk=restricted.pk), by="seller", statement="Genuine.")
    appeal_decide(actor=world.operator_moderator, appeal=appeal, uphold=False, reason="Fake.")

    trusted_flagger_designate(
        actor=world.operator_moderator, organisation=world.holder_b.organisation, trusted=True
    )
    (removed_b,) = _notice(world, world.holder_b, world.platform_b, ["BRANDB scarf"])
    case_decide(actor=world.platform_b.moderator, case=removed_b, decision=REMOVE)
    return world


def today_period() -> ReportPeriod:
    return ReportPeriod(first=timezone.localdate(), last=timezone.localdate())


def figures(scope: ReportScope, period: ReportPeriod | None = None) -> dict:
    report = transparency_report(period=period or today_period(), scope=scope)
    return report.as_dict()["sections"]


ALL = ReportScope(platform_ids=None, label="All")


def test_the_report_counts_notices_measures_remedies_and_misuse(report_world):
    # when the report of today over every platform is computed
    sections = figures(ALL)
    # then the notices are counted by kind and source
    assert sections["notices"]["figures"] | {} == {
        "total": 2,
        "listings": 5,
        "trusted_flagger": 1,
        "other_notifiers": 1,
        "reason_counterfeit": 2,
        "reason_trademark": 0,
        "reason_design": 0,
        "reason_other": 0,
        "regime_cn": 2,
        "regime_us": 0,
        "regime_own": 0,
        "listings_detected": 1,
    }
    # and the measures by kind, ground and right, with the automated share
    measures = sections["measures"]["figures"]
    assert {k: measures[k] for k in measures if k != "median_hours_to_action"} == {
        "total": 3,
        "removed": 2,
        "restricted": 1,
        "ground_illegal": 3,
        "ground_incompatible": 0,
        "right_trademark": 3,
        "right_design": 0,
        "automated_detection": 1,
        "automated_decision": 0,
        "rejected": 1,
        "closed": 0,
    }
    assert measures["median_hours_to_action"] is not None
    assert "Every decision is taken by a moderator" in sections["measures"]["note"]
    # and the counter-notice, restored when the window closed, and the dismissed appeal
    assert sections["counter_notices"]["figures"] | {"median_hours_to_outcome": None} == {
        "total": 1,
        "restored": 1,
        "court": 0,
        "waiting": 0,
        "median_hours_to_outcome": None,
    }
    assert sections["appeals"]["figures"] | {"median_hours_to_decision": None} == {
        "total": 1,
        "by_seller": 1,
        "by_notifier": 0,
        "upheld": 0,
        "dismissed": 1,
        "moot": 0,
        "waiting": 0,
        "median_hours_to_decision": None,
    }
    assert sections["misuse"]["figures"]["notices_manifestly_unfounded"] == 1


def test_the_median_time_from_notice_to_measure_is_in_hours(report_world):
    # given the three measured cases filed 2, 4 and 30 hours before their statement
    for case, hours in zip(
        Case.objects.filter(statements__isnull=False).order_by("pk"), (2, 4, 30), strict=True
    ):
        applied = case.statements.get().application_date
        Case.objects.filter(pk=case.pk).update(created_at=applied - datetime.timedelta(hours=hours))
    # then the median is the middle one
    assert figures(ALL)["measures"]["figures"]["median_hours_to_action"] == 4.0


def test_a_platform_s_report_counts_its_own_cases_only(report_world):
    a = ReportScope(platform_ids=frozenset({report_world.platform_a.platform.pk}), label="A")
    b = ReportScope(platform_ids=frozenset({report_world.platform_b.platform.pk}), label="B")
    assert figures(a)["notices"]["figures"]["total"] == 1
    assert figures(a)["notices"]["figures"]["trusted_flagger"] == 0
    assert figures(a)["measures"]["figures"]["total"] == 2
    assert figures(a)["appeals"]["figures"]["total"] == 1
    assert figures(b)["notices"]["figures"]["trusted_flagger"] == 1
    assert figures(b)["measures"]["figures"]["total"] == 1
    assert figures(b)["counter_notices"]["figures"]["total"] == 0
    assert figures(b)["misuse"]["figures"]["notices_manifestly_unfounded"] == 0


def test_a_period_before_the_data_counts_nothing(report_world):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    sections = figures(ALL, ReportPeriod(first=yesterday, last=yesterday))
    assert sections["notices"]["figures"]["total"] == 0
    assert sections["measures"]["figures"]["total"] == 0
    assert sections["measures"]["figures"]["median_hours_to_action"] is None


def test_a_seller_s_suspension_and_a_notifier_s_suspension_are_counted(report_world, settings):
    # given a seller of platform A recommended for suspension and a notifier suspended today
    seller = Case.objects.filter(platform=report_world.platform_a.platform).first().listing.seller
    type(seller).objects.filter(pk=seller.pk).update(suspension_recommended_at=timezone.now())
    type(report_world.holder_a.organisation).objects.filter(
        pk=report_world.holder_a.organisation.pk
    ).update(
        filing_suspended_until=timezone.now() + datetime.timedelta(days=30),
        misuse_warned_at=timezone.now(),
    )
    # then both count, in the platform's report too (A's notices are about platform A)
    a = ReportScope(platform_ids=frozenset({report_world.platform_a.platform.pk}), label="A")
    for scope in (ALL, a):
        misuse = figures(scope)["misuse"]["figures"]
        assert misuse["sellers_suspension_recommended"] == 1
        assert misuse["notifiers_suspended"] == 1
        assert misuse["notifiers_warned"] == 1
    b = ReportScope(platform_ids=frozenset({report_world.platform_b.platform.pk}), label="B")
    assert figures(b)["misuse"]["figures"]["notifiers_suspended"] == 0


@pytest.mark.parametrize(
    ("raw_from", "raw_to", "message"),
    [
        ("2026-13-01", "", "'from' must be a date as YYYY-MM-DD, not '2026-13-01'"),
        ("", "yesterday", "'to' must be a date as YYYY-MM-DD, not 'yesterday'"),
        ("2026-03-01", "2026-02-01", r"'from' \(2026-03-01\) is after 'to' \(2026-02-01\)"),
        ("2026-01-01", "2026-12-31", r"'to' \(2026-12-31\) is after today \(2026-06-15\)"),
        ("1999-01-01", "2026-01-01", r"'from' \(1999-01-01\) is before 2020-01-01"),
    ],
)
def test_a_wrong_period_is_refused_naming_the_field(raw_from, raw_to, message):
    with pytest.raises(DomainError, match=message):
        period_parse(raw_from, raw_to, today=datetime.date(2026, 6, 15))


def test_the_period_defaults_to_this_year_until_today():
    period = period_parse("", None, today=datetime.date(2026, 6, 15))
    assert (period.first, period.last) == (datetime.date(2026, 1, 1), datetime.date(2026, 6, 15))


def test_the_report_s_queries_do_not_grow_with_the_data(report_world, django_assert_num_queries):
    # given the report of the known data set
    # (notices, measures, median sample, rejections, counter-notices and their
    # sample, appeals and their sample, seller warnings, sellers, notifiers)
    with django_assert_num_queries(11):
        transparency_report(period=today_period(), scope=ALL)
    # when more notices are filed and decided
    for n in range(3):
        cases = _notice(
            report_world, report_world.holder_a, report_world.platform_a, [f"BRANDA belt {n}"]
        )
        case_decide(actor=report_world.platform_a.moderator, case=cases[0], decision=REMOVE)
    # then the same number of queries computes it
    with django_assert_num_queries(11):
        report = transparency_report(period=today_period(), scope=ALL)
    assert report.as_dict()["sections"]["measures"]["figures"]["total"] == 6


# Pages ------------------------------------------------------------------------------


def test_the_public_page_shows_counts_and_no_personal_data(client, report_world):
    # when a stranger opens the public report
    response = client.get("/transparency/")
    # then it shows the figures and keeps to the Content-Security-Policy
    body = response.content.decode()
    assert response.status_code == 200
    assert '<tr id="notices-total"><th scope="row" class="fw-normal">Notices received</th>' in body
    assert (
        '<tr id="measures-removed"><th scope="row" class="fw-normal">Listings removed</th><td class="text-end">2</td></tr>'
        in body
    )
    assert_kept_to_policy(response)
    # and nothing about a person, nor a notice's reference
    for personal in (SELLER_NAME, SELLER_EMAIL, "Ada Brand", "ada@holder-a.example", "Sam Seller"):
        assert personal not in body
    references = Case.objects.values_list("complaint__reference", flat=True)
    assert [ref for ref in references if ref in body] == []


def test_the_public_page_reports_on_one_platform(client, report_world):
    response = client.get("/transparency/?platform=market-b")
    body = response.content.decode()
    assert response.status_code == 200
    assert (
        '<tr id="measures-total"><th scope="row" class="fw-normal">Measures taken (statements of reasons)</th><td class="text-end">1</td></tr>'
        in body
    )
    assert client.get("/transparency/?platform=no-such-market").status_code == 404


def test_the_public_page_names_a_wrong_date(client, world):
    response = client.get("/transparency/?from=2026-02-30")
    assert response.status_code == 400
    assert "&#x27;from&#x27; must be a date as YYYY-MM-DD, not &#x27;2026-02-30&#x27;." in (
        response.content.decode()
    )


def test_the_public_page_s_queries_are_pinned(client, report_world, django_assert_num_queries):
    # platforms for the choice, then the report's eleven
    with django_assert_num_queries(12):
        assert client.get("/transparency/").status_code == 200
    # and the same report again within ten minutes comes from the cache
    with django_assert_num_queries(1):
        body = client.get("/transparency/").content.decode()
    assert "The figures are computed again at most every 10 minutes." in body


def test_the_public_page_is_cached_and_the_moderators_report_is_fresh(client, report_world):
    # given the public page seen once
    client.get("/transparency/")
    # when another notice is filed and decided
    (case,) = _notice(report_world, report_world.holder_b, report_world.platform_b, ["BRANDB hat"])
    case_decide(actor=report_world.platform_b.moderator, case=case, decision=REMOVE)
    # then the public page still shows the cached figures
    removed = '<tr id="measures-removed"><th scope="row" class="fw-normal">Listings removed</th>'
    assert (
        f'{removed}<td class="text-end">2</td></tr>'
        in client.get("/transparency/").content.decode()
    )
    # and the moderators' report counts the new removal at once
    client.force_login(report_world.operator_moderator)
    document = json.loads(client.get("/transparency/report/?format=json").content)
    assert document["sections"]["measures"]["figures"]["removed"] == 3
    # and a public report of another period is computed afresh
    day = timezone.localdate().isoformat()
    fresh = client.get(f"/transparency/?from={day}&to={day}").content.decode()
    assert f'{removed}<td class="text-end">3</td></tr>' in fresh


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_page_csv_and_json_carry_the_same_figures(client, report_world):
    client.force_login(report_world.operator_moderator)
    query = "/transparency/report/?from={d}&to={d}".format(d=timezone.localdate().isoformat())
    page = client.get(query)
    as_json = client.get(query + "&format=json")
    as_csv = client.get(query + "&format=csv")
    assert page.status_code == as_json.status_code == as_csv.status_code == 200
    document = json.loads(as_json.content)
    assert document["sections"]["measures"]["figures"]["removed"] == 2
    assert as_json["Content-Disposition"].startswith('attachment; filename="transparency-all-')
    rows = _csv(as_csv)
    assert rows[0][:4] == ["section", "figure", "label", "value"]
    from_csv = {(r[0], r[1]): r[3] for r in rows[1:]}
    # every figure of the JSON is in the CSV and on the page, with the same value
    for key, section in document["sections"].items():
        for figure, value in section["figures"].items():
            shown = "" if value is None else str(value)
            assert from_csv[(key, figure)] == shown
            cell = "—" if value is None else str(value)
            assert f'<tr id="{key}-{figure}">' in page.content.decode()
            assert f'<td class="text-end">{cell}</td></tr>' in page.content.decode()
    assert_kept_to_policy(page)


def test_a_platform_moderator_reports_on_its_own_platform_only(client, report_world):
    client.force_login(report_world.platform_a.moderator)
    response = client.get("/transparency/report/?format=json")
    assert json.loads(response.content)["sections"]["notices"]["figures"]["total"] == 1
    assert client.get("/transparency/report/?platform=market-b").status_code == 404
    assert client.get("/transparency/report/?platform=market-a").status_code == 200


def test_only_moderators_see_the_report_s_details(client, report_world):
    for user in (report_world.holder_a.admin, report_world.platform_a.admin):
        client.force_login(user)
        assert client.get("/transparency/report/").status_code == 403
        assert client.get("/transparency/statements/").status_code == 403
    client.logout()
    assert client.get("/transparency/report/")["Location"].startswith("/accounts/login/")


def test_a_wrong_format_or_period_is_named(client, report_world):
    client.force_login(report_world.operator_moderator)
    response = client.get("/transparency/report/?format=xml")
    assert response.status_code == 400
    assert response.content.decode() == "'format' must be one of html, csv, json, not 'xml'."
    response = client.get("/transparency/report/?format=json&to=2020-01-01&from=2021-01-01")
    assert response.status_code == 400
    assert json.loads(response.content) == {
        "error": "'from' (2021-01-01) is after 'to' (2020-01-01).",
        "field": "from",
    }


def test_the_dashboard_links_to_the_report(client, report_world):
    client.force_login(report_world.platform_a.moderator)
    assert 'href="/transparency/report/"' in client.get("/dashboard/").content.decode()


def test_a_median_that_rounds_to_zero_shows_no_minus_sign():
    # given a measure recorded 30 seconds before the case's filing time (clocks of two processes)
    moment = timezone.now()
    # then its median shows as 0.0, not -0.0
    assert str(_median_hours([(moment, moment - datetime.timedelta(seconds=30))])) == "0.0"
