"""Decisions pushed to platforms: signed webhooks, retries with backoff, safe URLs, event ids."""

import datetime
import hashlib
import hmac
import io
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from listings.fetch import close_pools
from takedown.errors import DomainError, NotPermitted
from takedown.models import Case, OutboxMessage, PlatformDecision, WebhookEndpoint
from takedown.services import outbox
from takedown.services.cases import Decision, case_decide
from takedown.services.complaints import complaint_file
from takedown.services.webhooks import (
    webhook_delivery_retry,
    webhook_endpoint_create,
    webhook_endpoint_disable,
    webhook_endpoint_rotate_secret,
    webhook_signature,
    webhook_signature_valid,
)
from tests.listings.factories import ListingFactory
from tests.listings.test_fetch import fake_dns
from tests.takedown.factories import UserFactory
from tests.takedown.test_complaints import data

REMOVE = Decision(action="remove", explanation="Counterfeit BRANDA bag at a tenth of the price.")
REJECT = Decision(action="reject", explanation="The logo differs from the registered mark.")
RESTRICT = Decision(action="restrict", explanation="Likely infringing.", restriction_days=30)


@dataclass
class Receiver:
    """A platform's webhook receiver on 127.0.0.1: records each POST, answers ``status``."""

    port: int = 0
    status: int = 200
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/takedown"


@pytest.fixture
def receiver():
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            state.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
            answer = b"ok" if 200 <= state.status < 300 else b"receiver is down"
            self.send_response(state.status)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format, *args) -> None:  # noqa: A002
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()
    close_pools()


@pytest.fixture
def allow_loopback(settings):
    settings.TAKEDOWN_WEBHOOK_ALLOW_NETS = ["127.0.0.1/32"]


@pytest.fixture
def cases(world) -> list[Case]:
    """Three open cases on platform A from one complaint of holder A."""
    listings = [
        ListingFactory(platform=world.platform_a.platform, title=f"BRANDA bag {n}", ship_to=["DE"])
        for n in range(3)
    ]
    complaint = complaint_file(
        actor=world.holder_a.member,
        rights_holder=world.holder_a.organisation,
        right_ids=[world.holder_a.rights[0].pk],
        listing_ids=[listing.pk for listing in listings],
        data=data(),
    )
    return list(complaint.cases.order_by("pk"))


def decide(world, case: Case, decision: Decision, capture) -> Case:
    """Decide as the operator's moderator and run what waits for the commit (the delivery)."""
    with capture(execute=True):
        return case_decide(actor=world.operator_moderator, case=case, decision=decision)


# Signatures ---------------------------------------------------------------------


def test_a_signature_verifies_with_the_secret_and_not_with_another():
    # given a body signed the way deliveries are
    body = b'{"type":"case.removed"}'
    now = int(time.time())
    signature = webhook_signature("whsec_right", now, body)
    # then the receiver's check passes with the secret only, and only for these bytes
    assert signature.startswith("sha256=") and len(signature) == len("sha256=") + 64
    assert webhook_signature_valid(
        "whsec_right", timestamp=str(now), body=body, signature=signature
    )
    assert not webhook_signature_valid(
        "whsec_other", timestamp=str(now), body=body, signature=signature
    )
    assert not webhook_signature_valid(
        "whsec_right", timestamp=str(now), body=body + b" ", signature=signature
    )
    # and a request replayed ten minutes later is refused although its signature matches
    assert not webhook_signature_valid(
        "whsec_right", timestamp=str(now), body=body, signature=signature, now=now + 600
    )


