"""Every HTML page carries the Content-Security-Policy, and nothing on it needs more.

The policy refuses inline scripts and styles. A page may still hold an inline
``<style>`` whose hash the policy names (Django's admin change list, Swagger
UI); any other inline script, style block or ``style=""`` attribute would be
refused by the browser, so it fails here first.
"""

import base64
import hashlib
import re

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.takedown.factories import UserFactory

PAGES = [
    "/",
    "/rights/",
    "/rights/new/",
    "/rights/verification/",
    "/rights/authorisations/",
    "/rights/authorised-sellers/",
    "/detections/",
    "/complaints/",
    "/cases/",
    "/listings/",
    "/listings/console/",
    "/dashboard/",
]
ROLES = ["holder_admin", "holder_member", "agent", "platform_admin", "operator_moderator"]
INLINE_STYLE = re.compile(r"<style[^>]*>(.*?)</style>", re.S)
# A data block (``json_script``: type="application/json") is never run, so the policy allows it.
INLINE_SCRIPT = re.compile(r'<script(?![^>]*\b(?:src=|type="application/json"))[^>]*>', re.S)
STYLE_ATTRIBUTE = re.compile(r"\sstyle=")


def user_of(world, role):
    return {
        "holder_admin": world.holder_a.admin,
        "holder_member": world.holder_a.member,
        "agent": world.agent.admin,
        "platform_admin": world.platform_a.admin,
        "operator_moderator": world.operator_moderator,
    }[role]


def assert_kept_to_policy(response) -> None:
    policy = response["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["base-uri"] == "'self'"
    assert directives["form-action"] == "'self'"
    assert "unsafe" not in policy
    html = response.content.decode()
    assert not INLINE_SCRIPT.search(html), response.request["PATH_INFO"]
    assert not STYLE_ATTRIBUTE.search(html), response.request["PATH_INFO"]
    for block in INLINE_STYLE.findall(html):
        digest = base64.b64encode(hashlib.sha256(block.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in directives["style-src"], block


@pytest.mark.parametrize("role", ROLES)
def test_every_main_page_carries_the_policy_for_every_role(client, world, role):
    # given a user of each role
    client.force_login(user_of(world, role))
    for path in PAGES:
        # when it opens a main page (or is refused it)
        response = client.get(path)
        # then the answer carries the policy, and the page needs nothing it refuses
        assert response["Content-Type"].startswith("text/html"), path
        assert_kept_to_policy(response)


def test_pages_for_strangers_and_the_api_docs_carry_the_policy(client, world):
    for path in ["/accounts/login/", "/api/docs/", "/respond/not-a-token/", "/no-such-page/"]:
        response = client.get(path)
        assert response["Content-Type"].startswith("text/html"), path
        assert_kept_to_policy(response)


def test_the_admin_s_pages_need_nothing_the_policy_refuses(client, world):
    # given a superuser
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    # when it opens the admin's index and every model's change list and add form
    pages = [(reverse("admin:index"), {200})]
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        pages.append((reverse("admin:{}_{}_changelist".format(*info)), {200}))
        # Some models are added only by the workbench itself (403 here).
        pages.append((reverse("admin:{}_{}_add".format(*info)), {200, 403}))
    for path, expected in pages:
        response = client.get(path)
        # then each carries the policy, which allows its one inline style by hash
        assert response.status_code in expected, path
        assert_kept_to_policy(response)
