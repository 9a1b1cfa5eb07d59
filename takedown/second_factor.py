"""The second step of a moderator's login: a TOTP or recovery code after the password.

At login (any login: ours, the admin's, ``force_login``) the session records
whether this person owes a code, or an enrolment. The middleware then only
reads the session, so pages of users who owe nothing run no extra query.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django_otp import user_has_device

from takedown.access import access_for

SESSION_KEY = "takedown_second_factor"
VERIFY = "verify"
ENROL = "enrol"
# Paths a user who owes a code may still open: the second step itself, leaving,
# the language switch, static files and the health check.
OPEN_PREFIXES = ("/accounts/", "/i18n/", "/static/", "/healthz")


def needs_second_factor(user: object) -> bool:
    """Moderators (platform or operator) and staff, who reach the queue or the admin."""
    return bool(getattr(user, "is_staff", False) or access_for(user).is_moderator)


def owed_step(user: object) -> str | None:
    """What ``user`` must do after the password: enter a code, enrol, or nothing."""
    if not needs_second_factor(user):
        return None
    if user_has_device(user):
        return VERIFY
    if settings.TAKEDOWN_REQUIRE_2FA_FOR_MODERATORS:
        return ENROL
    return None


@receiver(user_logged_in, dispatch_uid="takedown-second-factor")
def _record_owed_step(sender: object, request: HttpRequest | None, user: object, **kwargs) -> None:
    if request is None or not hasattr(request, "session"):
        return
    step = owed_step(user)
    if step:
        request.session[SESSION_KEY] = step
    else:
        request.session.pop(SESSION_KEY, None)


def second_factor_done(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)


class SecondFactorMiddleware:
    """Send a user who owes a code (or an enrolment) to that step before any other page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The path first: the health check and static files read no session.
        if request.path.startswith(OPEN_PREFIXES) or not hasattr(request, "session"):
            return self.get_response(request)
        step = request.session.get(SESSION_KEY)
        if step and request.user.is_authenticated:
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"detail": "Enter your two-factor code on the login page first."}, status=403
                )
            target = "two-factor-verify" if step == VERIFY else "two-factor-setup"
            return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
