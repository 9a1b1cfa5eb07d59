"""Every page of one tenant's object answers 404 to every other tenant, and asks strangers to log in.

A 404 (not a 403) keeps another tenant from learning that an object exists.
The list of URLs below covers every object URL of the pages; a new one belongs here.
"""

import pytest
from django.conf import settings
from django.urls import reverse

from rightsholders.models import AgentAuthorisation, AuthorisedSeller, Organisation, Right
from takedown.states import RightStatus

# name -> (method, how to build the URL from the objects of holder B and platform B)
OBJECT_URLS = {
    "right-detail": ("get", lambda o: reverse("rightsholders:right-detail", args=[o["right"].pk])),
    "right-edit": ("get", lambda o: reverse("rightsholders:right-edit", args=[o["right"].pk])),
    "right-edit-post": (
        "post",
        lambda o: reverse("rightsholders:right-edit", args=[o["right"].pk]),
    ),
    "right-image": (
        "get",
        lambda o: reverse("rightsholders:right-image", args=[o["design"].pk, o["image"].pk]),
    ),
    "right-image-remove": (
        "post",
        lambda o: reverse("rightsholders:right-image-remove", args=[o["design"].pk, o["image"].pk]),
    ),
    "proof-document": (
        "get",
        lambda o: reverse("rightsholders:proof-document", args=[o["right"].pk, o["document"].pk]),
    ),
    "right-verify": ("post", lambda o: reverse("rightsholders:right-verify", args=[o["new"].pk])),
    "right-reject": ("post", lambda o: reverse("rightsholders:right-reject", args=[o["new"].pk])),
    "right-suspend": (
        "post",
        lambda o: reverse("rightsholders:right-suspend", args=[o["right"].pk]),
    ),
    "right-reinstate": (
        "post",
        lambda o: reverse("rightsholders:right-reinstate", args=[o["suspended"].pk]),
    ),
    "authorisation-letter": (
        "get",
        lambda o: reverse("rightsholders:authorisation-letter", args=[o["authorisation"].pk]),
    ),
    "authorisation-revoke": (
        "post",
        lambda o: reverse("rightsholders:authorisation-revoke", args=[o["authorisation"].pk]),
    ),
    "authorised-seller-remove": (
        "post",
        lambda o: reverse("rightsholders:authorised-seller-remove", args=[o["seller"].pk]),
    ),
    "listing-detail": ("get", lambda o: reverse("listings:listing-detail", args=[o["listing"].pk])),
}
# Listings belong to platform B; everything else to rights holder B.
PLATFORM_OBJECTS = {"listing-detail"}


@pytest.fixture
def holder_b_objects(
    world,
    right_factory,
    proof_document_factory,
    agent_authorisation_factory,
    authorised_seller_factory,
    organisation_factory,
):
    """Objects of rights holder B and platform B in every state the URLs need."""
    holder_b = world.holder_b.organisation
    mark, design = world.holder_b.rights
    new = right_factory(rights_holder=holder_b, status=RightStatus.SUBMITTED)
    proof_document_factory(right=new)
    suspended = right_factory(rights_holder=holder_b, status=RightStatus.SUSPENDED)
    # B's letter goes to a firm the world's agent does not work for.
    other_firm = organisation_factory(kind=Organisation.Kind.AGENT, name="Other Firm")
    return {
        "right": mark,
        "design": design,
        "image": design.images.get(),
        "document": mark.proof_documents.get(),
        "new": new,
        "suspended": suspended,
        "authorisation": agent_authorisation_factory(agent=other_firm, rights_holder=holder_b),
        "seller": authorised_seller_factory(
            rights_holder=holder_b, platform=world.platform_b.platform
        ),
        "listing": world.platform_b.platform.listings.first(),
    }


def _other_tenants(world, user_factory, *, owner: str) -> dict[str, object]:
    """Every logged-in user outside the owning tenant, including a Django staff user."""
    users = {
        "holder A admin": world.holder_a.admin,
        "holder A member": world.holder_a.member,
        "agent for holder A (admin)": world.agent.admin,
        "agent for holder A (member)": world.agent.member,
        "platform A admin": world.platform_a.admin,
        "platform A member": world.platform_a.member,
        "platform A moderator": world.platform_a.moderator,
        "staff without membership": user_factory(username="staff", is_staff=True),
    }
    if owner == "platform":
        users |= {
            "holder B admin": world.holder_b.admin,
            "holder B member": world.holder_b.member,
        }
    else:
        users |= {
            "platform B admin": world.platform_b.admin,
            "platform B member": world.platform_b.member,
            "platform B moderator": world.platform_b.moderator,
        }
    return users


def _state(objects) -> dict[str, object]:
    """What a refused request must leave unchanged."""
    return {
        "statuses": dict(Right.objects.values_list("pk", "status")),
        "images": objects["design"].images.count(),
        "revoked": AgentAuthorisation.objects.filter(revoked_at__isnull=False).count(),
        "sellers": AuthorisedSeller.objects.count(),
    }


@pytest.mark.parametrize("name", sorted(OBJECT_URLS))
def test_another_tenant_gets_404_and_changes_nothing(
    client, world, holder_b_objects, user_factory, name
):
    # given an object URL of holder B (or platform B) and every user of another tenant
    method, build = OBJECT_URLS[name]
    url = build(holder_b_objects)
    owner = "platform" if name in PLATFORM_OBJECTS else "holder"
    users = _other_tenants(world, user_factory, owner=owner)
    before = _state(holder_b_objects)
    # when each of them requests it
    statuses = {}
    for label, user in users.items():
        client.force_login(user)
        statuses[label] = getattr(client, method)(url, {"reason": "not mine"}).status_code
    # then each gets 404 and nothing changed
    assert statuses == dict.fromkeys(users, 404)
    assert _state(holder_b_objects) == before


@pytest.mark.parametrize("name", sorted(OBJECT_URLS))
def test_anonymous_user_is_sent_to_log_in(client, holder_b_objects, name):
    # given an object URL and nobody logged in
    method, build = OBJECT_URLS[name]
    url = build(holder_b_objects)
    # when it is requested
    response = getattr(client, method)(url)
    # then the answer is a redirect to the login page that comes back here
    assert response.status_code == 302
    assert response["Location"] == f"{reverse(settings.LOGIN_URL)}?next={url}"


@pytest.mark.parametrize("name", sorted(OBJECT_URLS))
def test_the_owner_side_reaches_every_object_url(client, world, holder_b_objects, name):
    # given the same URLs, for the tenant that owns the objects (or the operator moderator)
    method, build = OBJECT_URLS[name]
    url = build(holder_b_objects)
    owner = world.platform_b.member if name in PLATFORM_OBJECTS else world.operator_moderator
    client.force_login(owner)
    # when it requests them
    response = getattr(client, method)(url, {"reason": "checked"})
    # then none is a 404: the 404s above come from tenancy, not from a wrong URL
    assert response.status_code != 404
