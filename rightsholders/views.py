"""Pages of the rights registry: thin views over selectors (reads) and services (writes).

Every object is looked up through a selector that applies the acting user's
tenancy, so another tenant's object is a 404, never a 403 that would confirm
it exists. A service's NotPermitted becomes a 403 and its DomainError a message
shown next to the field or above the page.
"""

import mimetypes
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from listings.selectors import detection_counts_for_right, platforms_directory, retro_scan_latest
from takedown.access import (
    access_for,
    can_edit_right,
    can_manage_rights_of,
    can_revoke_authorisation,
)
from takedown.errors import DomainError, NotPermitted
from takedown.states import RightAction, RightStatus, right_actions_from
from takedown.uploads import sniff_format

from . import selectors, services
from .forms import (
    AuthorisationForm,
    AuthorisedSellerForm,
    RightFilterForm,
    RightForm,
    right_form_initial,
)
from .models import Organisation, Right

PAGE_SIZE = 50
# Moderator actions whose service requires a reason the rights holder is shown.
REASON_REQUIRED = frozenset({RightAction.REJECT, RightAction.SUSPEND})


def _page(request: HttpRequest, queryset: QuerySet):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _back(request: HttpRequest, fallback: str) -> HttpResponseRedirect:
    """Return to the page the form was posted from when it is ours, else to ``fallback``."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(target)
    return HttpResponseRedirect(fallback)


def _serve(fieldfile: FieldFile, *, filename: str, content_type: str, attachment: bool):
    """Stream a stored upload; the browser must not guess another type than the one checked."""
    response = FileResponse(
        fieldfile.open("rb"),
        as_attachment=attachment,
        filename=filename,
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=0"
    return response


# Rights --------------------------------------------------------------------


@login_required
def right_list(request: HttpRequest) -> HttpResponse:
    """List the rights the user may see, filtered and paginated."""
    access = access_for(request.user)
    if not (access.acts_for_rights_holders() or access.is_operator):
        raise PermissionDenied(_("Only rights holders, their agents and the operator see rights."))
    filters = RightFilterForm(request.GET or None)
    chosen = filters.cleaned_data if filters.is_valid() else {}
    rights = selectors.rights_search(request.user, **chosen)
    page = _page(request, rights)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "rightsholders/right_list.html",
        {
            "filters": filters,
            "page_obj": page,
            "rights": page.object_list,
            "query": query.urlencode(),
            "can_register": selectors.rights_holders_managed_by(request.user).exists(),
        },
    )


@login_required
def right_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show every field of a right, its files and its audit trail, and the allowed actions."""
    right = selectors.right_get(request.user, pk)
    access = access_for(request.user)
    actions = right_actions_from(right.status) if access.is_operator_moderator else []
    return render(
        request,
        "rightsholders/right_detail.html",
        {
            "right": right,
            "actions": [
                {
                    "name": a,
                    "label": RightAction(a).label,
                    "needs_reason": a in REASON_REQUIRED,
                    "url": reverse(f"rightsholders:right-{a}", args=[right.pk]),
                }
                for a in actions
            ],
            "can_edit": can_edit_right(
                access, rights_holder_id=right.rights_holder_id, right_id=right.pk
            ),
            **_scanning_context(request, right),
        },
    )


SENSITIVITY_PRESETS = [
    ("0.00", _("Everything the scanners find")),
    ("0.70", _("Likely matches (score 70% and up)")),
    ("0.90", _("Near-certain matches only (90% and up)")),
]


def _scanning_context(request: HttpRequest, right: Right) -> dict[str, object]:
    retro = retro_scan_latest(right)
    presets = [value for value, _label in SENSITIVITY_PRESETS]
    current = f"{right.detection_min_score:.2f}"
    return {
        "retro_scan": retro,
        "inbox_url": f"{reverse('detections:inbox')}?right={right.pk}",
        "retro_polling": retro is not None and retro.status in ("queued", "running"),
        "detections_open": detection_counts_for_right(request.user, right),
        "sensitivity_presets": SENSITIVITY_PRESETS
        + ([] if current in presets else [(current, _("Custom: %(s)s") % {"s": current})]),
        "sensitivity_current": current,
    }


