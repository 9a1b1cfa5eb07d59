"""`manage.py load_demo`: the data a newcomer sees after `make run`."""

import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from rightsholders.models import Organisation
from rightsholders.selectors import rights_for
from takedown.management.commands.load_demo import DEMO_PASSWORD
from takedown.states import RightStatus


def _row_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for app in ("takedown", "rightsholders", "listings")
        for model in apps.get_app_config(app).get_models()
    }


def login_request():
    """A login page request: the lockout backend (django-axes) counts attempts per request."""
    return RequestFactory().post("/accounts/login/")


@pytest.mark.django_db
def test_running_it_twice_adds_nothing(capsys):
    # given the demo loaded once
    call_command("load_demo")
    first = _row_counts()

    # when it runs again
    call_command("load_demo")

    # then every table holds the same number of rows, and it says so
    assert _row_counts() == first
    assert first["listings.Listing"] == 300
    assert "nothing new" in capsys.readouterr().out


@pytest.mark.django_db
def test_demo_rights_holder_logs_in_and_sees_only_its_verified_rights():
    # given the demo data
    call_command("load_demo")

    # when Aurelia's user logs in with the printed password and lists rights
    user = authenticate(login_request(), username="aurelia", password=DEMO_PASSWORD)
    rights = rights_for(user)

    # then it sees its own four rights, all verified, and none of Nordvik's
    assert user is not None
    assert sorted(rights.values_list("name", flat=True)) == [
        "AURELIA",
        "AURELIA MILANO",
        "Aurelia 'A' logo",
        "Aurelia 'Luna' handbag",
    ]
    assert set(rights.values_list("status", flat=True)) == {RightStatus.VERIFIED}
    assert set(rights.values_list("rights_holder__name", flat=True)) == {"Aurelia Fashion"}


@pytest.mark.django_db
def test_demo_agent_sees_the_represented_holders_rights():
    # given the demo data, where the law firm holds a letter from Aurelia only
    call_command("load_demo")

    # when the agent lists rights
    agent = authenticate(login_request(), username="agent", password=DEMO_PASSWORD)

    # then it sees Aurelia's rights and not Nordvik's
    holders = set(rights_for(agent).values_list("rights_holder__slug", flat=True))
    assert holders == {"aurelia-fashion"}


@pytest.mark.django_db
def test_it_refuses_the_production_profile(settings):
    # given the production profile
    settings.PRODUCTION = True

    # when the demo is loaded without --force, then it refuses and creates nothing
    with pytest.raises(CommandError, match="refuses TAKEDOWN_PROFILE=production"):
        call_command("load_demo")
    assert not Organisation.objects.exists()
