"""Platforms' webhook endpoints: register, rotate the secret, disable; sign and POST decisions.

A webhook URL is chosen by a platform's administrator, so it is checked like
an image URL from a feed (listings.fetch): https only, every address the host
resolves to public (or inside ``TAKEDOWN_WEBHOOK_ALLOW_NETS``), checked again
at each delivery and connected to by the checked address, so a DNS answer that
changes after registration cannot turn a webhook against the metadata service
or the office network. Plain http is accepted only for allowlisted addresses
(a receiver on 127.0.0.1 in tests and local runs).

Signature: ``X-Takedown-Signature: sha256=<hex>``, the HMAC-SHA256 with the
endpoint's secret of ``"<X-Takedown-Timestamp>.<raw body>"``. The receiver
recomputes it over the raw bytes, compares in constant time and refuses a
timestamp more than five minutes old (a replayed request).
"""

import hashlib
import hmac
import ipaddress
import json
import socket
import time
import uuid
from dataclasses import dataclass
from functools import partial
from urllib.parse import urlsplit

import urllib3
from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from urllib3.exceptions import HTTPError, ProtocolError

from listings.fetch import FetchError, _parse, _pool, _Target, address_problem
from listings.models import Platform
from takedown.access import access_for, can_manage_platform_tokens, platforms_q
from takedown.errors import DomainError, NotPermitted
from takedown.models import OutboxAttempt, OutboxMessage, WebhookEndpoint

# A platform sends its decisions to a few systems at most; more is a mistake.
MAX_ACTIVE_ENDPOINTS = 5
# Receivers refuse a timestamp older than this (the README's snippet says so).
SIGNATURE_TOLERANCE_SECONDS = 300
# The start of a refusing receiver's answer kept in the delivery log.
RESPONSE_EXCERPT_BYTES = 1024
USER_AGENT = "takedown-workbench webhooks"


class WebhookFailed(Exception):
    """A delivery that did not get a 2xx: retried with the outbox's backoff."""

    def __init__(self, message: str, *, status_code: int | None = None, excerpt: str = "") -> None:
        super().__init__(message)
        self.status_code = status_code
        self.excerpt = excerpt


class WebhookGone(WebhookFailed):
    """Nothing left to retry: the endpoint was disabled, or its receiver answered 410 Gone.

    410 is the receiver saying the URL is gone for good (the convention of REST
    hooks, which unsubscribe on it); retrying for a day would only fill its
    logs. The outbox gives the message up and disables the endpoint
    (``webhook_endpoint_gone``), so later decisions are not sent there either;
    they stay in the pull feed, and the platform registers a new URL.
    """


@dataclass(frozen=True)
class WebhookResponse:
    status_code: int
    excerpt: str


# Signing -----------------------------------------------------------------------


def webhook_signature(secret: str, timestamp: int, body: bytes) -> str:
    """Return the ``X-Takedown-Signature`` value of ``body`` sent at ``timestamp``."""
    signed = str(timestamp).encode("ascii") + b"." + body
    return "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def webhook_signature_valid(
    secret: str, *, timestamp: str, body: bytes, signature: str, now: float | None = None
) -> bool:
    """What a receiver does: the signature matches and the timestamp is recent."""
    if not timestamp.isdigit():
        return False
    age = (time.time() if now is None else now) - int(timestamp)
    if abs(age) > SIGNATURE_TOLERANCE_SECONDS:
        return False
    return hmac.compare_digest(webhook_signature(secret, int(timestamp), body), signature)


# URLs -------------------------------------------------------------------------


def _allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(v, strict=False) for v in settings.TAKEDOWN_WEBHOOK_ALLOW_NETS]


def _checked_target(url: str) -> tuple[_Target, str]:
    """Return the parsed URL and the one address to connect to, or raise DomainError."""
    scheme = urlsplit(url.strip()).scheme.lower()
    if scheme not in ("https", "http"):
        raise DomainError("A webhook URL starts with https://.", field="url")
    try:
        target = _parse(url)
    except FetchError as exc:
        raise DomainError(f"Not a usable webhook URL: {exc.message}.", field="url") from exc
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise DomainError(f"The host {target.host} does not resolve ({exc}).", field="url") from exc
    allow = _allowed_networks()
    addresses: list[str] = []
    for *_rest, sockaddr in infos:
        text = str(sockaddr[0]).split("%", 1)[0]
        address = ipaddress.ip_address(text)
        problem = address_problem(address, allow)
        if problem:
            shown = target.host if target.host == text else f"{target.host} ({text})"
            raise DomainError(
                f"{shown} is {problem}; webhooks go to public addresses only.", field="url"
            )
        if scheme == "http" and not any(address in net for net in allow):
            raise DomainError("A webhook URL must use https.", field="url")
        addresses.append(text)
    if not addresses:
        raise DomainError(f"The host {target.host} has no address.", field="url")
    return target, addresses[0]


