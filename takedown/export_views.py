"""A rights holder's data export: request it, watch it being built, download the ZIP."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from rightsholders.models import Organisation
from takedown.access import access_for
from takedown.errors import DomainError, NotPermitted
from takedown.models.background import background_file_response
from takedown.models.privacy import DataExport
from takedown.services.data_export import data_export_request


def _exports_of(request: HttpRequest):
    """The exports of the rights holders the user is a member of."""
    ids = access_for(request.user).rights_holder_roles
    return DataExport.objects.filter(organisation_id__in=ids).select_related(
        "organisation", "requested_by"
    )


@login_required
@require_http_methods(["GET", "POST"])
def export_list(request: HttpRequest) -> HttpResponse:
    """The user's rights holders' exports, and a button to request a new one."""
    access = access_for(request.user)
    organisations = Organisation.objects.filter(pk__in=access.rights_holder_roles).order_by("name")
    if not organisations:
        raise PermissionDenied(_("Data exports are for the members of a rights holder."))
    if request.method == "POST":
        organisation = get_object_or_404(organisations, pk=request.POST.get("organisation") or 0)
        try:
            data_export_request(actor=request.user, organisation=organisation)
        except NotPermitted as exc:
            raise PermissionDenied(exc.message) from exc
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Export requested: it is being built."))
        return redirect("exports:list")
    return render(
        request,
        "takedown/data_export.html",
        {
            "organisations": organisations,
            "exports": _exports_of(request)[:20],
        },
    )


@login_required
@require_GET
def export_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """One export's row, polled while it is being built."""
    export = get_object_or_404(_exports_of(request), pk=pk)
    return render(request, "takedown/_data_export_row.html", {"export": export})


@login_required
@require_GET
def export_download(request: HttpRequest, pk: int) -> FileResponse:
    """The ZIP, for the members of the organisation it belongs to."""
    export = get_object_or_404(_exports_of(request), pk=pk)
    return background_file_response(
        export,
        filename=f"{export.organisation.slug or export.organisation_id}-data-{export.pk}.zip",
        not_ready=_("This export is not ready."),
    )
