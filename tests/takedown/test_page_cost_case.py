"""What the appeals queue and a decision still say after reading less."""

import pytest
from django.urls import reverse

from takedown.models import Case
from takedown.states import CaseStatus
from tests.takedown.test_appeal_queue import _appealed
from tests.takedown.test_cases import cases  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db

BADGE = 'id="appeals-count" class="badge rounded-pill text-bg-warning">{n}<'


def test_the_appeals_badge_counts_every_open_appeal_on_a_filtered_page(
    client,
    world,
    cases,  # noqa: F811
):
    # given two open appeals by sellers
    _appealed(cases[0], world.operator_moderator, "Genuine.")
    _appealed(cases[1], world.operator_moderator, "Second-hand original.")
    client.force_login(world.platform_a.moderator)
    # when the queue is shown whole, then filtered to the notifiers' appeals
    whole = client.get(reverse("cases:appeal-queue")).content.decode()
    filtered = client.get(reverse("cases:appeal-queue"), {"by": "notifier"}).content.decode()
    # then the badge says two both times, though the filtered page lists none
    assert "2 appeals wait" in whole and BADGE.format(n=2) in whole
    assert "No appeal waits." in filtered and BADGE.format(n=2) in filtered


def test_a_decision_names_the_case_s_new_status(client, world, cases):  # noqa: F811
    client.force_login(world.platform_a.moderator)
    answer = client.post(
        reverse("cases:act", args=[cases[1].pk]),
        {"action": "remove", "explanation": "Copied mark on a bag sold at a tenth of the price."},
        follow=True,
    )
    assert "Decided: Removed." in answer.content.decode()
    assert Case.objects.get(pk=cases[1].pk).status == CaseStatus.REMOVED
