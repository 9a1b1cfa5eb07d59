"""Show each signed-in user's pages in the time zone of their preferences."""

import zoneinfo
from collections.abc import Callable
from functools import lru_cache

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

API_PREFIX = "/api/"


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
        user = getattr(request, "user", None)
        # The API answers in UTC whoever calls it: a script signed in through the
        # browser's session must read the same timestamps as a platform's token.
        if request.path.startswith(API_PREFIX):
            timezone.deactivate()
        elif user is not None and user.is_authenticated:
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
