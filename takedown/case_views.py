"""The moderators' pages: the queue, claim next, a case with everything needed to decide it."""

import datetime
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import localize
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.timesince import timesince
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from listings.selectors import platforms_for
from takedown.access import access_for, can_moderate_platform
from takedown.errors import DomainError, NotPermitted
from takedown.models import Appeal, Case, CounterNotice, ReasonTemplate
from takedown.models.reasons import ReasonAction, case_placeholders
from takedown.pagination import CappedPaginator
from takedown.selectors import (
    QUEUE_ORDERS,
    appeals_for,
    case_events_for,
    case_get,
    case_internals_visible,
    case_page_get,
    case_row_get,
    cases_for,
    open_appeals_count,
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
from takedown.services.remedies import appeal_decide
from takedown.states import (
    CASE_DECISIONS,
    CaseAction,
    CaseStatus,
    case_actions_from,
)

PAGE_SIZE = 50
# The steps that write a statement of reasons (takedown.services.cases._statement):
# a notifier sees each of them (selectors.NOTIFIER_EVENT_ACTIONS), as it sees
# the counter-notice's step and its own appeal's.
STATEMENT_STEPS = frozenset({CaseAction.REMOVE, CaseAction.RESTRICT, CaseAction.REVERSE_REJECTION})
# Reason templates for the two outcomes of an appeal, offered with each open appeal.
APPEAL_TEMPLATE_ACTIONS = (ReasonAction.APPEAL_UPHOLD, ReasonAction.APPEAL_DISMISS)
# DSA Art. 20(4) asks for appeals decided in a timely manner without a number
# of days; the appeals queue orders and flags them by this target.
APPEAL_DECISION_DAYS = 14


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


# Listing titles are cut to this many characters in the queue's rows.
QUEUE_TITLE_CHARS = 70
# One row of the queue's table. Built here rather than in the template: with
# a {% url %}, ten filters and two {% blocktranslate %} (each copies the whole
# context) a row, the rows were ~60 % of the page's CPU; even with their text
# ready, the engine took ~100 µs a row to resolve and escape 15 values. Built
# here, 50 rows took 3.9 ms against 15-17 ms (measured on the shared VM). Django's
# admin builds its change list's rows the same way (``items_for_result``). The
# markup is what case_queue.html had, attributes used by takedown/static's
# shortcuts.js (``data-case-row``, ``data-case-link``) and bulk form included.
QUEUE_ROW_HTML = (
    "<tr data-case-row>\n"
    "    {select}\n"
    '    <td><a href="{url}" class="fw-semibold" data-case-link>{title}</a>'
    '<div class="small text-body-secondary">{platform} · {external_id}{price}</div></td>\n'
    '    <td>{reference}<div class="small text-body-secondary">{notifier}</div></td>\n'
    '    <td class="small">{reasons}</td>\n'
    "    {deadline}\n"
    "    <td>{claimed_by}</td>\n"
    "  </tr>"
)
QUEUE_ROW_SELECT_HTML = (
    '<td><input class="form-check-input" type="checkbox" name="case" value="{pk}" '
    'form="bulk-form" id="select-case-{pk}" aria-label="{label}"></td>'
)
QUEUE_DEADLINE_HTML = (
    '<td class="text-nowrap"><time datetime="{iso}">{shown}</time>'
    '<div class="small {emphasis}">{relative}</div></td>'
)


def _truncated(text: str, length: int) -> str:
    """``text|truncatechars:length``: ``Truncator`` walks every character even of a short text."""
    if len(text) <= length:
        # Never cut (combining characters count for less, not more), only normalised.
        return unicodedata.normalize("NFC", text)
    return Truncator(text).chars(length)


# Under four weeks, timesince's text holds no month or year: it depends on the
# whole minutes between the two times alone (and the language).
SAME_TEXT_MINUTES = 28 * 24 * 60


def _time_between(earlier: datetime.datetime, later: datetime.datetime) -> str:
    """``timesince(earlier, later)``, kept by the minute for the deadlines of the next four weeks.

    The queue's rows name ~25 distinct deadlines a page, each ~35 µs of
    timesince's arithmetic and lazy translations; the moderators of one
    platform load the same page within the same minute.
    """
    delta = later - earlier
    minutes = max(0, delta.days * 24 * 60 + delta.seconds // 60)
    if minutes >= SAME_TEXT_MINUTES:
        return timesince(earlier, later)
    return _minutes_text(get_language(), minutes)


@lru_cache(maxsize=4096)
def _minutes_text(language: str | None, minutes: int) -> str:
    start = datetime.datetime(2001, 1, 1, tzinfo=datetime.UTC)  # a month longer than four weeks
    return timesince(start, start + datetime.timedelta(minutes=minutes))


def _queue_rows_html(rows: list[dict[str, Any]], *, bulk: bool) -> SafeString:
    """The queue's table rows for ``rows`` (``queue_page``), every value escaped.

    The text is what the template's filters gave: the same functions
    (``Truncator``, ``localize``, ``timesince``, the same messages), the
    formats of ``date:"c"`` and ``date:"Y-m-d H:i T"`` in the user's zone, with
    one ``now`` for the page. The cases of one complaint share a deadline and
    a page shows few prices: each is formatted once a page.
    """
    now = timezone.now()
    zone = timezone.get_current_timezone()
    overdue_by, due_in, select = _("overdue by %(t)s"), _("in %(t)s"), _("Select %(t)s")
    # One reverse() for the page: the detail URL of case 0 with each row's id put in.
    url_before, url_after = reverse("cases:detail", args=[0]).rsplit("0", 1)
    deadlines: dict[datetime.datetime, str] = {}
    prices: dict[tuple[str, str], str] = {}
    shown = []
    for row in rows:
        pk = str(row["pk"])
        deadline = row["deadline_at"]
        deadline_cell = deadlines.get(deadline)
        if deadline_cell is None:
            local = deadline.astimezone(zone)
            overdue = deadline < now
            relative = (
                overdue_by % {"t": _time_between(deadline, now)}
                if overdue
                else due_in % {"t": _time_between(now, deadline)}
            )
            deadline_cell = deadlines[deadline] = QUEUE_DEADLINE_HTML.format(
                iso=local.isoformat(),
                shown=escape(f"{local:%Y-%m-%d %H:%M} {local.tzname()}"),
                emphasis="text-danger-emphasis" if overdue else "text-body-secondary",
                relative=escape(relative),
            )
        price = row["listing__price"]
        price_text = ""
        if price is not None:
            key = (str(price), row["listing__currency"])
            price_text = prices.get(key, "")
            if not price_text:
                price_text = prices[key] = f" · {escape(localize(price))} {escape(key[1])}"
        claimant = row["claimed_by__username"]
        if claimant is not None:
            full_name = f"{row['claimed_by__first_name']} {row['claimed_by__last_name']}".strip()
            claimant = full_name or claimant
        title = _truncated(row["listing__title"], QUEUE_TITLE_CHARS)
        shown.append(
            QUEUE_ROW_HTML.format(
                select=QUEUE_ROW_SELECT_HTML.format(pk=pk, label=escape(select % {"t": title}))
                if bulk
                else "",
                url=url_before + pk + url_after,
                title=escape(title),
                platform=escape(row["platform__organisation__name"]),
                external_id=escape(row["listing__external_id"]),
                price=price_text,
                reference=escape(row["complaint__reference"]),
                notifier=escape(row["complaint__rights_holder__name"]),
                reasons=escape(", ".join(row["priority_reasons"]) or "—"),
                deadline=deadline_cell,
                claimed_by=escape(claimant or "—"),
            )
        )
    return mark_safe("".join(shown))  # noqa: S308 - every value above is escaped


def _templates_filled(case: Case, rights: list, actions: list[str]) -> list[dict[str, str]]:
    """The reason templates offered for ``actions`` on ``case``, their placeholders filled."""
    if not actions:
        return []
    templates = list(ReasonTemplate.objects.usable_on(case.platform_id).filter(action__in=actions))
    values = case_placeholders(case, rights) if templates else {}
    return [
        {
            "id": str(t.pk),
            "action": t.action,
            "action_label": str(t.get_action_display()),
            "title": t.title,
            "text": t.fill(values),
        }
        for t in templates
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
    return _template_text(case, chosen, action)


def _template_text(case: Case, chosen: str, action: str) -> str:
    """The text of reason template ``chosen`` filled for ``case``; refused if not for ``action``."""
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
    rows: list[dict[str, Any]] = list(page.object_list)  # queue_page's dicts
    # Open cases can be decided in bulk, with the templates of the platforms in view.
    bulk = status == CaseStatus.OPEN and bool(rows)
    return render(
        request,
        "takedown/case_queue.html",
        {
            "page_obj": page,
            "rows": rows,
            "rows_html": _queue_rows_html(rows, bulk=bulk),
            # (id, name) pairs and dicts below: the filter and the bulk form build no models.
            "platforms": list(platforms_for(request.user).values_list("pk", "organisation__name")),
            "platform": platform,
            "status": status,
            "statuses": CaseStatus.choices,
            "sort": sort,
            "bulk": bulk,
            "decisions": [(a, CaseAction(a).label) for a in CASE_DECISIONS],
            "bulk_templates": _bulk_templates(request, platform) if bulk else [],
            "queue_query": request.GET.urlencode(),
            "appeals_waiting": _appeals_waiting(request),
        },
    )


def _bulk_templates(request: HttpRequest, platform: str) -> list[dict[str, Any]]:
    """Reason templates for the queue's bulk form: the chosen platform's, or every one in view."""
    templates = ReasonTemplate.objects.filter(action__in=CASE_DECISIONS)
    if platform.isdigit():
        templates = templates.usable_on(int(platform))
    else:
        access = access_for(request.user)
        ids = None if access.is_operator_moderator else access.platform_moderator_ids
        templates = templates.usable_on_any(ids)
    labels = dict(ReasonAction.choices)
    return [
        {**t, "action_label": labels.get(t["action"], t["action"])}
        for t in templates.values(
            "pk", "action", "title", "platform_id", "platform__organisation__name"
        )
    ]


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
    case = case_page_get(request.user, pk)
    may_decide = can_moderate_platform(access_for(request.user), case.platform_id)
    listing = case.listing
    detection = case.detection
    if detection is not None and detection.listing_id == listing.pk:
        # Its listing is the case's, loaded already: the title is marked without reading it again.
        detection.listing = listing
    actions = case_actions_from(case.status) if may_decide else []
    rights = list(case.complaint.rights.all())
    # Notifiers see the steps meant for them, without the moderators' names.
    events = list(case_events_for(request.user, case))
    # What only a decision brings is read only once the history shows its step:
    # most cases on this page are undecided, and each read was a query.
    steps = {e.action for e in events}
    appeals = (
        list(appeals_for(request.user).filter(case=case)) if CaseAction.APPEAL in steps else []
    )
    # The appeals this moderator may decide here: open, on a case someone else decided.
    decidable = (
        {a.pk for a in appeals if a.status == Appeal.Status.OPEN}
        if may_decide and case.decided_by_id != request.user.pk
        else set()
    )
    templates = _templates_filled(
        case, rights, [*actions, *(APPEAL_TEMPLATE_ACTIONS if decidable else ())]
    )
    return render(
        request,
        "takedown/case_detail.html",
        {
            "case": case,
            "listing": listing,
            "complaint": case.complaint,
            "rights": rights,
            # The page names the files only: no model of each is built.
            "evidence_names": list(case.complaint.evidence.values_list("original_name", flat=True)),
            "detection": detection,
            "events": events,
            "internal": case_internals_visible(request.user, case),
            "statements": case.statements.all() if steps & STATEMENT_STEPS else [],
            # Forwarded to the notifier anyway; appeals: the notifier sees its own.
            "counter_notice": CounterNotice.objects.filter(case=case).first()
            if CaseAction.COUNTER_NOTICE in steps
            else None,
            "appeals": appeals,
            "decidable_appeals": decidable,
            "appeal_decided_by_me": may_decide and case.decided_by_id == request.user.pk,
            "may_decide": may_decide,
            "actions": actions,
            "reason_templates": [t for t in templates if t["action"] in actions],
            "appeal_templates": [t for t in templates if t["action"] in APPEAL_TEMPLATE_ACTIONS],
            "claimed_by_me": case.claimed_by_id == request.user.pk,
        },
    )


@login_required
@require_POST
def case_act(request: HttpRequest, pk: int) -> HttpResponse:
    """Claim, release or decide the case."""
    action = request.POST.get("action", "")
    # Claiming and giving back read the case again under its lock: its row is
    # enough here (a 404 if not the user's); a decision fills texts from its relations.
    if action in ("claim", "release"):
        case = case_row_get(request.user, pk)
    else:
        case = case_get(request.user, pk)
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
            # The case as decided (read under its lock): no need to read it again.
            decided = case_decide(
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
            messages.success(
                request, _("Decided: %(status)s.") % {"status": decided.get_status_display()}
            )
            if request.POST.get("next") == "claim-next":
                return claim_next(request)
    except NotPermitted as exc:
        raise PermissionDenied(exc.message) from exc
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("cases:detail", pk=case.pk)


# Bulk decisions ------------------------------------------------------------------

# More than a page of the queue is not one judgement but many: one page at most.
BULK_MAX_CASES = PAGE_SIZE


@dataclass(frozen=True)
class BulkRow:
    """What became of one case of a bulk decision, for the result page."""

    case_id: int
    title: str
    ok: bool
    message: str
    status: str = ""


@login_required
@require_POST
def bulk_decide(request: HttpRequest) -> HttpResponse:
    """Decide several cases of one platform alike; each goes through ``case_decide`` on its own.

    One case refused (decided meanwhile, claimed by someone else) does not stop
    the others: each is decided in its own transaction and the result page
    names the outcome of every case. The reason template, if chosen, is filled
    for each case, so each statement of reasons names its own listing and
    rights (``cases_decide_bulk`` gives every case one text, which is why it
    is not used here).
    """
    _require_moderator(request)
    action = request.POST.get("action", "")
    wanted = list(dict.fromkeys(int(v) for v in request.POST.getlist("case") if v.isdigit()))
    problem = ""
    if not wanted:
        problem = _("Choose at least one case to decide.")
    elif len(wanted) > BULK_MAX_CASES:
        problem = _("Decide at most %(n)d cases at once.") % {"n": BULK_MAX_CASES}
    elif action not in CASE_DECISIONS:
        problem = _("Choose a decision for the selected cases.")
    elif not (request.POST.get("explanation", "").strip() or request.POST.get("reason_template")):
        problem = _("Write the explanation or choose a reason template for the selected cases.")
    found = {c.pk: c for c in cases_for(request.user).filter(pk__in=wanted)} if not problem else {}
    platforms = sorted({str(c.platform) for c in found.values()})
    if not problem and len(platforms) > 1:
        problem = _("Choose cases of one platform; the selection has cases of %(names)s.") % {
            "names": ", ".join(platforms)
        }
    if problem:
        messages.error(request, problem)
        return redirect(_queue_url(request))
    rows: list[BulkRow] = []
    for pk in wanted:
        case = found.get(pk)
        if case is None:
            rows.append(BulkRow(pk, "", False, _("No such case among those you may see.")))
            continue
        try:
            decided = case_decide(
                actor=request.user,
                case=case,
                decision=Decision(action=action, explanation=_explanation(request, case, action)),
            )
        except DomainError as exc:
            case.refresh_from_db(fields=["status"])
            rows.append(
                BulkRow(pk, case.listing.title, False, exc.message, case.get_status_display())
            )
        else:
            rows.append(
                BulkRow(pk, case.listing.title, True, _("Decided."), decided.get_status_display())
            )
    return render(
        request,
        "takedown/bulk_result.html",
        {
            "rows": rows,
            "decided": sum(r.ok for r in rows),
            "refused": sum(not r.ok for r in rows),
            "action_label": CaseAction(action).label,
            "queue_url": _queue_url(request),
        },
    )


def _queue_url(request: HttpRequest) -> str:
    """Back to the queue with the filters it was posted from (only ours: a query string)."""
    query = request.POST.get("queue_query", "")
    return reverse("cases:queue") + (f"?{query}" if query else "")


# Appeals ------------------------------------------------------------------------


@login_required
@require_POST
def appeal_act(request: HttpRequest, pk: int, appeal_pk: int) -> HttpResponse:
    """Uphold or dismiss an appeal on the case, with a reason typed or from a template."""
    case = case_get(request.user, pk)
    appeal = get_object_or_404(appeals_for(request.user).filter(case=case), pk=appeal_pk)
    if not can_moderate_platform(access_for(request.user), case.platform_id):
        raise PermissionDenied(
            _("Only the platform's moderators and the operator's decide appeals.")
        )
    outcome = request.POST.get("outcome", "")
    try:
        if outcome not in ("uphold", "dismiss"):
            raise DomainError(_("Choose to uphold or to dismiss the appeal."), field="outcome")
        action = ReasonAction.APPEAL_UPHOLD if outcome == "uphold" else ReasonAction.APPEAL_DISMISS
        typed = request.POST.get("reason", "").strip()
        chosen = request.POST.get("reason_template", "").strip()
        reason = typed or (_template_text(case, chosen, action) if chosen else "")
        appeal_decide(actor=request.user, appeal=appeal, uphold=outcome == "uphold", reason=reason)
    except DomainError as exc:
        # Also "you decided this case": a reason to hand it to a colleague, not a 403.
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Appeal upheld: the decision is reversed.")
            if outcome == "uphold"
            else _("Appeal dismissed: the decision stands."),
        )
    return redirect("cases:detail", pk=case.pk)


def _appeals_waiting(request: HttpRequest) -> int:
    """Open appeals the moderator may decide, for the nav's badge on the moderators' queues.

    Counted on these pages only: on every page it would be one more query for
    every moderator's every request.
    """
    return open_appeals_count(request.user)


APPEAL_FILTER_BY = {value for value, _label in Appeal.By.choices}


@login_required
@require_GET
def appeal_queue(request: HttpRequest) -> HttpResponse:
    """Appeals waiting for a moderator (DSA Art. 20), the nearest decision target first."""
    _require_moderator(request)
    platform = request.GET.get("platform", "")
    by = request.GET.get("by", "")
    decidable = request.GET.get("decidable") == "1"
    appeals = (
        appeals_for(request.user)
        .filter(status=Appeal.Status.OPEN)
        .select_related(
            "case__listing", "case__complaint__rights_holder", "case__platform__organisation"
        )
        .order_by("created_at", "pk")
    )
    if platform.isdigit():
        appeals = appeals.filter(case__platform_id=int(platform))
    if by in APPEAL_FILTER_BY:
        appeals = appeals.filter(by=by)
    if decidable:
        appeals = appeals.exclude(case__decided_by_id=request.user.pk)
    paginator = CappedPaginator(appeals, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    # Unfiltered, the page counted the nav badge's number already (up to the cap).
    unfiltered = not (platform.isdigit() or by in APPEAL_FILTER_BY or decidable)
    waiting = paginator.count if unfiltered and not paginator.capped else _appeals_waiting(request)
    now = timezone.now()
    target = datetime.timedelta(days=APPEAL_DECISION_DAYS)
    return render(
        request,
        "takedown/appeal_queue.html",
        {
            "page_obj": page,
            "rows": [
                {"appeal": a, "due": a.created_at + target, "overdue": a.created_at + target < now}
                for a in page.object_list
            ],
            "platforms": platforms_for(request.user),
            "platform": platform,
            "by": by,
            "by_choices": Appeal.By.choices,
            "decidable": decidable,
            "decision_days": APPEAL_DECISION_DAYS,
            "appeals_waiting": waiting,
        },
    )
