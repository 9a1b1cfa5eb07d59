"""Bulk decisions from the queue: one decision for several cases, each decided on its own."""

import pytest
from django.urls import reverse

from takedown.models import Case
from takedown.services.cases import case_claim, case_decide
from takedown.services.complaints import complaint_file
from takedown.states import CaseStatus
from tests.listings.factories import ListingFactory
from tests.takedown.test_cases import REMOVE, cases  # noqa: F401 - the fixture
from tests.takedown.test_complaints import data
from tests.takedown.test_csp import assert_kept_to_policy
from tests.takedown.test_reason_templates import ReasonTemplateFactory

pytestmark = pytest.mark.django_db


def _platform_b_case(world) -> Case:
    listing = ListingFactory(platform=world.platform_b.platform, title="BRANDB bag", ship_to=["DE"])
    complaint = complaint_file(
        actor=world.holder_b.member,
        rights_holder=world.holder_b.organisation,
        right_ids=[world.holder_b.rights[0].pk],
        listing_ids=[listing.pk],
        data=data(),
    )
    return complaint.cases.get()


def test_one_refused_case_does_not_stop_the_others_and_each_outcome_is_named(
    client,
    world,
    cases,  # noqa: F811
):
    # given three open cases: one decided meanwhile, one claimed by another moderator
    decided, claimed, free = cases
    case_decide(actor=world.operator_moderator, case=decided, decision=REMOVE)
    case_claim(actor=world.operator_moderator, case=claimed)
    template = ReasonTemplateFactory(title="Counterfeit", text="“{listing_title}” copies {right}.")
    client.force_login(world.platform_a.moderator)
    # when platform A's moderator removes all three with a template
    page = client.post(
        reverse("cases:bulk-decide"),
        {
            "case": [decided.pk, claimed.pk, free.pk],
            "action": "remove",
            "reason_template": template.pk,
        },
    )
    body = page.content.decode()
    # then the free case is removed with the template filled for its own listing
    free.refresh_from_db()
    assert free.status == CaseStatus.REMOVED
    assert free.statements.get().illegal_content_explanation == (
        f"“{free.listing.title}” copies {world.holder_a.rights[0].name} "
        f"({world.holder_a.rights[0].get_office_display()} "
        f"{world.holder_a.rights[0].registration_number})."
    )
    # and the other two are listed as refused, each with its reason, unchanged
    assert Case.objects.get(pk=claimed.pk).status == CaseStatus.OPEN
    assert "1 case decided, 2 not decided." in body
    assert "Cannot remove a case that is removed." in body
    assert "operator-moderator is working on this case until" in body
    for case in cases:
        assert f'id="bulk-case-{case.pk}"' in body


def test_cases_of_two_platforms_are_refused_naming_them(client, world, cases):  # noqa: F811
    other = _platform_b_case(world)
    client.force_login(world.operator_moderator)
    answer = client.post(
        reverse("cases:bulk-decide"),
        {"case": [cases[0].pk, other.pk], "action": "reject", "explanation": "Genuine."},
        follow=True,
    )
    assert "Choose cases of one platform; the selection has cases of Market A, Market B." in (
        answer.content.decode()
    )
    assert {c.status for c in Case.objects.filter(pk__in=[cases[0].pk, other.pk])} == {
        CaseStatus.OPEN
    }


def test_another_tenant_s_case_is_not_found_and_not_decided(client, world, cases):  # noqa: F811
    other = _platform_b_case(world)
    client.force_login(world.platform_a.moderator)
    body = client.post(
        reverse("cases:bulk-decide"),
        {"case": [cases[0].pk, other.pk], "action": "reject", "explanation": "Genuine goods."},
    ).content.decode()
    assert "1 case decided, 1 not decided." in body
    assert "No such case among those you may see." in body and "BRANDB bag" not in body
    assert Case.objects.get(pk=other.pk).status == CaseStatus.OPEN


def test_a_bulk_decision_without_cases_or_reason_is_refused(client, world, cases):  # noqa: F811
    client.force_login(world.platform_a.moderator)
    none = client.post(
        reverse("cases:bulk-decide"), {"action": "reject", "explanation": "x"}, follow=True
    )
    assert "Choose at least one case to decide." in none.content.decode()
    silent = client.post(
        reverse("cases:bulk-decide"), {"case": [cases[0].pk], "action": "reject"}, follow=True
    )
    assert "Write the explanation or choose a reason template" in silent.content.decode()
    assert Case.objects.get(pk=cases[0].pk).status == CaseStatus.OPEN


def test_the_queue_offers_the_bulk_form_with_a_checkbox_per_case(client, world, cases):  # noqa: F811
    ReasonTemplateFactory(title="Genuine goods", action="reject")
    client.force_login(world.platform_a.moderator)
    body = client.get(reverse("cases:queue")).content.decode()
    for case in cases:
        assert f'name="case" value="{case.pk}" form="bulk-form"' in body
    assert "Reject: Genuine goods" in body


def test_the_bulk_form_is_for_moderators_only(client, world, cases):  # noqa: F811
    client.force_login(world.holder_a.member)
    answer = client.post(
        reverse("cases:bulk-decide"),
        {"case": [cases[0].pk], "action": "reject", "explanation": "x"},
    )
    assert answer.status_code == 403


def test_the_bulk_result_keeps_to_the_content_security_policy(client, world, cases):  # noqa: F811
    client.force_login(world.platform_a.moderator)
    assert_kept_to_policy(
        client.post(
            reverse("cases:bulk-decide"),
            {"case": [cases[0].pk], "action": "reject", "explanation": "Genuine goods."},
        )
    )
