"""Evidence package pages: ask for one, watch it build (htmx), download it.

Who may do what is decided in takedown.services.packages (``package_audience``,
``package_get``); these views only read through it.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from takedown.errors import NotPermitted
from takedown.models import Case, Complaint
from takedown.models.background import background_file_response
from takedown.selectors import case_get, complaint_get
from takedown.services.packages import (
    package_filename,
    package_get,
    package_request,
    packages_for,
)

# Packages listed in a panel (newest first).
PANEL_SIZE = 5


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _panel(
    request: HttpRequest, *, case: Case | None = None, complaint: Complaint | None = None
) -> HttpResponse:
    try:
        packages = list(packages_for(request.user, case=case, complaint=complaint)[:PANEL_SIZE])
    except NotPermitted as exc:
        if not _is_htmx(request):
            raise PermissionDenied(exc.message) from exc
        # Loaded into a page the user may see: say why there is no button.
        return HttpResponse(f'<p class="small text-body-secondary mb-0">{escape(exc.message)}</p>')
    build_url = (
        reverse("packages:case-build", args=[case.pk])
        if case is not None
        else reverse("packages:complaint-build", args=[complaint.reference if complaint else ""])
    )
    back_url = (
        reverse("cases:detail", args=[case.pk])
        if case is not None
        else reverse("complaints:detail", args=[complaint.reference if complaint else ""])
    )
    context = {
        "packages": packages,
        "build_url": build_url,
        "back_url": back_url,
        "package_case": case,
        "package_complaint": complaint,
    }
    template = (
        "takedown/_evidence_package_panel.html"
        if _is_htmx(request)
        else "takedown/_evidence_package_page.html"
    )
    return render(request, template, context)


@login_required
@require_GET
def case_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """The case's packages and the button that builds one (loaded into the case page)."""
    return _panel(request, case=case_get(request.user, pk))


@login_required
@require_GET
def complaint_panel(request: HttpRequest, reference: str) -> HttpResponse:
    return _panel(request, complaint=complaint_get(request.user, reference))


def _build(
    request: HttpRequest, *, case: Case | None = None, complaint: Complaint | None = None
) -> HttpResponse:
    try:
        package_request(actor=request.user, case=case, complaint=complaint)
    except NotPermitted as exc:
        raise PermissionDenied(exc.message) from exc
    if _is_htmx(request):
        return _panel(request, case=case, complaint=complaint)
    messages.success(request, _("The evidence package is being built."))
    if case is not None:
        return redirect("cases:detail", pk=case.pk)
    assert complaint is not None
    return redirect("complaints:detail", reference=complaint.reference)


@login_required
@require_POST
def case_build(request: HttpRequest, pk: int) -> HttpResponse:
    return _build(request, case=case_get(request.user, pk))


@login_required
@require_POST
def complaint_build(request: HttpRequest, reference: str) -> HttpResponse:
    return _build(request, complaint=complaint_get(request.user, reference))


@login_required
@require_GET
def package_status(request: HttpRequest, pk: int) -> HttpResponse:
    """One package's progress, polled every 2 s while it builds; its download link once ready."""
    package = package_get(request.user, pk)
    return render(request, "takedown/_evidence_package_status.html", {"package": package})


@login_required
@require_GET
def package_download(request: HttpRequest, pk: int) -> FileResponse:
    """Stream the ZIP; only a package stored whole (ready) has a file to give."""
    package = package_get(request.user, pk)
    return background_file_response(
        package,
        filename=package_filename(package),
        not_ready=_("This evidence package is not ready."),
    )