# Delivery -----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_removal_reaches_the_platform_s_receiver_signed(
    world, cases, receiver, allow_loopback, django_capture_on_commit_callbacks
):
    # given platform A registered a webhook
    endpoint, secret = webhook_endpoint_create(
        actor=world.platform_a.admin, platform=world.platform_a.platform, url=receiver.url
    )
    # when a moderator removes a listing of platform A
    decide(world, cases[0], REMOVE, django_capture_on_commit_callbacks)
    # then the receiver got one POST, signed with the secret
    assert len(receiver.requests) == 1
    headers, body = receiver.requests[0]
    assert headers["content-type"] == "application/json"
    assert headers["x-takedown-event-type"] == "case.removed"
    signed = headers["x-takedown-timestamp"].encode() + b"." + body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    assert headers["x-takedown-signature"] == f"sha256={expected}"
    assert abs(int(headers["x-takedown-timestamp"]) - time.time()) < 60
    assert webhook_signature_valid(
        secret,
        timestamp=headers["x-takedown-timestamp"],
        body=body,
        signature=headers["x-takedown-signature"],
    )
    # and the body says what was decided, about which listing, with the statement of reasons
    event = json.loads(body)
    decision = PlatformDecision.objects.get(case=cases[0])
    assert event["id"] == headers["x-takedown-event-id"] == str(decision.event_id)
    assert event["type"] == "case.removed" and event["sequence"] == 1
    assert event["case_id"] == cases[0].pk
    assert event["complaint_reference"] == cases[0].complaint.reference
    assert event["listing_external_id"] == cases[0].listing.external_id
    assert event["platform"] == world.platform_a.organisation.slug
    assert event["decision"]["action"] == "remove" and event["decision"]["needs_execution"]
    statement = event["statement_of_reasons"]
    # and the seller's private page, for the platform to pass on
    from takedown.services.remedies import seller_case

    assert seller_case(event["seller_response_url"].rstrip("/").split("/")[-1]) == cases[0]
    assert statement["decision_visibility"] == "DECISION_VISIBILITY_CONTENT_REMOVED"
    assert statement["puid"].endswith(f":{cases[0].listing.external_id}")
    assert statement["territorial_scope"] == ["DE"]
    # and the delivery is logged as sent with the receiver's answer
    message = OutboxMessage.objects.get(endpoint=endpoint)
    assert (message.status, message.attempts, message.last_status_code) == ("sent", 1, 200)
    assert list(message.attempt_log.values_list("ok", "status_code", "response_excerpt")) == [
        (True, 200, "ok")
    ]


@pytest.mark.django_db
def test_a_receiver_s_500_is_retried_with_backoff_and_a_later_sweep_delivers_once(
    world, cases, receiver, allow_loopback, django_capture_on_commit_callbacks
):
    # given a registered receiver that is failing
    webhook_endpoint_create(
        actor=world.platform_a.admin, platform=world.platform_a.platform, url=receiver.url
    )
    receiver.status = 500
    # when a decision is made
    decide(world, cases[0], REJECT, django_capture_on_commit_callbacks)
    # then the first attempt failed and the next is scheduled a minute later
    message = OutboxMessage.objects.get(channel="webhook")
    assert (message.status, message.attempts, message.last_status_code) == ("pending", 1, 500)
    assert "answered 500" in message.last_error
    wait = message.next_attempt_at - timezone.now()
    assert datetime.timedelta(seconds=50) < wait <= datetime.timedelta(minutes=1)
    # and the sweep leaves it alone before then
    outbox.outbox_resume()
    assert len(receiver.requests) == 1
    # when the receiver is back and the time has come, the sweep delivers it
    receiver.status = 204
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    outbox.outbox_resume()
    # and further sweeps send nothing more
    outbox.outbox_resume()
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_status_code) == ("sent", 2, 204)
    assert len(receiver.requests) == 2
    ids = {headers["x-takedown-event-id"] for headers, _ in receiver.requests}
    assert ids == {message.payload["id"]}
    assert list(message.attempt_log.values_list("number", "status_code", "ok")) == [
        (1, 500, False),
        (2, 204, True),
    ]


@pytest.mark.django_db
def test_a_second_failure_waits_twice_as_long(
    world, cases, receiver, allow_loopback, django_capture_on_commit_callbacks
):
    webhook_endpoint_create(
        actor=world.platform_a.admin, platform=world.platform_a.platform, url=receiver.url
    )
    receiver.status = 503
    decide(world, cases[0], REMOVE, django_capture_on_commit_callbacks)
    message = OutboxMessage.objects.get(channel="webhook")
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    outbox.outbox_resume()
    message.refresh_from_db()
    wait = message.next_attempt_at - timezone.now()
    assert message.attempts == 2
    assert datetime.timedelta(seconds=110) < wait <= datetime.timedelta(minutes=2)


@pytest.mark.django_db
def test_a_receiver_that_is_not_listening_is_retried(
    world, cases, receiver, allow_loopback, django_capture_on_commit_callbacks
):
    # given a webhook whose port nobody listens on
    endpoint, _ = webhook_endpoint_create(
        actor=world.platform_a.admin,
        platform=world.platform_a.platform,
        url="http://127.0.0.1:9/nobody-home",
    )
    decide(world, cases[0], REMOVE, django_capture_on_commit_callbacks)
    message = OutboxMessage.objects.get(endpoint=endpoint)
    assert (message.status, message.attempts, message.last_status_code) == ("pending", 1, None)
    assert message.last_error


