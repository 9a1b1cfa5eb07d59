import datetime

import pytest
from django.utils import timezone

from rightsholders.models import AgentAuthorisation
from rightsholders.selectors import is_authorised_seller, rights_for
from rightsholders.services import (
    agent_authorisation_grant,
    agent_authorisation_revoke,
    authorised_seller_add,
    membership_add,
)
from takedown.access import forget_access
from takedown.errors import DomainError, NotPermitted
from tests.files import pdf_upload, upload

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def visible(user) -> set[str]:
    forget_access(user)
    return set(rights_for(user).values_list("name", flat=True))


def test_agent_sees_only_the_rights_holders_it_is_authorised_for(world):
    assert visible(world.agent.member) == {"BRANDA", "Bag design A"}


def test_holder_admin_grants_a_scoped_authorisation(world, organisation_factory):
    # given a second law firm
    firm = organisation_factory(kind="agent", name="Second Firm")
    lawyer = membership_add(organisation=firm, user=world.holder_b.member, role="member").user
    # when holder B's admin authorises it for the design only
    auth = agent_authorisation_grant(
        actor=world.holder_b.admin,
        rights_holder=world.holder_b.organisation,
        agent=firm,
        letter=pdf_upload("letter-of-authorisation.pdf"),
        valid_from=TODAY,
        valid_until=TODAY + datetime.timedelta(days=365),
        all_rights=False,
        rights=[world.holder_b.rights[1]],
    )
    # then the firm's lawyer sees that design (besides holder B's own, as a member there)
    assert auth.letter_name == "letter-of-authorisation.pdf"
    assert len(auth.letter_sha256) == 64
    assert visible(lawyer) >= {"Bag design B"}


def test_scoped_authorisation_shows_only_the_rights_in_scope(
    world, organisation_factory, user_factory
):
    firm = organisation_factory(kind="agent", name="Scoped Firm")
    lawyer = membership_add(organisation=firm, user=user_factory(), role="member").user
    agent_authorisation_grant(
        actor=world.holder_b.admin,
        rights_holder=world.holder_b.organisation,
        agent=firm,
        letter=pdf_upload(),
        valid_from=TODAY,
        valid_until=TODAY + datetime.timedelta(days=30),
        all_rights=False,
        rights=[world.holder_b.rights[1]],
    )
    assert visible(lawyer) == {"Bag design B"}


def test_a_member_who_is_not_admin_cannot_grant(world):
    with pytest.raises(NotPermitted, match="Only an administrator"):
        agent_authorisation_grant(
            actor=world.holder_b.member,
            rights_holder=world.holder_b.organisation,
            agent=world.agent.organisation,
            letter=pdf_upload(),
            valid_from=TODAY,
            valid_until=TODAY + datetime.timedelta(days=30),
        )


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        (
            {
                "valid_until": TODAY - datetime.timedelta(days=1),
                "valid_from": TODAY - datetime.timedelta(days=9),
            },
            "valid_until",
            "already have ended",
        ),
        (
            {"valid_until": TODAY, "valid_from": TODAY + datetime.timedelta(days=9)},
            "valid_until",
            "cannot end before it starts",
        ),
        ({"all_rights": False}, "rights", "Choose the rights it covers"),
        (
            {"letter": upload("letter.docx", b"PK\x03\x04" + b"0" * 40)},
            "letter",
            "letter.docx: this type of file is not accepted",
        ),
        (
            {"may_manage_rights": False, "may_file_complaints": False},
            "may_file_complaints",
            "must allow something",
        ),
    ],
)
def test_bad_authorisation_is_refused_naming_the_field(world, kwargs, field, message):
    values = dict(
        actor=world.holder_b.admin,
        rights_holder=world.holder_b.organisation,
        agent=world.agent.organisation,
        letter=pdf_upload(),
        valid_from=TODAY,
        valid_until=TODAY + datetime.timedelta(days=30),
    )
    values.update(kwargs)
    with pytest.raises(DomainError, match=message) as raised:
        agent_authorisation_grant(**values)
    assert raised.value.field == field
    assert not AgentAuthorisation.objects.filter(rights_holder=world.holder_b.organisation).exists()


