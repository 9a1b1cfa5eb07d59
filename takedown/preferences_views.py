"""The signed-in user's preferences: the time zone of every time shown, and the language."""

from typing import cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from takedown.errors import DomainError
from takedown.forms import PreferencesForm
from takedown.models import User
from takedown.services.preferences import user_preferences_update


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    """Show and change the user's time zone and language.

    The language is kept where the header's language switch keeps it (the
    language cookie), so the two never disagree.
    """
    user = cast(User, request.user)  # login_required
    form = PreferencesForm(
        request.POST or None,
        initial={"time_zone": user.time_zone, "language": translation.get_language()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            user_preferences_update(actor=user, time_zone=form.cleaned_data["time_zone"])
        except DomainError as exc:
            form.add_error(exc.field, exc.message)
        else:
            language = form.cleaned_data["language"]
            translation.activate(language)
            messages.success(request, _("Your preferences are saved."))
            response = redirect("preferences")
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
            return response
    return render(request, "takedown/preferences.html", {"form": form})
