"""Show each signed-in user's pages in the time zone of their preferences."""

import zoneinfo
from collections.abc import Callable
from functools import lru_cache

from django.http import HttpRequest, HttpResponse
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
