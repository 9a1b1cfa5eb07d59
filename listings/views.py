"""Pages of the listings platforms pushed: read-only, through the tenancy selectors."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from takedown.access import access_for

from . import selectors

PAGE_SIZE = 50


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
