"""Pages of the listings platforms pushed, and the platform console.

Reads go through the tenancy selectors, so another platform's object is a 404;
writes go through the token services, whose NotPermitted becomes a 403.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from takedown.access import Access, access_for, can_manage_platform_tokens
from takedown.errors import DomainError, NotPermitted
from takedown.models import OutboxMessage, WebhookEndpoint
from takedown.services.webhooks import (
    webhook_deliveries_for,
    webhook_delivery_retry,
    webhook_endpoint_create,
    webhook_endpoint_disable,
    webhook_endpoint_ping,
    webhook_endpoint_rotate_secret,
    webhook_endpoints_for,
)
from takedown.states import FeedStatus

from . import selectors
from .forms import PlatformTokenForm, WebhookEndpointForm
from .models import FeedBatch, Platform, PlatformToken
from .services.tokens import platform_token_create, platform_token_revoke

PAGE_SIZE = 50
# Refused lines per page of a feed's detail: a bad feed can refuse every line.
FEED_ERRORS_PAGE_SIZE = 100
# Feeds in these statuses are polled (every 2 s, htmx) until they finish.
FEED_IN_PROGRESS = frozenset({FeedStatus.RECEIVED, FeedStatus.PROCESSING})


@login_required
def listing_list(request: HttpRequest) -> HttpResponse:
    """Listings of the user's platforms (all for operators), searchable by title or id."""
    access = access_for(request.user)
    if not (access.platform_ids or access.is_operator):
        raise PermissionDenied(_("Only platform staff and the operator see listings."))
    listings = selectors.listings_for(request.user)
    q = request.GET.get("q", "").strip()
    if q:
        # Narrows an already tenant-scoped queryset; tenancy stays in the selector.
        listings = listings.filter(Q(title__icontains=q) | Q(external_id__icontains=q))
    page = Paginator(listings, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "listings/listing_list.html",
        {"page_obj": page, "listings": page.object_list, "q": q},
    )


@login_required
def listing_detail(request: HttpRequest, pk: int) -> HttpResponse:
    listing = selectors.listing_get(request.user, pk)
    return render(request, "listings/listing_detail.html", {"listing": listing})


# Platform console ----------------------------------------------------------------


def _require_console(request: HttpRequest) -> Access:
    """Platform staff and the operator use the console; anyone else is refused."""
    access = access_for(request.user)
    if not (access.platform_ids or access.is_operator):
        raise PermissionDenied(_("Only platform staff and the operator use the platform console."))
    return access


def _may_manage_tokens(access: Access, platform: Platform) -> bool:
    """Shows the token forms; listings.services.tokens enforces the same rule."""
    return can_manage_platform_tokens(access, platform.organisation_id)


@dataclass
class ConsolePlatform:
    platform: Platform
    may_manage_tokens: bool
    form: PlatformTokenForm | None
    new_token: PlatformToken | None = None
    new_secret: str = ""


def _render_console(
    request: HttpRequest,
    access: Access,
    *,
    platform_id: int | None = None,
    posted: ConsolePlatform | None = None,
    status: int = 200,
) -> HttpResponse:
    sections = []
    for platform in selectors.console_platforms_for(request.user, platform_id=platform_id):
        if posted is not None and posted.platform.pk == platform.pk:
            posted.platform = platform  # the prefetched one, with the new token listed
            sections.append(posted)
            continue
        may_manage = _may_manage_tokens(access, platform)
        form = PlatformTokenForm(platform_id=platform.pk) if may_manage else None
        sections.append(ConsolePlatform(platform, may_manage, form))
    context: dict[str, Any] = {
        "sections": sections,
        "in_progress": FEED_IN_PROGRESS,
        "filtered": platform_id is not None,
    }
    return render(request, "listings/console.html", context, status=status)


@login_required
@require_GET
def console(request: HttpRequest) -> HttpResponse:
    """Each of the user's platforms: its API tokens and its latest feeds."""
    access = _require_console(request)
    raw = request.GET.get("platform", "")
    platform_id = int(raw) if raw.isdigit() else None
    return _render_console(request, access, platform_id=platform_id)


@login_required
@require_POST
def console_token_create(request: HttpRequest, platform_pk: int) -> HttpResponse:
    """Create a token and show its secret in this response, once.

    No redirect: the secret must not travel through the messages stored in the
    session or cookie, and nothing caches the page that shows it.
    """
    access = _require_console(request)
    platform = selectors.platform_get(request.user, platform_pk)
    if not _may_manage_tokens(access, platform):
        raise PermissionDenied(_("Only an administrator of the platform may create API tokens."))
    form = PlatformTokenForm(request.POST, platform_id=platform.pk)
    posted = ConsolePlatform(platform, True, form)
    if form.is_valid():
        try:
            token, secret = platform_token_create(
                actor=request.user, platform=platform, name=form.cleaned_data["name"]
            )
        except NotPermitted as exc:
            raise PermissionDenied(exc.message) from exc
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            posted.new_token, posted.new_secret = token, secret
            posted.form = PlatformTokenForm(platform_id=platform.pk)
    response = _render_console(
        request,
        access,
        platform_id=platform.pk,
        posted=posted,
        status=200 if posted.new_token else 400,
    )
    add_never_cache_headers(response)
    return response


