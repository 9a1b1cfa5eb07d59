"""Reads of platforms and listings, always through the acting user's access."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from takedown.access import access_for, platforms_q

from .models import Listing, Platform


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
