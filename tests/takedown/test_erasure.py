"""Erasure on request: the person's values are gone everywhere, the ledger still verifies."""

import pytest
from django.core.management import CommandError, call_command

from takedown.models import (
    CaseEvent,
    Complaint,
    CounterNotice,
    ErasureRecord,
    EvidenceSnapshot,
    OutboxMessage,
)
from takedown.services.erasure import seller_erase
from takedown.services.evidence import REASON_SALT, ledger_verify
from takedown.services.remedies import counter_notice_file
from takedown.states import CaseAction
from tests.listings.factories import SellerFactory
from tests.takedown.test_remedies import objection, removed_case

pytestmark = pytest.mark.django_db

SELLER_VALUES = ("Sam Seller", "sam@shop.example", "1 Market Street", "shop@seller.example")


@pytest.fixture
def objected_case(world):
    seller = SellerFactory(
        platform=world.platform_a.platform,
        name="Sam Seller",
        contact_name="Sam Seller",
        contact_email="shop@seller.example",
    )
    case = removed_case(world, seller)
    counter_notice_file(
        case=case,
        data=objection(statement="I, Sam Seller, bought these bags from the brand's distributor."),
    )
    return case


def everything_stored_about(case) -> str:
    """The texts of every row that may hold the seller's data, as one string."""
    notice = CounterNotice.objects.get(case=case)
    seller = case.listing.seller
    seller.refresh_from_db()
    parts = [seller.name, seller.contact_name, seller.contact_email]
    parts += [notice.seller_name, notice.seller_email, notice.seller_address, notice.signature]
    parts += [str(s.personal) for s in EvidenceSnapshot.objects.filter(case=case)]
    parts += [e.reason for e in CaseEvent.objects.filter(case=case)]
    parts += [
        f"{m.recipient} {m.subject} {m.body}" for m in OutboxMessage.objects.filter(case=case)
    ]
    return "\n".join(parts)


def test_erasing_a_seller_removes_its_values_everywhere_and_the_ledger_verifies(
    world, objected_case
):
    # given a case whose seller objected, naming itself in its statement
    assert "Sam Seller" in everything_stored_about(objected_case)
    assert ledger_verify().ok
    # when the seller's data is erased on request
    record = seller_erase(
        seller_id=objected_case.listing.seller_id,
        reason="Seller's request of 2026-12-01 by e-mail",
        actor=world.operator_moderator,
    )
    # then none of its values is left in any row, a tombstone stands in for them
    stored = everything_stored_about(objected_case)
    assert [value for value in SELLER_VALUES if value in stored] == []
    assert "[erased " in stored
    # and the snapshots keep the hash of what was erased
    assert all(
        s.personal is None and len(s.personal_sha256) == 64
        for s in EvidenceSnapshot.objects.filter(case=objected_case)
    )
    # and the record says what and why, never the values
    assert record.erased_by == world.operator_moderator
    assert set(record.erased) >= {
        "listings.seller",
        "takedown.counternotice",
        "takedown.evidencesnapshot",
        "takedown.caseevent",
        "takedown.outboxmessage",
    }
    assert [v for v in SELLER_VALUES if v in f"{record.erased} {record.subject_ref}"] == []
    # and the evidence ledger still verifies
    report = ledger_verify()
    assert report.ok, report.problem


def test_a_sealed_reason_edited_after_it_was_recorded_fails_verification(world, objected_case):
    # given the counter-notice's event, whose reason the ledger holds as a salted digest
    event = CaseEvent.objects.get(case=objected_case, action=CaseAction.COUNTER_NOTICE)
    assert REASON_SALT in event.data
    # when its reason is edited in the database
    CaseEvent.objects.filter(pk=event.pk).update(reason="I have nothing to say.")
    # then verification names the event
    report = ledger_verify()
    assert report.problem is not None
    assert f"(case event {event.pk}): content changed: its reason was changed" in report.problem


def test_a_reason_whose_salt_was_dropped_without_an_erasure_fails_verification(
    world, objected_case
):
    event = CaseEvent.objects.get(case=objected_case, action=CaseAction.COUNTER_NOTICE)
    data = {k: v for k, v in event.data.items() if k != REASON_SALT}
    CaseEvent.objects.filter(pk=event.pk).update(data=data, reason="Something else entirely.")
    report = ledger_verify()
    assert report.problem is not None
    assert "salt is gone but the reason shows no erasure" in report.problem


def test_the_command_erases_a_notifier_by_e_mail_and_the_ledger_verifies(world, objected_case):
    # when the notifier's data is erased from the command line
    call_command(
        "erase_personal_data",
        "--notifier-email",
        "ADA@holder-a.example",
        "--reason",
        "Notifier left the company; request of 2026-12-02",
    )
    # then its notice keeps no name, e-mail or signature, and no e-mail to it keeps its address
    complaint = Complaint.objects.get(pk=objected_case.complaint_id)
    assert {complaint.notifier_name, complaint.notifier_email, complaint.signature} == {
        complaint.notifier_name
    }
    assert complaint.notifier_name.startswith("[erased ")
    assert not OutboxMessage.objects.filter(recipient__icontains="ada@holder-a").exists()
    assert not OutboxMessage.objects.filter(body__contains="Ada Brand").exists()
    record = ErasureRecord.objects.get()
    assert record.subject == "notifier" and record.subject_ref == complaint.reference
    assert record.erased_by_label.startswith("manage.py erase_personal_data as ")
    assert ledger_verify().ok


def test_the_command_refuses_an_erasure_without_a_reason_or_a_known_subject(world, objected_case):
    with pytest.raises(CommandError, match="Say why the data is erased"):
        call_command("erase_personal_data", "--counter-notice", "1", "--reason", " ")
    with pytest.raises(CommandError, match="No seller with id 999999"):
        call_command("erase_personal_data", "--seller", "999999", "--reason", "asked")
    with pytest.raises(CommandError, match="No notice was sent from that e-mail address"):
        call_command("erase_personal_data", "--notifier-email", "x@y.example", "--reason", "asked")
    assert ErasureRecord.objects.count() == 0
