import datetime

import pytest
from django.db import transaction
from django.utils import timezone

from rightsholders.models import Right
from rightsholders.selectors import rights_for
from rightsholders.services import (
    RIGHT_STATUS_TOPIC,
    right_data_of,
    right_image_remove,
    right_reinstate,
    right_reject,
    right_suspend,
    right_update,
    right_verify,
    rights_expire_due,
)
from takedown.errors import DomainError, NotPermitted, TransitionNotAllowed
from takedown.models import OutboxMessage
from takedown.services import outbox
from takedown.states import RightStatus, right_actions_from
from tests.files import png_upload

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def submitted(world, right_factory, proof_document_factory) -> Right:
    right = right_factory(
        rights_holder=world.holder_a.organisation, status=RightStatus.SUBMITTED, name="NEWMARK"
    )
    proof_document_factory(right=right)
    return right


def history(right: Right) -> list[tuple[str, str, str]]:
    return list(right.events.order_by("id").values_list("action", "from_status", "to_status"))


def test_operator_moderator_verifies_a_submitted_right(world, submitted):
    right = right_verify(actor=world.operator_moderator, right=submitted)
    assert (right.status, right.reviewed_by) == (RightStatus.VERIFIED, world.operator_moderator)
    assert history(right) == [("verify", "submitted", "verified")]
    assert Right.objects.in_force().filter(pk=right.pk).exists()


@pytest.mark.parametrize("who", ["holder_a.admin", "platform_a.moderator", "agent.admin"])
def test_only_operator_moderators_verify(world, submitted, who):
    tenant, attr = who.split(".")
    with pytest.raises(NotPermitted, match="Only the operator's moderators"):
        right_verify(actor=getattr(getattr(world, tenant), attr), right=submitted)
    submitted.refresh_from_db()
    assert submitted.status == RightStatus.SUBMITTED


def test_rejection_needs_a_reason_that_the_holder_sees(world, submitted):
    with pytest.raises(DomainError, match="Say why the right is rejected"):
        right_reject(actor=world.operator_moderator, right=submitted, reason="  ")
    right = right_reject(
        actor=world.operator_moderator, right=submitted, reason="Certificate names another owner"
    )
    assert (right.status, right.status_reason) == (
        RightStatus.REJECTED,
        "Certificate names another owner",
    )
    assert (
        rights_for(world.holder_a.admin).get(pk=right.pk).status_reason
        == "Certificate names another owner"
    )


def test_suspend_and_reinstate_a_verified_right(world):
    right = world.holder_a.rights[0]
    right = right_suspend(
        actor=world.operator_moderator, right=right, reason="Ownership disputed in court"
    )
    assert not Right.objects.in_force().filter(pk=right.pk).exists()
    right = right_reinstate(actor=world.operator_moderator, right=right)
    assert right.status == RightStatus.VERIFIED
    assert history(right) == [
        ("suspend", "verified", "suspended"),
        ("reinstate", "suspended", "verified"),
    ]


def test_illegal_transition_is_refused_and_changes_nothing(world):
    right = world.holder_a.rights[0]
    with pytest.raises(TransitionNotAllowed, match="Cannot reject a right that is verified"):
        right_reject(actor=world.operator_moderator, right=right, reason="late change of mind")
    right.refresh_from_db()
    assert (right.status, history(right)) == (RightStatus.VERIFIED, [])


def test_actions_offered_follow_the_transition_map():
    assert right_actions_from(RightStatus.SUBMITTED) == ["verify", "reject"]
    assert right_actions_from(RightStatus.VERIFIED) == ["suspend"]
    assert right_actions_from(RightStatus.SUSPENDED) == ["reinstate"]
    assert right_actions_from(RightStatus.REJECTED) == []


def test_a_right_past_its_end_cannot_be_verified(world, submitted):
    Right.objects.filter(pk=submitted.pk).update(
        valid_from=TODAY - datetime.timedelta(days=900),
        valid_until=TODAY - datetime.timedelta(days=1),
    )
    with pytest.raises(DomainError, match="cannot be verified"):
        right_verify(actor=world.operator_moderator, right=submitted)


def test_a_right_without_proof_cannot_be_verified(world, right_factory):
    right = right_factory(rights_holder=world.holder_a.organisation, status=RightStatus.SUBMITTED)
    with pytest.raises(DomainError, match="no proof document"):
        right_verify(actor=world.operator_moderator, right=right)


def test_second_holder_of_a_verified_registration_cannot_be_verified(
    world, right_factory, proof_document_factory
):
    taken = world.holder_b.rights[0]
    claim = right_factory(
        rights_holder=world.holder_a.organisation,
        status=RightStatus.SUBMITTED,
        office=taken.office,
        registration_number=taken.registration_number,
    )
    proof_document_factory(right=claim)
    with pytest.raises(DomainError, match="already verified for another right"):
        right_verify(actor=world.operator_moderator, right=claim)


def test_editing_a_verified_right_sends_it_back_for_verification(world):
    # given a verified word mark
    right = world.holder_a.rights[0]
    data = right_data_of(right)
    data.goods_description = "Handbags, shoes and belts"
    # when its owner edits it
    right = right_update(actor=world.holder_a.member, right=right, data=data)
    # then it waits for verification again, and the event records what changed
    assert right.status == RightStatus.SUBMITTED
    event = right.events.get()
    assert (event.action, event.from_status, event.to_status) == (
        "resubmit",
        "verified",
        "submitted",
    )
    assert event.changes == {
        "goods_description": ["Bags, clothing, footwear", "Handbags, shoes and belts"]
    }


