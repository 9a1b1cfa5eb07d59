"""Reason templates: offered on the case page for the case's platform, filled from the case."""

import factory
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from takedown.models import Case, CaseEvent, ReasonTemplate
from takedown.states import CaseStatus
from tests.takedown.factories import UserFactory
from tests.takedown.test_cases import cases  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


class ReasonTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReasonTemplate

    action = "remove"
    title = factory.Sequence(lambda n: f"Template {n}")
    text = "“{listing_title}” copies {right} of {rights_holder} ({complaint_reference})."


@pytest.fixture
def reason_template_factory():
    return ReasonTemplateFactory


def test_the_case_page_offers_global_and_own_platform_templates_filled_from_the_case(
    client,
    world,
    cases,  # noqa: F811
):
    # given a global template, one of platform A and one of platform B
    ReasonTemplateFactory(title="Global counterfeit")
    ReasonTemplateFactory(
        platform=world.platform_a.platform, title="Market A rule", text="{platform}: {regime}"
    )
    ReasonTemplateFactory(platform=world.platform_b.platform, title="Market B rule")
    case = cases[0]
    right = world.holder_a.rights[0]
    client.force_login(world.platform_a.moderator)
    # when platform A's moderator opens a case of platform A
    body = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    # then the global and platform A's templates are offered, filled in; platform B's is not
    assert "Global counterfeit" in body and "Market A rule" in body
    assert "Market B rule" not in body
    filled = (
        f"“{case.listing.title}” copies {right.name} ({right.get_office_display()} "
        f"{right.registration_number}) of Holder A ({case.complaint.reference})."
    )
    assert f'data-text="{filled}"' in body
    regime = world.platform_a.platform.get_counter_notice_regime_display()
    assert f'data-text="Market A: {regime}"' in body
    assert "reason_templates.js" in body


def test_without_javascript_a_chosen_template_s_text_decides_the_case(
    client,
    world,
    cases,  # noqa: F811
):
    # given a removal template
    template = ReasonTemplateFactory(title="Counterfeit")
    case = cases[0]
    client.force_login(world.platform_a.moderator)
    # when the moderator posts the template's id with an empty explanation
    client.post(
        reverse("cases:act", args=[case.pk]),
        {"action": "remove", "explanation": "", "reason_template": template.pk},
    )
    # then the case is removed with the template's text, filled for this case
    case.refresh_from_db()
    assert case.status == CaseStatus.REMOVED
    reason = CaseEvent.objects.filter(case=case, action="remove").get().reason
    assert reason.startswith(f"“{case.listing.title}” copies {world.holder_a.rights[0].name}")
    assert case.complaint.reference in case.statements.get().decision_facts


def test_a_typed_explanation_wins_over_the_template(client, world, cases):  # noqa: F811
    template = ReasonTemplateFactory(title="Counterfeit")
    client.force_login(world.platform_a.moderator)
    client.post(
        reverse("cases:act", args=[cases[0].pk]),
        {"action": "remove", "explanation": "Edited text.", "reason_template": template.pk},
    )
    assert CaseEvent.objects.get(case=cases[0], action="remove").reason == "Edited text."


def test_a_template_for_another_decision_is_refused_naming_both(client, world, cases):  # noqa: F811
    template = ReasonTemplateFactory(action="reject", title="Genuine goods")
    client.force_login(world.platform_a.moderator)
    answer = client.post(
        reverse("cases:act", args=[cases[0].pk]),
        {"action": "remove", "explanation": "", "reason_template": template.pk},
        follow=True,
    )
    body = answer.content.decode()
    assert "The template “Genuine goods” is for “Reject”, not for “Remove”." in body
    assert Case.objects.get(pk=cases[0].pk).status == CaseStatus.OPEN


def test_another_platform_s_template_is_refused(client, world, cases):  # noqa: F811
    template = ReasonTemplateFactory(platform=world.platform_b.platform)
    client.force_login(world.platform_a.moderator)
    answer = client.post(
        reverse("cases:act", args=[cases[0].pk]),
        {"action": "remove", "explanation": "", "reason_template": template.pk},
        follow=True,
    )
    assert "not offered on this platform" in answer.content.decode()
    assert Case.objects.get(pk=cases[0].pk).status == CaseStatus.OPEN


def test_a_text_with_an_unknown_placeholder_is_refused_naming_it():
    template = ReasonTemplateFactory.build(text="Removed: {listing_titel} copies {right}.")
    with pytest.raises(ValidationError, match=r"Unknown placeholder \{listing_titel\}"):
        template.full_clean()


def test_the_operator_adds_a_template_in_the_admin(client, world):
    operator = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(operator)
    url = reverse("admin:takedown_reasontemplate_add")
    refused = client.post(
        url, {"action": "reject", "title": "Bad", "text": "{seller_name}", "active": "on"}
    )
    assert "Unknown placeholder {seller_name}" in refused.content.decode()
    client.post(
        url,
        {"action": "reject", "title": "Not the mark", "text": "Not {right}.", "active": "on"},
    )
    assert ReasonTemplate.objects.get(title="Not the mark").platform is None
