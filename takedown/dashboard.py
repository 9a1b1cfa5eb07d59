"""Figures of the dashboard, read through the viewer's access like every other page.

A rights holder (or its agent) counts its own complaints, detections and cases,
a platform's staff the complaints, detections and cases about its listings,
the operator everything: each figure starts from the selectors that decide
tenancy (``complaints_for``, ``cases_for``, ``detections_for``), never from a
bare manager. Every figure is one aggregate query, whatever the data's size.
"""

import datetime
import statistics
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, DateTimeField, Min, Q, QuerySet
from django.db.models.functions import Trunc
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from listings.matching import ENGINE_VERSION
from listings.models import Detection
from listings.selectors import detections_for
from takedown.access import access_for
from takedown.models import Case, Complaint
from takedown.selectors import cases_for, complaints_for
from takedown.services.complaints import notice_not_upheld_q, notice_upheld_q
from takedown.states import CaseStatus

# The periods offered (days back from today) and the bucket of each chart.
PERIODS = {7: "day", 30: "day", 90: "week"}
DEFAULT_PERIOD = 30

# The median time to decision is computed in Python over the newest decisions
# of the period, at most this many (two timestamps each, ~20 ms to read on
# PostgreSQL): the same code on SQLite and PostgreSQL, exact below the cap,
# a median of the newest decisions above it (the page says so).
MEDIAN_SAMPLE_MAX = 20_000

TOP_RIGHTS_HOLDERS = 15
TOP_SELLERS = 10

# Age bands of the waiting cases: (label, lower bound in days, upper bound or None).
QUEUE_AGE_BANDS: tuple[tuple[Promise, int, int | None], ...] = (
    (_("under a day"), 0, 1),
    (_("1 to 3 days"), 1, 3),
    (_("3 to 7 days"), 3, 7),
    (_("7 to 30 days"), 7, 30),
    (_("over 30 days"), 30, None),
)


@dataclass(frozen=True)
class Period:
    days: int
    unit: str  # "day" or "week"
    start: datetime.datetime  # aware, local midnight of the first bucket
    buckets: tuple[datetime.date, ...]


def period_for(days: int | str | None, *, now: datetime.datetime | None = None) -> Period:
    """The period of the last ``days`` days (7, 30 or 90; 30 otherwise), in the user's zone."""
    try:
        days = int(days or DEFAULT_PERIOD)
    except (TypeError, ValueError):
        days = DEFAULT_PERIOD
    if days not in PERIODS:
        days = DEFAULT_PERIOD
    unit = PERIODS[days]
    today = timezone.localdate(now or timezone.now())
    first = today - datetime.timedelta(days=days - 1)
    step = 1
    if unit == "week":
        first -= datetime.timedelta(days=first.weekday())  # the Monday TruncWeek gives
        step = 7
    buckets = []
    day = first
    while day <= today:
        buckets.append(day)
        day += datetime.timedelta(days=step)
    start = timezone.make_aware(datetime.datetime.combine(first, datetime.time.min))
    return Period(days=days, unit=unit, start=start, buckets=tuple(buckets))


def _bucket_of(value: datetime.datetime | datetime.date) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def _series(rows: QuerySet, period: Period, field: str) -> list[int]:
    """Counts per bucket of ``rows`` by ``field``, a zero for each bucket without any."""
    counts = {
        _bucket_of(row["bucket"]): row["n"]
        for row in rows.filter(**{f"{field}__gte": period.start})
        .annotate(bucket=Trunc(field, period.unit, output_field=DateTimeField()))
        .values("bucket")
        .annotate(n=Count("pk"))
        .order_by("bucket")
    }
    return [counts.get(day, 0) for day in period.buckets]


def complaints_seen_by(user) -> QuerySet[Complaint]:
    """Complaints the user filed or may see, and for platform staff those about its listings."""
    access = access_for(user)
    complaints = complaints_for(user)
    if access.is_operator or not access.platform_ids:
        return complaints
    about_platform = Case.objects.filter(platform_id__in=access.platform_ids)
    return Complaint.objects.filter(
        Q(pk__in=complaints.values("pk")) | Q(pk__in=about_platform.values("complaint_id"))
    )


def detections_seen_by(user) -> QuerySet[Detection]:
    """Detections of the user's rights (as the inbox shows them), or of its platforms' listings.

    Platform staff never see the inbox; they get the count of the running
    engine's detections on their own listings, nothing of whose rights matched.
    """
    access = access_for(user)
    own = detections_for(user)
    if access.is_operator or not access.platform_ids:
        return own
    on_platform = Detection.objects.filter(
        listing__platform_id__in=access.platform_ids, engine_version=ENGINE_VERSION
    )
    if not access.acts_for_rights_holders():
        return on_platform
    return Detection.objects.filter(Q(pk__in=own.values("pk")) | Q(pk__in=on_platform.values("pk")))


def _median_hours(durations: list[datetime.timedelta]) -> float | None:
    if not durations:
        return None
    return round(statistics.median(d.total_seconds() for d in durations) / 3600, 1)


