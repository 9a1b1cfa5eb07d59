"""Pages that belong to no single app: the home dashboard and the health check."""

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from listings.selectors import listings_for, platforms_for
from rightsholders.selectors import (
    authorisations_for,
    right_counts_by_status,
    rights_awaiting_verification,
    rights_for,
)
from takedown.access import access_for


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Show each user what their roles make relevant: rights, the queue, their platform."""
    access = access_for(request.user)
    context: dict[str, object] = {}
    if access.acts_for_rights_holders() or access.is_operator:
        context["right_counts"] = right_counts_by_status(request.user)
        context["recent_rights"] = rights_for(request.user).order_by("-updated_at")[:10]
    if access.is_operator_moderator:
        context["verification_queue_count"] = rights_awaiting_verification(request.user).count()
    if access.platform_ids or access.is_operator:
        context["platforms"] = platforms_for(request.user)
        context["listing_count"] = listings_for(request.user).count()
    if access.agent_roles:
        context["authorisations"] = authorisations_for(request.user).filter(
            agent_id__in=access.agent_roles
        )
    return render(request, "takedown/home.html", context)


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Answer 200 when the database answers; load balancers and `make run` poll it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
