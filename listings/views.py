"""Pages of the listings platforms pushed, and the platform console.

Reads go through the tenancy selectors, so another platform's object is a 404;
writes go through the token services, whose NotPermitted becomes a 403.
"""

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from takedown.access import Access, access_for, can_manage_platform_tokens
from takedown.errors import DomainError, NotPermitted
from takedown.states import FeedStatus

from . import selectors
from .forms import PlatformTokenForm
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