@login_required
def right_scanning(request: HttpRequest, pk: int) -> HttpResponse:
    """The right's scanning panel alone: polled while its retro-scan runs."""
    right = selectors.right_get(request.user, pk)
    return render(
        request,
        "rightsholders/_right_scanning.html",
        {
            "right": right,
            "can_edit": can_edit_right(
                access_for(request.user), rights_holder_id=right.rights_holder_id, right_id=right.pk
            ),
            **_scanning_context(request, right),
        },
    )


@login_required
@require_POST
def right_sensitivity(request: HttpRequest, pk: int) -> HttpResponse:
    """Set the minimum score of the right's detections shown in the inbox."""
    right = selectors.right_get(request.user, pk)
    try:
        services.right_set_detection_min_score(
            actor=request.user, right=right, min_score=request.POST.get("detection_min_score", "")
        )
    except NotPermitted as exc:
        raise PermissionDenied(exc.message) from exc
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Detections of %(name)s scoring under %(score)s%% are now hidden.")
            % {"name": right.name, "score": round(right.detection_min_score * 100)},
        )
    return redirect("rightsholders:right-detail", pk=right.pk)


@login_required
@require_http_methods(["GET", "POST"])
def right_create(request: HttpRequest) -> HttpResponse:
    """Register a right for verification with its images and proof."""
    holders = selectors.rights_holders_managed_by(request.user)
    if not holders.exists():
        raise PermissionDenied(_("You may not register rights for any rights holder."))
    form = RightForm(request.POST or None, request.FILES or None, rights_holders=holders)
    if request.method == "POST" and form.is_valid():
        try:
            right = services.right_submit(
                actor=request.user,
                rights_holder=form.cleaned_data["rights_holder"],
                data=form.right_data(),
                images=form.cleaned_data["images"],
                proof_documents=form.cleaned_data["proof_documents"],
            )
        except NotPermitted as exc:
            raise PermissionDenied(exc.message) from exc
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(
                request,
                _("%(right)s was registered and waits for verification.") % {"right": right},
            )
            return redirect(right)
    return render(request, "rightsholders/right_form.html", {"form": form, "right": None})


@login_required
@require_http_methods(["GET", "POST"])
def right_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change what a right says; a verified right goes back to the verification queue."""
    right = selectors.right_get(request.user, pk)
    access = access_for(request.user)
    if not can_edit_right(access, rights_holder_id=right.rights_holder_id, right_id=right.pk):
        raise PermissionDenied(_("You may not edit this right."))
    form = RightForm(
        request.POST or None,
        request.FILES or None,
        initial=right_form_initial(services.right_data_of(right)),
        rights_holders=Organisation.objects.none(),
        editing=True,
    )
    if request.method == "POST" and form.is_valid():
        try:
            right = services.right_update(
                actor=request.user,
                right=right,
                data=form.right_data(),
                add_images=form.cleaned_data["images"],
                add_proof_documents=form.cleaned_data["proof_documents"],
            )
        except NotPermitted as exc:
            raise PermissionDenied(exc.message) from exc
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("The changes were saved."))
            return redirect(right)
    return render(
        request,
        "rightsholders/right_form.html",
        {"form": form, "right": right, "reviewed": right.status != RightStatus.SUBMITTED},
    )


@login_required
@require_POST
def right_image_remove(request: HttpRequest, pk: int, image_pk: int) -> HttpResponse:
    right = selectors.right_get(request.user, pk)
    image = selectors.right_image_get(request.user, right_id=right.pk, pk=image_pk)
    try:
        services.right_image_remove(actor=request.user, right=right, image=image)
    except NotPermitted as exc:
        raise PermissionDenied(exc.message) from exc
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(name)s was removed.") % {"name": image.original_name})
    return redirect("rightsholders:right-edit", pk=right.pk)


# Proof a page may show inline (``?inline=1``): the checked upload formats a
# browser renders itself. Anything else is always a download.
INLINE_PROOF_TYPES = frozenset(
    {"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp"}
)


@login_required
def proof_document(request: HttpRequest, pk: int, doc_pk: int) -> FileResponse:
    """Download a proof document, or with ``?inline=1`` show it in the moderator's page.

    Inline, a PDF is framed by our own pages only (``frame-ancestors 'self'``,
    ``X-Frame-Options: SAMEORIGIN``). It is not sandboxed like the download:
    Chromium refuses to run its PDF viewer in a sandboxed frame. The policy
    still allows it nothing from anywhere (``default-src 'none'``).
    """
    doc = selectors.proof_document_get(request.user, right_id=pk, pk=doc_pk)
    inline = request.GET.get("inline") == "1" and doc.content_type in INLINE_PROOF_TYPES
    response = _serve(
        doc.file, filename=doc.original_name, content_type=doc.content_type, attachment=not inline
    )
    if inline:
        sandbox = "" if doc.content_type == "application/pdf" else "; sandbox"
        response["Content-Security-Policy"] = f"default-src 'none'; frame-ancestors 'self'{sandbox}"
        response["X-Frame-Options"] = "SAMEORIGIN"
    return response


@login_required
def right_image(request: HttpRequest, pk: int, image_pk: int) -> FileResponse:
    image = selectors.right_image_get(request.user, right_id=pk, pk=image_pk)
    return _serve(
        image.file, filename=image.original_name, content_type=image.content_type, attachment=False
    )


# Verification --------------------------------------------------------------


@login_required
def verification_queue(request: HttpRequest) -> HttpResponse:
    """The operator moderators' queue of submitted rights, oldest first."""
    if not access_for(request.user).is_operator_moderator:
        raise PermissionDenied(_("Only the operator's moderators verify rights."))
    page = _page(request, selectors.rights_awaiting_verification(request.user))
    return render(
        request,
        "rightsholders/verification_queue.html",
        {"page_obj": page, "rights": page.object_list, "query": ""},
    )