@pytest.mark.django_db
def test_every_decision_and_every_delivery_has_its_own_id(
    world, cases, receiver, allow_loopback, django_capture_on_commit_callbacks
):
    # given platform A sends decisions to two systems
    for path in ("one", "two"):
        webhook_endpoint_create(
            actor=world.platform_a.admin,
            platform=world.platform_a.platform,
            url=f"{receiver.url}/{path}",
        )
    # when three cases are decided
    for case, decision in zip(cases, (REMOVE, REJECT, RESTRICT), strict=True):
        decide(world, case, decision, django_capture_on_commit_callbacks)
    # then each decision has its own event id and the next number
    decisions = list(PlatformDecision.objects.order_by("sequence"))
    assert [d.sequence for d in decisions] == [1, 2, 3]
    assert [d.type for d in decisions] == ["case.removed", "case.rejected", "case.restricted"]
    assert len({d.event_id for d in decisions}) == 3
    # and both systems got each decision once, under the decision's event id
    assert len(receiver.requests) == 6
    event_ids = [headers["x-takedown-event-id"] for headers, _ in receiver.requests]
    assert sorted(event_ids) == sorted(str(d.event_id) for d in decisions for _ in range(2))
    delivery_ids = {headers["x-takedown-delivery-id"] for headers, _ in receiver.requests}
    assert len(delivery_ids) == 6


@pytest.mark.django_db
def test_a_request_for_information_is_told_but_asks_nothing_of_the_platform(
    world, cases, django_capture_on_commit_callbacks
):
    decide(
        world,
        cases[0],
        Decision(action="request_info", explanation="Send the registration certificate."),
        django_capture_on_commit_callbacks,
    )
    decision = PlatformDecision.objects.get()
    assert decision.type == "case.info_requested"
    assert decision.needs_execution is False
    assert decision.payload["statement_of_reasons"] is None
    # the notifier's question stays between the notifier and the moderators
    assert "certificate" not in json.dumps(decision.payload)


@pytest.mark.django_db
def test_each_platform_counts_its_own_decisions(world, cases, django_capture_on_commit_callbacks):
    listing_b = ListingFactory(platform=world.platform_b.platform, title="BRANDA bag", ship_to=[])
    case_b = complaint_file(
        actor=world.holder_a.member,
        rights_holder=world.holder_a.organisation,
        right_ids=[world.holder_a.rights[0].pk],
        listing_ids=[listing_b.pk],
        data=data(),
    ).cases.get()
    decide(world, cases[0], REMOVE, django_capture_on_commit_callbacks)
    decide(world, case_b, REMOVE, django_capture_on_commit_callbacks)
    decide(world, cases[1], REMOVE, django_capture_on_commit_callbacks)
    assert list(PlatformDecision.objects.order_by("pk").values_list("platform_id", "sequence")) == [
        (world.platform_a.platform.pk, 1),
        (world.platform_b.platform.pk, 1),
        (world.platform_a.platform.pk, 2),
    ]


# Endpoints: who, rotation, disabling ---------------------------------------------


@pytest.mark.django_db
def test_only_the_platform_s_administrators_and_the_operator_manage_its_webhooks(
    world, receiver, allow_loopback
):
    platform = world.platform_a.platform
    for outsider in (world.platform_a.member, world.platform_b.admin, world.holder_a.admin):
        with pytest.raises(NotPermitted):
            webhook_endpoint_create(actor=outsider, platform=platform, url=receiver.url)
    endpoint, _ = webhook_endpoint_create(
        actor=world.platform_a.admin, platform=platform, url=receiver.url
    )
    with pytest.raises(NotPermitted):
        webhook_endpoint_rotate_secret(actor=world.platform_b.admin, endpoint=endpoint)
    with pytest.raises(NotPermitted):
        webhook_endpoint_disable(actor=world.platform_a.moderator, endpoint=endpoint)
    assert (
        webhook_endpoint_disable(actor=world.operator_moderator, endpoint=endpoint).active is False
    )


