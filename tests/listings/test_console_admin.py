"""The operators' admin for tokens and feeds: secrets shown once, revocation by the service."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from listings.models import PlatformToken
from listings.services.tokens import platform_token_authenticate, platform_token_create
from tests.listings.test_console import FeedBatchFactory, FeedLineErrorFactory


@pytest.fixture
def superuser(user_factory):
    return user_factory(username="root", is_staff=True, is_superuser=True)


def test_admin_creates_a_token_through_the_service_and_shows_its_secret_once(
    client, world, superuser
):
    # given the operator's superuser in the admin
    client.force_login(superuser)
    # when they add a token for platform A
    response = client.post(
        reverse("admin:listings_platformtoken_add"),
        {"platform": world.platform_a.platform.pk, "name": "Admin-made"},
    )
    # then the response shows a secret that authenticates as that token
    token = PlatformToken.objects.get(name="Admin-made")
    secret = response.context["secret"]
    assert response.status_code == 200
    assert secret in response.content.decode()
    assert platform_token_authenticate(secret) == token
    assert token.created_by == superuser
    # and the token's admin page shows the hash, never the secret
    page = client.get(reverse("admin:listings_platformtoken_change", args=[token.pk]))
    assert token.token_hash in page.content.decode()
    assert secret not in page.content.decode()
    assert secret not in str(dict(client.session))


def test_admin_action_revokes_the_selected_tokens(client, world, superuser):
    # given two working tokens
    made = [
        platform_token_create(actor=None, platform=world.platform_a.platform, name=n) for n in "AB"
    ]
    client.force_login(superuser)
    # when the admin revokes both with the action
    client.post(
        reverse("admin:listings_platformtoken_changelist"),
        {"action": "revoke_selected", ACTION_CHECKBOX_NAME: [t.pk for t, _ in made]},
    )
    # then neither authenticates
    assert [platform_token_authenticate(secret) for _, secret in made] == [None, None]


def test_feed_admin_shows_refused_lines_read_only(client, world, superuser):
    # given a feed with a refused line
    feed = FeedBatchFactory(platform=world.platform_a.platform)
    FeedLineErrorFactory(batch=feed, line=7, field="currency", message="Unknown currency 'EUX'")
    client.force_login(superuser)
    # when its admin page is opened
    response = client.get(reverse("admin:listings_feedbatch_change", args=[feed.pk]))
    # then the refused line shows, and nothing can be saved or deleted
    page = response.content.decode()
    assert response.status_code == 200
    assert "Unknown currency" in page
    assert 'name="_save"' not in page
    assert reverse("admin:listings_feedbatch_delete", args=[feed.pk]) not in page


@pytest.mark.parametrize(
    "model", ["feedbatch", "listingsnapshot", "imageblob", "listingimage", "platformtoken"]
)
def test_admin_lists_are_viewable(client, world, superuser, model):
    # when the operator opens each list, then it is there
    client.force_login(superuser)
    assert client.get(reverse(f"admin:listings_{model}_changelist")).status_code == 200
