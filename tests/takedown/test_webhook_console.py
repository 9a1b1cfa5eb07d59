"""A platform manages its own webhooks and reads their delivery log: API and console."""

import socket
from functools import partial

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from listings.services.tokens import platform_token_create
from takedown.models import OutboxMessage, WebhookEndpoint
from takedown.services.webhooks import (
    webhook_endpoint_create,
    webhook_endpoint_ping,
    webhook_signature_valid,
)
from tests.takedown import test_webhooks

pytestmark = pytest.mark.django_db

WEBHOOKS = reverse("api-webhook-list")

# A receiver on 127.0.0.1 and the setting that lets webhooks go there.
receiver = test_webhooks.receiver
allow_loopback = test_webhooks.allow_loopback


def api(tenant) -> APIClient:
    """A client calling the API with a fresh token of ``tenant``'s platform."""
    _, secret = platform_token_create(actor=None, platform=tenant.platform, name="Integration")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def endpoint_of(tenant, url: str) -> tuple[WebhookEndpoint, str]:
    return webhook_endpoint_create(actor=tenant.admin, platform=tenant.platform, url=url)


def resolve(names: dict[str, str], host: str, port, *args, **kwargs) -> list[tuple]:
    """getaddrinfo answering from ``names`` and IPv4 literals only: no DNS query is sent."""
    address = names.get(host) or (host if host.replace(".", "").isdigit() else None)
    if address is None:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]


def signed_with(secret: str, request: tuple[dict[str, str], bytes]) -> bool:
    headers, body = request
    return webhook_signature_valid(
        secret,
        timestamp=headers["x-takedown-timestamp"],
        body=body,
        signature=headers["x-takedown-signature"],
    )


# API ------------------------------------------------------------------------------


def test_a_platform_registers_a_webhook_and_sees_its_secret_only_once(
    world, receiver, allow_loopback
):
    client = api(world.platform_a)
    # when platform A registers its receiver through the API
    response = client.post(WEBHOOKS, {"url": receiver.url}, format="json")
    # then the answer carries the signing secret, not to be cached
    assert response.status_code == 201
    body = response.json()
    endpoint = WebhookEndpoint.objects.get(pk=body["id"])
    assert body["secret"] == endpoint.secret and body["secret"].startswith("whsec_")
    assert (body["url"], body["active"]) == (receiver.url, True)
    assert response["Cache-Control"] == "no-store"
    assert endpoint.platform == world.platform_a.platform and endpoint.created_by is None
    # and listing or reading it never shows the secret again
    listed = client.get(WEBHOOKS).json()["results"]
    assert [e["id"] for e in listed] == [endpoint.pk]
    detail = client.get(reverse("api-webhook-detail", args=[endpoint.pk]))
    assert endpoint.secret not in listed.__repr__() + detail.content.decode()


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://hooks.example.test/takedown", "must use https"),
        ("https://10.0.0.5/hooks", "private"),
        ("https://internal.example.test/hooks", "private"),
        ("https://nowhere.example.test/hooks", "does not resolve"),
        ("not a url", "valid URL"),
        ("", "may not be blank"),
    ],
)
def test_a_refused_url_is_a_400_naming_the_url_field(world, monkeypatch, settings, url, why):
    settings.TAKEDOWN_WEBHOOK_ALLOW_NETS = []
    names = {"hooks.example.test": "93.184.215.14", "internal.example.test": "10.1.2.3"}
    monkeypatch.setattr(socket, "getaddrinfo", partial(resolve, names))
    # when a platform registers a URL the workbench must not send decisions to
    response = api(world.platform_a).post(WEBHOOKS, {"url": url}, format="json")
    # then it is refused, saying why next to the field, and nothing is registered
    assert response.status_code == 400
    assert why in " ".join(response.json()["url"])
    assert not WebhookEndpoint.objects.exists()


