"""The notifier's pages: its complaints, each case's outcome, answers to requests for information."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from takedown.errors import DomainError, NotPermitted
from takedown.selectors import case_get, complaint_get, complaints_for
from takedown.services.cases import case_answer_info

PAGE_SIZE = 50


@login_required
@require_GET
def complaint_list(request: HttpRequest) -> HttpResponse:
    complaints = (
        complaints_for(request.user).annotate(case_count=Count("cases")).order_by("-created_at")
    )
    page = Paginator(complaints, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "takedown/complaint_list.html",
        {"page_obj": page, "complaints": page.object_list},
    )


@login_required
@require_GET
def complaint_detail(request: HttpRequest, reference: str) -> HttpResponse:
    complaint = complaint_get(request.user, reference)
    cases = complaint.cases.select_related("listing", "platform__organisation").order_by("pk")
    return render(
        request,
        "takedown/complaint_detail.html",
        {"complaint": complaint, "cases": cases, "evidence": complaint.evidence.all()},
    )


@login_required
@require_POST
def case_answer(request: HttpRequest, pk: int) -> HttpResponse:
    case = case_get(request.user, pk)
    try:
        case_answer_info(actor=request.user, case=case, answer=request.POST.get("answer", ""))
    except NotPermitted as exc:
        raise PermissionDenied(exc.message) from exc
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Your answer was sent; the case is back with the moderators."))
    return redirect("complaints:detail", reference=case.complaint.reference)
