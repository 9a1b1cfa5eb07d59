"""The platform console: tokens and feeds of one's own platforms, secrets shown once."""

import hashlib

import factory
import pytest
from django.core import serializers
from django.urls import reverse

from listings.models import FeedBatch, FeedLineError, PlatformToken
from listings.services.tokens import platform_token_authenticate, platform_token_create
from takedown.states import FeedStatus


class FeedBatchFactory(factory.django.DjangoModelFactory):
    """A feed as the ingestion leaves it; the file itself is not needed by the pages."""

    class Meta:
        model = FeedBatch

    format = FeedBatch.Format.JSONL
    file = factory.Sequence(lambda n: f"feeds/2025/01/01/feed-{n}.jsonl")
    size_bytes = 2048
    sha256 = factory.Sequence(lambda n: hashlib.sha256(str(n).encode()).hexdigest())
    status = FeedStatus.DONE
    lines = 10
    accepted = 8
    rejected = 2
    created = 5
    updated = 2
    unchanged = 1


class FeedLineErrorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FeedLineError

    batch = factory.SubFactory(FeedBatchFactory)
    line = factory.Sequence(lambda n: n + 1)
    field = "price"
    message = factory.Sequence(lambda n: f"Input should be a valid decimal (case {n})")


def token_for(platform, name="Catalogue export"):
    return platform_token_create(actor=None, platform=platform, name=name)


CONSOLE = reverse("listings:console")


def test_platform_admin_sees_its_tokens_and_feeds_and_not_the_other_platforms(client, world):
    # given a token and a feed on each platform
    own_token, _ = token_for(world.platform_a.platform, "Market A exporter")
    other_token, _ = token_for(world.platform_b.platform, "Market B exporter")
    own_feed = FeedBatchFactory(platform=world.platform_a.platform)
    other_feed = FeedBatchFactory(platform=world.platform_b.platform)
    client.force_login(world.platform_a.admin)
    # when platform A's admin opens the console
    response = client.get(CONSOLE)
    page = response.content.decode()
    # then platform A's token and feed are listed, and nothing of platform B
    assert response.status_code == 200
    assert own_token.name in page and own_token.prefix in page
    assert reverse("listings:console-feed-detail", args=[own_feed.pk]) in page
    assert other_token.prefix not in page
    assert "Market B" not in page
    assert reverse("listings:console-feed-detail", args=[other_feed.pk]) not in page
    # and the admin may create and revoke tokens
    assert reverse("listings:console-token-create", args=[world.platform_a.platform.pk]) in page
    assert reverse("listings:console-token-revoke", args=[own_token.pk]) in page


def test_operator_sees_every_platform(client, world):
    # given a token on each platform
    tokens = [token_for(t.platform)[0] for t in (world.platform_a, world.platform_b)]
    client.force_login(world.operator_moderator)
    # when the operator opens the console
    page = client.get(CONSOLE).content.decode()
    # then both platforms' tokens are listed
    assert all(token.prefix in page for token in tokens)


def test_a_feed_of_another_platform_is_not_found(client, world):
    # given a feed of platform B
    feed = FeedBatchFactory(platform=world.platform_b.platform)
    client.force_login(world.platform_a.admin)
    # when platform A's admin asks for its page and its polled row
    detail = client.get(reverse("listings:console-feed-detail", args=[feed.pk]))
    row = client.get(reverse("listings:console-feed-row", args=[feed.pk]))
    # then neither exists for them
    assert detail.status_code == 404
    assert row.status_code == 404


def test_a_rights_holder_is_refused_the_console(client, world):
    # given a feed and a token of platform A
    feed = FeedBatchFactory(platform=world.platform_a.platform)
    token, secret = token_for(world.platform_a.platform)
    client.force_login(world.holder_a.admin)
    # when a rights holder's admin opens the console pages or posts to them
    responses = [
        client.get(CONSOLE),
        client.get(reverse("listings:console-feed-detail", args=[feed.pk])),
        client.post(
            reverse("listings:console-token-create", args=[world.platform_a.platform.pk]),
            {"name": "Sneaky"},
        ),
        client.post(reverse("listings:console-token-revoke", args=[token.pk])),
    ]
    # then every one is refused, and the token still works
    assert [r.status_code for r in responses] == [403, 403, 403, 403]
    assert platform_token_authenticate(secret) is not None
    assert not PlatformToken.objects.filter(name="Sneaky").exists()


