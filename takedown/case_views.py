"""The moderators' pages: the queue, claim next, a case with everything needed to decide it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from listings.models import ListingImage
from listings.selectors import platforms_for
from takedown.access import access_for, can_moderate_platform
from takedown.errors import DomainError, NotPermitted
from takedown.models import Case, CounterNotice, ReasonTemplate
from takedown.models.reasons import ReasonAction, case_placeholders
from takedown.pagination import CappedPaginator
from takedown.selectors import (
    QUEUE_ORDERS,
    appeals_for,
    case_events_for,
    case_get,
    case_internals_visible,
    queue_for,
    queue_page,
)
from takedown.services.cases import (
    Decision,
    case_claim,
    case_claim_next,
    case_decide,
    case_release,
)
from takedown.states import CaseStatus, ImageStatus, case_actions_from

PAGE_SIZE = 50


class QueuePaginator(CappedPaginator):
    """Pages of the queue, counted up to the cap ("more than 10,000"), rows fetched by id.

    An exact count of every open case on every view read the whole queue's
    index (8 ms at 100,000 cases, growing with it); a moderator needs the
    first pages and the knowledge that there are more.
    """

    def page(self, number: int | str) -> Page:
        assert isinstance(self.object_list, QuerySet)  # the queue pages a queryset
        number = self.validate_number(number)
        rows = queue_page(self.object_list, (number - 1) * self.per_page, self.per_page)
        return Page(rows, number, self)


def _templates_filled(case: Case, rights: list, actions: list[str]) -> list[dict[str, str]]:
    """The reason templates offered for ``actions`` on ``case``, their placeholders filled."""
    if not actions:
        return []
    values = case_placeholders(case, rights)
    return [
        {
            "id": str(t.pk),
            "action": t.action,
            "action_label": str(t.get_action_display()),
            "title": t.title,
            "text": t.fill(values),
        }
        for t in ReasonTemplate.objects.usable_on(case.platform_id).filter(action__in=actions)
    ]


def _explanation(request: HttpRequest, case: Case, action: str) -> str:
    """The explanation typed, or else the text of the reason template chosen, filled for ``case``.

    Without JavaScript the template's text never reaches the textarea: the
    template's id is posted, and its text is used here.
    """
    typed = request.POST.get("explanation", "").strip()
    chosen = request.POST.get("reason_template", "").strip()
    if typed or not chosen:
        return typed
    template = (
        ReasonTemplate.objects.usable_on(case.platform_id).filter(pk=chosen).first()
        if chosen.isdigit()
        else None
    )
    if template is None:
        raise DomainError(
            _("The reason template chosen is not offered on this platform's cases."),
            field="reason_template",
        )
    if template.action != action:
        raise DomainError(
            _("The template “%(title)s” is for “%(for)s”, not for “%(chosen)s”.")
            % {
                "title": template.title,
                "for": template.get_action_display(),
                "chosen": ReasonAction(action).label if action in ReasonAction.values else action,
            },
            field="reason_template",
        )
    return template.fill(case_placeholders(case, case.complaint.rights.all()))


def _require_moderator(request: HttpRequest) -> None:
    access = access_for(request.user)
    if not (access.is_operator_moderator or access.platform_moderator_ids):
        raise PermissionDenied(_("The case queue is for moderators."))


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """Cases waiting for a decision, most urgent first, with their deadlines."""
    _require_moderator(request)
    platform = request.GET.get("platform", "")
    status = request.GET.get("status", "")
    if status not in CaseStatus.values:
        status = CaseStatus.OPEN
    sort = request.GET.get("sort", "")
    if sort not in QUEUE_ORDERS:
        sort = "priority"
    cases = queue_for(
        request.user,
        platform_id=int(platform) if platform.isdigit() else None,
        status=status,
        order=sort,
    )
    page = QueuePaginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "takedown/case_queue.html",
        {
            "page_obj": page,
            "cases": page.object_list,
            "platforms": platforms_for(request.user),
            "platform": platform,
            "status": status,
            "statuses": CaseStatus.choices,
            "sort": sort,
            "now": timezone.now(),
        },
    )


@login_required
@require_POST
def claim_next(request: HttpRequest) -> HttpResponse:
    _require_moderator(request)
    platform = request.POST.get("platform", "")
    try:
        case = case_claim_next(
            actor=request.user, platform_id=int(platform) if platform.isdigit() else None
        )
    except NotPermitted as exc:
        raise PermissionDenied(exc.message) from exc
    if case is None:
        messages.info(request, _("Nothing is waiting: the queue is empty."))
        return redirect("cases:queue")
    return redirect("cases:detail", pk=case.pk)


@login_required
@require_GET
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = case_get(request.user, pk)
    may_decide = can_moderate_platform(access_for(request.user), case.platform_id)
    listing = case.listing
    detection = case.detection
    if detection is not None and detection.listing_id == listing.pk:
        # Its listing is the case's, loaded already: the title is marked without reading it again.
        detection.listing = listing
    images = ListingImage.objects.filter(
        listing=listing, status=ImageStatus.FETCHED
    ).select_related("blob")
    actions = case_actions_from(case.status) if may_decide else []
    rights = list(case.complaint.rights.all())
    return render(
        request,
        "takedown/case_detail.html",
        {
            "case": case,
            "listing": listing,
            "images": images,
            "complaint": case.complaint,
            "rights": rights,
            "evidence": case.complaint.evidence.all(),
            "detection": detection,
            # Notifiers see the steps meant for them, without the moderators' names.
            "events": case_events_for(request.user, case),
            "internal": case_internals_visible(request.user, case),
            "statements": case.statements.all(),
            # Forwarded to the notifier anyway; appeals: the notifier sees its own.
            "counter_notice": CounterNotice.objects.filter(case=case).first(),
            "appeals": appeals_for(request.user).filter(case=case),
            "may_decide": may_decide,
            "actions": actions,
            "reason_templates": _templates_filled(case, rights, actions),
            "claimed_by_me": case.claimed_by_id == request.user.pk,
        },
    )


@login_required
@require_POST
def case_act(request: HttpRequest, pk: int) -> HttpResponse:
    """Claim, release or decide the case."""
    case = case_get(request.user, pk)
    action = request.POST.get("action", "")
    try:
        if action == "claim":
            case_claim(actor=request.user, case=case)
            messages.success(request, _("The case is yours for the next minutes."))
        elif action == "release":
            case_release(actor=request.user, case=case)
            messages.success(request, _("The case is back in the queue."))
        else:
            days = request.POST.get("restriction_days", "").strip()
            if days and not days.isdigit():
                raise DomainError(
                    _("Give the restriction's length in days."), field="restriction_days"
                )
            case_decide(
                actor=request.user,
                case=case,
                decision=Decision(
                    action=action,
                    explanation=_explanation(request, case, action),
                    territorial_scope=[
                        c.strip()
                        for c in request.POST.get("territorial_scope", "").split(",")
                        if c.strip()
                    ],
                    restriction_days=int(days) if days else None,
                ),
            )
            case.refresh_from_db()
            messages.success(
                request, _("Decided: %(status)s.") % {"status": case.get_status_display()}
            )
            if request.POST.get("next") == "claim-next":
                return claim_next(request)
    except NotPermitted as exc:
        raise PermissionDenied(exc.message) from exc
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("cases:detail", pk=case.pk)
