#!/usr/bin/env python
"""The moderators' queue page with 100,000 open cases in PostgreSQL: time and queries per page.

Creates a scratch PostgreSQL database of its own (``bench_queue``, dropped and
created again), migrates it, and bulk-inserts a realistic backlog: a few
platforms of unequal size, rights holders with their rights (some trusted
flaggers, some with a poor record), ~100,000 listings, ~20,000 complaints
opening 100,000 open cases (about one in ten claimed by one of 20 moderators,
deadlines from two days overdue to three days ahead, the queue's ``due_at``
from the real ``case_priority``), plus decided cases and cases waiting for the
notifier's answer, a filing event for every case and detections for half of
them.

It then requests the pages in-process through Django's test ``Client`` (the
whole middleware, session, view and template stack; no network), as the
operator's moderator (every platform) and as the largest platform's moderator:
the queue's first page, a filtered page (platform and status), the queue
sorted by deadline, page 50, a case page, the appeals queue, and claiming the
next case then giving it back (two POSTs and their redirects' targets not
followed). Each page is requested ``--requests`` times after ``--warmup``
requests; the script prints p50 and p95 of the wall-clock time in ms, the
median CPU time of this process (the web side: view, ORM, template; less
disturbed than the wall clock by other work on the machine), the Python
function calls of one request (counted by cProfile: the same on a busy
machine as on a quiet one, so before/after compare on a shared VM), the number
of SQL queries and the slowest query's time, then the queries of three pages
with their times and EXPLAIN (ANALYZE, BUFFERS) of those on the cases (the
count, the page).

``--profile NAME`` prints instead cProfile's top functions for one page
(a substring of its name in the table, e.g. ``--profile "case page"``), as
the operator's moderator, over ``--requests`` requests.

    .venv/bin/python bench/queue_page.py                  # 100,000 open cases, ~2 min to load
    .venv/bin/python bench/queue_page.py --reuse          # the same data again (migrates only)
    .venv/bin/python bench/queue_page.py --open-cases 10000 --requests 10   # a quick look
    .venv/bin/python bench/queue_page.py --reuse --profile "page 50"      # where its time goes

Needs PostgreSQL at 127.0.0.1:5432 (user postgres, trust). Not a test: it
prints figures (docs/benchmarks.md, "Moderator queue page").
"""

import argparse
import cProfile
import datetime
import os
import pstats
import random
import statistics
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qsl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ingest import run  # noqa: E402

WORDS = (
    "leather bag tote wallet scarf jacket sneaker watch belt backpack silk wool "
    "new men women sale classic vintage summer winter replica AAA original"
).split()
SYLLABLES = "ka lo ri ve na to mi sa du ne pa zo re li ba co fe gu ha ji".split()
# Shares of the listings (and so of the cases) per platform: one big marketplace.
PLATFORM_SHARES = (0.5, 0.25, 0.15, 0.1)
BATCH = 5_000


def brand(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).upper()


