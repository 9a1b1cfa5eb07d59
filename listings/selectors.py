"""Reads of platforms and listings, always through the acting user's access."""

from django.db.models import F, Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from takedown.access import access_for, platforms_q

from .models import FeedBatch, FeedLineError, Listing, Platform, PlatformToken

# Feeds shown per platform on the console's overview; older ones are a click away.
CONSOLE_RECENT_FEEDS = 10


def platforms_for(user) -> QuerySet[Platform]:
    """Platforms the user works for; operators see all."""
    return Platform.objects.filter(platforms_q(access_for(user))).select_related("organisation")


def platforms_directory() -> QuerySet[Platform]:
    """Every connected platform, for rights holders naming where a seller is authorised."""
    return Platform.objects.filter(organisation__is_active=True).select_related("organisation")


def listings_for(user) -> QuerySet[Listing]:
    """Listings of the user's platforms; operators see all."""
    return Listing.objects.filter(
        platforms_q(access_for(user), field="platform_id")
    ).select_related("platform__organisation", "seller")


def listing_get(user, pk: int) -> Listing:
    return get_object_or_404(listings_for(user), pk=pk)


# Platform console --------------------------------------------------------------


def platform_get(user, pk: int) -> Platform:
    return get_object_or_404(platforms_for(user), pk=pk)


def _tokens() -> QuerySet[PlatformToken]:
    """Active tokens first, newest first within each group."""
    return PlatformToken.objects.select_related("created_by").order_by(
        F("revoked_at").desc(nulls_first=True), "-created_at"
    )


def platform_tokens_for(user, platform: Platform | None = None) -> QuerySet[PlatformToken]:
    """API tokens of the user's platforms (all for operators), or of one of them."""
    tokens = _tokens().filter(platforms_q(access_for(user), field="platform_id"))
    if platform is not None:
        tokens = tokens.filter(platform=platform)
    return tokens.select_related("platform__organisation")


def platform_token_get(user, pk: int) -> PlatformToken:
    return get_object_or_404(platform_tokens_for(user), pk=pk)


def console_platforms_for(user, *, platform_id: int | None = None) -> QuerySet[Platform]:
    """The user's platforms with their tokens and latest feeds, in three queries whatever the counts.

    Each platform gets ``tokens`` (prefetched) and ``recent_feeds`` (a list of at
    most CONSOLE_RECENT_FEEDS, newest first: a sliced prefetch, one query for all
    platforms).
    """
    platforms = platforms_for(user)
    if platform_id is not None:
        platforms = platforms.filter(pk=platform_id)
    return platforms.prefetch_related(
        Prefetch("tokens", queryset=_tokens()),
        Prefetch(
            "feeds",
            queryset=FeedBatch.objects.order_by("-created_at", "-pk")[:CONSOLE_RECENT_FEEDS],
            to_attr="recent_feeds",
        ),
    )


def feeds_for(user) -> QuerySet[FeedBatch]:
    """Feed batches of the user's platforms; operators see all."""
    return FeedBatch.objects.filter(
        platforms_q(access_for(user), field="platform_id")
    ).select_related("platform__organisation", "token")


def feed_get(user, pk: int) -> FeedBatch:
    return get_object_or_404(feeds_for(user), pk=pk)


def feed_errors(feed: FeedBatch) -> QuerySet[FeedLineError]:
    """Refused lines of a feed the caller already obtained through ``feed_get``."""
    return FeedLineError.objects.filter(batch=feed).order_by("line", "pk")
