"""The transparency report of a period (EU DSA Art. 15 and 24): one computation, three renderings.

``transparency_report`` returns a ``TransparencyReport`` of sections and rows
(a key, a label, a number); the moderators' page, its CSV and its JSON, and
the public page render that one structure. It holds counts and medians only:
no names, no references, nothing that identifies a person.

Scope: the operator's moderators report on every platform of the workbench or
on one; a platform's moderators on their own platform. The public page reports
on the whole workbench or on one platform, counts only (DSA Art. 24(3) asks a
platform to publish its report; nothing in it is personal).

Every figure comes from aggregate queries whose number does not depend on the
data (about a dozen a report); the medians read at most MEDIAN_SAMPLE_MAX
pairs of timestamps each, the newest of the period (the report says so when a
median is of a sample).
"""

import datetime
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from listings.models import Platform, Seller
from rightsholders.models import Organisation, Right
from takedown.access import access_for
from takedown.dashboard import MEDIAN_SAMPLE_MAX
from takedown.errors import DomainError, NotPermitted
from takedown.models import (
    Appeal,
    Case,
    Complaint,
    CounterNotice,
    SellerWarning,
    StatementOfReasons,
)
from takedown.services.remedies import _policy
from takedown.states import CaseStatus, ComplaintReason

# The earliest day a report may start: the DSA applies to all platforms from 17 February 2024,
# and nothing in the workbench is older than its first release; earlier dates are a typo.
EARLIEST_DAY = datetime.date(2020, 1, 1)
DATE_FORMAT_HELP = "YYYY-MM-DD"
# The public page's figures are kept this long (seconds): it is open to
# anyone, and a year of a big platform costs about a second of the database.
PUBLIC_CACHE_SECONDS = 600
# Part of the cache key: bump when ``_figures`` changes shape.
FIGURES_VERSION = 1


@dataclass(frozen=True)
class ReportPeriod:
    """Whole days from ``first`` to ``last``, both included, in the current time zone."""

    first: datetime.date
    last: datetime.date

    @property
    def start(self) -> datetime.datetime:
        return timezone.make_aware(datetime.datetime.combine(self.first, datetime.time.min))

    @property
    def end(self) -> datetime.datetime:
        """The first moment after the period (exclusive bound)."""
        day_after = self.last + datetime.timedelta(days=1)
        return timezone.make_aware(datetime.datetime.combine(day_after, datetime.time.min))

    def q(self, field: str) -> Q:
        return Q(**{f"{field}__gte": self.start, f"{field}__lt": self.end})


def day_parse(raw: str, name: str) -> datetime.date:
    """The day written in ``raw`` (YYYY-MM-DD), or a DomainError naming the field ``name``."""
    try:
        return datetime.date.fromisoformat(raw.strip())
    except ValueError:
        raise DomainError(
            f"'{name}' must be a date as {DATE_FORMAT_HELP}, not '{raw.strip()[:40]}'.", field=name
        ) from None


def period_parse(
    raw_from: str | None, raw_to: str | None, *, today: datetime.date | None = None
) -> ReportPeriod:
    """The period from the ``from`` and ``to`` dates given, or raise DomainError naming the field.

    Without ``from`` the period starts on the first of January of this year;
    without ``to`` it ends today.
    """
    today = today or timezone.localdate()
    first = (
        day_parse(raw_from, "from")
        if raw_from and raw_from.strip()
        else today.replace(month=1, day=1)
    )
    last = day_parse(raw_to, "to") if raw_to and raw_to.strip() else today
    if first < EARLIEST_DAY:
        raise DomainError(
            f"'from' ({first.isoformat()}) is before {EARLIEST_DAY.isoformat()}: "
            "nothing in the workbench is that old.",
            field="from",
        )
    if last > today:
        raise DomainError(
            f"'to' ({last.isoformat()}) is after today ({today.isoformat()}): "
            "a report covers days that have come.",
            field="to",
        )
    if first > last:
        raise DomainError(
            f"'from' ({first.isoformat()}) is after 'to' ({last.isoformat()}).", field="from"
        )
    return ReportPeriod(first=first, last=last)


# Scope ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportScope:
    """The platforms a report counts: ``platform_ids`` None means every platform."""

    platform_ids: frozenset[int] | None
    label: str
    platform_slug: str = ""


def _all_platforms_label() -> str:
    return gettext("All platforms of the workbench")


