"""``manage.py create_platform``: a platform, its first token on the last line, idempotent."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from listings.models import Platform, PlatformToken
from listings.services.tokens import platform_token_authenticate
from rightsholders.models import Membership, Organisation


def run(*args: str) -> list[str]:
    out = StringIO()
    call_command("create_platform", *args, stdout=out)
    return out.getvalue().splitlines()


@pytest.mark.django_db
def test_prints_a_working_token_alone_on_the_last_line():
    # when a platform is created
    lines = run("Bazaar One", "--website", "https://bazaar.example.test")
    # then the last line is the token, and it authenticates as that platform
    token = platform_token_authenticate(lines[-1])
    assert token is not None
    assert token.platform.name == "Bazaar One"
    assert token.platform.organisation.kind == Organisation.Kind.PLATFORM
    assert token.platform.website == "https://bazaar.example.test"
    # and the secret itself is not stored
    assert not PlatformToken.objects.filter(token_hash=lines[-1]).exists()
    assert lines[-1] not in "\n".join(lines[:-1])


@pytest.mark.django_db
def test_a_second_run_with_the_same_slug_reuses_the_platform_and_adds_a_token():
    # given a platform created once
    first = run("Bazaar One", "--slug", "bazaar")
    # when the command runs again with the same slug
    second = run("Bazaar Renamed", "--slug", "bazaar", "--token-name", "Second system")
    # then there is still one platform, now with two working tokens
    assert Platform.objects.count() == 1
    assert Organisation.objects.filter(slug="bazaar").count() == 1
    platform = Platform.objects.get()
    assert platform.tokens.count() == 2
    assert platform_token_authenticate(first[-1]).platform == platform
    assert platform_token_authenticate(second[-1]).name == "Second system"
    assert "Reusing" in second[0]


@pytest.mark.django_db
def test_makes_the_named_user_an_administrator_of_the_platform():
    # when the command names a new administrator
    run("Bazaar One", "--admin-username", "bazaar-ops", "--admin-email", "ops@bazaar.example.test")
    # then that user exists, without a usable password, as the platform's admin
    user = get_user_model().objects.get(username="bazaar-ops")
    assert not user.has_usable_password()
    membership = Membership.objects.get(user=user)
    assert membership.role == Membership.Role.ADMIN
    assert membership.organisation.slug == "bazaar-one"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["Bazaar", "--slug", "no spaces"], "--slug"),
        (["Bazaar", "--website", "ftp://bazaar.example.test"], "--website"),
        (["Bazaar", "--admin-email", "ops@bazaar.example.test"], "needs --admin-username"),
        (["Bazaar", "--admin-username", "nobody-yet"], "give --admin-email"),
        (["Bazaar", "--token-name", " "], "Name the token"),
        (["   "], "name"),
    ],
)
def test_bad_input_is_refused_with_a_clear_error_and_creates_nothing(args, message):
    # when the command gets bad input, then it stops with an explanation
    with pytest.raises(CommandError, match=message):
        run(*args)
    # and leaves nothing half-created
    assert not Platform.objects.exists()
    assert not Organisation.objects.exists()


def test_refuses_a_slug_taken_by_another_kind_of_organisation(world):
    # given a rights holder with the slug "holder-a"
    # when a platform is created with that slug, then it is refused
    with pytest.raises(CommandError, match="is a rights holder, not a platform"):
        run("Holder A Market", "--slug", "holder-a")
