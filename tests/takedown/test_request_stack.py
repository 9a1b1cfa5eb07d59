"""What every signed-in page costs around its view: the queries of the stack, pinned.

A moderator's page runs the middleware (session, user, second factor, time
zone, privacy log) and the header (the nav's access and badges) before and
around its own queries; each query there is paid on every request of every
moderator (bench/request_overhead.py, docs/reliability.md "Load").
"""

import pytest
from django.core.cache import cache, caches
from django.test import Client

pytestmark = pytest.mark.django_db

# The smallest signed-in page: the header and a form, no query of its own.
PLAIN_PAGE = "/accounts/preferences/"


def test_a_platform_moderator_s_plain_page_costs_the_user_and_the_access_only(
    client, world, django_assert_num_queries
):
    # given a platform's moderator signed in (the session is in the cache)
    client.force_login(world.platform_a.moderator)
    # when they open a page with no query of its own
    # then the stack runs two queries: the user, the memberships (access); the
    # session comes from the cache
    with django_assert_num_queries(2):
        response = client.get(PLAIN_PAGE)
    assert response.status_code == 200
    assert "Case queue" in response.content.decode()


def test_an_operator_moderator_s_plain_page_adds_the_verification_badge_only(
    client, world, django_assert_num_queries
):
    # given the operator's moderator signed in
    client.force_login(world.operator_moderator)
    # when they open the same page
    # then the nav's count of rights waiting for verification is the one more query
    with django_assert_num_queries(3):
        response = client.get(PLAIN_PAGE)
    assert response.status_code == 200
    assert "rights waiting" in response.content.decode()


def test_a_session_the_cache_lost_is_read_from_the_database(client, world):
    # given a signed-in moderator whose session the cache no longer holds (Redis restarted)
    client.force_login(world.platform_a.moderator)
    cache.clear()
    # when they open a page
    response = client.get(PLAIN_PAGE)
    # then they are still signed in
    assert response.status_code == 200
    assert response.context["user"] == world.platform_a.moderator


def test_a_logged_out_session_no_longer_signs_anyone_in(world):
    # given a moderator's session cookie, copied before they log out
    browser = Client()
    browser.force_login(world.platform_a.moderator)
    stolen = Client()
    stolen.cookies = browser.cookies.__class__(browser.cookies)
    assert stolen.get(PLAIN_PAGE).status_code == 200
    # when they log out
    browser.post("/accounts/logout/")
    # then the copied cookie opens no page: the session is gone from the cache and the database
    response = stolen.get(PLAIN_PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_pages_keep_working_while_the_session_cache_cannot_be_reached(
    client, world, monkeypatch, caplog
):
    # given a signed-in moderator, and then the cache (Redis) unreachable
    client.force_login(world.platform_a.moderator)
    cache.clear()

    def unreachable(*args, **kwargs):
        raise ConnectionError("Redis is down")

    for method in ("get", "set", "has_key"):
        monkeypatch.setattr(caches["default"], method, unreachable)
    # when they open a page
    response = client.get(PLAIN_PAGE)
    # then it answers from the database's session, and the miss is logged
    assert response.status_code == 200
    assert response.context["user"] == world.platform_a.moderator
    assert "session cache unreachable" in caplog.text


def test_the_health_check_of_a_signed_in_browser_reads_no_user(
    client, world, django_assert_num_queries
):
    # given a moderator signed in (a browser's session cookie on the poll)
    client.force_login(world.platform_a.moderator)
    # when the health check is polled with it
    # then it runs its own query only: neither the user nor the session is read
    with django_assert_num_queries(1):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