def public_scope(platform_slug: str | None) -> ReportScope:
    """The whole workbench, or the platform with ``platform_slug`` (404 if there is none)."""
    if not platform_slug:
        return ReportScope(platform_ids=None, label=_all_platforms_label())
    platform = (
        Platform.objects.select_related("organisation")
        .filter(organisation__slug=platform_slug, organisation__is_active=True)
        .first()
    )
    if platform is None:
        raise Http404(f"No platform '{platform_slug[:80]}' in the workbench.")
    return ReportScope(
        platform_ids=frozenset({platform.pk}), label=platform.name, platform_slug=platform_slug
    )


def moderator_scope(user, platform_slug: str | None) -> ReportScope:
    """The scope a moderator reports on: the operator's any platform or all, a platform's its own.

    Raise NotPermitted for anyone who is not a moderator; a platform the user
    may not report on is a 404, as if it did not exist.
    """
    access = access_for(user)
    if not access.is_moderator:
        raise NotPermitted("Only moderators see the transparency report's details and exports.")
    platforms = Platform.objects.select_related("organisation")
    if not access.is_operator_moderator:
        platforms = platforms.filter(pk__in=access.platform_moderator_ids)
        if not platform_slug:
            own = list(platforms.order_by("organisation__name"))
            return ReportScope(
                platform_ids=frozenset(p.pk for p in own),
                label=", ".join(p.name for p in own),
            )
    elif not platform_slug:
        return ReportScope(platform_ids=None, label=_all_platforms_label())
    platform = platforms.filter(organisation__slug=platform_slug).first()
    if platform is None:
        raise Http404(f"No platform '{platform_slug[:80]}' you may report on.")
    return ReportScope(
        platform_ids=frozenset({platform.pk}), label=platform.name, platform_slug=platform_slug
    )


def platforms_for_report(user=None) -> list[Platform]:
    """Platforms offered in the report's scope choice: a platform moderator's own, or every one."""
    platforms = Platform.objects.select_related("organisation").filter(organisation__is_active=True)
    access = access_for(user)
    if user is not None and not access.is_operator_moderator:
        platforms = platforms.filter(pk__in=access.platform_moderator_ids)
    return list(platforms.order_by("organisation__name"))


# The report ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    key: str
    label: Promise | str
    value: int | float | None


@dataclass(frozen=True)
class Section:
    key: str
    title: Promise | str
    basis: str  # the article of the DSA asking for it
    rows: tuple[Row, ...]
    note: Promise | str = ""


@dataclass(frozen=True)
class TransparencyReport:
    period: ReportPeriod
    scope: ReportScope
    sections: tuple[Section, ...]
    generated_at: datetime.datetime

    def as_dict(self) -> dict:
        """The report as JSON-ready data: stable keys, the labels in the current language."""
        return {
            "period": {"from": self.period.first.isoformat(), "to": self.period.last.isoformat()},
            "scope": {"label": self.scope.label, "platform": self.scope.platform_slug or None},
            "generated_at": self.generated_at.isoformat(),
            "sections": {
                section.key: {
                    "title": str(section.title),
                    "basis": section.basis,
                    "note": str(section.note),
                    "figures": {row.key: row.value for row in section.rows},
                    "labels": {row.key: str(row.label) for row in section.rows},
                }
                for section in self.sections
            },
        }

    def csv_rows(self) -> Iterable[list[str]]:
        """Header, then one line a figure: section, key, label, value."""
        yield ["section", "figure", "label", "value", "period_from", "period_to", "scope"]
        for section in self.sections:
            for row in section.rows:
                yield [
                    section.key,
                    row.key,
                    str(row.label),
                    "" if row.value is None else str(row.value),
                    self.period.first.isoformat(),
                    self.period.last.isoformat(),
                    self.scope.label,
                ]


def _median_hours(pairs: Iterable[tuple[datetime.datetime | None, datetime.datetime | None]]):
    """Median hours from the first to the second moment of each pair with both, or None."""
    hours = [
        (later - earlier).total_seconds() / 3600
        for earlier, later in pairs
        if earlier is not None and later is not None
    ]
    # + 0.0: a median that rounds to zero from below shows as 0.0, not -0.0
    return round(statistics.median(hours), 1) + 0.0 if hours else None


def _scoped(queryset: QuerySet, platform_ids: frozenset[int] | None, field: str) -> QuerySet:
    return queryset if platform_ids is None else queryset.filter(**{f"{field}__in": platform_ids})


TRADEMARK_KINDS = (Right.Kind.WORD_MARK, Right.Kind.FIGURATIVE_MARK)


