"""Logins lock after repeated failures, and moderators give a second factor.

Two ``Client`` instances stand for two web processes: they share nothing but
the database, where django-axes counts the failures.
"""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from listings.services.tokens import platform_token_create
from tests.takedown.factories import PASSWORD, UserFactory
from tests.takedown.test_csp import assert_kept_to_policy

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def log_in(client: Client, username: str, password: str, **extra):
    return client.post(LOGIN, {"username": username, "password": password, **extra})


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_failures_in_two_processes_lock_the_username_from_that_address():
    # given a user, and two web processes answering the same address
    user = UserFactory(username="ines")
    first, second = Client(), Client()
    # when four guesses go to one and the fifth to the other
    for _ in range(4):
        assert log_in(first, "ines", "guess").status_code == 200
    locked = log_in(second, "ines", "guess")
    # then the fifth is answered with the lockout, and the right password is refused too
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    assert log_in(first, user.username, PASSWORD).status_code == 429
    assert not logged_in(first)
    # while another user logs in from the same address
    UserFactory(username="other")
    assert log_in(second, "other", PASSWORD).status_code == 302


def test_a_username_that_does_not_exist_locks_the_same_way():
    # given guesses at a name nobody has, and at a real one
    UserFactory(username="real")
    for username in ["nobody", "real"]:
        answers = [log_in(Client(), username, "guess") for _ in range(5)]
        # then both read the same: nothing tells the names apart
        assert [a.status_code for a in answers] == [200, 200, 200, 200, 429]
        assert "Too many failed logins" in answers[-1].content.decode()


def test_the_lock_ends_after_the_cool_off(settings):
    # given a locked username
    UserFactory(username="ines")
    client = Client()
    for _ in range(5):
        log_in(client, "ines", "guess")
    assert log_in(client, "ines", PASSWORD).status_code == 429
    # when the cool-off has passed since the failures
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
    )
    # then the right password logs in
    assert log_in(client, "ines", PASSWORD).status_code == 302
    assert logged_in(client)


def test_the_lockout_page_keeps_to_the_content_security_policy():
    UserFactory(username="ines")
    for _ in range(4):
        log_in(Client(), "ines", "guess")
    assert_kept_to_policy(log_in(Client(), "ines", "guess"))


def test_a_locked_login_does_not_touch_the_platform_api(world):
    # given platform A's engineer locked out of the login page
    engineer = world.platform_a.admin
    for _ in range(5):
        log_in(Client(), engineer.username, "guess")
    assert log_in(Client(), engineer.username, PASSWORD).status_code == 429
    # when the platform's token asks the API from the same address
    _, secret = platform_token_create(
        actor=engineer, platform=world.platform_a.platform, name="feed pusher"
    )
    response = Client().get("/api/v1/feeds", HTTP_AUTHORIZATION=f"Bearer {secret}")
    # then it is answered
    assert response.status_code == 200


# Two-factor login -------------------------------------------------------------


