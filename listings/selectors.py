"""Reads of platforms and listings, always through the acting user's access."""

import datetime
from dataclasses import dataclass

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from listings.matching import ENGINE_VERSION
from rightsholders.models import AuthorisedSeller, Right
from takedown.access import access_for, platforms_q, rights_q
from takedown.pagination import count_capped
from takedown.states import DetectionStatus, ImageStatus

from .models import (
    Detection,
    FeedBatch,
    FeedLineError,
    Listing,
    ListingImage,
    Platform,
    PlatformToken,
    RetroScan,
)

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


# Detections --------------------------------------------------------------------


@dataclass(frozen=True)
class DetectionFilters:
    """The inbox's filters; empty values filter nothing."""

    status: str = DetectionStatus.OPEN
    right_id: int | None = None
    signal: str = ""  # "text", "image" or "both"
    min_score: float | None = None
    platform_id: int | None = None
    since: datetime.date | None = None
    until: datetime.date | None = None
    q: str = ""


def detections_for(user) -> QuerySet[Detection]:
    """Detections of the rights ``user`` sees, as the inbox shows them.

    Hidden always: detections of the running engine's older versions, of rights
    no longer in force, of delisted listings, of sellers the rights holder has
    authorised since, and those under the right's minimum score.
    """
    authorised = AuthorisedSeller.objects.filter(
        rights_holder_id=OuterRef("right__rights_holder_id"),
        platform_id=OuterRef("listing__platform_id"),
        seller_external_id=OuterRef("listing__seller__external_id"),
    ).filter(Q(rights__isnull=True) | Q(rights=OuterRef("right_id")))
    return (
        Detection.objects.filter(rights_q(access_for(user), prefix="right__"))
        .filter(engine_version=ENGINE_VERSION, listing__delisted_at__isnull=True)
        .filter(right__in=Right.objects.in_force())
        .filter(score__gte=F("right__detection_min_score"))
        .exclude(Exists(authorised))
        .select_related(
            "listing__platform__organisation", "listing__seller", "right__rights_holder"
        )
    )


def detections_filtered(user, filters: DetectionFilters) -> QuerySet[Detection]:
    detections = detections_for(user)
    if filters.status:
        detections = detections.filter(status=filters.status)
    if filters.right_id:
        detections = detections.filter(right_id=filters.right_id)
    if filters.signal == "text":
        detections = detections.filter(text_score__isnull=False)
    elif filters.signal == "image":
        detections = detections.filter(image_score__isnull=False)
    elif filters.signal == "both":
        detections = detections.filter(text_score__isnull=False, image_score__isnull=False)
    if filters.min_score is not None:
        detections = detections.filter(score__gte=filters.min_score)
    if filters.platform_id:
        detections = detections.filter(listing__platform_id=filters.platform_id)
    if filters.since:
        detections = detections.filter(created_at__date__gte=filters.since)
    if filters.until:
        detections = detections.filter(created_at__date__lte=filters.until)
    if filters.q:
        detections = detections.filter(
            Q(listing__title__icontains=filters.q)
            | Q(listing__external_id=filters.q)
            | Q(listing__seller__name__icontains=filters.q)
        )
    return detections.order_by("-score", "-pk")


def detection_get(user, pk: int) -> Detection:
    return get_object_or_404(detections_for(user), pk=pk)


def detection_counts(user, cap: int | None = None) -> dict[str, int]:
    """Detections the user sees, by status, each at most ``cap + 1`` (meaning "more than cap")."""
    seen = detections_for(user)
    return {
        status: count_capped(seen.filter(status=status), cap) for status in DetectionStatus.values
    }


def detection_counts_for_right(user, right: Right) -> int:
    """Open detections of one right the user's inbox shows."""
    return detections_for(user).filter(right=right, status=DetectionStatus.OPEN).count()


def retro_scan_latest(right: Right) -> RetroScan | None:
    """The right's latest retro-scan (the caller already checked the user sees the right)."""
    return RetroScan.objects.filter(right=right).order_by("-created_at", "-pk").first()


def feed_progress(feed: FeedBatch) -> dict[str, int]:
    """Of the listings this feed last wrote: images still to fetch, scans due and done.

    A listing a later feed changed again counts for the later feed.
    """
    listings = Listing.objects.filter(last_feed=feed)
    due = listings.filter(scan_due_at__isnull=False).count()
    total = listings.count()
    return {
        "listings": total,
        "images_pending": ListingImage.objects.filter(
            listing__last_feed=feed, status=ImageStatus.PENDING
        ).count(),
        "scans_due": due,
        "scanned": total - due,
    }