def dashboard_figures(user, period: Period, *, now: datetime.datetime | None = None) -> dict:
    """Every figure of the dashboard for ``user`` over ``period``, in six queries."""
    now = now or timezone.now()
    cases = cases_for(user).select_related(None).order_by()
    decided = cases.filter(decided_at__gte=period.start, decided_at__isnull=False)

    complaints = _series(complaints_seen_by(user).order_by(), period, "created_at")
    detections = _series(detections_seen_by(user).select_related(None), period, "created_at")

    # Median time to decision: filing to first decision, per bucket and overall.
    times = list(
        decided.order_by("-decided_at").values_list("decided_at", "created_at")[:MEDIAN_SAMPLE_MAX]
    )
    durations: list[datetime.timedelta] = []
    per_bucket: dict[datetime.date, list[datetime.timedelta]] = {}
    buckets = set(period.buckets)
    for decided_at, created_at in times:
        if decided_at is None:  # excluded by the filter; for the type checker
            continue
        durations.append(decided_at - created_at)
        day = timezone.localtime(decided_at).date()
        if period.unit == "week":
            day -= datetime.timedelta(days=day.weekday())
        if day in buckets:
            per_bucket.setdefault(day, []).append(durations[-1])
    medians = [_median_hours(per_bucket.get(day, [])) for day in period.buckets]

    # A complaint is accepted while its measure stands and rejected when it was
    # rejected or reversed on appeal, as in the notifier's record that orders
    # the queue and rates trusted flaggers (one definition, in the service).
    accepted_q = notice_upheld_q()
    rejected_q = notice_not_upheld_q()
    holders = [
        {
            "name": row["complaint__rights_holder__name"],
            "accepted": row["accepted"],
            "rejected": row["rejected"],
            "rate": round(100 * row["accepted"] / (row["accepted"] + row["rejected"]), 1),
        }
        for row in decided.filter(accepted_q | rejected_q)
        .values("complaint__rights_holder_id", "complaint__rights_holder__name")
        .annotate(
            accepted=Count("pk", filter=accepted_q),
            rejected=Count("pk", filter=rejected_q),
            decided=Count("pk"),
        )
        .order_by("-decided", "complaint__rights_holder__name")[:TOP_RIGHTS_HOLDERS]
    ]

    sellers = [
        {
            "name": row["listing__seller__name"] or row["listing__seller__external_id"],
            "platform": row["platform__organisation__name"],
            "cases": row["n"],
        }
        for row in decided.filter(accepted_q, listing__seller__isnull=False)
        .values(
            "listing__seller_id",
            "listing__seller__name",
            "listing__seller__external_id",
            "platform__organisation__name",
        )
        .annotate(n=Count("pk"))
        .order_by("-n", "listing__seller__name")[:TOP_SELLERS]
    ]

    waiting = Q(status=CaseStatus.OPEN)
    bands: dict[str, Any] = {}
    for index, (_label, low, high) in enumerate(QUEUE_AGE_BANDS):
        q = waiting & Q(created_at__lte=now - datetime.timedelta(days=low))
        if high is not None:
            q &= Q(created_at__gt=now - datetime.timedelta(days=high))
        bands[f"band{index}"] = Count("pk", filter=q)
    in_period = Q(decided_at__gte=period.start)
    queue = cases.aggregate(
        oldest=Min("created_at", filter=waiting),
        accepted=Count("pk", filter=in_period & accepted_q),
        rejected=Count("pk", filter=in_period & rejected_q),
        **bands,
    )
    queue_age = [
        {"label": str(label), "cases": queue[f"band{index}"]}
        for index, (label, _low, _high) in enumerate(QUEUE_AGE_BANDS)
    ]
    oldest = queue["oldest"]

    decided_count = queue["accepted"] + queue["rejected"]
    return {
        "buckets": [
            {"day": day, "complaints": c, "detections": d, "median_hours": m}
            for day, c, d, m in zip(period.buckets, complaints, detections, medians, strict=True)
        ],
        "totals": {
            "complaints": sum(complaints),
            "detections": sum(detections),
            "decided": len(times),
            "median_hours": _median_hours(durations),
            "median_capped": len(times) == MEDIAN_SAMPLE_MAX,
            "acceptance": round(100 * queue["accepted"] / decided_count, 1)
            if decided_count
            else None,
            "waiting": sum(band["cases"] for band in queue_age),
            "oldest_waiting_days": (now - oldest).days if oldest else None,
        },
        "rights_holders": holders,
        "sellers": sellers,
        "queue_age": queue_age,
    }


def chart_data(figures: dict, period: Period) -> dict:
    """What dashboard.js draws, for ``json_script``: labels and numbers only."""
    return {
        "unit": period.unit,
        "labels": [b["day"].isoformat() for b in figures["buckets"]],
        "complaints": [b["complaints"] for b in figures["buckets"]],
        "detections": [b["detections"] for b in figures["buckets"]],
        "median_hours": [b["median_hours"] for b in figures["buckets"]],
        "rights_holders": {
            "labels": [h["name"] for h in figures["rights_holders"]],
            "rates": [h["rate"] for h in figures["rights_holders"]],
        },
        "sellers": {
            "labels": [s["name"] for s in figures["sellers"]],
            "cases": [s["cases"] for s in figures["sellers"]],
        },
        "queue_age": {
            "labels": [band["label"] for band in figures["queue_age"]],
            "cases": [band["cases"] for band in figures["queue_age"]],
        },
    }
