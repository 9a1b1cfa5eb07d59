"""The queue's rows, built in Python since they cost ~5 times less there, read as before."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.timesince import timesince

from listings.models import Listing
from takedown import case_views
from takedown.models import Case
from takedown.services.cases import case_claim
from tests.takedown.test_cases import cases  # noqa: F401 - the fixture
from tests.takedown.test_reason_templates import ReasonTemplateFactory

pytestmark = pytest.mark.django_db


def test_a_row_escapes_what_sellers_and_notifiers_typed(client, world, cases):  # noqa: F811
    # given a listing whose title holds markup and quotes
    Listing.objects.filter(pk=cases[1].listing_id).update(
        title="BRANDA <script>alert(\"x\")</script> & 'bag'"
    )
    client.force_login(world.platform_a.moderator)
    # when the queue is shown
    body = client.get(reverse("cases:queue")).content.decode()
    # then the title is text, in the link and in the checkbox's label alike
    assert "<script>alert" not in body
    escaped = "BRANDA &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;bag&#x27;"
    assert f"data-case-link>{escaped}</a>" in body
    assert f'aria-label="Select {escaped}"' in body


def test_a_row_shows_the_case_as_the_template_did(client, world, cases):  # noqa: F811
    # given a long title, a case overdue by two hours, claimed by a moderator with a name
    long_title = "BRANDA " + "very long title " * 6
    case = cases[1]
    Listing.objects.filter(pk=case.listing_id).update(title=long_title)
    deadline = timezone.now() - datetime.timedelta(hours=2, seconds=5)
    Case.objects.filter(pk=case.pk).update(deadline_at=deadline)
    moderator = world.platform_a.moderator
    moderator.first_name, moderator.last_name = "Mia", "Moderator"
    moderator.save(update_fields=["first_name", "last_name"])
    case_claim(actor=moderator, case=case)
    client.force_login(moderator)
    # when the queue is shown
    body = client.get(reverse("cases:queue")).content.decode()
    # then the row links the case, cuts the title at 70 characters with an ellipsis,
    # shows the price, the deadline in UTC, how late it is and who holds it
    row = body[body.index(f'value="{case.pk}"') :]
    row = row[: row.index("</tr>")]
    assert f'href="{reverse("cases:detail", args=[case.pk])}"' in row
    assert f">{long_title[:69]}…</a>" in row
    assert "2000.00 EUR" in row
    assert f'datetime="{deadline.isoformat()}">{deadline:%Y-%m-%d %H:%M} UTC</time>' in row
    assert 'class="small text-danger-emphasis">overdue by 2\xa0hours</div>' in row
    assert "<td>Mia Moderator</td>" in row
    # and the cases nobody holds say so, with a deadline still ahead
    assert body.count("<td>—</td>") == 2
    assert 'class="small text-body-secondary">in ' in body


def test_the_rows_speak_the_moderator_s_language(client, world, cases):  # noqa: F811
    Case.objects.filter(pk=cases[1].pk).update(
        deadline_at=timezone.now() - datetime.timedelta(days=1, hours=3)
    )
    client.force_login(world.platform_a.moderator)
    body = client.get(reverse("cases:queue"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "已逾期 1\xa0日，3\xa0小时" in body
    assert 'aria-label="选择 BRANDA bag 1"' in body


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize(
    "delta",
    [
        datetime.timedelta(seconds=-30),
        datetime.timedelta(seconds=59),
        datetime.timedelta(minutes=1, seconds=59.5),
        datetime.timedelta(hours=2, minutes=5),
        datetime.timedelta(days=6, hours=23, minutes=59, seconds=59),
        datetime.timedelta(days=27, hours=23, minutes=59),
        datetime.timedelta(days=28),
        datetime.timedelta(days=400, hours=3),
    ],
)
def test_a_deadline_s_distance_reads_as_timesince_wrote_it(language, delta):
    # given a time in late February, when the next month begins within four weeks
    earlier = datetime.datetime(2026, 2, 20, 17, 45, 12, 500_000, tzinfo=datetime.UTC)
    with translation.override(language):
        # when the queue's rows name the time between it and a later one, twice (kept the second)
        shown = [case_views._time_between(earlier, earlier + delta) for _ in range(2)]
        # then it is Django's text for those two times
        assert shown == [timesince(earlier, earlier + delta)] * 2


def test_the_bulk_form_offers_the_templates_in_view_with_their_decision_and_platform(
    client,
    world,
    cases,  # noqa: F811
):
    # given a global template, one of platform A and one of platform B
    ReasonTemplateFactory(title="Global counterfeit")
    ReasonTemplateFactory(action="reject", platform=world.platform_a.platform, title="A genuine")
    ReasonTemplateFactory(platform=world.platform_b.platform, title="Market B rule")
    client.force_login(world.platform_a.moderator)
    # when platform A's moderator opens the queue
    body = client.get(reverse("cases:queue")).content.decode()
    # then the bulk form offers the global and platform A's, named with decision and platform
    assert ">Remove: Global counterfeit</option>" in body
    assert f">Reject: A genuine ({world.platform_a.platform})</option>" in body
    assert "Market B rule" not in body
    # and the platform filter names platform A
    assert (
        f'<option value="{world.platform_a.platform.pk}">{world.platform_a.platform}</option>'
        in body
    )