def test_a_test_event_is_signed_and_shows_in_the_delivery_log(
    world, receiver, allow_loopback, django_capture_on_commit_callbacks
):
    # given platform A's webhook
    endpoint, secret = endpoint_of(world.platform_a, receiver.url)
    client = api(world.platform_a)
    # when it asks for a test event
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("api-webhook-ping", args=[endpoint.pk]))
    # then its receiver got one POST of type webhook.ping, signed with the secret
    assert response.status_code == 202
    assert len(receiver.requests) == 1
    headers, _ = receiver.requests[0]
    assert headers["x-takedown-event-type"] == "webhook.ping"
    assert signed_with(secret, receiver.requests[0])
    # and the delivery log shows it received, with its ids and its one attempt
    deliveries = client.get(reverse("api-webhook-delivery-list", args=[endpoint.pk])).json()
    [delivery] = deliveries["results"]
    assert delivery["id"] == response.json()["id"] == headers["x-takedown-delivery-id"]
    assert delivery["event_id"] == headers["x-takedown-event-id"]
    assert (delivery["status"], delivery["attempts"], delivery["last_status_code"]) == (
        "sent",
        1,
        200,
    )
    [attempt] = delivery["attempt_log"]
    assert (attempt["number"], attempt["ok"], attempt["status_code"]) == (1, True, 200)
    assert attempt["started_at"] and attempt["error"] == ""


def test_a_failed_delivery_is_listed_with_its_error_and_retried_now(
    world, receiver, allow_loopback, django_capture_on_commit_callbacks
):
    # given a test event the receiver refused until the outbox gave up
    endpoint, _ = endpoint_of(world.platform_a, receiver.url)
    receiver.status = 500
    with django_capture_on_commit_callbacks(execute=True):
        message = webhook_endpoint_ping(actor=world.platform_a.admin, endpoint=endpoint)
    OutboxMessage.objects.filter(pk=message.pk).update(status=OutboxMessage.Status.FAILED)
    client = api(world.platform_a)
    deliveries_url = reverse("api-webhook-delivery-list", args=[endpoint.pk])
    # then the log lists it as failed, with the receiver's status and error
    [failed] = client.get(deliveries_url, {"status": "failed"}).json()["results"]
    assert (failed["status"], failed["last_status_code"]) == ("failed", 500)
    assert "answered 500" in failed["last_error"]
    assert failed["attempt_log"][0]["response_excerpt"] == "receiver is down"
    # when the receiver is back and the platform retries it now
    receiver.status = 204
    retry_url = reverse("api-webhook-delivery-retry", args=[endpoint.pk, failed["id"]])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(retry_url)
    # then it is delivered at once, under the same event id, its attempts logged
    assert response.status_code == 202
    [delivered] = client.get(deliveries_url).json()["results"]
    assert (delivered["status"], delivered["attempts"]) == ("sent", 2)
    assert [(a["number"], a["status_code"]) for a in delivered["attempt_log"]] == [
        (1, 500),
        (2, 204),
    ]
    assert {h["x-takedown-event-id"] for h, _ in receiver.requests} == {failed["event_id"]}
    assert client.get(deliveries_url, {"status": "failed"}).json()["results"] == []
    # and retrying what was received is refused
    assert client.post(retry_url).status_code == 409


def test_a_rotated_secret_is_shown_once_and_signs_the_next_delivery(
    world, receiver, allow_loopback, django_capture_on_commit_callbacks
):
    endpoint, old = endpoint_of(world.platform_a, receiver.url)
    client = api(world.platform_a)
    # when the platform rotates the secret
    response = client.post(reverse("api-webhook-rotate-secret", args=[endpoint.pk]))
    new = response.json()["secret"]
    # then the new secret signs the next delivery and the old one does not
    assert response.status_code == 200 and new != old
    assert response.json()["secret_rotated_at"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("api-webhook-ping", args=[endpoint.pk]))
    assert signed_with(new, receiver.requests[0])
    assert not signed_with(old, receiver.requests[0])


def test_a_disabled_webhook_refuses_every_change_with_a_409(
    world, receiver, allow_loopback, django_capture_on_commit_callbacks
):
    # given a webhook with a failed delivery
    endpoint, _ = endpoint_of(world.platform_a, receiver.url)
    receiver.status = 500
    with django_capture_on_commit_callbacks(execute=True):
        message = webhook_endpoint_ping(actor=world.platform_a.admin, endpoint=endpoint)
    client = api(world.platform_a)
    # when the platform disables it
    response = client.post(reverse("api-webhook-disable", args=[endpoint.pk]))
    assert response.status_code == 200
    assert response.json()["active"] is False and response.json()["disabled_at"]
    # then disabling, rotating, testing and retrying it again are conflicts, saying why
    refused = [
        client.post(reverse(name, args=[endpoint.pk]))
        for name in ("api-webhook-disable", "api-webhook-rotate-secret", "api-webhook-ping")
    ]
    refused.append(
        client.post(reverse("api-webhook-delivery-retry", args=[endpoint.pk, message.event_id]))
    )
    assert [r.status_code for r in refused] == [409, 409, 409, 409]
    assert "disabled" in refused[1].json()["detail"]
    assert len(receiver.requests) == 1