def test_strangers_are_sent_to_log_in(client, world):
    # when someone not logged in opens the console, then they are asked to log in
    response = client.get(CONSOLE)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_creating_a_token_shows_its_secret_once_and_stores_only_its_hash(client, world):
    # given platform A's admin
    client.force_login(world.platform_a.admin)
    url = reverse("listings:console-token-create", args=[world.platform_a.platform.pk])
    # when they create a token
    response = client.post(url, {"name": "Nightly catalogue"})
    # then the response itself shows the secret, and is not to be cached
    assert response.status_code == 200
    token = PlatformToken.objects.get(name="Nightly catalogue")
    [section] = [s for s in response.context["sections"] if s.new_token]
    secret = section.new_secret
    assert secret.startswith(token.prefix)
    assert secret in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    # and the secret works, made by that admin
    assert platform_token_authenticate(secret) == token
    assert token.created_by == world.platform_a.admin
    # and the database keeps only its hash
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in serializers.serialize("json", PlatformToken.objects.all())
    # and neither the session, the cookies nor the next page show it again
    assert secret not in str(dict(client.session))
    assert secret not in str(response.cookies)
    assert secret not in client.get(CONSOLE).content.decode()


def test_a_token_without_a_name_is_refused_next_to_the_field(client, world):
    # given platform A's admin
    client.force_login(world.platform_a.admin)
    url = reverse("listings:console-token-create", args=[world.platform_a.platform.pk])
    # when they submit a blank name
    response = client.post(url, {"name": "   "})
    # then no token is made and the form says why
    assert response.status_code == 400
    assert not PlatformToken.objects.exists()
    assert response.context["sections"][0].form.errors["name"]


def test_revoking_a_token_stops_it_authenticating(client, world):
    # given a working token of platform A
    token, secret = token_for(world.platform_a.platform)
    client.force_login(world.platform_a.admin)
    # when platform A's admin revokes it
    response = client.post(reverse("listings:console-token-revoke", args=[token.pk]), follow=True)
    # then it no longer authenticates, and the console says so
    assert platform_token_authenticate(secret) is None
    page = response.content.decode()
    assert "is revoked" in page
    assert "Revoked " in page


def test_operator_may_create_and_revoke_tokens_of_any_platform(client, world):
    # given a token of platform B
    token, secret = token_for(world.platform_b.platform)
    client.force_login(world.operator_moderator)
    # when the operator revokes it and creates another
    client.post(reverse("listings:console-token-revoke", args=[token.pk]))
    response = client.post(
        reverse("listings:console-token-create", args=[world.platform_b.platform.pk]),
        {"name": "Replacement"},
    )
    # then the old one is refused and the new one is shown
    assert platform_token_authenticate(secret) is None
    assert response.status_code == 200
    assert world.platform_b.platform.tokens.filter(name="Replacement").exists()


@pytest.mark.parametrize("who", ["member", "moderator"])
def test_platform_staff_who_are_not_admins_may_not_create_or_revoke(client, world, who):
    # given a token of platform A and one of its staff who is not an administrator
    token, secret = token_for(world.platform_a.platform)
    client.force_login(getattr(world.platform_a, who))
    # when they open the console, then they see the token but no form or button
    page = client.get(CONSOLE).content.decode()
    assert token.prefix in page
    assert reverse("listings:console-token-revoke", args=[token.pk]) not in page
    assert 'name="name"' not in page
    # when they post anyway, then they are refused
    create = client.post(
        reverse("listings:console-token-create", args=[world.platform_a.platform.pk]),
        {"name": "Mine"},
    )
    revoke = client.post(reverse("listings:console-token-revoke", args=[token.pk]))
    assert (create.status_code, revoke.status_code) == (403, 403)
    assert platform_token_authenticate(secret) is not None
    assert world.platform_a.platform.tokens.count() == 1