def transparency_report(
    *,
    period: ReportPeriod,
    scope: ReportScope,
    now: datetime.datetime | None = None,
    cached: bool = False,
) -> TransparencyReport:
    """Every figure of the report of ``period`` over the platforms of ``scope``.

    ``cached``: figures computed in the last PUBLIC_CACHE_SECONDS for the same
    period and platforms are reused (the public page: anyone may ask for it,
    and a year over 100,000 cases takes about a second of the database).
    """
    now = now or timezone.now()
    ids = "all" if scope.platform_ids is None else ",".join(map(str, sorted(scope.platform_ids)))
    key = f"transparency:{FIGURES_VERSION}:{ids}:{period.first}:{period.last}"
    figures: dict[str, Any] | None = cache.get(key) if cached else None
    if figures is None:
        figures = _figures(period, scope.platform_ids)
        if cached:
            cache.set(key, figures, PUBLIC_CACHE_SECONDS)
    return TransparencyReport(
        period=period, scope=scope, sections=_sections(figures), generated_at=now
    )


def _figures(period: ReportPeriod, ids: frozenset[int] | None) -> dict[str, Any]:
    """The report's numbers: plain counts and medians (kept in the cache for the public page)."""
    cases = _scoped(Case.objects.order_by(), ids, "platform_id")

    # Notices received (DSA Art. 15(1)(b)): complaints filed in the period, by
    # kind and by source; one complaint about listings of two platforms
    # counts once for each platform, and once in the workbench's total.
    notices_in = cases.filter(period.q("complaint__created_at"))

    def notices(q: Q | None = None) -> Count:
        return Count("complaint_id", distinct=True, filter=q)

    n = notices_in.aggregate(
        total=notices(),
        items=Count("pk"),
        trusted=notices(Q(complaint__trusted_flagger=True)),
        items_detected=Count("pk", filter=Q(detection__isnull=False)),
        **{f"reason_{reason}": notices(Q(complaint__reason=reason)) for reason in ComplaintReason},
        **{
            f"regime_{regime}": notices(Q(platform__counter_notice_regime=regime))
            for regime in Platform.CounterNoticeRegime
        },
    )

    # Measures taken (Art. 15(1)(b), 24(1)): one statement of reasons each.
    statements = _scoped(
        StatementOfReasons.objects.order_by().filter(period.q("application_date")),
        ids,
        "case__platform_id",
    )

    def measures(q: Q | None = None) -> Count:
        return Count("pk", filter=q)

    def relies_on(*kinds: str) -> Q:
        # A subquery, not a join: a join over the complaint's rights would
        # repeat each statement once per right and need COUNT(DISTINCT).
        return Q(
            Exists(
                Complaint.rights.through.objects.filter(
                    complaint_id=OuterRef("case__complaint_id"), right__kind__in=kinds
                )
            )
        )

    Visibility, Ground = StatementOfReasons.Visibility, StatementOfReasons.Ground
    m = statements.aggregate(
        total=measures(),
        removed=measures(Q(decision_visibility=Visibility.REMOVED)),
        restricted=measures(~Q(decision_visibility=Visibility.REMOVED)),
        illegal=measures(Q(decision_ground=Ground.ILLEGAL)),
        incompatible=measures(Q(decision_ground=Ground.INCOMPATIBLE)),
        trademark=measures(relies_on(*TRADEMARK_KINDS)),
        design=measures(relies_on(Right.Kind.DESIGN)),
        detected=measures(Q(automated_detection=True)),
        automated=measures(~Q(automated_decision=StatementOfReasons.Automation.NOT_AUTOMATED)),
    )
    to_action = list(
        statements.order_by("-application_date").values_list(
            "case__created_at", "application_date"
        )[:MEDIAN_SAMPLE_MAX]
    )

    # Notices not acted on: decided in the period without a measure.
    d = cases.filter(period.q("decided_at")).aggregate(
        rejected=Count("pk", filter=Q(status=CaseStatus.REJECTED)),
        closed=Count("pk", filter=Q(status=CaseStatus.CLOSED)),
        unfounded=Count("pk", filter=Q(manifestly_unfounded=True)),
    )

    # Counter-notices (the sellers' objections) and their outcomes.
    counter_notices = _scoped(
        CounterNotice.objects.order_by().filter(period.q("created_at")), ids, "case__platform_id"
    )
    c = counter_notices.aggregate(
        total=Count("pk"),
        restored=Count("pk", filter=Q(restored_at__isnull=False)),
        court=Count("pk", filter=Q(action_reported_at__isnull=False)),
        waiting=Count(
            "pk",
            filter=Q(
                restored_at__isnull=True,
                action_reported_at__isnull=True,
                case__status=CaseStatus.COUNTER_NOTICED,
            ),
        ),
    )
    counter_times = [
        (created, restored or reported)
        for created, restored, reported in counter_notices.filter(
            Q(restored_at__isnull=False) | Q(action_reported_at__isnull=False)
        )
        .order_by("-created_at")
        .values_list("created_at", "restored_at", "action_reported_at")[:MEDIAN_SAMPLE_MAX]
    ]

    # Internal complaints (appeals, DSA Art. 20) and their outcomes (Art. 15(1)(d)).
    appeals = _scoped(
        Appeal.objects.order_by().filter(period.q("created_at")), ids, "case__platform_id"
    )
    a = appeals.aggregate(
        total=Count("pk"),
        by_seller=Count("pk", filter=Q(by=Appeal.By.SELLER)),
        by_notifier=Count("pk", filter=Q(by=Appeal.By.NOTIFIER)),
        upheld=Count("pk", filter=Q(status=Appeal.Status.UPHELD)),
        dismissed=Count("pk", filter=Q(status=Appeal.Status.DISMISSED)),
        moot=Count("pk", filter=Q(status=Appeal.Status.MOOT)),
        waiting=Count("pk", filter=Q(status=Appeal.Status.OPEN)),
    )
    appeal_times = list(
        appeals.filter(status__in=[Appeal.Status.UPHELD, Appeal.Status.DISMISSED])
        .order_by("-created_at")
        .values_list("created_at", "decided_at")[:MEDIAN_SAMPLE_MAX]
    )

    # Misuse (DSA Art. 23, 24(1)(b)): sellers for repeat infringement, notifiers
    # for manifestly unfounded notices.
    warnings = _scoped(
        SellerWarning.objects.order_by().filter(period.q("created_at")), ids, "seller__platform_id"
    ).aggregate(warned=Count("pk"), withdrawn=Count("pk", filter=Q(withdrawn_at__isnull=False)))
    sellers_suspended = _scoped(
        Seller.objects.order_by().filter(period.q("suspension_recommended_at")), ids, "platform_id"
    ).count()
    suspension_days = _policy("TAKEDOWN_MISUSE_SUSPEND_DAYS", 30)
    notifiers = Organisation.objects.order_by().filter(
        kind__in=[Organisation.Kind.RIGHTS_HOLDER, Organisation.Kind.AGENT]
    )
    if ids is not None:
        notifiers = notifiers.filter(
            Q(pk__in=cases.values("complaint__rights_holder_id"))
            | Q(pk__in=cases.filter(complaint__agent__isnull=False).values("complaint__agent_id"))
        )
    o = notifiers.aggregate(
        warned=Count("pk", filter=period.q("misuse_warned_at")),
        # A suspension in force during the period: it ends after the period
        # starts and began (TAKEDOWN_MISUSE_SUSPEND_DAYS before its end) before the period ended.
        suspended=Count(
            "pk",
            filter=Q(
                filing_suspended_until__gt=period.start,
                filing_suspended_until__lt=period.end + datetime.timedelta(days=suspension_days),
            ),
        ),
    )

    return {
        "n": n,
        "m": m,
        "d": d,
        "c": c,
        "a": a,
        "warnings": warnings,
        "sellers_suspended": sellers_suspended,
        "o": o,
        "median_to_action": _median_hours(to_action),
        "median_counter": _median_hours(counter_times),
        "median_appeal": _median_hours(appeal_times),
        "sampled_to_action": len(to_action) == MEDIAN_SAMPLE_MAX,
        "sampled_counter": len(counter_times) == MEDIAN_SAMPLE_MAX,
        "sampled_appeal": len(appeal_times) == MEDIAN_SAMPLE_MAX,
    }