@pytest.mark.django_db
def test_a_rotated_secret_signs_the_next_deliveries(
    world, cases, receiver, allow_loopback, django_capture_on_commit_callbacks
):
    endpoint, old = webhook_endpoint_create(
        actor=world.platform_a.admin, platform=world.platform_a.platform, url=receiver.url
    )
    _, new = webhook_endpoint_rotate_secret(actor=world.platform_a.admin, endpoint=endpoint)
    assert new != old and new.startswith("whsec_")
    decide(world, cases[0], REMOVE, django_capture_on_commit_callbacks)
    headers, body = receiver.requests[0]
    arguments = dict(
        timestamp=headers["x-takedown-timestamp"],
        body=body,
        signature=headers["x-takedown-signature"],
    )
    assert webhook_signature_valid(new, **arguments)
    assert not webhook_signature_valid(old, **arguments)


@pytest.mark.django_db
def test_a_disabled_webhook_gets_nothing_more(
    world, cases, receiver, allow_loopback, django_capture_on_commit_callbacks
):
    # given a webhook with a delivery waiting for a retry
    endpoint, _ = webhook_endpoint_create(
        actor=world.platform_a.admin, platform=world.platform_a.platform, url=receiver.url
    )
    receiver.status = 500
    decide(world, cases[0], REMOVE, django_capture_on_commit_callbacks)
    # when the platform disables it
    webhook_endpoint_disable(actor=world.platform_a.admin, endpoint=endpoint)
    # then the waiting delivery is given up, and later decisions are not sent to it
    OutboxMessage.objects.update(next_attempt_at=timezone.now())
    outbox.outbox_resume()
    decide(world, cases[1], REMOVE, django_capture_on_commit_callbacks)
    message = OutboxMessage.objects.get(endpoint=endpoint)
    assert message.status == "failed" and "disabled" in message.last_error
    assert len(receiver.requests) == 1
    # but the platform can still poll both decisions
    assert PlatformDecision.objects.count() == 2


@pytest.mark.django_db
def test_a_receiver_answering_410_gone_is_not_retried_and_its_webhook_is_disabled(
    world, cases, receiver, allow_loopback, django_capture_on_commit_callbacks
):
    # given a webhook whose receiver says the URL is gone for good
    endpoint, _ = webhook_endpoint_create(
        actor=world.platform_a.admin, platform=world.platform_a.platform, url=receiver.url
    )
    receiver.status = 410
    # when a decision is sent to it
    decide(world, cases[0], REMOVE, django_capture_on_commit_callbacks)
    # then the delivery is given up after the one attempt, not scheduled again
    message = OutboxMessage.objects.get(endpoint=endpoint)
    assert (message.status, message.attempts, message.last_status_code) == ("failed", 1, 410)
    assert "410 Gone" in message.last_error
    # and the webhook is disabled, saying why
    endpoint.refresh_from_db()
    assert endpoint.active is False and endpoint.disabled_at is not None
    assert "410 Gone" in endpoint.disabled_reason
    # and later sweeps and decisions send it nothing more; the pull feed still has both
    OutboxMessage.objects.update(next_attempt_at=timezone.now())
    outbox.outbox_resume()
    decide(world, cases[1], REMOVE, django_capture_on_commit_callbacks)
    assert len(receiver.requests) == 1
    assert OutboxMessage.objects.filter(endpoint=endpoint).count() == 1
    assert PlatformDecision.objects.count() == 2


# URLs -----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("https://10.0.0.5/hooks", "private"),
        ("https://169.254.169.254/latest/meta-data", "link-local"),
        ("https://127.0.0.1/hooks", "loopback"),
        ("https://[::ffff:10.0.0.1]/hooks", "private"),
        ("https://100.64.0.1/hooks", "shared"),
        ("https://internal.example.test/hooks", "private"),  # a public name for 10.1.2.3
        ("http://hooks.example.test/takedown", "must use https"),
        ("ftp://hooks.example.test/takedown", "starts with https"),
        ("https://user:pw@hooks.example.test/", "user name or password"),
    ],
)
def test_a_webhook_url_pointing_inside_or_without_https_is_refused(
    world, monkeypatch, settings, url, why
):
    settings.TAKEDOWN_WEBHOOK_ALLOW_NETS = []
    fake_dns(
        monkeypatch,
        {"internal.example.test": ["10.1.2.3"], "hooks.example.test": ["93.184.215.14"]},
    )
    with pytest.raises(DomainError, match=why):
        webhook_endpoint_create(
            actor=world.platform_a.admin, platform=world.platform_a.platform, url=url
        )