def _transition(action: str, service: Callable[..., Right]) -> Callable[..., HttpResponse]:
    """Build the POST view of one moderator action; each calls its own service."""

    @login_required
    @require_POST
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        right = selectors.right_get(request.user, pk)
        reason = request.POST.get("reason", "")
        argument = "note" if action == RightAction.VERIFY else "reason"
        try:
            changed = service(actor=request.user, right=right, **{argument: reason})
        except NotPermitted as exc:
            raise PermissionDenied(exc.message) from exc
        except DomainError as exc:
            if request.headers.get("HX-Request"):
                return render(
                    request,
                    "rightsholders/_queue_item.html",
                    {"right": right, "error": exc.message},
                )
            messages.error(request, f"{right}: {exc.message}")
        else:
            right = changed
            if request.headers.get("HX-Request"):
                # The queue posts in place: swap the card for the outcome, update the badge.
                return render(
                    request,
                    "rightsholders/_queue_outcome.html",
                    {
                        "right": right,
                        "queue_count": selectors.rights_awaiting_verification(request.user).count(),
                    },
                )
            messages.success(
                request,
                _("%(right)s is now %(status)s.")
                % {"right": right, "status": RightStatus(right.status).label.lower()},
            )
        return _back(request, right.get_absolute_url())

    view.__name__ = f"right_{action}"
    view.__doc__ = f"POST only: {action} the right through services.right_{action}."
    return view


right_verify = _transition(RightAction.VERIFY, services.right_verify)
right_reject = _transition(RightAction.REJECT, services.right_reject)
right_suspend = _transition(RightAction.SUSPEND, services.right_suspend)
right_reinstate = _transition(RightAction.REINSTATE, services.right_reinstate)


# Authorisations ------------------------------------------------------------