def test_a_platform_never_sees_or_touches_another_platform_s_webhooks(
    world, receiver, allow_loopback, django_capture_on_commit_callbacks
):
    # given a webhook of platform B with a delivery, and one of platform A
    theirs, their_secret = endpoint_of(world.platform_b, receiver.url)
    ours, _ = endpoint_of(world.platform_a, receiver.url)
    receiver.status = 500
    with django_capture_on_commit_callbacks(execute=True):
        their_message = webhook_endpoint_ping(actor=world.platform_b.admin, endpoint=theirs)
    client = api(world.platform_a)
    # when platform A lists its webhooks, then B's is not there
    assert [e["id"] for e in client.get(WEBHOOKS).json()["results"]] == [ours.pk]
    # when it reads or acts on B's webhook or delivery, then each is a 404
    responses = [
        client.get(reverse("api-webhook-detail", args=[theirs.pk])),
        client.get(reverse("api-webhook-delivery-list", args=[theirs.pk])),
        client.post(reverse("api-webhook-rotate-secret", args=[theirs.pk])),
        client.post(reverse("api-webhook-ping", args=[theirs.pk])),
        client.post(reverse("api-webhook-disable", args=[theirs.pk])),
        client.post(
            reverse("api-webhook-delivery-retry", args=[theirs.pk, their_message.event_id])
        ),
        # nor through its own webhook's path
        client.post(reverse("api-webhook-delivery-retry", args=[ours.pk, their_message.event_id])),
    ]
    assert [r.status_code for r in responses] == [404] * 7
    # and B's webhook is as it was
    theirs.refresh_from_db()
    assert theirs.active and theirs.secret == their_secret
    assert theirs.messages.count() == 1 and len(receiver.requests) == 1


def test_the_webhook_api_needs_a_platform_token(world, client):
    # a logged-in platform admin without a token, and a stranger, are both refused
    client.force_login(world.platform_a.admin)
    assert client.get(WEBHOOKS).status_code == 401
    assert APIClient().post(WEBHOOKS, {"url": "https://1.1.1.1/"}).status_code == 401
    assert not WebhookEndpoint.objects.exists()


# Console ------------------------------------------------------------------------------


def webhooks_page(tenant) -> str:
    return reverse("listings:console-webhooks", args=[tenant.platform.pk])


def test_the_console_loads_each_platform_s_webhooks_and_deliveries(
    client, world, receiver, allow_loopback, django_capture_on_commit_callbacks
):
    # given a webhook with a delivery on each platform
    ours, _ = endpoint_of(world.platform_a, f"{receiver.url}/ours")
    theirs, _ = endpoint_of(world.platform_b, f"{receiver.url}/theirs")
    with django_capture_on_commit_callbacks(execute=True):
        webhook_endpoint_ping(actor=None, endpoint=ours)
        webhook_endpoint_ping(actor=None, endpoint=theirs)
    client.force_login(world.platform_a.admin)
    # when platform A's admin opens the console, then it loads A's webhooks with htmx
    console = client.get(reverse("listings:console")).content.decode()
    assert f'hx-get="{webhooks_page(world.platform_a)}"' in console
    assert webhooks_page(world.platform_b) not in console
    # and what it loads lists A's webhook and delivery, not B's, with the buttons
    fragment = client.get(webhooks_page(world.platform_a), HTTP_HX_REQUEST="true")
    page = fragment.content.decode()
    assert "<html" not in page
    assert ours.url in page and theirs.url not in page
    assert "webhook.ping" in page and "Delivered" in page and "HTTP 200" in page
    for name in ("console-webhook-ping", "console-webhook-rotate", "console-webhook-disable"):
        assert reverse(f"listings:{name}", args=[ours.pk]) in page
    # and no inline handler or style, which the planned CSP would block
    for html in (console, page, client.get(webhooks_page(world.platform_a)).content.decode()):
        assert "onsubmit=" not in html and "onclick=" not in html and " style=" not in html