@pytest.mark.django_db
def test_an_allowlisted_network_may_receive_webhooks(world, monkeypatch, settings):
    fake_dns(monkeypatch, {"hooks.example.test": ["93.184.215.14"]})
    platform = world.platform_a.platform
    # a public https URL is accepted as it is
    webhook_endpoint_create(
        actor=world.platform_a.admin, platform=platform, url="https://hooks.example.test/td"
    )
    # a private one only once the operator allowlists its network
    settings.TAKEDOWN_WEBHOOK_ALLOW_NETS = ["10.0.0.0/8"]
    endpoint, _ = webhook_endpoint_create(
        actor=world.platform_a.admin, platform=platform, url="https://10.0.0.5/hooks"
    )
    assert endpoint.active


@pytest.mark.django_db
def test_a_name_that_later_points_inside_is_not_connected_to(
    world, cases, monkeypatch, settings, django_capture_on_commit_callbacks
):
    # given a webhook registered while its name pointed at a public address
    answers = {"hooks.example.test": ["93.184.215.14"]}
    fake_dns(monkeypatch, answers)
    endpoint, _ = webhook_endpoint_create(
        actor=world.platform_a.admin,
        platform=world.platform_a.platform,
        url="https://hooks.example.test/td",
    )
    # when the name is switched to the metadata service before a delivery
    answers["hooks.example.test"] = ["169.254.169.254"]
    connected: list[object] = []
    monkeypatch.setattr(
        "urllib3.util.connection.create_connection",
        lambda *args, **kwargs: connected.append(args) or pytest.fail("connected"),
    )
    decide(world, cases[0], REMOVE, django_capture_on_commit_callbacks)
    # then nothing connected, and the delivery waits for a retry saying why
    message = OutboxMessage.objects.get(endpoint=endpoint)
    assert connected == []
    assert message.status == "pending" and "link-local" in message.last_error


@pytest.mark.django_db
def test_the_operator_registers_a_webhook_from_the_command_line(world, receiver, allow_loopback):
    out = io.StringIO()
    call_command("register_webhook", world.platform_a.organisation.slug, receiver.url, stdout=out)
    secret = out.getvalue().splitlines()[-1]
    endpoint = WebhookEndpoint.objects.get(platform=world.platform_a.platform)
    assert secret.startswith("whsec_") and endpoint.secret == secret
    with pytest.raises(CommandError, match="public addresses only"):
        call_command("register_webhook", world.platform_a.organisation.slug, "https://10.9.8.7/")


@pytest.mark.django_db
def test_the_admin_shows_a_new_webhook_s_secret_once_and_rotates_it(
    client, world, receiver, allow_loopback
):
    operator = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(operator)
    # when the operator adds a webhook for platform A
    created = client.post(
        reverse("admin:takedown_webhookendpoint_add"),
        {"platform": world.platform_a.platform.pk, "url": receiver.url},
    )
    # then the page shows the secret, and the list never does
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret in created.content.decode()
    assert "no-store" in created["Cache-Control"]
    listing = client.get(reverse("admin:takedown_webhookendpoint_changelist"))
    assert receiver.url in listing.content.decode()
    assert endpoint.secret not in listing.content.decode()
    # when it rotates the secret, the new one is shown and the old one is gone
    rotated = client.post(
        reverse("admin:takedown_webhookendpoint_changelist"),
        {"action": "rotate_secret_selected", "_selected_action": [str(endpoint.pk)]},
    )
    old = endpoint.secret
    endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.secret in rotated.content.decode()


@pytest.mark.django_db
def test_a_webhook_being_sent_cannot_be_retried_by_hand_meanwhile(
    world, cases, receiver, allow_loopback, django_capture_on_commit_callbacks
):
    # given a webhook delivery that failed once and is now being sent again
    webhook_endpoint_create(
        actor=world.platform_a.admin, platform=world.platform_a.platform, url=receiver.url
    )
    receiver.status = 500
    decide(world, cases[0], REMOVE, django_capture_on_commit_callbacks)
    message = OutboxMessage.objects.get(channel="webhook")
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    assert outbox._claim(message.pk) is not None
    # when the platform's administrator asks for a retry now
    with pytest.raises(DomainError, match="being sent now"):
        webhook_delivery_retry(actor=world.platform_a.admin, message=message)
    # then nothing was sent twice
    assert len(receiver.requests) == 1