@login_required
def authorisation_list(request: HttpRequest) -> HttpResponse:
    """Letters of authorisation granted by the user's rights holders or held by its agents."""
    access = access_for(request.user)
    authorisations = list(selectors.authorisations_for(request.user))
    revocable = {
        auth.pk
        for auth in authorisations
        if auth.revoked_at is None
        and can_revoke_authorisation(
            access, rights_holder_id=auth.rights_holder_id, agent_id=auth.agent_id
        )
    }
    return render(
        request,
        "rightsholders/authorisation_list.html",
        {
            "authorisations": authorisations,
            "revocable": revocable,
            "today": timezone.localdate(),
            "can_grant": selectors.rights_holders_administered_by(request.user).exists(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def authorisation_create(request: HttpRequest) -> HttpResponse:
    holders = selectors.rights_holders_administered_by(request.user)
    if not holders.exists():
        raise PermissionDenied(_("Only an administrator of a rights holder authorises agents."))
    form = AuthorisationForm(
        request.POST or None,
        request.FILES or None,
        rights_holders=holders,
        agents=selectors.agents_available(),
        rights=selectors.rights_for(request.user).filter(rights_holder__in=holders),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            auth = services.agent_authorisation_grant(
                actor=request.user,
                rights_holder=data["rights_holder"],
                agent=data["agent"],
                letter=data["letter"],
                valid_from=data["valid_from"],
                valid_until=data["valid_until"],
                all_rights=data["all_rights"],
                rights=data["rights"],
                may_manage_rights=data["may_manage_rights"],
                may_file_complaints=data["may_file_complaints"],
            )
        except NotPermitted as exc:
            raise PermissionDenied(exc.message) from exc
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(
                request,
                _("%(agent)s may now act for %(holder)s.")
                % {"agent": auth.agent, "holder": auth.rights_holder},
            )
            return redirect("rightsholders:authorisation-list")
    return render(request, "rightsholders/authorisation_form.html", {"form": form})


@login_required
@require_POST
def authorisation_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    auth = selectors.authorisation_get(request.user, pk)
    try:
        services.agent_authorisation_revoke(
            actor=request.user, authorisation=auth, reason=request.POST.get("reason", "")
        )
    except NotPermitted as exc:
        raise PermissionDenied(exc.message) from exc
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("The authorisation of %(agent)s for %(holder)s was revoked.")
            % {"agent": auth.agent, "holder": auth.rights_holder},
        )
    return redirect("rightsholders:authorisation-list")


@login_required
def authorisation_letter(request: HttpRequest, pk: int) -> FileResponse:
    auth = selectors.authorisation_get(request.user, pk)
    with auth.letter.open("rb") as letter:
        fmt = sniff_format(letter.read(16))
    content_type = fmt.content_type if fmt else mimetypes.guess_type(auth.letter_name)[0]
    return _serve(
        auth.letter,
        filename=auth.letter_name,
        content_type=content_type or "application/octet-stream",
        attachment=True,
    )


# Authorised sellers --------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def authorised_seller_list(request: HttpRequest) -> HttpResponse:
    """List authorised sellers and add one; both on one page, as the list is short."""
    access = access_for(request.user)
    holders = selectors.rights_holders_managed_by(request.user)
    form = None
    if holders.exists():
        form = AuthorisedSellerForm(
            request.POST or None,
            rights_holders=holders,
            platforms=platforms_directory(),
            rights=selectors.rights_for(request.user).filter(rights_holder__in=holders),
        )
    elif request.method == "POST":
        raise PermissionDenied(_("You may not manage authorised sellers."))
    if request.method == "POST" and form is not None and form.is_valid():
        data = form.cleaned_data
        try:
            seller = services.authorised_seller_add(
                actor=request.user,
                rights_holder=data["rights_holder"],
                platform=data["platform"],
                seller_external_id=data["seller_external_id"],
                seller_name=data["seller_name"],
                is_own_store=data["is_own_store"],
                rights=data["rights"],
                note=data["note"],
            )
        except NotPermitted as exc:
            raise PermissionDenied(exc.message) from exc
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("%(seller)s is now authorised.") % {"seller": seller})
            return redirect("rightsholders:authorised-seller-list")
    sellers = list(selectors.authorised_sellers_for(request.user))
    removable = {s.pk for s in sellers if can_manage_rights_of(access, s.rights_holder_id)}
    return render(
        request,
        "rightsholders/authorised_seller_list.html",
        {"sellers": sellers, "removable": removable, "form": form},
    )


@login_required
@require_POST
def authorised_seller_remove(request: HttpRequest, pk: int) -> HttpResponse:
    seller = selectors.authorised_seller_get(request.user, pk)
    try:
        services.authorised_seller_remove(actor=request.user, authorised_seller=seller)
    except NotPermitted as exc:
        raise PermissionDenied(exc.message) from exc
    messages.success(request, _("%(seller)s is no longer authorised.") % {"seller": seller})
    return redirect("rightsholders:authorised-seller-list")