@login_required
@require_POST
def console_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke a token; the systems using it get 401 from their next request."""
    _require_console(request)
    token = selectors.platform_token_get(request.user, pk)
    try:
        platform_token_revoke(actor=request.user, token=token)
    except NotPermitted as exc:
        raise PermissionDenied(exc.message) from exc
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Token “%(name)s” (%(prefix)s…) is revoked.")
            % {"name": token.name, "prefix": token.prefix},
        )
    return redirect("listings:console")


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


@login_required
@require_GET
def console_feed_row(request: HttpRequest, pk: int) -> HttpResponse:
    """One feed's row of the console, polled while the feed is being ingested."""
    _require_console(request)
    feed = selectors.feed_get(request.user, pk)
    return render(
        request, "listings/_feed_row.html", {"feed": feed, "in_progress": FEED_IN_PROGRESS}
    )


def _duration(feed: FeedBatch) -> float | None:
    if feed.started_at is None or feed.finished_at is None:
        return None
    return (feed.finished_at - feed.started_at).total_seconds()


@login_required
@require_GET
def console_feed_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A feed: status, sizes, counts, timing, image and scan progress, refused lines.

    Polled with htmx until its listings are ingested, fetched and scanned; a
    poll gets only the page's body.
    """
    _require_console(request)
    feed = selectors.feed_get(request.user, pk)
    page = Paginator(selectors.feed_errors(feed), FEED_ERRORS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    progress = selectors.feed_progress(feed)
    context = {
        "feed": feed,
        "page_obj": page,
        "line_errors": page.object_list,
        "duration": _duration(feed),
        "in_progress": FEED_IN_PROGRESS,
        "progress": progress,
        # Polled until ingested, every image fetched and every listing scanned.
        "polling": feed.status in FEED_IN_PROGRESS
        or bool(progress["images_pending"] or progress["scans_due"]),
    }
    template = (
        "listings/_feed_detail_body.html" if _is_htmx(request) else "listings/feed_detail.html"
    )
    return render(request, template, context)


# Platform console: webhooks --------------------------------------------------------
# The console loads each platform's webhooks with htmx from console_webhooks (the
# newest deliveries only), which without htmx is a page of its own with the whole
# delivery log. Writes go through takedown.services.webhooks. A new or rotated
# secret is shown in the answer to the POST that made it, like a new token's: it
# must not travel through the session or a cookie, nor be cached.

# Deliveries in the console's overview of a platform's webhooks, and per page of the log.
CONSOLE_RECENT_DELIVERIES = 10
DELIVERIES_PAGE_SIZE = 50


def _webhooks_page(
    request: HttpRequest,
    access: Access,
    platform: Platform,
    *,
    form: WebhookEndpointForm | None = None,
    new_secret: str = "",
    secret_endpoint: WebhookEndpoint | None = None,
    status: int = 200,
) -> HttpResponse:
    """The platform's webhooks and delivery log; the fragment the console loads for htmx."""
    may_manage = _may_manage_tokens(access, platform)
    if may_manage and form is None:
        form = WebhookEndpointForm(platform_id=platform.pk)
    # Narrowing querysets the services already scoped to the user's platforms.
    endpoints = webhook_endpoints_for(request.user).filter(platform=platform)
    deliveries = webhook_deliveries_for(request.user).filter(endpoint__platform=platform)
    fragment = _is_htmx(request) and request.method == "GET"
    context: dict[str, Any] = {
        "platform": platform,
        "may_manage": may_manage,
        "form": form if may_manage else None,
        "endpoints": list(endpoints),
        "new_secret": new_secret,
        "secret_endpoint": secret_endpoint,
        "fragment": fragment,
    }
    if fragment:
        shown = list(deliveries[:CONSOLE_RECENT_DELIVERIES])
        template = "listings/_webhooks.html"
    else:
        page = Paginator(deliveries, DELIVERIES_PAGE_SIZE).get_page(request.GET.get("page"))
        context["page_obj"] = page
        shown = list(page.object_list)
        template = "listings/console_webhooks.html"
    for delivery in shown:
        delivery.retryable = _retryable(delivery)  # type: ignore[attr-defined]
    context["deliveries"] = shown
    response = render(request, template, context, status=status)
    if new_secret:
        add_never_cache_headers(response)
    return response