def current_code(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = totp.time + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def enrol(client: Client) -> tuple[TOTPDevice, list[str]]:
    """Enrol the client's user through the pages; return the device and recovery codes."""
    page = client.get("/accounts/two-factor/setup/")
    assert page.status_code == 200
    assert client.get("/accounts/two-factor/setup/qr.svg")["Content-Type"] == "image/svg+xml"
    device = TOTPDevice.objects.get(user_id=client.session["_auth_user_id"])
    done = client.post("/accounts/two-factor/setup/", {"code": current_code(device)})
    assert done.status_code == 200
    codes = list(done.context["codes"])
    device.refresh_from_db()
    return device, codes


@pytest.fixture
def enrolled_moderator(world):
    """Platform A's moderator with a confirmed authenticator and recovery codes."""
    moderator = world.platform_a.moderator
    client = Client()
    assert log_in(client, moderator.username, PASSWORD).status_code == 302
    device, codes = enrol(client)
    # the device's last used step is the enrolment's: the next login needs a later code
    return moderator, device, codes


def test_a_moderator_enrols_and_sees_recovery_codes_once(world):
    client = Client()
    log_in(client, world.operator_moderator.username, PASSWORD)
    # when the moderator confirms the app's code
    device, codes = enrol(client)
    # then the device is on, eight codes are shown, and the queue opens at once
    assert device.confirmed
    assert len(set(codes)) == 8
    assert client.get("/cases/").status_code == 200
    # and the setup page no longer shows them
    assert not any(
        code in client.get("/accounts/two-factor/setup/").content.decode() for code in codes
    )


def test_a_wrong_confirmation_code_does_not_enrol(world):
    client = Client()
    log_in(client, world.operator_moderator.username, PASSWORD)
    client.get("/accounts/two-factor/setup/")
    response = client.post("/accounts/two-factor/setup/", {"code": "000000"})
    assert "does not match" in response.content.decode()
    assert not TOTPDevice.objects.filter(confirmed=True).exists()


def test_an_enrolled_moderator_must_give_a_code_before_the_queue(enrolled_moderator):
    moderator, device, _ = enrolled_moderator
    client = Client()
    # when the moderator logs in with the password only
    log_in(client, moderator.username, PASSWORD)
    # then the queue, the API and the admin send to the code page instead
    queue = client.get("/cases/")
    assert queue.status_code == 302
    assert queue["Location"] == "/accounts/two-factor/?next=%2Fcases%2F"
    assert client.get("/api/v1/cases").status_code == 403
    assert client.get("/admin/").status_code == 302
    # when a wrong code is given
    wrong = client.post("/accounts/two-factor/", {"code": "12345", "next": "/cases/"})
    assert "not valid" in wrong.content.decode()
    assert client.get("/cases/").status_code == 302
    # when the app's next code is given, once the failure's throttle (1 s) has passed
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now() - timedelta(minutes=1)
    )
    right = client.post(
        "/accounts/two-factor/", {"code": current_code(device, steps_ahead=1), "next": "/cases/"}
    )
    # then the queue opens
    assert right["Location"] == "/cases/"
    assert client.get("/cases/").status_code == 200
    assert client.get("/api/v1/cases").status_code == 200


def test_a_recovery_code_works_once(enrolled_moderator):
    moderator, _, codes = enrolled_moderator
    first = Client()
    log_in(first, moderator.username, PASSWORD)
    assert first.post("/accounts/two-factor/", {"code": codes[0]}).status_code == 302
    assert first.get("/cases/").status_code == 200
    # when the same code is tried at the next login
    second = Client()
    log_in(second, moderator.username, PASSWORD)
    again = second.post("/accounts/two-factor/", {"code": codes[0]})
    # then it is refused
    assert "not valid" in again.content.decode()
    assert second.get("/cases/").status_code == 302


def test_someone_who_is_not_a_moderator_is_not_asked(world):
    client = Client()
    log_in(client, world.holder_a.admin.username, PASSWORD)
    assert client.get("/").status_code == 200
    assert client.get("/rights/").status_code == 200
    assert client.get("/accounts/two-factor/setup/").status_code == 404


def test_a_moderator_without_a_device_is_not_asked_unless_required(world, settings):
    moderator = world.platform_a.moderator
    client = Client()
    log_in(client, moderator.username, PASSWORD)
    assert client.get("/cases/").status_code == 200
    # when enrolment is required
    settings.TAKEDOWN_REQUIRE_2FA_FOR_MODERATORS = True
    client = Client()
    log_in(client, moderator.username, PASSWORD)
    # then the queue sends to enrolment, and enrolling opens it
    response = client.get("/cases/")
    assert response["Location"].startswith("/accounts/two-factor/setup/?next=")
    enrol(client)
    assert client.get("/cases/").status_code == 200


def test_the_second_factor_pages_keep_to_the_content_security_policy(enrolled_moderator):
    moderator, _, _ = enrolled_moderator
    client = Client()
    log_in(client, moderator.username, PASSWORD)
    assert_kept_to_policy(client.get("/accounts/two-factor/"))
    client.force_login(moderator)
    assert_kept_to_policy(client.get("/accounts/two-factor/setup/"))
