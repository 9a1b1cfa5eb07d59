"""The moderators' pages: the queue in order, claim next, deciding from the case page."""

import pytest
from django.urls import reverse

from takedown.models import Case
from takedown.states import CaseStatus
from tests.takedown.test_cases import cases  # noqa: F401 - the fixture

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
