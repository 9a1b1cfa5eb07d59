"""Tenancy, decided in takedown/access.py, seen through every selector."""

import pytest
from django.http import Http404

from listings.models import Listing
from listings.selectors import listing_get, listings_for, platforms_for
from rightsholders.models import ProofDocument, RightImage
from rightsholders.selectors import (
    authorisations_for,
    proof_document_get,
    right_get,
    right_image_get,
    rights_awaiting_verification,
    rights_for,
)

pytestmark = pytest.mark.django_db


def people(world):
    """Every logged-in person of the world, by a readable name."""
    return {
        "holder_a.admin": world.holder_a.admin,
        "holder_a.member": world.holder_a.member,
        "holder_b.admin": world.holder_b.admin,
        "holder_b.member": world.holder_b.member,
        "agent.admin": world.agent.admin,
        "agent.member": world.agent.member,
        "platform_a.admin": world.platform_a.admin,
        "platform_a.moderator": world.platform_a.moderator,
        "platform_b.moderator": world.platform_b.moderator,
        "operator": world.operator_moderator,
    }


# who may see holder B's rights and their files
SEES_HOLDER_B_RIGHTS = {"holder_b.admin", "holder_b.member", "operator"}
# who may see platform B's listings
SEES_PLATFORM_B_LISTINGS = {"platform_b.moderator", "operator"}


def test_each_person_gets_404_on_every_right_and_file_of_holder_b_unless_entitled(world):
    right = world.holder_b.rights[1]
    image = RightImage.objects.get(right=right)
    document = ProofDocument.objects.get(right=right)
    for name, user in people(world).items():
        lookups = [
            lambda u: right_get(u, right.pk),
            lambda u: right_image_get(u, right_id=right.pk, pk=image.pk),
            lambda u: proof_document_get(u, right_id=right.pk, pk=document.pk),
        ]
        for lookup in lookups:
            if name in SEES_HOLDER_B_RIGHTS:
                assert lookup(user) is not None, name
            else:
                with pytest.raises(Http404):
                    lookup(user)


def test_a_file_cannot_be_reached_through_another_right(world):
    # holder A's admin asks for holder B's image under holder A's right id
    image_b = RightImage.objects.get(right=world.holder_b.rights[1])
    with pytest.raises(Http404):
        right_image_get(world.holder_a.admin, right_id=world.holder_a.rights[1].pk, pk=image_b.pk)


def test_each_person_gets_404_on_platform_b_listings_unless_entitled(world):
    listing = Listing.objects.filter(platform=world.platform_b.platform).first()
    for name, user in people(world).items():
        if name in SEES_PLATFORM_B_LISTINGS:
            assert listing_get(user, listing.pk) == listing
        else:
            with pytest.raises(Http404):
                listing_get(user, listing.pk)


def test_platform_users_see_only_their_platform(world):
    assert set(platforms_for(world.platform_a.admin)) == {world.platform_a.platform}
    assert {lst.platform for lst in listings_for(world.platform_a.moderator)} == {
        world.platform_a.platform
    }
    assert listings_for(world.operator_moderator).count() == 4
    assert listings_for(world.holder_a.admin).count() == 0


def test_platform_users_see_no_rights(world):
    assert rights_for(world.platform_a.moderator).count() == 0


def test_only_operator_moderators_have_a_verification_queue(world, right_factory):
    right_factory(rights_holder=world.holder_a.organisation, status="submitted")
    assert rights_awaiting_verification(world.operator_moderator).count() == 1
    assert rights_awaiting_verification(world.platform_a.moderator).count() == 0
    assert rights_awaiting_verification(world.holder_a.admin).count() == 0


def test_authorisations_are_seen_by_both_parties_only(world):
    assert authorisations_for(world.holder_a.admin).count() == 1
    assert authorisations_for(world.agent.member).count() == 1
    assert authorisations_for(world.holder_b.admin).count() == 0
    assert authorisations_for(world.platform_a.admin).count() == 0


def test_anonymous_sees_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    anonymous = AnonymousUser()
    assert (rights_for(anonymous).count(), listings_for(anonymous).count()) == (0, 0)


def test_deactivated_organisation_loses_access(world):
    world.holder_b.organisation.is_active = False
    world.holder_b.organisation.save()
    assert rights_for(world.holder_b.admin).count() == 0
