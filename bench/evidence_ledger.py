#!/usr/bin/env python
"""The evidence ledger in PostgreSQL: what a decision costs, how fast verify_evidence walks.

Creates a scratch PostgreSQL database of its own (``bench_evidence``, dropped
and created again), migrates it, and files complaints through the real
service (``complaint_file``, 100 listings each, one picture per listing) until
the chain holds about ``--entries`` entries. It then decides ``--decisions``
cases through ``case_decide`` and prints p50 and p95 per decision and the SQL
queries a decision makes (all and ledger ones), at that chain length; then
times ``ledger_verify`` over the whole chain, with and without re-hashing the
image copies.

    .venv/bin/python bench/evidence_ledger.py                   # ~20,000 entries
    .venv/bin/python bench/evidence_ledger.py --entries 2000    # a quick look

Needs PostgreSQL at 127.0.0.1:5432 (user postgres, trust). Not a test: it
prints figures (docs/evidence.md).
"""

import argparse
import hashlib
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.queue_page import django_on_scratch_database  # noqa: E402

PER_COMPLAINT = 100


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--entries", type=int, default=20_000)
    parser.add_argument("--decisions", type=int, default=200)
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="bench_evidence")
    args = parser.parse_args()

    media = tempfile.mkdtemp(prefix="bench-evidence-")
    env = {
        **os.environ,
        "DATABASE_URL": f"{args.postgres}/{args.database}",
        "TAKEDOWN_PROFILE": "local",
        "TAKEDOWN_MEDIA_ROOT": media,
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    env.pop("CELERY_BROKER_URL", None)
    django_on_scratch_database(args.postgres, args.database, reuse=False, env=env)
    import logging

    from django.core.files.base import ContentFile
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from PIL import Image

    from listings.models import ImageBlob, ListingImage
    from rightsholders.models import Membership, Organisation
    from takedown.models import Case, LedgerEntry
    from takedown.services import evidence
    from takedown.services.cases import Decision, case_decide
    from takedown.services.complaints import ComplaintData, complaint_file
    from takedown.services.evidence import ledger_verify
    from takedown.states import CaseStatus, ImageStatus
    from tests.listings.factories import ListingFactory, PlatformFactory, SellerFactory
    from tests.rightsholders.factories import MembershipFactory, OrganisationFactory, RightFactory

    logging.disable(logging.WARNING)
    operator = OrganisationFactory(kind=Organisation.Kind.OPERATOR, slug="operator")
    moderator = MembershipFactory(organisation=operator, role=Membership.Role.MODERATOR).user
    holder = OrganisationFactory(kind=Organisation.Kind.RIGHTS_HOLDER)
    member = MembershipFactory(organisation=holder, role=Membership.Role.MEMBER).user
    right = RightFactory(rights_holder=holder, name="BRANDA")
    platform = PlatformFactory()
    data = ComplaintData(
        reason="counterfeit",
        explanation="The listings sell counterfeit goods bearing our registered word mark.",
        notifier_name="Ada Brand",
        notifier_email="ada@holder.example",
        good_faith=True,
        accurate=True,
        signature="Ada Brand",
    )
    complaints = max(1, args.entries // (2 * PER_COMPLAINT))
    filing = 0.0
    for _ in range(complaints):
        seller = SellerFactory(platform=platform)
        listings = ListingFactory.create_batch(
            PER_COMPLAINT, platform=platform, seller=seller, title="BRANDA bag"
        )
        for listing in listings:
            buffer = io.BytesIO()
            Image.frombytes("RGB", (64, 64), os.urandom(64 * 64 * 3)).save(buffer, "JPEG")
            thumbnail = buffer.getvalue()
            blob = ImageBlob(
                sha256=hashlib.sha256(thumbnail).hexdigest(),
                content_type="image/jpeg",
                size_bytes=len(thumbnail),
                width=64,
                height=64,
            )
            blob.thumbnail.save("t.jpg", ContentFile(thumbnail), save=False)
            blob.save()
            ListingImage(
                listing=listing,
                url=f"https://img.example.com/{listing.pk}.jpg",
                status=ImageStatus.FETCHED,
                blob=blob,
            ).save()
        began = time.perf_counter()
        complaint_file(
            actor=member,
            rights_holder=holder,
            right_ids=[right.pk],
            listing_ids=[listing.pk for listing in listings],
            data=data,
        )
        filing += time.perf_counter() - began
    entries = LedgerEntry.objects.count()
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        version = cursor.fetchone()[0].split(" on ")[0]
    print(f"machine: {os.cpu_count()} cores, {version}")
    print(
        f"filing: {complaints} complaints of {PER_COMPLAINT} listings in {filing:.1f} s "
        f"({filing / complaints * 1000:.0f} ms a complaint_file, snapshots and ledger included); "
        f"chain: {entries:,} entries"
    )

    decision = Decision(action="remove", explanation="Counterfeit BRANDA bag.")

    def decide(case: Case) -> tuple[float, float, int, int]:
        """Decide a case in a transaction rolled back (no e-mail sent); wall ms, CPU ms, queries."""
        connection.queries_log.clear()  # the log keeps 9,000 queries; a full one counts 0
        with CaptureQueriesContext(connection) as captured, transaction.atomic():
            wall, cpu = time.perf_counter(), time.process_time()
            case_decide(actor=moderator, case=case, decision=decision)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            transaction.set_rollback(True)
        ledger = sum("takedown_ledger" in q["sql"] for q in captured.captured_queries)
        return wall * 1000, cpu * 1000, len(captured.captured_queries), ledger

    # Each case decided twice, without and then with snapshots and ledger, so
    # that a busy machine slows both alike.
    without, with_ = [], []
    for case in Case.objects.filter(status=CaseStatus.OPEN).order_by("pk")[: args.decisions]:
        with (
            mock.patch.object(evidence, "_snapshots_take", lambda events: {}),
            mock.patch.object(evidence, "ledger_append", lambda items: []),
        ):
            without.append(decide(case))
        with_.append(decide(case))
    for label, runs in (
        ("without evidence", without),
        (f"with evidence at {entries:,} entries", with_),
    ):
        walls = sorted(r[0] for r in runs)
        print(
            f"decision (remove) {label}: p50 {statistics.median(walls):.1f} ms, "
            f"p95 {walls[int(len(walls) * 0.95) - 1]:.1f} ms, "
            f"CPU of this process p50 {statistics.median(r[1] for r in runs):.1f} ms; "
            f"{runs[-1][2]} queries, {runs[-1][3]} of them on the ledger"
        )

    total = LedgerEntry.objects.count()
    for check_files in (False, True):
        began = time.perf_counter()
        report = ledger_verify(check_files=check_files)
        took = time.perf_counter() - began
        assert report.ok, report.problem
        print(
            f"verify {'with' if check_files else 'without'} image copies: {total:,} entries in "
            f"{took:.1f} s ({total / took:,.0f} entries/s; {report.files:,} files re-hashed)"
        )


if __name__ == "__main__":
    main()