def webhook_url_check(url: str) -> str:
    """Return ``url`` stripped if decisions may be sent to it, or raise DomainError saying why."""
    url = url.strip()
    if not url:
        raise DomainError("Enter the URL that receives decisions.", field="url")
    if len(url) > 500:
        raise DomainError("A webhook URL is at most 500 characters.", field="url")
    _checked_target(url)
    return url


# Endpoints ---------------------------------------------------------------------


def _check_may_manage(actor, platform: Platform) -> None:
    if actor is None:  # management commands and the shell act as the operator
        return
    if getattr(actor, "is_platform_principal", False) and actor.platform.pk == platform.pk:
        return  # the platform's own API token, which only its administrators create
    if not can_manage_platform_tokens(access_for(actor), platform.organisation_id):
        raise NotPermitted("Only an administrator of the platform may manage its webhooks.")


def _user(actor):
    """The person acting, for ``created_by``; None for an API token or the command line."""
    return None if getattr(actor, "is_platform_principal", False) else actor


def webhook_endpoint_create(*, actor, platform: Platform, url: str) -> tuple[WebhookEndpoint, str]:
    """Register a URL for ``platform``'s decisions; return it with the secret, shown only now."""
    _check_may_manage(actor, platform)
    url = webhook_url_check(url)
    with transaction.atomic():
        active = WebhookEndpoint.objects.select_for_update().filter(platform=platform, active=True)
        if any(e.url == url for e in active):
            raise DomainError("This URL already receives the platform's decisions.", field="url")
        if len(active) >= MAX_ACTIVE_ENDPOINTS:
            raise DomainError(
                f"A platform has at most {MAX_ACTIVE_ENDPOINTS} active webhooks; disable one.",
                field="url",
            )
        secret = WebhookEndpoint.generate_secret()
        endpoint = WebhookEndpoint.objects.create(
            platform=platform, url=url, secret=secret, created_by=_user(actor)
        )
    return endpoint, secret


def webhook_endpoint_rotate_secret(
    *, actor, endpoint: WebhookEndpoint
) -> tuple[WebhookEndpoint, str]:
    """Give the endpoint a new secret, returned once; the old one stops signing at once.

    Deliveries the receiver refuses while it still checks the old secret are
    retried with backoff, so they arrive once it has the new one.
    """
    _check_may_manage(actor, endpoint.platform)
    with transaction.atomic():
        locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        if not locked.active:
            raise DomainError("This webhook is disabled; register a new one.")
        secret = WebhookEndpoint.generate_secret()
        locked.secret = secret
        locked.secret_rotated_at = timezone.now()
        locked.save(update_fields=["secret", "secret_rotated_at", "updated_at"])
    return locked, secret


