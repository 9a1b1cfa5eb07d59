"""The public archive of notices, redacted: who relied on which right against how many listings,
on which platform, and what became of each, with no personal data.

Shown: the notice's date, the rights holder (an organisation), the rights
relied on (name, office, registration number), per listing its title,
platform, counter-notice regime, outcome and the legal ground of a measure.
Never shown: the notifier's name, e-mail or signature, an agent's people,
sellers and their store names (a sole trader's store is named after a
person), listing URLs and the platform's ids of listings or sellers, the
notice's explanation and the moderators' reasons (free text that may name
people), counter-notices and appeals. The querysets load only the fields the
page shows, so a template change cannot leak another one.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from rightsholders.models import Right
from takedown.errors import DomainError
from takedown.models import Case, Complaint, StatementOfReasons
from takedown.pagination import CappedPaginator
from takedown.transparency import day_parse

PAGE_SIZE = 20
# Listings shown under each notice; the rest are counted ("and 40 more").
CASES_SHOWN = 10
SEARCH_MAX_CHARS = 100


@dataclass(frozen=True)
class ArchiveSearch:
    holder: str = ""
    right: str = ""
    first: datetime.date | None = None
    last: datetime.date | None = None


def archive_search_parse(params) -> ArchiveSearch:
    """The search asked for in ``params``, or a DomainError naming the field that is wrong."""
    holder = params.get("holder", "").strip()
    right = params.get("right", "").strip()
    for name, value in (("holder", holder), ("right", right)):
        if len(value) > SEARCH_MAX_CHARS:
            raise DomainError(f"'{name}' is longer than {SEARCH_MAX_CHARS} characters.", field=name)
    raw_from, raw_to = params.get("from", "").strip(), params.get("to", "").strip()
    first = day_parse(raw_from, "from") if raw_from else None
    last = day_parse(raw_to, "to") if raw_to else None
    if first and last and first > last:
        raise DomainError(
            f"'from' ({first.isoformat()}) is after 'to' ({last.isoformat()}).", field="from"
        )
    return ArchiveSearch(holder=holder, right=right, first=first, last=last)


def archive_complaints(search: ArchiveSearch) -> QuerySet[Complaint]:
    """Every notice matching ``search``, newest first, with only the fields the archive shows."""
    complaints = Complaint.objects.all()
    if search.holder:
        complaints = complaints.filter(rights_holder__name__icontains=search.holder)
    if search.right:
        complaints = complaints.filter(
            Exists(
                Complaint.rights.through.objects.filter(complaint_id=OuterRef("pk")).filter(
                    Q(right__name__icontains=search.right)
                    | Q(right__registration_number__icontains=search.right)
                )
            )
        )
    if search.first:
        complaints = complaints.filter(created_at__date__gte=search.first)
    if search.last:
        complaints = complaints.filter(created_at__date__lte=search.last)
    statements = StatementOfReasons.objects.only(
        "id",
        "case_id",
        "decision_ground",
        "illegal_content_legal_ground",
        "incompatible_content_ground",
        "created_at",
    ).order_by("-created_at", "-pk")
    cases = (
        Case.objects.select_related("listing", "platform__organisation")
        .only(
            "id",
            "complaint_id",
            "status",
            "listing__id",
            "listing__title",
            "platform__id",
            "platform__counter_notice_regime",
            "platform__organisation__id",
            "platform__organisation__name",
        )
        .prefetch_related(Prefetch("statements", queryset=statements, to_attr="statement_list"))
        .order_by("pk")
    )
    return (
        complaints.select_related("rights_holder")
        .only("id", "reference", "created_at", "reason", "rights_holder__id", "rights_holder__name")
        # A subquery, not a join and GROUP BY: counted for the page's twenty
        # notices only, and left out of the paginator's count.
        .annotate(
            listing_count=Subquery(
                Case.objects.filter(complaint=OuterRef("pk"))
                .order_by()
                .values("complaint")
                .annotate(n=Count("pk"))
                .values("n")
            )
        )
        .prefetch_related(
            Prefetch(
                "rights",
                queryset=Right.objects.only("id", "name", "office", "registration_number", "kind"),
            ),
            Prefetch("cases", queryset=cases[:CASES_SHOWN], to_attr="shown_cases"),
        )
        .order_by("-created_at", "-pk")
    )


@require_GET
def archive(request: HttpRequest) -> HttpResponse:
    """The public archive: anyone may search it; it holds no personal data."""
    values = {key: request.GET.get(key, "").strip() for key in ("holder", "right", "from", "to")}
    context: dict[str, object] = {"values": values, "cases_shown": CASES_SHOWN}
    try:
        search = archive_search_parse(request.GET)
    except DomainError as error:
        context["error"] = error
        return render(request, "takedown/archive.html", context, status=400)
    page = CappedPaginator(archive_complaints(search), PAGE_SIZE).get_page(request.GET.get("page"))
    context["page_obj"] = page
    return render(request, "takedown/archive.html", context)
