"""Enrolment of a moderator's TOTP device and its single-use recovery codes."""

from django.conf import settings
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from takedown.models import User

DEVICE_NAME = "authenticator"
RECOVERY_NAME = "recovery codes"


class EnrolmentError(Exception):
    """The code given to confirm a new device is not the device's current code."""


def totp_device_pending(*, actor: User) -> TOTPDevice:
    """Return the actor's unconfirmed device, creating one with a fresh secret.

    The same secret is shown until it is confirmed, so reloading the page does
    not invalidate a QR code already scanned.
    """
    device = TOTPDevice.objects.filter(user=actor, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=actor, name=DEVICE_NAME, confirmed=False)
    return device


def totp_device_confirm(*, actor: User, device: TOTPDevice, token: str) -> list[str]:
    """Confirm ``device`` with a code from the app; return new recovery codes, shown once.

    Any earlier devices of the actor are replaced: one authenticator and one set
    of recovery codes at a time.
    """
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=actor)
        if device.confirmed or not device.verify_token(token.strip()):
            raise EnrolmentError("That code does not match. Check the clock of your phone.")
        TOTPDevice.objects.filter(user=actor).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        StaticDevice.objects.filter(user=actor).delete()
        recovery = StaticDevice.objects.create(user=actor, name=RECOVERY_NAME, confirmed=True)
        codes = [StaticToken.random_token() for _ in range(settings.TAKEDOWN_RECOVERY_CODES)]
        StaticToken.objects.bulk_create(StaticToken(device=recovery, token=code) for code in codes)
    return codes