def seed(args: argparse.Namespace) -> None:
    """Insert the backlog with bulk_create in batches (one transaction a batch)."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from listings.matching import ENGINE_VERSION
    from listings.models import Detection, Listing, Platform, Seller
    from rightsholders.models import Membership, Organisation, Right
    from takedown.models import Case, CaseEvent, Complaint
    from takedown.services.complaints import case_priority
    from takedown.states import CaseAction, CaseStatus, ComplaintReason, RightStatus

    rng = random.Random(6)
    now = timezone.now()
    user_model = get_user_model()
    started = time.perf_counter()

    operator = Organisation.objects.create(name="Operator", slug="operator", kind="operator")
    op_moderator = user_model.objects.create_user("op-moderator")
    Membership.objects.create(user=op_moderator, organisation=operator, role="moderator")
    platforms = []
    for n, _share in enumerate(PLATFORM_SHARES):
        org = Organisation.objects.create(
            name=f"Market {n + 1}", slug=f"market-{n + 1}", kind="platform"
        )
        platforms.append(Platform.objects.create(organisation=org, default_sla_hours=24 + 24 * n))
        moderator = user_model.objects.create_user(f"market-{n + 1}-moderator")
        Membership.objects.create(user=moderator, organisation=org, role="moderator")
    # Moderators holding claims (claimed_by is shown on every row).
    claimers = [
        user_model.objects.create_user(f"moderator-{n}", first_name="Moderator", last_name=str(n))
        for n in range(20)
    ]
    for user in claimers:
        Membership.objects.create(user=user, organisation=operator, role="moderator")

    holders = Organisation.objects.bulk_create(
        Organisation(
            name=f"{brand(rng).title()} Brands {n}",
            slug=f"holder-{n}",
            kind="rights_holder",
            trusted_flagger_since=now if n % 7 == 0 else None,
        )
        for n in range(args.rights_holders)
    )
    rights = Right.objects.bulk_create(
        Right(
            rights_holder=holder,
            kind=Right.Kind.WORD_MARK,
            name=(mark := brand(rng)),
            mark_text=mark,
            registration_number=f"{holder.pk}-{k}",
            office=rng.choice(["EU", "CN", "US"]),
            goods_description="Bags, clothing",
            territories=["EU", "CN", "US"],
            valid_from=datetime.date(2020, 1, 1),
            valid_until=datetime.date(2035, 1, 1),
            status=RightStatus.VERIFIED,
        )
        for holder in holders
        for k in range(4)
    )
    rights_of: dict[int, list[Right]] = {}
    for right in rights:
        rights_of.setdefault(right.rights_holder_id, []).append(right)

    sellers: dict[int, list[Seller]] = {}
    for platform in platforms:
        sellers[platform.pk] = Seller.objects.bulk_create(
            Seller(platform=platform, external_id=f"s{n}", name=f"Store {brand(rng).title()} {n}")
            for n in range(args.listings // 50)
        )
    print(f"  organisations, rights, sellers: {time.perf_counter() - started:.1f} s")

    listing_platform: list[Platform] = rng.choices(
        platforms, weights=PLATFORM_SHARES, k=args.listings
    )
    listing_ids: list[int] = []
    listing_of: dict[int, tuple[int, Decimal]] = {}
    for start in range(0, args.listings, BATCH):
        batch = []
        for i in range(start, min(start + BATCH, args.listings)):
            platform = listing_platform[i]
            price = Decimal(rng.choice([9, 15, 25, 40, 80, 150, 400, 1200])) + Decimal("0.99")
            batch.append(
                Listing(
                    platform=platform,
                    external_id=f"L{i:07d}",
                    title=" ".join([brand(rng)] + rng.sample(WORDS, 5)),
                    url=f"https://market.example/item/{i}",
                    description="Brand new, fast shipping. " * 3,
                    price=price,
                    currency="EUR",
                    seller=rng.choice(sellers[platform.pk]),
                    category="bags",
                    ship_to=["DE", "FR", "US"],
                    content_hash=f"{i:064x}",
                )
            )
        with transaction.atomic():
            for listing in Listing.objects.bulk_create(batch):
                listing_ids.append(listing.pk)
                listing_of[listing.pk] = (listing.platform_id, listing.price)  # type: ignore[assignment]
    print(f"  {args.listings:,} listings: {time.perf_counter() - started:.1f} s")

    platform_of = {p.pk: p for p in platforms}
    acceptance_of = {h.pk: rng.choice([None, None, 1.0, 0.9, 0.6]) for h in holders}
    # Cases: open ones over distinct listings; decided and waiting ones on other
    # complaints (a listing reported again after an earlier decision).
    plans = [("open", args.open_cases), ("other", args.other_cases)]
    complaint_no = 0
    total_cases = 0
    for kind, wanted in plans:
        pool = rng.sample(listing_ids, min(wanted, len(listing_ids)))
        if len(pool) < wanted:
            pool += rng.choices(listing_ids, k=wanted - len(pool))
        position = 0
        while position < len(pool):
            chunk_complaints: list[Complaint] = []
            chunk_listings: list[list[int]] = []
            # created_at is auto_now_add (set on insert): the filing times are kept here.
            chunk_filed: list[datetime.datetime] = []
            while position < len(pool) and len(chunk_listings) < 1_000:
                # ~5 listings a complaint on average (1 to 9).
                size = rng.randint(1, 9)
                chunk_listings.append(pool[position : position + size])
                position += size
                holder = rng.choice(holders)
                filed = now - datetime.timedelta(hours=rng.uniform(0, 96))
                chunk_filed.append(filed)
                chunk_complaints.append(
                    Complaint(
                        reference=f"TD-B{complaint_no:08d}",
                        rights_holder=holder,
                        reason=ComplaintReason.COUNTERFEIT,
                        explanation="Counterfeit goods bearing the mark, sold far under the price.",
                        notifier_name="Legal team",
                        notifier_email="legal@holder.example",
                        good_faith=True,
                        accurate=True,
                        signature="Legal team",
                        trusted_flagger=holder.trusted_flagger_since is not None,
                        acknowledged_at=filed,
                    )
                )
                complaint_no += 1
            with transaction.atomic():
                complaints = Complaint.objects.bulk_create(chunk_complaints)
                through = Complaint.rights.through
                through.objects.bulk_create(
                    through(complaint_id=c.pk, right_id=r.pk)
                    for c in complaints
                    for r in rng.sample(rights_of[c.rights_holder_id], rng.randint(1, 2))
                )
                cases = []
                detections = []
                for complaint, ids, filed in zip(
                    complaints, chunk_listings, chunk_filed, strict=True
                ):
                    for listing_id in ids:
                        platform_id, price = listing_of[listing_id]
                        confidence = rng.uniform(0.6, 1.0) if rng.random() < 0.5 else None
                        if confidence is not None:
                            detections.append(
                                Detection(
                                    listing_id=listing_id,
                                    right=rights_of[complaint.rights_holder_id][0],
                                    engine_version=ENGINE_VERSION,
                                    score=confidence,
                                    text_score=confidence,
                                    signals=[
                                        {
                                            "signal": "text",
                                            "score": confidence,
                                            "evidence": {"field": "title", "mark": "MARK"},
                                        }
                                    ],
                                    status="handed_over",
                                )
                            )
                        deadline = filed + datetime.timedelta(
                            hours=platform_of[platform_id].default_sla_hours
                        )
                        due, reasons = case_priority(
                            deadline=deadline,
                            trusted_flagger=complaint.trusted_flagger,
                            confidence=confidence,
                            price=price,
                            acceptance=acceptance_of[complaint.rights_holder_id],
                        )
                        case = Case(
                            complaint=complaint,
                            listing_id=listing_id,
                            platform_id=platform_id,
                            deadline_at=deadline,
                            due_at=due,
                            priority_reasons=reasons,
                            status_changed_at=filed,
                        )
                        if kind == "open":
                            if rng.random() < 0.1:
                                case.claimed_by = rng.choice(claimers)
                                case.claim_expires_at = now + datetime.timedelta(
                                    minutes=rng.uniform(-30, 15)
                                )
                        else:
                            case.status = rng.choice(
                                [CaseStatus.REMOVED] * 6
                                + [CaseStatus.REJECTED] * 2
                                + [CaseStatus.INFO_REQUESTED, CaseStatus.RESTRICTED]
                            )
                            case.decided_by = rng.choice(claimers)
                            case.decided_at = now
                        cases.append((case, confidence is not None))
                taken = Detection.objects.bulk_create(
                    detections, batch_size=BATCH, ignore_conflicts=True
                )
                # ignore_conflicts leaves pks unset: read them back by (listing, right).
                del taken
                found = dict(
                    Detection.objects.filter(
                        listing_id__in=[c.listing_id for c, has in cases if has]
                    ).values_list("listing_id", "pk")
                )
                for case, has in cases:
                    if has:
                        case.detection_id = found.get(case.listing_id)
                made = Case.objects.bulk_create([c for c, _ in cases], batch_size=BATCH)
                CaseEvent.objects.bulk_create(
                    (
                        CaseEvent(
                            case=case,
                            action=CaseAction.FILE,
                            to_status=CaseStatus.OPEN,
                            data={"priority": case.priority_reasons},
                            created_at=case.status_changed_at,
                        )
                        for case in made
                    ),
                    batch_size=BATCH,
                )
            total_cases += len(made)
        print(f"  {total_cases:,} cases: {time.perf_counter() - started:.1f} s")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"seeded in {time.perf_counter() - started:.1f} s")


class Recorder:
    """An execute wrapper keeping each query's SQL, parameters and time."""

    def __init__(self) -> None:
        self.queries: list[tuple[str, object, float]] = []

    def __call__(self, execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.queries.append((sql, params, time.perf_counter() - started))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def request(client, url: str):  # type: ignore[no-untyped-def]
    """GET ``url``, or POST when it reads ``POST <path> [<form as a query string>]``."""
    if url.startswith("POST "):
        path, _, form = url.removeprefix("POST ").partition(" ")
        return client.post(path, dict(parse_qsl(form)))
    return client.get(url)


def measure(client, urls: list[str], requests: int, warmup: int) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Time ``urls`` requested one after the other (a page, or claim next then release)."""
    from django.db import connection

    def visit() -> None:
        for url in urls:
            response = request(client, url)
            assert response.status_code in (200, 302), (url, response.status_code)

    for _ in range(warmup):
        visit()
    times = []
    cpu = []
    for _ in range(requests):
        started, started_cpu = time.perf_counter(), time.process_time()
        visit()
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    profile = cProfile.Profile()
    profile.runcall(visit)
    calls = pstats.Stats(profile).total_calls  # type: ignore[attr-defined]
    recorder = Recorder()
    with connection.execute_wrapper(recorder):
        visit()
    slowest = max(recorder.queries, key=lambda q: q[2])
    return {
        "p50": statistics.median(times),
        "p95": percentile(times, 0.95),
        "cpu": statistics.median(cpu),
        "calls": calls,
        "queries": len(recorder.queries),
        "slowest_ms": slowest[2] * 1000,
        "recorded": recorder.queries,
    }


def profile_page(client, urls: list[str], requests: int) -> None:  # type: ignore[no-untyped-def]
    for url in urls:
        request(client, url)
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(requests):
        for url in urls:
            request(client, url)
    profile.disable()
    stats = pstats.Stats(profile)
    print(f"{stats.total_calls / requests:,.0f} function calls a request")  # type: ignore[attr-defined]
    stats.sort_stats("cumulative").print_stats(40)
    stats.sort_stats("tottime").print_stats(30)


def claimed_urls(client, urls: list[str]) -> list[str]:  # type: ignore[no-untyped-def]
    """``urls`` with ``{claimed}`` replaced by the case that claim next hands this moderator."""
    if not any("{claimed}" in url for url in urls):
        return urls
    response = client.post(urls[0].removeprefix("POST "))
    assert response.status_code == 302, response.status_code
    claimed = response.url.rstrip("/").rsplit("/", 1)[-1]
    client.post(f"/cases/{claimed}/act/", {"action": "release"})
    return [url.format(claimed=claimed) for url in urls]


def explain(sql: str, params: object) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def django_on_scratch_database(
    postgres: str, database: str, *, reuse: bool, env: dict[str, str]
) -> None:
    """Set Django up in this process on its own PostgreSQL database, migrated.

    ``database`` on the server ``postgres`` (a URL without a database) is
    dropped and created again unless ``reuse``; this process's environment is
    replaced by ``env`` with ``DATABASE_URL`` pointing at it, so the benchmark
    never touches the database of the settings it was started with.
    """
    env = {**env, "DATABASE_URL": f"{postgres}/{database}"}
    admin = f"{postgres}/postgres"
    quiet = {"stdout": subprocess.DEVNULL}
    if not reuse:
        run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {database}"], env, **quiet)
        run(["psql", admin, "-qc", f"CREATE DATABASE {database}"], env, **quiet)
    run([sys.executable, "manage.py", "migrate", "-v0"], env)
    os.environ.clear()
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "takedown.settings")
    import django

    django.setup()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--open-cases", type=int, default=100_000)
    parser.add_argument(
        "--other-cases",
        type=int,
        default=30_000,
        help="decided cases and cases waiting for the notifier (not in the open queue)",
    )
    parser.add_argument("--listings", type=int, default=100_000)
    parser.add_argument("--rights-holders", type=int, default=200)
    parser.add_argument("--requests", type=int, default=30, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="bench_queue")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the database of a previous run (migrate only)"
    )
    parser.add_argument(
        "--no-explain", dest="explain", action="store_false", help="print the table only"
    )
    parser.add_argument(
        "--profile",
        metavar="NAME",
        help="print cProfile's top functions for the page whose name holds NAME, and stop",
    )
    args = parser.parse_args()

    env = {**os.environ, "DJANGO_ALLOWED_HOSTS": "testserver", "TAKEDOWN_PROFILE": "local"}
    env.pop("DJANGO_DEBUG", None)
    env.pop("CELERY_BROKER_URL", None)
    django_on_scratch_database(args.postgres, args.database, reuse=args.reuse, env=env)
    import django
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from listings.models import Platform
    from takedown.models import Case
    from takedown.states import CaseStatus

    if not args.reuse:
        seed(args)
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        version = cursor.fetchone()[0].split(" on ")[0]
    counts = dict(
        Case.objects.order_by().values_list("status").annotate(n=django.db.models.Count("pk"))
    )
    print(
        f"machine: {os.cpu_count()} cores, {version}; cases by status: "
        + ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items()))
    )

    big = Platform.objects.order_by("pk").first()
    assert big is not None
    # A case far down the queue, with a detection, as a moderator opens it.
    candidates = Case.objects.filter(
        status=CaseStatus.OPEN, platform=big, detection__isnull=False
    ).order_by("due_at", "pk")
    case = candidates[min(2_000, candidates.count() // 2)]
    users = get_user_model().objects
    pages = [
        ("queue, first page", ["/cases/"]),
        ("filtered: platform + status", [f"/cases/?platform={big.pk}&status=open"]),
        ("sorted by deadline", ["/cases/?sort=deadline"]),
        ("page 50", ["/cases/?page=50"]),
        ("case page", [f"/cases/{case.pk}/"]),
        ("appeals queue", ["/cases/appeals/"]),
        # The same case each time: claim next hands out the most urgent one, release gives it back.
        (
            "claim next + release",
            ["POST /cases/claim-next/", "POST /cases/{claimed}/act/ action=release"],
        ),
    ]
    results = {}
    if args.profile:
        client = Client()
        client.force_login(users.get(username="op-moderator"))
        name, urls = next((n, u) for n, u in pages if args.profile in n)
        print(f"profile of '{name}' as the operator's moderator, {args.requests} requests:")
        profile_page(client, claimed_urls(client, urls), args.requests)
        return
    print(
        f"\n{args.requests} requests a page after {args.warmup} warm-up, Django test Client; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{'who':<20} {'page':<28} {'p50 ms':>7} {'p95 ms':>7} {'CPU ms':>7} {'calls':>7} "
        f"{'queries':>7} {'slowest q ms':>12}"
    )
    for who, username in (
        ("operator moderator", "op-moderator"),
        ("platform moderator", "market-1-moderator"),
    ):
        client = Client()
        client.force_login(users.get(username=username))
        for name, urls in pages:
            r = measure(client, claimed_urls(client, urls), args.requests, args.warmup)
            results[(who, name)] = r
            print(
                f"{who:<20} {name:<28} {r['p50']:>7.1f} {r['p95']:>7.1f} {r['cpu']:>7.1f} "
                f"{r['calls']:>7,} {r['queries']:>7} {r['slowest_ms']:>12.1f}"
            )
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    if args.explain:
        for who, name in (
            ("operator moderator", "queue, first page"),
            ("operator moderator", "page 50"),
            ("platform moderator", "sorted by deadline"),
        ):
            recorded = results[(who, name)]["recorded"]
            print(f"\nqueries of '{name}' as {who} (ms):")
            for sql, _params, took in recorded:  # type: ignore[union-attr]
                print(f"  {took * 1000:7.2f}  {' '.join(sql.split())[:150]}")
            on_cases = [q for q in recorded if '"takedown_case"' in q[0]]  # type: ignore[union-attr]
            for sql, params, _took in on_cases:
                print(f"\nEXPLAIN ANALYZE ({who}, {name}):\n{' '.join(sql.split())}\n")
                print(explain(sql, params))


if __name__ == "__main__":
    main()