def test_a_right_of_another_holder_cannot_be_put_in_scope(world):
    with pytest.raises(DomainError, match="is not a right of Holder B"):
        agent_authorisation_grant(
            actor=world.holder_b.admin,
            rights_holder=world.holder_b.organisation,
            agent=world.agent.organisation,
            letter=pdf_upload(),
            valid_from=TODAY,
            valid_until=TODAY + datetime.timedelta(days=30),
            all_rights=False,
            rights=[world.holder_a.rights[0]],
        )


def test_revoked_authorisation_stops_the_agent_at_once(world):
    auth = AgentAuthorisation.objects.get(agent=world.agent.organisation)
    agent_authorisation_revoke(
        actor=world.holder_a.admin, authorisation=auth, reason="Switched firms"
    )
    assert visible(world.agent.member) == set()
    with pytest.raises(DomainError, match="already revoked"):
        agent_authorisation_revoke(actor=world.holder_a.admin, authorisation=auth, reason="again")


def test_expired_authorisation_stops_the_agent(world):
    AgentAuthorisation.objects.filter(agent=world.agent.organisation).update(
        valid_from=TODAY - datetime.timedelta(days=400),
        valid_until=TODAY - datetime.timedelta(days=1),
    )
    assert visible(world.agent.member) == set()


def test_authorisation_not_yet_started_gives_nothing(world):
    AgentAuthorisation.objects.filter(agent=world.agent.organisation).update(
        valid_from=TODAY + datetime.timedelta(days=1),
        valid_until=TODAY + datetime.timedelta(days=100),
    )
    assert visible(world.agent.member) == set()


def test_moderator_role_only_at_platforms_and_operator(world, user_factory):
    with pytest.raises(DomainError, match="Moderators belong to a platform or to the operator"):
        membership_add(
            organisation=world.holder_a.organisation, user=user_factory(), role="moderator"
        )


def test_authorised_seller_is_authorised_for_all_rights_or_the_chosen_ones(world):
    # given two sellers on platform A: one for all of holder A's rights, one for the design only
    platform = world.platform_a.platform
    mark, design = world.holder_a.rights
    authorised_seller_add(
        actor=world.holder_a.admin,
        rights_holder=world.holder_a.organisation,
        platform=platform,
        seller_external_id="official",
    )
    authorised_seller_add(
        actor=world.holder_a.admin,
        rights_holder=world.holder_a.organisation,
        platform=platform,
        seller_external_id="reseller",
        rights=[design],
    )
    # then
    assert is_authorised_seller(right=mark, platform_id=platform.pk, seller_external_id="official")
    assert is_authorised_seller(
        right=design, platform_id=platform.pk, seller_external_id="reseller"
    )
    assert not is_authorised_seller(
        right=mark, platform_id=platform.pk, seller_external_id="reseller"
    )
    assert not is_authorised_seller(
        right=mark, platform_id=world.platform_b.platform.pk, seller_external_id="official"
    )
    assert not is_authorised_seller(
        right=world.holder_b.rights[0], platform_id=platform.pk, seller_external_id="official"
    )


def test_authorised_seller_twice_is_refused(world):
    platform = world.platform_a.platform
    authorised_seller_add(
        actor=world.holder_a.admin,
        rights_holder=world.holder_a.organisation,
        platform=platform,
        seller_external_id="s1",
    )
    with pytest.raises(DomainError, match="already authorised"):
        authorised_seller_add(
            actor=world.holder_a.admin,
            rights_holder=world.holder_a.organisation,
            platform=platform,
            seller_external_id="s1",
        )


def test_other_holder_cannot_authorise_sellers_for_me(world):
    with pytest.raises(NotPermitted):
        authorised_seller_add(
            actor=world.holder_b.admin,
            rights_holder=world.holder_a.organisation,
            platform=world.platform_a.platform,
            seller_external_id="x",
        )