def _sections(f: dict[str, Any]) -> tuple[Section, ...]:
    """The report's sections and rows, labelled in the current language, from ``_figures``."""
    n, m, d, c, a, o = f["n"], f["m"], f["d"], f["c"], f["a"], f["o"]
    warnings, sellers_suspended = f["warnings"], f["sellers_suspended"]
    sampled = gettext("Medians are of the newest %(n)s of the period.") % {
        "n": f"{MEDIAN_SAMPLE_MAX:,}"
    }

    def sample_note(name: str) -> str:
        return sampled if f[f"sampled_{name}"] else ""

    return (
        Section(
            "notices",
            _("Notices received"),
            "DSA Art. 15(1)(b)",
            (
                Row("total", _("Notices received"), n["total"]),
                Row("listings", _("Listings notified"), n["items"]),
                Row("trusted_flagger", _("From trusted flaggers"), n["trusted"]),
                Row("other_notifiers", _("From other notifiers"), n["total"] - n["trusted"]),
                *(
                    Row(f"reason_{reason.value}", reason.label, n[f"reason_{reason}"])
                    for reason in ComplaintReason
                ),
                *(
                    Row(
                        f"regime_{regime.value}",
                        _("Counter-notice regime: %(regime)s") % {"regime": regime.label},
                        n[f"regime_{regime}"],
                    )
                    for regime in Platform.CounterNoticeRegime
                ),
                Row(
                    "listings_detected",
                    _("Listings notified that the scanner had found"),
                    n["items_detected"],
                ),
            ),
        ),
        Section(
            "measures",
            _("Measures taken"),
            "DSA Art. 15(1)(b), 15(1)(c), 17",
            (
                Row("total", _("Measures taken (statements of reasons)"), m["total"]),
                Row("removed", _("Listings removed"), m["removed"]),
                Row("restricted", _("Listings restricted (access disabled)"), m["restricted"]),
                Row("ground_illegal", _("On the ground of illegal content"), m["illegal"]),
                Row(
                    "ground_incompatible",
                    _("On the ground of the platform's terms"),
                    m["incompatible"],
                ),
                Row("right_trademark", _("Relying on a trademark"), m["trademark"]),
                Row("right_design", _("Relying on a design"), m["design"]),
                Row(
                    "automated_detection",
                    _("Listings detected by automated means"),
                    m["detected"],
                ),
                Row("automated_decision", _("Decided by automated means"), m["automated"]),
                Row(
                    "median_hours_to_action",
                    _("Median hours from notice to measure"),
                    f["median_to_action"],
                ),
                Row("rejected", _("Notices rejected"), d["rejected"]),
                Row("closed", _("Closed without a decision (no answer in time)"), d["closed"]),
            ),
            _(
                "Every decision is taken by a moderator; the scanner only finds listings "
                "for the rights holders to notify."
            )
            if not m["automated"]
            else sample_note("to_action"),
        ),
        Section(
            "counter_notices",
            _("Counter-notices"),
            "DSA Art. 15(1)(d)",
            (
                Row("total", _("Counter-notices received"), c["total"]),
                Row("restored", _("Listing restored: no court action reported"), c["restored"]),
                Row("court", _("Measure kept: court action reported"), c["court"]),
                Row("waiting", _("Notifier's window still open"), c["waiting"]),
                Row(
                    "median_hours_to_outcome",
                    _("Median hours from counter-notice to outcome"),
                    f["median_counter"],
                ),
            ),
            sample_note("counter"),
        ),
        Section(
            "appeals",
            _("Internal complaints (appeals)"),
            "DSA Art. 15(1)(d), 20",
            (
                Row("total", _("Appeals received"), a["total"]),
                Row("by_seller", _("By sellers"), a["by_seller"]),
                Row("by_notifier", _("By notifiers"), a["by_notifier"]),
                Row("upheld", _("Upheld: decision reversed"), a["upheld"]),
                Row("dismissed", _("Dismissed: decision stands"), a["dismissed"]),
                Row("moot", _("Closed: the listing was restored"), a["moot"]),
                Row("waiting", _("Waiting for a decision"), a["waiting"]),
                Row(
                    "median_hours_to_decision",
                    _("Median hours to decide an appeal"),
                    f["median_appeal"],
                ),
            ),
            sample_note("appeal"),
        ),
        Section(
            "misuse",
            _("Measures against misuse"),
            "DSA Art. 23, 24(1)(b)",
            (
                Row(
                    "sellers_warned",
                    _("Sellers warned for repeat infringement"),
                    warnings["warned"],
                ),
                Row(
                    "seller_warnings_withdrawn",
                    _("Seller warnings withdrawn after reversals"),
                    warnings["withdrawn"],
                ),
                Row(
                    "sellers_suspension_recommended",
                    _("Sellers' suspension recommended for repeat infringement"),
                    sellers_suspended,
                ),
                Row(
                    "notices_manifestly_unfounded",
                    _("Notices found manifestly unfounded"),
                    d["unfounded"],
                ),
                Row(
                    "notifiers_warned",
                    _("Notifiers warned for manifestly unfounded notices"),
                    o["warned"],
                ),
                Row(
                    "notifiers_suspended",
                    _("Notifiers' filing suspended for manifestly unfounded notices"),
                    o["suspended"],
                ),
            ),
            _(
                "The workbench recommends a seller's suspension to its platform, which "
                "suspends the account; it suspends notifiers' filing itself. No one is "
                "suspended for manifestly unfounded appeals."
            ),
        ),
    )
