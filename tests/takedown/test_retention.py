"""Retention: cases closed for good are purged after the period, the ledger still verifies."""

import datetime

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from listings.models import Listing
from takedown.models import (
    Case,
    CaseEvent,
    Complaint,
    EvidenceSnapshot,
    LedgerEntry,
    PurgedObject,
)
from takedown.services.cases import Decision, case_decide
from takedown.services.complaints import complaint_file
from takedown.services.evidence import ledger_verify
from takedown.services.remedies import appeal_file
from takedown.services.retention import retention_purge
from tests.listings.factories import ListingFactory
from tests.takedown.test_complaints import data

pytestmark = pytest.mark.django_db

REJECT = Decision("reject", "The listing shows a different mark.")


def decided_cases(world, count: int) -> list[Case]:
    """``count`` cases of one complaint, each rejected."""
    listings = [
        ListingFactory(platform=world.platform_a.platform, title=f"BRANDA bag {n}")
        for n in range(count)
    ]
    complaint = complaint_file(
        actor=world.holder_a.member,
        rights_holder=world.holder_a.organisation,
        right_ids=[world.holder_a.rights[0].pk],
        listing_ids=[listing.pk for listing in listings],
        data=data(),
    )
    cases = list(complaint.cases.order_by("pk"))
    for case in cases:
        case_decide(actor=world.platform_a.moderator, case=case, decision=REJECT)
    return cases


def years_later(days: int) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(days=days)


def test_cases_closed_for_good_are_purged_after_the_period_and_the_ledger_verifies(world):
    # given two rejected cases with their snapshots and events in the ledger
    cases = decided_cases(world, 2)
    listing_ids = [c.listing_id for c in cases]
    snapshots = set(EvidenceSnapshot.objects.filter(case__in=cases).values_list("pk", flat=True))
    events = set(CaseEvent.objects.filter(case__in=cases).values_list("pk", flat=True))
    assert snapshots and events
    listings = Listing.objects.count()  # the two of the cases, and the world's, in no case
    # when the purge runs three years and two days later
    report = retention_purge(now=years_later(1098))
    # then the cases, their complaint, snapshots, events and listings are gone
    assert (report.cases, report.complaints, report.listings) == (2, 1, listings)
    assert not Case.objects.filter(pk__in=[c.pk for c in cases]).exists()
    assert not Complaint.objects.exists()
    assert not Listing.objects.filter(pk__in=listing_ids).exists()
    # and their ledger entries stay, each object marked purged
    assert LedgerEntry.objects.filter(
        kind=LedgerEntry.Kind.SNAPSHOT, object_id__in=snapshots
    ).count() == len(snapshots)
    assert (
        set(
            PurgedObject.objects.filter(kind=LedgerEntry.Kind.CASE_EVENT).values_list(
                "object_id", flat=True
            )
        )
        == events
    )
    # and the chain verifies
    report = ledger_verify()
    assert report.ok, report.problem


def test_deleting_a_kept_object_after_a_purge_still_fails_verification(world):
    # given an old purged case and a kept case with an open appeal
    purged, kept = decided_cases(world, 2)
    appeal_file(case=kept, by="notifier", actor=world.holder_a.member, statement="It is ours.")
    retention_purge(now=years_later(1098))
    assert not Case.objects.filter(pk=purged.pk).exists()
    # when an event of the kept case is deleted behind the services' back
    event = CaseEvent.objects.filter(case=kept).order_by("pk").first()
    CaseEvent.objects.filter(pk=event.pk).delete()
    # then verification names it
    report = ledger_verify()
    assert report.problem is not None
    assert f"(case event {event.pk}): object missing" in report.problem


def test_nothing_newer_than_the_period_is_touched(world):
    # given rejected cases
    cases = decided_cases(world, 2)
    before = (Case.objects.count(), CaseEvent.objects.count(), EvidenceSnapshot.objects.count())
    # when the purge runs a day before the period is over
    report = retention_purge(now=years_later(1095))
    # then nothing is purged
    assert (report.cases, report.listings) == (0, 0)
    after = (Case.objects.count(), CaseEvent.objects.count(), EvidenceSnapshot.objects.count())
    assert after == before
    assert Listing.objects.filter(pk__in=[c.listing_id for c in cases]).count() == 2
    assert not PurgedObject.objects.exists()


def test_a_case_with_an_open_appeal_is_kept_with_its_listing(world):
    # given a rejected case the notifier appealed, still undecided
    (case,) = decided_cases(world, 1)
    appeal_file(case=case, by="notifier", actor=world.holder_a.member, statement="It is ours.")
    # when the purge runs long after the period
    report = retention_purge(now=years_later(2000))
    # then the case, its listing and its evidence are kept
    assert report.cases == 0
    assert Case.objects.filter(pk=case.pk).exists()
    assert Listing.objects.filter(pk=case.listing_id).exists()
    assert EvidenceSnapshot.objects.filter(case=case).exists()
    assert ledger_verify().ok


def test_a_period_under_three_years_is_refused(settings):
    settings.TAKEDOWN_RETENTION_DAYS = 1095
    with pytest.raises(ImproperlyConfigured, match="at least three years"):
        retention_purge()


def test_the_purge_works_in_bounded_batches_until_nothing_is_left(world):
    decided_cases(world, 3)
    listings = Listing.objects.count()
    # when the purge runs in batches of two until it says nothing is left
    reports = [retention_purge(now=years_later(1098), batch_size=2)]
    while reports[-1].more:
        reports.append(retention_purge(now=years_later(1098), batch_size=2))
    # then no batch went past two cases or two listings, and every one went
    assert [(r.cases, r.listings) for r in reports if r.cases > 2 or r.listings > 2] == []
    assert sum(r.cases for r in reports) == 3
    assert sum(r.listings for r in reports) == listings
    assert not Case.objects.exists()
    assert ledger_verify().ok


def test_the_nightly_task_is_scheduled_and_purges_what_expired(world, settings, monkeypatch):
    from takedown.celery import app
    from takedown.tasks import purge_expired

    # given the beat schedule names the task, and a worker knows it
    (entry,) = [
        e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == purge_expired.name
    ]
    assert entry["task"] in app.tasks
    # and two rejected cases, three years and two days old when the task runs
    cases = decided_cases(world, 2)
    later = years_later(1098)
    monkeypatch.setattr("takedown.services.retention.timezone.now", lambda: later)
    # when the task runs
    purge_expired()
    # then they are gone and the ledger verifies
    assert not Case.objects.filter(pk__in=[c.pk for c in cases]).exists()
    assert ledger_verify().ok