def _retryable(delivery: OutboxMessage) -> bool:
    """Shows "Retry now": given up, or failed once and waiting; never to a disabled webhook.

    webhook_delivery_retry enforces the rest (not received already, webhook active).
    """
    if delivery.endpoint is None or not delivery.endpoint.active:
        return False
    return delivery.status == OutboxMessage.Status.FAILED or (
        delivery.status == OutboxMessage.Status.PENDING and delivery.attempts > 0
    )


def _webhooks_url(platform_id: int) -> str:
    return reverse("listings:console-webhooks", args=[platform_id])


def _webhook_for_admin(request: HttpRequest, access: Access, pk: int) -> WebhookEndpoint:
    """Another platform's webhook is a 404; a webhook of one's own platform needs an admin."""
    endpoint = get_object_or_404(webhook_endpoints_for(request.user), pk=pk)
    if not _may_manage_tokens(access, endpoint.platform):
        raise PermissionDenied(_("Only an administrator of the platform may manage its webhooks."))
    return endpoint


@login_required
@require_GET
def console_webhooks(request: HttpRequest, platform_pk: int) -> HttpResponse:
    """A platform's webhooks with their state, and what was delivered to them."""
    access = _require_console(request)
    platform = selectors.platform_get(request.user, platform_pk)
    return _webhooks_page(request, access, platform)


@login_required
@require_POST
def console_webhook_create(request: HttpRequest, platform_pk: int) -> HttpResponse:
    """Register a webhook and show its signing secret in this response, once."""
    access = _require_console(request)
    platform = selectors.platform_get(request.user, platform_pk)
    if not _may_manage_tokens(access, platform):
        raise PermissionDenied(_("Only an administrator of the platform may manage its webhooks."))
    form = WebhookEndpointForm(request.POST, platform_id=platform.pk)
    if form.is_valid():
        try:
            endpoint, secret = webhook_endpoint_create(
                actor=request.user, platform=platform, url=form.cleaned_data["url"]
            )
        except NotPermitted as exc:
            raise PermissionDenied(exc.message) from exc
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            return _webhooks_page(
                request, access, platform, new_secret=secret, secret_endpoint=endpoint
            )
    return _webhooks_page(request, access, platform, form=form, status=400)


@login_required
@require_POST
def console_webhook_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    """Give a webhook a new secret and show it in this response, once."""
    access = _require_console(request)
    endpoint = _webhook_for_admin(request, access, pk)
    try:
        endpoint, secret = webhook_endpoint_rotate_secret(actor=request.user, endpoint=endpoint)
    except NotPermitted as exc:
        raise PermissionDenied(exc.message) from exc
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(_webhooks_url(endpoint.platform_id))
    return _webhooks_page(
        request, access, endpoint.platform, new_secret=secret, secret_endpoint=endpoint
    )


def _webhook_action(
    request: HttpRequest, platform_id: int, action: Callable[[], object], done: str
) -> HttpResponse:
    """Run a webhook service call, say how it went, and go back to the webhooks page."""
    try:
        action()
    except NotPermitted as exc:
        raise PermissionDenied(exc.message) from exc
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect(_webhooks_url(platform_id))


@login_required
@require_POST
def console_webhook_disable(request: HttpRequest, pk: int) -> HttpResponse:
    """Stop sending decisions to a webhook; its delivery log stays."""
    endpoint = _webhook_for_admin(request, _require_console(request), pk)
    return _webhook_action(
        request,
        endpoint.platform_id,
        lambda: webhook_endpoint_disable(actor=request.user, endpoint=endpoint),
        _("The webhook %(url)s is disabled.") % {"url": endpoint.url},
    )


@login_required
@require_POST
def console_webhook_ping(request: HttpRequest, pk: int) -> HttpResponse:
    """Send a signed test event to a webhook; it shows in the delivery log."""
    endpoint = _webhook_for_admin(request, _require_console(request), pk)
    return _webhook_action(
        request,
        endpoint.platform_id,
        lambda: webhook_endpoint_ping(actor=request.user, endpoint=endpoint),
        _("A test event is on its way to %(url)s; its delivery is logged below.")
        % {"url": endpoint.url},
    )


@login_required
@require_POST
def console_webhook_delivery_retry(request: HttpRequest, pk: int) -> HttpResponse:
    """Attempt a failed (or waiting) delivery again now."""
    access = _require_console(request)
    message = get_object_or_404(webhook_deliveries_for(request.user), pk=pk)
    endpoint = message.endpoint
    assert endpoint is not None  # webhook_deliveries_for lists messages with an endpoint
    if not _may_manage_tokens(access, endpoint.platform):
        raise PermissionDenied(_("Only an administrator of the platform may retry deliveries."))
    return _webhook_action(
        request,
        endpoint.platform_id,
        lambda: webhook_delivery_retry(actor=request.user, message=message),
        _("The delivery is being attempted again now."),
    )
