"""Login's second step for moderators (TOTP or a recovery code), enrolment, and the lockout page."""

import io
from typing import cast

import qrcode
import qrcode.image.svg
from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_otp import login as otp_login
from django_otp import match_token, user_has_device

from takedown.models import User
from takedown.second_factor import SESSION_KEY, needs_second_factor, second_factor_done
from takedown.services.second_factor import (
    EnrolmentError,
    totp_device_confirm,
    totp_device_pending,
)


class CodeForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=16, strip=True)


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return settings.LOGIN_REDIRECT_URL


def login_locked_out(request: HttpRequest, response: HttpResponse | None, credentials: dict | None):
    """The login page with the lockout message (django-axes' AXES_LOCKOUT_CALLABLE).

    Said the same way whether or not the username exists: the lock is on the
    username and address pair, kept for names that do not exist too.
    """
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(
        request,
        "registration/login.html",
        {"form": AuthenticationForm(request), "locked_out_minutes": minutes},
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )


@never_cache
@login_required
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """Ask for the authenticator's code (or a recovery code) once per login."""
    if not request.session.get(SESSION_KEY) or not user_has_device(request.user):
        return redirect(_next_url(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # match_token tries the TOTP device (throttled after failures) and the
        # recovery codes; a recovery code is deleted when it matches.
        device = match_token(request.user, form.cleaned_data["code"].replace(" ", ""))
        if device is not None:
            otp_login(request, device)
            second_factor_done(request)
            return redirect(_next_url(request))
        form.add_error("code", _("That code is not valid. Try the next code from your app."))
    return render(
        request, "registration/two_factor_verify.html", {"form": form, "next": _next_url(request)}
    )


@never_cache
@login_required
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app: scan or type the secret, confirm with a code."""
    if not needs_second_factor(request.user):
        raise Http404("Two-factor login is for moderators.")
    device = totp_device_pending(actor=cast(User, request.user))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = totp_device_confirm(
                actor=cast(User, request.user), device=device, token=form.cleaned_data["code"]
            )
        except EnrolmentError as error:
            form.add_error("code", str(error))
        else:
            device.refresh_from_db()
            otp_login(request, device)
            second_factor_done(request)
            return render(
                request,
                "registration/two_factor_codes.html",
                {"codes": codes, "next": _next_url(request)},
            )
    secret = device.config_url.split("secret=", 1)[1].split("&", 1)[0]
    return render(
        request,
        "registration/two_factor_setup.html",
        {
            "form": form,
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "enrolled": user_has_device(request.user),
            "next": _next_url(request),
        },
    )


@never_cache
@login_required
@require_GET
def two_factor_qr(request: HttpRequest) -> HttpResponse:
    """The pending device's otpauth:// URL as an SVG QR code, drawn here, not by a third party."""
    if not needs_second_factor(request.user):
        raise Http404("Two-factor login is for moderators.")
    device = totp_device_pending(actor=cast(User, request.user))
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
    buffer = io.BytesIO()
    image.save(buffer)
    return HttpResponse(buffer.getvalue(), content_type="image/svg+xml")