def webhook_endpoint_disable(*, actor, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Stop sending to the endpoint; messages still waiting for it are given up."""
    _check_may_manage(actor, endpoint.platform)
    with transaction.atomic():
        locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        if not locked.active:
            raise DomainError("This webhook is disabled already.")
        locked.active = False
        locked.disabled_at = timezone.now()
        locked.save(update_fields=["active", "disabled_at", "updated_at"])
    return locked


def webhook_endpoint_gone(*, endpoint_id: int, reason: str) -> bool:
    """Disable an endpoint whose receiver answered 410 Gone; return whether this call did.

    A conditional update, not a lock: two deliveries answered 410 at once both
    give up, and the endpoint is disabled once, with the first reason.
    """
    now = timezone.now()
    return bool(
        WebhookEndpoint.objects.filter(pk=endpoint_id, active=True).update(
            active=False, disabled_at=now, disabled_reason=reason[:300], updated_at=now
        )
    )


# Delivery ----------------------------------------------------------------------


def webhook_send(message: OutboxMessage) -> WebhookResponse:
    """POST one webhook message, signed now; return the 2xx answer or raise WebhookFailed."""
    endpoint = message.endpoint
    if endpoint is None or not endpoint.active:
        raise WebhookGone("the webhook was disabled")
    try:
        target, address = _checked_target(endpoint.url)
    except DomainError as exc:
        raise WebhookFailed(exc.message) from exc
    body = message.body.encode()
    timestamp = int(time.time())
    decision_event_id = message.payload.get("id") or str(message.event_id)
    headers = {
        "Host": target.host_header,
        "User-Agent": USER_AGENT,
        "Content-Type": "application/json",
        "X-Takedown-Event-Id": str(decision_event_id),
        "X-Takedown-Event-Type": message.topic,
        "X-Takedown-Delivery-Id": str(message.event_id),
        "X-Takedown-Attempt": str(message.attempts),
        "X-Takedown-Timestamp": str(timestamp),
        "X-Takedown-Signature": webhook_signature(endpoint.secret, timestamp, body),
    }
    timeout = float(settings.TAKEDOWN_WEBHOOK_TIMEOUT_SECONDS)
    pool = _pool(target, address, timeout)
    try:
        try:
            response = _post(pool, target, headers, body, timeout)
        except ProtocolError:
            # A kept connection the receiver closed while idle: once more on a new one.
            response = _post(pool, target, headers, body, timeout)
        try:
            excerpt = response.read(RESPONSE_EXCERPT_BYTES, decode_content=False)
        finally:
            response.close()
    except (HTTPError, OSError) as exc:
        raise WebhookFailed(f"{type(exc).__name__}: {exc}") from exc
    text = excerpt.decode("utf-8", errors="replace")
    if response.status == 410:
        raise WebhookGone(
            f"{target.host} answered 410 Gone: the receiver no longer wants this webhook",
            status_code=410,
            excerpt=text,
        )
    if not 200 <= response.status < 300:
        raise WebhookFailed(
            f"{target.host} answered {response.status}", status_code=response.status, excerpt=text
        )
    return WebhookResponse(status_code=response.status, excerpt=text)


def _post(
    pool: urllib3.HTTPConnectionPool,
    target: _Target,
    headers: dict[str, str],
    body: bytes,
    timeout: float,
) -> urllib3.BaseHTTPResponse:
    return pool.urlopen(
        "POST",
        target.path,
        body=body,
        headers=headers,
        redirect=False,
        retries=False,
        preload_content=False,
        decode_content=False,
        assert_same_host=False,
        timeout=urllib3.Timeout(connect=timeout, read=timeout),
    )


# The platform's own view: endpoints, deliveries, a test event, a retry now -------

# The type of the test event an administrator sends from the console or the API.
PING_TOPIC = "webhook.ping"


def webhook_endpoints_for(user) -> QuerySet[WebhookEndpoint]:
    """Webhook endpoints of the caller's platforms (all for the operator), active first."""
    return (
        WebhookEndpoint.objects.filter(platforms_q(access_for(user), field="platform_id"))
        .select_related("platform__organisation", "created_by")
        .order_by("-active", "-created_at", "-pk")
    )


def webhook_deliveries_for(user) -> QuerySet[OutboxMessage]:
    """Webhook messages to the caller's platforms' endpoints, newest first, with their attempts."""
    return (
        OutboxMessage.objects.filter(
            platforms_q(access_for(user), field="endpoint__platform_id"),
            channel=OutboxMessage.Channel.WEBHOOK,
            endpoint__isnull=False,
        )
        .select_related("endpoint")
        .prefetch_related(
            Prefetch("attempt_log", queryset=OutboxAttempt.objects.order_by("number"))
        )
        .order_by("-created_at", "-pk")
    )


def webhook_endpoint_ping(*, actor, endpoint: WebhookEndpoint) -> OutboxMessage:
    """Queue a signed test event to the endpoint, delivered, retried and logged like a decision.

    It lets an administrator check a receiver and its secret before a real
    decision depends on them. It carries no decision (``type`` is
    ``webhook.ping``): a receiver answers 2xx and acts on nothing.
    """
    from .outbox import queue_delivery  # the outbox imports this module to send

    _check_may_manage(actor, endpoint.platform)
    with transaction.atomic():
        locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        if not locked.active:
            raise DomainError("This webhook is disabled; register a new one.")
        now = timezone.now()
        payload = {
            "id": str(uuid.uuid4()),
            "type": PING_TOPIC,
            "occurred_at": now.isoformat(),
            "platform": endpoint.platform.organisation.slug,
            "webhook_id": locked.pk,
        }
        message = OutboxMessage.objects.create(
            channel=OutboxMessage.Channel.WEBHOOK,
            topic=PING_TOPIC,
            recipient=locked.url,
            body=json.dumps(payload, separators=(",", ":"), sort_keys=True),
            payload=payload,
            endpoint=locked,
        )
        transaction.on_commit(partial(queue_delivery, message.pk))
    return message


def webhook_delivery_retry(*, actor, message: OutboxMessage) -> OutboxMessage:
    """Attempt a webhook message again now: one given up, or one waiting out its backoff.

    A message given up after the outbox's last attempt gets one more; if that
    fails too it is given up again. A message to a disabled endpoint is not
    retried: the endpoint's URL is no longer trusted to receive decisions.
    """
    from .outbox import queue_delivery  # the outbox imports this module to send

    if message.endpoint is None:
        raise DomainError("Only webhook deliveries are retried here.")
    _check_may_manage(actor, message.endpoint.platform)
    with transaction.atomic():
        locked = OutboxMessage.objects.select_for_update().get(pk=message.pk)
        if locked.status == OutboxMessage.Status.SENT:
            raise DomainError("This delivery was received already; there is nothing to retry.")
        if locked.leased_until is not None and locked.leased_until > timezone.now():
            raise DomainError("This delivery is being sent now; see its outcome in a moment.")
        if not WebhookEndpoint.objects.filter(pk=message.endpoint.pk, active=True).exists():
            raise DomainError("This webhook is disabled; its deliveries are not retried.")
        locked.status = OutboxMessage.Status.PENDING
        locked.next_attempt_at = timezone.now()
        locked.save(update_fields=["status", "next_attempt_at", "updated_at"])
        transaction.on_commit(partial(queue_delivery, locked.pk))
    return locked
