"""The request stack's own pieces: sessions read from the cache, the user's time zone, NUL refusal."""

import logging
import zoneinfo
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from django.contrib.sessions.backends import cached_db
from django.core.cache.backends.base import BaseCache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

API_PREFIX = "/api/"
# Paths that show no time and need no user: the API answers in UTC, the health
# check and static files name no one. Reading the user there was its query
# (~0.7 ms CPU) on every poll of the load balancer.
ZONELESS_PREFIXES = (API_PREFIX, "/healthz", "/static/")

logger = logging.getLogger(__name__)

# How long a session stays in the cache before it is read from the database
# again. Bounds how long a session deleted while the cache could not be reached
# (a logout during a Redis outage, which answers 500) may still be read from the
# cache once it is back; costs one session query every five minutes a user.
SESSION_CACHE_SECONDS = 300


class SessionStore(cached_db.SessionStore):
    """Django's cached_db sessions (``SESSION_ENGINE = "takedown.middleware"``), without Redis.

    A signed-in page reads its session from the cache instead of the database.
    Pages keep working while the cache is unreachable: Django's store reads the
    database then, but fails the request when it cannot copy the session back
    into the cache; this one logs that and goes on. Deleting (logout, login's
    new key) still fails loudly when the cache cannot forget the session.
    """

    _cache: BaseCache  # set by cached_db.SessionStore.__init__ (django-stubs lacks it)

    def load(self) -> dict[str, Any]:
        try:
            data = self._cache.get(self.cache_key)
        except Exception:
            logger.warning("session cache unreachable: session read from the database")
            data = None
        if data is not None:
            return data
        stored = self._get_session_from_db()  # type: ignore[attr-defined]
        if stored is None:
            return {}
        data = self.decode(stored.session_data)
        try:
            self._cache.set(self.cache_key, data, self._cache_seconds(stored.expire_date))
        except Exception:
            logger.warning("session cache unreachable: session not copied into it")
        return data

    def save(self, must_create: bool = False) -> None:
        super(cached_db.SessionStore, self).save(must_create)
        try:
            self._cache.set(self.cache_key, self._session, self._cache_seconds())  # type: ignore[attr-defined]
        except Exception:
            logger.warning("session cache unreachable: session saved to the database only")

    def exists(self, session_key: str) -> bool:
        try:
            if session_key and self.cache_key_prefix + session_key in self._cache:
                return True
        except Exception:
            logger.warning("session cache unreachable: the database says whether a key is taken")
        return super(cached_db.SessionStore, self).exists(session_key)

    def _cache_seconds(self, expiry: Any = None) -> int:
        return min(SESSION_CACHE_SECONDS, self.get_expiry_age(expiry=expiry))


@lru_cache(maxsize=1)
def known_time_zones() -> frozenset[str]:
    """The IANA zone names this machine knows (read once: the tz database does not change under us)."""
    return frozenset(zoneinfo.available_timezones())


def user_zone(name: str) -> zoneinfo.ZoneInfo:
    """The zone named ``name``, or UTC when the stored name is not a known zone."""
    if name not in known_time_zones():
        return zoneinfo.ZoneInfo("UTC")
    return zoneinfo.ZoneInfo(name)


class UserTimeZoneMiddleware:
    """Activate the signed-in user's ``time_zone`` for the request; UTC for everyone else.

    After AuthenticationMiddleware. A stored value that is not a zone (typed into
    the admin, or removed from a later tz database) falls back to UTC rather
    than failing every page of that user.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The API answers in UTC whoever calls it: a script signed in through the
        # browser's session must read the same timestamps as a platform's token.
        user = (
            None if request.path.startswith(ZONELESS_PREFIXES) else getattr(request, "user", None)
        )
        if user is not None and user.is_authenticated:
            timezone.activate(user_zone(getattr(user, "time_zone", "") or "UTC"))
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def nul_field(request: HttpRequest) -> str | None:
    """The name of the first query or form parameter holding U+0000, if any.

    PostgreSQL cannot store the character: a value holding one (pasted from a
    PDF, say) would fail its INSERT with a DataError deep in a service and
    answer 500. Django's form fields refuse it, but views that read
    ``request.POST`` directly would not. The API's serializers refuse it
    themselves; only page requests are checked here.
    """
    params = [request.GET]
    if request.method == "POST" and request.content_type in FORM_TYPES:
        params.append(request.POST)
    for query in params:
        for name, values in query.lists():
            if "\x00" in name:
                return name.replace("\x00", "\\x00")
            if any("\x00" in value for value in values):
                return name
    return None


class RefuseNulCharactersMiddleware:
    """Answer 400 naming the field when a page request's parameters hold U+0000."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_PREFIX):
            field = nul_field(request)
            if field is not None:
                return render(request, "400.html", {"field": field}, status=400)
        return self.get_response(request)
