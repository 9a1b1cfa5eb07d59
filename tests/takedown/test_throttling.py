"""The platform API's rate limit: one budget per platform, on the shared cache, across processes.

A platform that spends its budget gets 429 with Retry-After on every platform
endpoint; another platform calling in the same window is not affected. The
budget is counted in the cache every web process shares: local memory for
``make test``, Redis as in production (marked ``redis``), and a second
process spending the budget on the same Redis counter.
"""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import environ
import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from listings.api.auth import PlatformRateThrottle
from listings.services.tokens import platform_token_create

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
RATE = "5/min"


def redis_cache(prefix: str) -> dict:
    """A CACHES entry on the Redis the test run was given, built as settings.py builds it."""
    url = os.environ.get("CACHE_URL", "")
    if not url.startswith("redis"):
        url = django_settings.CELERY_BROKER_URL
    config = environ.Env.cache_url_config(url)
    # Keys of this test only: other runs may share the Redis database.
    config["KEY_PREFIX"] = prefix
    return config


@pytest.fixture(params=["locmem", pytest.param("redis", marks=pytest.mark.redis)])
def shared_cache(request, settings):
    """The cache the throttle counts in: local memory, or Redis as in production."""
    if request.param == "redis":
        settings.CACHES = {"default": redis_cache(f"throttle-test-{uuid.uuid4().hex}")}
    settings.TAKEDOWN_PLATFORM_API_RATE = RATE
    yield settings.CACHES["default"]
    from django.core.cache import cache

    cache.clear()  # with a Redis prefix, only this test's keys


@pytest.fixture
def clock(monkeypatch):
    """The throttle's clock, moved by the test (DRF reads ``timer`` for every request)."""
    now = [1_000_000.0]
    monkeypatch.setattr(PlatformRateThrottle, "timer", lambda self: now[0])
    return now


def token_for(tenant, name: str = "feeder") -> str:
    return platform_token_create(actor=tenant.admin, platform=tenant.platform, name=name)[1]


def call(client, token: str, url_name: str = "api-feed-list", *args):
    return client.get(reverse(url_name, args=args), HTTP_AUTHORIZATION=f"Bearer {token}")


def test_a_platform_over_its_rate_gets_429_with_retry_after_and_another_does_not(
    world, client, shared_cache, clock
):
    # given platforms A and B with a token each and a budget of 5 requests a minute
    token_a, token_b = token_for(world.platform_a), token_for(world.platform_b)
    # when A spends its budget and asks once more, 20 s into the window
    spent = [call(client, token_a).status_code for _ in range(5)]
    clock[0] += 20
    refused = call(client, token_a)
    # then the sixth is refused with 429 and told to come back when the window has passed
    assert spent == [200] * 5
    assert refused.status_code == 429
    assert refused["Retry-After"] == "40"
    assert "throttled" in refused.json()["detail"].lower()
    # and B, in the same window, has its whole budget
    assert [call(client, token_b).status_code for _ in range(5)] == [200] * 5
    assert call(client, token_b).status_code == 429
    # and once A's window has passed, A is served again
    clock[0] += 41
    assert call(client, token_a).status_code == 200


def test_every_token_and_endpoint_of_a_platform_spends_one_budget(
    world, client, shared_cache, clock
):
    # given platform A with two tokens (two systems of the same marketplace)
    feeder, decisions = token_for(world.platform_a, "feeder"), token_for(world.platform_a, "erp")
    # when the two systems call different endpoints within the minute
    statuses = [
        call(client, feeder).status_code,
        call(client, decisions, "api-decision-list").status_code,
        call(client, feeder, "api-feed-list").status_code,
        call(client, decisions, "api-decision-list").status_code,
        call(client, feeder).status_code,
    ]
    # then they share one budget: the sixth call is refused whichever token and endpoint
    assert statuses == [200] * 5
    assert call(client, decisions, "api-decision-list").status_code == 429
    assert call(client, feeder).status_code == 429


def test_a_wrong_token_is_refused_without_spending_the_platform_budget(
    world, client, shared_cache, clock
):
    # given platform A's budget of 5
    token_a = token_for(world.platform_a)
    # when a caller guesses tokens many times
    guesses = [call(client, f"wrong-{n}").status_code for n in range(10)]
    # then each guess is a 401, and A still has its whole budget
    assert guesses == [401] * 10
    assert [call(client, token_a).status_code for _ in range(5)] == [200] * 5


SPEND_IN_ANOTHER_PROCESS = """
import json, sys
import django
django.setup()
from django.test.utils import override_settings
from listings.api.auth import PlatformPrincipal, PlatformRateThrottle
from listings.models import Platform, PlatformToken
caches, rate, platform_pk, times = json.loads(sys.argv[1])
with override_settings(CACHES=caches, TAKEDOWN_PLATFORM_API_RATE=rate):
    principal = PlatformPrincipal(platform=Platform(pk=platform_pk), token=PlatformToken())
    request = type("Request", (), {"user": principal})()
    print(json.dumps([PlatformRateThrottle().allow_request(request, None) for _ in range(times)]))
"""


@pytest.mark.redis
def test_a_budget_spent_in_another_process_is_refused_in_this_one(world, client, settings):
    # given Redis as the shared cache and a budget of 5 requests a minute
    caches = {"default": redis_cache(f"throttle-test-{uuid.uuid4().hex}")}
    settings.CACHES = caches
    settings.TAKEDOWN_PLATFORM_API_RATE = RATE
    token_a, token_b = token_for(world.platform_a), token_for(world.platform_b)
    # when another process (another web worker) spends A's budget on the same Redis
    spent = subprocess.run(
        [
            sys.executable,
            "-c",
            SPEND_IN_ANOTHER_PROCESS,
            json.dumps([caches, RATE, world.platform_a.platform.pk, 5]),
        ],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "takedown.settings"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    # then that process was allowed its 5, and this process refuses A's next call
    assert json.loads(spent.stdout.strip().splitlines()[-1]) == [True] * 5
    refused = call(client, token_a)
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    # while B is served
    assert call(client, token_b).status_code == 200


class UnreachableCache:
    """A cache whose server is down, as Django's Redis cache behaves then."""

    def get(self, *args, **kwargs):
        from redis.exceptions import ConnectionError as RedisConnectionError

        raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    set = get


def test_a_platform_call_goes_through_when_the_throttle_s_cache_is_down(
    world, client, monkeypatch, caplog
):
    # given a platform with a token, and the cache holding the budgets unreachable
    token = token_for(world.platform_a)
    monkeypatch.setattr(PlatformRateThrottle, "cache", UnreachableCache())
    # when the platform calls the API
    response = call(client, token)
    # then it is answered (a push would be stored and queued by the sweep), not 500,
    # and the uncounted call is logged
    assert response.status_code == 200
    assert "rate limit not counted" in caplog.text
