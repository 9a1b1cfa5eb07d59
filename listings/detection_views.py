"""The rights holders' detection inbox: what the scanners found, why, and what to do with it.

Reads go through the tenancy selectors (another rights holder's detection is
a 404); writes go through the detection services, whose NotPermitted becomes
a 403 and whose DomainError is shown on the page.
"""

from pathlib import PurePath

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from listings.matching.images import THUMBNAIL_CONTENT_TYPES
from rightsholders.models import Right
from rightsholders.selectors import rights_for
from takedown.access import access_for, can_act_on_detections
from takedown.errors import DomainError, NotPermitted
from takedown.forms import ComplaintForm
from takedown.pagination import CappedPaginator
from takedown.services.complaints import complaint_file
from takedown.states import DetectionStatus, ImageStatus

from . import selectors
from .forms import DetectionFilterForm, DismissForm
from .models import DetectionDismissal, ListingImage, Platform
from .services.detections import (
    detections_dismiss,
    detections_prepare_complaint,
    detections_reopen,
)

PAGE_SIZE = 50


def _require_inbox(request: HttpRequest) -> None:
    access = access_for(request.user)
    if not (access.acts_for_rights_holders() or access.is_operator):
        raise PermissionDenied(_("The detection inbox is for rights holders and their agents."))


def _with_images(detections):
    """Each detection's listing with its fetched images (thumbnails), in two queries."""
    return detections.prefetch_related(
        Prefetch(
            "listing__images",
            queryset=ListingImage.objects.filter(status=ImageStatus.FETCHED)
            .select_related("blob")
            .order_by("position"),
            to_attr="fetched_images",
        )
    )


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    """Detections of the rights the user sees, best first, filtered; select many to act."""
    _require_inbox(request)
    user = request.user
    rights = rights_for(user).filter(pk__in=Right.objects.in_force()).order_by("name")
    platforms = Platform.objects.filter(
        pk__in=selectors.detections_for(user).values("listing__platform_id")
    ).select_related("organisation")
    form = DetectionFilterForm(request.GET or None, rights=rights, platforms=platforms)
    filters = form.filters() if request.GET else selectors.DetectionFilters()
    detections = _with_images(selectors.detections_filtered(user, filters))
    page = CappedPaginator(detections, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = selectors.detection_counts(user)
    access = access_for(user)
    actionable = {
        d.pk
        for d in page.object_list
        if can_act_on_detections(
            access, rights_holder_id=d.right.rights_holder_id, right_id=d.right_id
        )
    }
    return render(
        request,
        "listings/detection_inbox.html",
        {
            "form": form,
            "filters": filters,
            "page_obj": page,
            "detections": page.object_list,
            "counts": counts,
            "statuses": DetectionStatus.choices,
            "actionable": actionable,
            "dismiss_form": DismissForm(auto_id="id_bulk_%s"),
        },
    )


@login_required
@require_GET
def detection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_inbox(request)
    detection = _with_images(selectors.detections_for(request.user)).filter(pk=pk).first()
    if detection is None:
        raise Http404
    access = access_for(request.user)
    may_act = can_act_on_detections(
        access, rights_holder_id=detection.right.rights_holder_id, right_id=detection.right_id
    )
    dismissal = (
        DetectionDismissal.objects.filter(
            listing_id=detection.listing_id, right_id=detection.right_id
        )
        .select_related("dismissed_by")
        .first()
    )
    return render(
        request,
        "listings/detection_detail.html",
        {
            "detection": detection,
            "listing": detection.listing,
            "may_act": may_act,
            "dismissal": dismissal,
            "dismiss_form": DismissForm(),
        },
    )


def _back(request: HttpRequest) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "detections:inbox"


def _ids(request: HttpRequest) -> list[int]:
    ids: list[int] = []
    for raw in request.POST.getlist("detection") or request.GET.getlist("detection"):
        try:
            ids.append(int(raw))
        except ValueError:
            continue
    return ids


@login_required
@require_POST
def detections_act(request: HttpRequest) -> HttpResponse:
    """Dismiss or reopen the chosen detections; a complaint is prepared on its own page."""
    _require_inbox(request)
    ids = _ids(request)
    action = request.POST.get("action", "")
    try:
        if action == "dismiss":
            form = DismissForm(request.POST)
            if not form.is_valid():
                errors = "; ".join(
                    f"{form.fields[name].label}: {' '.join(str(e) for e in errs)}"
                    for name, errs in form.errors.items()
                )
                raise DomainError(errors, field="reason")
            done = detections_dismiss(
                actor=request.user,
                detection_ids=ids,
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
            )
            messages.success(
                request,
                _("%(n)s detection(s) dismissed; they will not come back.") % {"n": len(done)},
            )
        elif action == "reopen":
            done = detections_reopen(actor=request.user, detection_ids=ids)
            messages.success(request, _("%(n)s detection(s) reopened.") % {"n": len(done)})
        elif action == "complaint":
            query = "&".join(f"detection={pk}" for pk in ids)
            return redirect(f"{reverse('detections:complaint-draft')}?{query}")
        else:
            raise DomainError(_("Choose what to do with the selected detections."), field="action")
    except NotPermitted as exc:
        raise PermissionDenied(exc.message) from exc
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(_back(request))


@login_required
@require_http_methods(["GET", "POST"])
def complaint_draft(request: HttpRequest) -> HttpResponse:
    """One complaint from the chosen detections: what it relies on and covers, then the notice."""
    _require_inbox(request)
    ids = _ids(request)
    try:
        hand_over = detections_prepare_complaint(actor=request.user, detection_ids=ids)
    except NotPermitted as exc:
        raise PermissionDenied(exc.message) from exc
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("detections:inbox")
    user = request.user
    form = ComplaintForm(
        request.POST or None,
        request.FILES or None,
        initial={
            "notifier_name": user.get_full_name(),  # type: ignore[union-attr]
            "notifier_email": user.email,  # type: ignore[union-attr]
            "reason": "counterfeit",
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            complaint = complaint_file(
                actor=user,
                rights_holder=hand_over.rights_holder,
                detection_ids=ids,
                evidence=form.cleaned_data["evidence"],
                data=form.data_for_service(),
            )
        except NotPermitted as exc:
            raise PermissionDenied(exc.message) from exc
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(
                request,
                _("Complaint %(ref)s was filed: %(n)s listing(s) wait for a moderator.")
                % {"ref": complaint.reference, "n": complaint.cases.count()},
            )
            return redirect("complaints:detail", reference=complaint.reference)
    return render(
        request,
        "listings/complaint_draft.html",
        {"hand_over": hand_over, "form": form, "ids": ids},
    )


@login_required
@require_GET
def detection_listing_image(request: HttpRequest, pk: int, image_pk: int) -> FileResponse:
    """The thumbnail of a listing image of a detection the user sees."""
    detection = selectors.detection_get(request.user, pk)
    image = (
        ListingImage.objects.filter(
            pk=image_pk, listing_id=detection.listing_id, status=ImageStatus.FETCHED
        )
        .select_related("blob")
        .first()
    )
    if image is None or image.blob is None:
        raise Http404
    suffix = PurePath(image.blob.thumbnail.name).suffix.lower()
    response = FileResponse(
        image.blob.thumbnail.open("rb"),
        content_type=THUMBNAIL_CONTENT_TYPES.get(suffix, "application/octet-stream"),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response
