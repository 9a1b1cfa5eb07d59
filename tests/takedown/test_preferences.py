"""A user's time zone: chosen on the preferences page, used for every time on the pages."""

import datetime
import zoneinfo

import pytest
from django import forms
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from takedown.forms import PreferencesForm, time_zone_choices
from takedown.middleware import UserTimeZoneMiddleware
from takedown.services.cases import case_decide
from takedown.services.remedies import counter_notice_file
from tests.takedown.test_cases import REMOVE, cases  # noqa: F401 - the fixture
from tests.takedown.test_csp import assert_kept_to_policy
from tests.takedown.test_remedies import objection

pytestmark = pytest.mark.django_db

UTC = zoneinfo.ZoneInfo("UTC")


def test_a_moderator_in_shanghai_sees_the_deadline_eight_hours_ahead_of_utc(
    client,
    world,
    cases,  # noqa: F811
):
    # given a moderator whose time zone is Asia/Shanghai
    moderator = world.platform_a.moderator
    moderator.time_zone = "Asia/Shanghai"
    moderator.save(update_fields=["time_zone"])
    case = cases[0]
    utc = case.deadline_at.astimezone(UTC)
    client.force_login(moderator)
    # when they open the case and the queue
    detail = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    queue = client.get(reverse("cases:queue")).content.decode()
    # then the deadline is shown eight hours later than in UTC, with the zone's abbreviation
    shanghai = utc.astimezone(zoneinfo.ZoneInfo("Asia/Shanghai"))
    assert shanghai.replace(tzinfo=None) - utc.replace(tzinfo=None) == datetime.timedelta(hours=8)
    shown = f"{shanghai:%Y-%m-%d %H:%M} CST"
    assert shown in detail and shown in queue
    assert f"{utc:%Y-%m-%d %H:%M} UTC" not in detail


def test_a_user_without_a_zone_of_their_own_sees_utc(client, world, cases):  # noqa: F811
    client.force_login(world.platform_a.moderator)
    deadline = cases[0].deadline_at.astimezone(UTC)
    body = client.get(reverse("cases:detail", args=[cases[0].pk])).content.decode()
    assert f"{deadline:%Y-%m-%d %H:%M} UTC" in body


def test_a_stored_zone_that_does_not_exist_falls_back_to_utc(world):
    # given a user whose stored zone was typed wrong in the admin
    user = world.holder_a.member
    user.time_zone = "Mars/Olympus_Mons"
    request = RequestFactory().get("/")
    request.user = user
    seen: list[str] = []

    def view(request):
        seen.append(str(timezone.get_current_timezone()))
        return None

    # when a request of theirs passes the middleware after another user's zone was active
    timezone.activate(zoneinfo.ZoneInfo("Asia/Tokyo"))
    UserTimeZoneMiddleware(view)(request)
    # then their page is in UTC, not the stale zone, and no error is raised
    assert seen == ["UTC"]


def test_the_preferences_page_saves_a_zone_and_the_language(client, world):
    user = world.holder_a.member
    client.force_login(user)
    page = client.get(reverse("preferences"))
    assert page.status_code == 200 and "Europe/Berlin" in page.content.decode()
    saved = client.post(
        reverse("preferences"), {"time_zone": "Europe/Berlin", "language": "zh-hans"}
    )
    user.refresh_from_db()
    assert saved.status_code == 302 and user.time_zone == "Europe/Berlin"
    assert saved.cookies["django_language"].value == "zh-hans"


def test_a_zone_that_is_not_one_is_refused_with_its_name(client, world):
    user = world.holder_a.member
    client.force_login(user)
    refused = client.post(
        reverse("preferences"), {"time_zone": "Europe/Atlantis", "language": "en"}
    )
    user.refresh_from_db()
    assert refused.status_code == 200 and user.time_zone == "UTC"
    assert "“Europe/Atlantis” is not a time zone" in refused.content.decode()


def test_the_header_links_to_the_preferences(client, world):
    client.force_login(world.holder_a.member)
    body = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("preferences")}"' in body


def test_the_counter_notice_window_is_shown_in_the_moderator_s_zone(client, world, cases):  # noqa: F811
    # given a removed case the seller objected to, seen by a moderator in Asia/Shanghai
    case_decide(actor=world.operator_moderator, case=cases[0], decision=REMOVE)
    notice = counter_notice_file(case=cases[0], data=objection())
    moderator = world.platform_a.moderator
    moderator.time_zone = "Asia/Shanghai"
    moderator.save(update_fields=["time_zone"])
    client.force_login(moderator)
    # when they open the case
    body = client.get(reverse("cases:detail", args=[cases[0].pk])).content.decode()
    # then the window's end is in their zone, not labelled UTC
    end = notice.window_ends_at.astimezone(zoneinfo.ZoneInfo("Asia/Shanghai"))
    assert f"window until {end:%Y-%m-%d %H:%M} CST" in body


def test_the_preferences_page_keeps_to_the_content_security_policy(client, world):
    client.force_login(world.holder_a.member)
    assert_kept_to_policy(client.get(reverse("preferences")))


def test_the_api_answers_in_utc_whatever_the_signed_in_user_s_zone(client, world, cases):  # noqa: F811
    # given a moderator in Asia/Shanghai signed in through the browser's session
    moderator = world.platform_a.moderator
    moderator.time_zone = "Asia/Shanghai"
    moderator.save(update_fields=["time_zone"])
    client.force_login(moderator)
    case = cases[0]
    # when a script of theirs reads the case through the API
    body = client.get(reverse("api-case-detail", args=[case.pk])).json()
    # then the deadline is in UTC, as a platform's token reads it
    assert body["deadline_at"].endswith("Z")
    assert datetime.datetime.fromisoformat(body["deadline_at"]) == case.deadline_at


@pytest.mark.parametrize(
    ("data", "initial"),
    [
        (None, "Asia/Shanghai"),
        ({"time_zone": "Europe/Atlantis", "language": "xx"}, "UTC"),
        ({"time_zone": "", "language": "en"}, "UTC"),
    ],
)
def test_the_zone_list_is_the_markup_django_s_select_writes(data, initial):
    # given the preferences form as shown (a zone chosen) and as refused (unknown values)
    form = PreferencesForm(data, initial={"time_zone": initial, "language": "en"})
    form.is_valid()
    django_select = PreferencesForm(data, initial={"time_zone": initial, "language": "en"})
    widget = django_select.fields["time_zone"].widget
    django_select.fields["time_zone"].widget = forms.Select(
        attrs=widget.attrs, choices=time_zone_choices()
    )
    django_select.is_valid()
    # when the zone field is rendered by the cached options and by Django's own widget
    fast, slow = str(form["time_zone"]), str(django_select["time_zone"])
    # then the page gets the same markup, the chosen zone (if any) selected
    assert fast == slow
    assert ('<option value="Asia/Shanghai" selected>' in fast) == (data is None)
