"""The admin reaches every decision through the services, asking for the explanation first."""

import pytest
from django.urls import reverse

from takedown.models import Case, CaseEvent
from takedown.states import CaseStatus
from tests.takedown.factories import UserFactory
from tests.takedown.test_cases import cases  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def test_an_admin_removes_selected_cases_after_writing_the_facts(client, world, cases):  # noqa: F811
    operator = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(operator)
    url = reverse("admin:takedown_case_changelist")
    ids = [str(c.pk) for c in cases[:2]]
    # when the action is chosen, the admin first asks for the statement of reasons
    asked = client.post(url, {"action": "remove_selected", "_selected_action": ids})
    assert "the facts and circumstances" in asked.content.decode()
    assert Case.objects.filter(status=CaseStatus.REMOVED).count() == 0
    # when it is written, the cases are removed through the service
    done = client.post(
        url,
        {
            "action": "remove_selected",
            "_selected_action": ids,
            "apply": "1",
            "explanation": "Counterfeit goods: copied logo, price a tenth of the genuine one.",
        },
        follow=True,
    )
    assert "Remove: 2 case(s)." in done.content.decode()
    assert Case.objects.filter(status=CaseStatus.REMOVED).count() == 2
    assert CaseEvent.objects.filter(action="remove", actor=operator).count() == 2
    # and a case page shows its statement and history
    page = client.get(reverse("admin:takedown_case_change", args=[cases[0].pk]))
    assert "Content removed" in page.content.decode()
    assert "Regulation (EU) 2017/1001" in page.content.decode()


def test_an_admin_designates_a_trusted_flagger_and_decides_an_appeal(client, world, cases):  # noqa: F811
    from takedown.models import Appeal
    from takedown.services.cases import Decision, case_decide
    from takedown.services.remedies import appeal_file

    operator = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(operator)
    holder = world.holder_a.organisation
    client.post(
        reverse("admin:rightsholders_organisation_changelist"),
        {"action": "designate_trusted_flaggers", "_selected_action": [holder.pk]},
    )
    holder.refresh_from_db()
    assert holder.trusted_flagger_since is not None
    removed = case_decide(
        actor=world.platform_a.moderator,
        case=cases[0],
        decision=Decision("remove", "Counterfeit bag with the mark, a tenth of the price."),
    )
    appeal = appeal_file(case=removed, by="seller", statement="Genuine goods.")
    client.post(
        reverse("admin:takedown_appeal_changelist"),
        {
            "action": "dismiss_selected",
            "_selected_action": [appeal.pk],
            "apply": "1",
            "explanation": "The invoice is for another product.",
        },
    )
    assert Appeal.objects.get(pk=appeal.pk).status == "dismissed"


@pytest.mark.parametrize(
    "name", ["strike", "sellerwarning", "webhookendpoint", "counternotice", "appeal"]
)
def test_the_operator_lists_remedies_and_webhooks_in_the_admin(client, world, name):
    operator = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(operator)
    assert client.get(reverse(f"admin:takedown_{name}_changelist")).status_code == 200