def test_an_admin_adds_a_webhook_and_sees_its_secret_once(client, world, receiver, allow_loopback):
    client.force_login(world.platform_a.admin)
    url = reverse("listings:console-webhook-create", args=[world.platform_a.platform.pk])
    # when platform A's admin adds a webhook
    response = client.post(url, {"url": receiver.url})
    # then the page answering the POST shows its secret, not to be cached
    endpoint = WebhookEndpoint.objects.get(platform=world.platform_a.platform)
    assert response.status_code == 200
    assert endpoint.secret in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert endpoint.created_by == world.platform_a.admin
    # and neither the session nor the next page show it again
    assert endpoint.secret not in str(dict(client.session))
    assert endpoint.secret not in client.get(webhooks_page(world.platform_a)).content.decode()


def test_a_refused_url_is_shown_next_to_the_field(client, world, settings):
    settings.TAKEDOWN_WEBHOOK_ALLOW_NETS = []
    client.force_login(world.platform_a.admin)
    url = reverse("listings:console-webhook-create", args=[world.platform_a.platform.pk])
    # when the admin adds a URL on the office network
    response = client.post(url, {"url": "https://10.0.0.5/hooks"})
    # then nothing is registered and the field says why
    assert response.status_code == 400
    assert "private" in " ".join(response.context["form"].errors["url"])
    assert "is-invalid" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_an_admin_tests_rotates_and_disables_a_webhook(
    client, world, receiver, allow_loopback, django_capture_on_commit_callbacks
):
    endpoint, old = endpoint_of(world.platform_a, receiver.url)
    client.force_login(world.platform_a.admin)
    # when the admin sends a test event, then the page it is sent back to logs it received
    with django_capture_on_commit_callbacks(execute=True):
        tested = client.post(reverse("listings:console-webhook-ping", args=[endpoint.pk]))
    assert tested.status_code == 302 and tested["Location"] == webhooks_page(world.platform_a)
    page = client.get(tested["Location"]).content.decode()
    assert "A test event is on its way" in page and "Delivered" in page
    assert signed_with(old, receiver.requests[0])
    # when they rotate the secret, then the answer shows the new one, which signs from now
    rotated = client.post(reverse("listings:console-webhook-rotate", args=[endpoint.pk]))
    endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.secret in rotated.content.decode()
    assert "no-store" in rotated["Cache-Control"]
    # when they disable it, then it is shown disabled, with no more buttons
    disabled = client.post(
        reverse("listings:console-webhook-disable", args=[endpoint.pk]), follow=True
    )
    page = disabled.content.decode()
    assert "is disabled" in page and "Disabled " in page
    assert reverse("listings:console-webhook-ping", args=[endpoint.pk]) not in page
    endpoint.refresh_from_db()
    assert endpoint.active is False


def test_the_retry_button_redelivers_a_failed_delivery(
    client, world, receiver, allow_loopback, django_capture_on_commit_callbacks
):
    # given a delivery the outbox gave up on
    endpoint, _ = endpoint_of(world.platform_a, receiver.url)
    receiver.status = 503
    with django_capture_on_commit_callbacks(execute=True):
        message = webhook_endpoint_ping(actor=None, endpoint=endpoint)
    OutboxMessage.objects.filter(pk=message.pk).update(status=OutboxMessage.Status.FAILED)
    client.force_login(world.platform_a.admin)
    retry = reverse("listings:console-delivery-retry", args=[message.pk])
    # then the log shows it failed, with the receiver's answer and a retry button
    page = client.get(webhooks_page(world.platform_a)).content.decode()
    assert "Failed" in page and "HTTP 503" in page and "answered 503" in page
    assert retry in page
    # when the receiver is back and the admin presses it
    receiver.status = 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(retry)
    # then it is delivered, and the button is gone
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 2)
    page = client.get(response["Location"]).content.decode()
    assert "attempted again now" in page and retry not in page