def test_an_edit_that_changes_nothing_writes_nothing(world):
    right = world.holder_a.rights[0]
    right = right_update(actor=world.holder_a.admin, right=right, data=right_data_of(right))
    assert (right.status, right.events.count()) == (RightStatus.VERIFIED, 0)


def test_the_kind_of_a_right_cannot_change(world):
    right = world.holder_a.rights[0]
    data = right_data_of(right)
    data.kind = Right.Kind.FIGURATIVE_MARK
    with pytest.raises(DomainError, match="kind of a right cannot change"):
        right_update(actor=world.holder_a.admin, right=right, data=data)


def test_another_holder_cannot_edit(world):
    right = world.holder_a.rights[0]
    with pytest.raises(NotPermitted):
        right_update(actor=world.holder_b.admin, right=right, data=right_data_of(right))


def test_adding_a_design_view_is_an_edit(world):
    design = world.holder_a.rights[1]
    right = right_update(
        actor=world.holder_a.admin,
        right=design,
        data=right_data_of(design),
        add_images=[png_upload("back.png", seed=9)],
    )
    assert right.images.count() == 2
    assert right.status == RightStatus.SUBMITTED


def test_the_last_design_view_cannot_be_removed(world):
    design = world.holder_a.rights[1]
    with pytest.raises(DomainError, match="needs at least one image"):
        right_image_remove(actor=world.holder_a.admin, right=design, image=design.images.get())


def test_expiry_sweep_expires_only_rights_past_their_end_and_only_once(world):
    # given one of holder A's rights ended yesterday
    ended = world.holder_a.rights[0]
    Right.objects.filter(pk=ended.pk).update(
        valid_from=TODAY - datetime.timedelta(days=900),
        valid_until=TODAY - datetime.timedelta(days=1),
    )
    # when the sweep runs twice
    first, second = rights_expire_due(), rights_expire_due()
    # then it expired exactly that right, once, with an audit event
    ended.refresh_from_db()
    assert (first, second) == (1, 0)
    assert ended.status == RightStatus.EXPIRED
    assert history(ended) == [("expire", "verified", "expired")]
    assert Right.objects.filter(status=RightStatus.VERIFIED).count() == 3


def test_a_right_past_its_end_is_not_in_force_even_before_the_sweep(world):
    ended = world.holder_a.rights[0]
    Right.objects.filter(pk=ended.pk).update(
        valid_from=TODAY - datetime.timedelta(days=900),
        valid_until=TODAY - datetime.timedelta(days=1),
    )
    assert not Right.objects.in_force().filter(pk=ended.pk).exists()


def test_holder_is_emailed_the_decision_with_its_reason_after_commit(
    world, submitted, mailoutbox, django_capture_on_commit_callbacks
):
    # given the right was submitted by holder A's admin
    submitted.submitted_by = world.holder_a.admin
    submitted.save()
    # when a moderator rejects it and the transaction commits
    with django_capture_on_commit_callbacks(execute=True):
        right_reject(
            actor=world.operator_moderator, right=submitted, reason="Certificate is unreadable"
        )
    # then the submitter is told, with the reason, through the outbox
    [mail] = mailoutbox
    assert mail.to == [world.holder_a.admin.email]
    assert mail.subject == "[Takedown workbench] NEWMARK: rejected"
    assert "Reason: Certificate is unreadable" in mail.body
    [message] = OutboxMessage.objects.filter(topic=RIGHT_STATUS_TOPIC)
    assert (message.status, message.recipient) == ("sent", world.holder_a.admin.email)


def test_a_right_notice_survives_a_broker_down_at_commit(
    world, submitted, mailoutbox, monkeypatch, django_capture_on_commit_callbacks
):
    # given the broker is down when a moderator verifies a right
    submitted.submitted_by = world.holder_a.admin
    submitted.save()
    deliver = outbox.queue_delivery
    monkeypatch.setattr(outbox, "queue_delivery", lambda message_id: None)
    with django_capture_on_commit_callbacks(execute=True):
        right_reject(actor=world.operator_moderator, right=submitted, reason="Blurred certificate")
    assert mailoutbox == []
    # when the outbox sweep runs after the broker is back
    monkeypatch.setattr(outbox, "queue_delivery", deliver)
    outbox.outbox_resume()
    # then the notice goes out once
    [mail] = mailoutbox
    assert mail.subject == "[Takedown workbench] NEWMARK: rejected"
    outbox.outbox_resume()
    assert len(mailoutbox) == 1


def test_a_notice_is_not_written_for_a_change_rolled_back(world, submitted):
    # given a verification whose transaction fails after the change
    with pytest.raises(RuntimeError), transaction.atomic():
        right_reject(actor=world.operator_moderator, right=submitted, reason="Unreadable")
        raise RuntimeError("the request failed later")
    # then no notice waits in the outbox
    assert not OutboxMessage.objects.filter(topic=RIGHT_STATUS_TOPIC).exists()


def test_nothing_is_emailed_when_the_transition_fails(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(TransitionNotAllowed):
        right_reinstate(actor=world.operator_moderator, right=world.holder_a.rights[0])
    assert mailoutbox == []