def test_feed_detail_shows_counts_and_refused_lines_a_hundred_a_page(client, world):
    # given a finished feed of platform A with 101 refused lines
    feed = FeedBatchFactory(
        platform=world.platform_a.platform, lines=150, accepted=49, rejected=101, created=40
    )
    FeedLineErrorFactory.create_batch(100, batch=feed)
    last = FeedLineErrorFactory(batch=feed, line=999, field="title", message="Field required")
    client.force_login(world.platform_a.member)
    url = reverse("listings:console-feed-detail", args=[feed.pk])
    # when its page is opened
    first = client.get(url)
    second = client.get(url, {"page": 2})
    # then the first page lists a hundred refused lines, the second the last one
    assert first.status_code == 200
    assert len(first.context["line_errors"]) == 100
    assert list(second.context["line_errors"]) == [last]
    page = second.content.decode()
    assert "Field required" in page and ">999<" in page
    # and the counts are shown, with no polling of a finished feed
    assert ">150<" in first.content.decode()
    assert "every 2s" not in first.content.decode()


def test_a_feed_being_ingested_is_polled_every_two_seconds(client, world):
    # given a feed being processed and a finished one
    running = FeedBatchFactory(
        platform=world.platform_a.platform, status=FeedStatus.PROCESSING, lines=0, accepted=0
    )
    done = FeedBatchFactory(platform=world.platform_a.platform)
    client.force_login(world.platform_a.member)
    # when the console and the running feed's row and detail are fetched
    console = client.get(CONSOLE).content.decode()
    row = client.get(reverse("listings:console-feed-row", args=[running.pk])).content.decode()
    detail = client.get(
        reverse("listings:console-feed-detail", args=[running.pk]), HTTP_HX_REQUEST="true"
    ).content.decode()
    # then the running feed polls itself with an indeterminate bar, the finished one does not
    assert console.count('hx-trigger="every 2s"') == 1
    assert f'id="feed-row-{running.pk}" hx-get=' in console
    assert f'id="feed-row-{done.pk}">' in console
    assert "progress-bar-animated" in row and 'hx-trigger="every 2s"' in row
    # and a poll of the detail gets only the page's body, itself polling
    assert detail.startswith('<div id="feed-detail"') and 'hx-trigger="every 2s"' in detail
    assert "<html" not in detail


def test_console_queries_do_not_grow_with_tokens_and_feeds(
    client, world, django_assert_max_num_queries
):
    # given many tokens and feeds on both platforms, some refused lines
    for tenant in (world.platform_a, world.platform_b):
        for n in range(6):
            token_for(tenant.platform, f"System {n}")
        FeedBatchFactory.create_batch(15, platform=tenant.platform)
    client.force_login(world.operator_moderator)
    # when the operator opens the console, then seven queries suffice: session, user,
    # memberships, platforms, tokens, feeds (one sliced prefetch), the queue badge
    with django_assert_max_num_queries(7):
        response = client.get(CONSOLE)
    assert response.status_code == 200
    # and only the ten newest feeds of each platform are shown
    assert sum(len(s.platform.recent_feeds) for s in response.context["sections"]) == 20


def test_a_finished_feed_is_polled_until_its_listings_are_scanned(client, world):
    from django.utils import timezone

    from tests.listings.factories import ListingFactory

    # given a finished feed whose three listings wait for a scan
    feed = FeedBatchFactory(platform=world.platform_a.platform)
    listings = ListingFactory.create_batch(
        3, platform=world.platform_a.platform, last_feed=feed, scan_due_at=timezone.now()
    )
    client.force_login(world.platform_a.member)
    url = reverse("listings:console-feed-detail", args=[feed.pk])
    waiting = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "0 of 3 listings scanned" in waiting and 'hx-trigger="every 2s"' in waiting
    # when two are scanned, then the page says so; when all are, it stops polling
    for listing in listings[:2]:
        listing.scan_due_at = None
        listing.save(update_fields=["scan_due_at"])
    assert "2 of 3 listings scanned" in client.get(url, HTTP_HX_REQUEST="true").content.decode()
    listings[2].scan_due_at = None
    listings[2].save(update_fields=["scan_due_at"])
    done = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "3 of 3 listings scanned" in done and "every 2s" not in done