@pytest.mark.parametrize("who", ["member", "moderator"])
def test_platform_staff_who_are_not_admins_see_webhooks_but_may_not_change_them(
    client, world, receiver, allow_loopback, who
):
    endpoint, secret = endpoint_of(world.platform_a, receiver.url)
    message = webhook_endpoint_ping(actor=None, endpoint=endpoint)
    OutboxMessage.objects.filter(pk=message.pk).update(status=OutboxMessage.Status.FAILED)
    client.force_login(getattr(world.platform_a, who))
    # when they open the webhooks, then they see them but no form or button
    page = client.get(webhooks_page(world.platform_a)).content.decode()
    assert endpoint.url in page and message.topic in page
    create = reverse("listings:console-webhook-create", args=[world.platform_a.platform.pk])
    actions = [
        reverse(f"listings:{name}", args=[endpoint.pk])
        for name in ("console-webhook-ping", "console-webhook-rotate", "console-webhook-disable")
    ]
    retry = reverse("listings:console-delivery-retry", args=[message.pk])
    assert not [url for url in (create, *actions, retry) if url in page]
    # when they post anyway, then every change is refused
    responses = [client.post(create, {"url": receiver.url + "/2"})]
    responses += [client.post(url) for url in (*actions, retry)]
    assert [r.status_code for r in responses] == [403] * 5
    endpoint.refresh_from_db()
    assert endpoint.active and endpoint.secret == secret
    assert WebhookEndpoint.objects.count() == 1 and OutboxMessage.objects.count() == 1


def test_another_platform_s_webhooks_are_not_found_in_the_console(
    client, world, receiver, allow_loopback
):
    theirs, secret = endpoint_of(world.platform_b, receiver.url)
    message = webhook_endpoint_ping(actor=None, endpoint=theirs)
    client.force_login(world.platform_a.admin)
    responses = [
        client.get(webhooks_page(world.platform_b)),
        client.post(
            reverse("listings:console-webhook-create", args=[world.platform_b.platform.pk]),
            {"url": receiver.url + "/mine"},
        ),
        client.post(reverse("listings:console-webhook-rotate", args=[theirs.pk])),
        client.post(reverse("listings:console-webhook-disable", args=[theirs.pk])),
        client.post(reverse("listings:console-webhook-ping", args=[theirs.pk])),
        client.post(reverse("listings:console-delivery-retry", args=[message.pk])),
    ]
    assert [r.status_code for r in responses] == [404] * 6
    theirs.refresh_from_db()
    assert theirs.active and theirs.secret == secret
    assert WebhookEndpoint.objects.count() == 1 and OutboxMessage.objects.count() == 1


def test_the_webhooks_page_queries_do_not_grow_with_deliveries(
    client, world, receiver, allow_loopback, django_assert_max_num_queries
):
    # given three webhooks with twenty deliveries each
    for n in range(3):
        endpoint, _ = endpoint_of(world.platform_a, f"{receiver.url}/{n}")
        for _ in range(20):
            webhook_endpoint_ping(actor=None, endpoint=endpoint)
    client.force_login(world.platform_a.admin)
    # when the admin opens the page, then nine queries suffice: session, user,
    # memberships, platform, webhooks, deliveries counted, a page of them, attempts
    with django_assert_max_num_queries(9):
        response = client.get(webhooks_page(world.platform_a))
    assert len(response.context["deliveries"]) == 50
    # and the console's fragment shows only the ten newest
    fragment = client.get(webhooks_page(world.platform_a), HTTP_HX_REQUEST="true")
    assert len(fragment.context["deliveries"]) == 10


def test_a_webhook_the_receiver_says_is_gone_shows_why_it_was_disabled(
    client, world, receiver, allow_loopback, django_capture_on_commit_callbacks
):
    # given a receiver answering 410 Gone to a test event
    endpoint, _ = endpoint_of(world.platform_a, receiver.url)
    receiver.status = 410
    with django_capture_on_commit_callbacks(execute=True):
        webhook_endpoint_ping(actor=None, endpoint=endpoint)
    # then the API and the console say the webhook was disabled, and why
    detail = api(world.platform_a).get(reverse("api-webhook-detail", args=[endpoint.pk])).json()
    assert detail["active"] is False and "410 Gone" in detail["disabled_reason"]
    client.force_login(world.platform_a.admin)
    page = client.get(webhooks_page(world.platform_a)).content.decode()
    assert "Disabled " in page and "410 Gone" in page
    assert reverse("listings:console-webhook-ping", args=[endpoint.pk]) not in page
