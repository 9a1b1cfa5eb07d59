"""Rights-registry work that needs real services: a Celery worker process, PostgreSQL locks."""

import datetime
import threading

import pytest
from django.db import connection
from django.utils import timezone

from rightsholders import services
from rightsholders.models import Right, RightEvent
from rightsholders.tasks import expire_due_rights
from takedown.errors import DomainError
from takedown.states import RightAction, RightStatus
from tests.files import pdf_upload


@pytest.mark.postgres
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_worker_expires_rights_past_their_date_once(
    celery_worker_process, right_factory, organisation_factory
):
    # given a verified right that ended yesterday and one still valid, committed
    holder = organisation_factory()
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    ended = right_factory(
        rights_holder=holder,
        valid_from=yesterday - datetime.timedelta(days=3650),
        valid_until=yesterday,
    )
    valid = right_factory(rights_holder=holder)
    assert not expire_due_rights.app.conf.task_always_eager

    # when a real worker runs the sweep
    expired = expire_due_rights.delay().get(timeout=60)

    # then the ended right is expired, with its audit event, and the valid one is untouched
    assert expired == 1
    ended.refresh_from_db()
    valid.refresh_from_db()
    assert ended.status == RightStatus.EXPIRED
    assert list(RightEvent.objects.filter(right=ended).values_list("action", "from_status")) == [
        (RightAction.EXPIRE, RightStatus.VERIFIED)
    ]
    assert valid.status == RightStatus.VERIFIED
    assert not RightEvent.objects.filter(right=valid).exists()
    # and a second sweep finds nothing left to do
    assert expire_due_rights.delay().get(timeout=60) == 0
    assert RightEvent.objects.filter(right=ended).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_verifications_of_one_registration_cannot_both_succeed(world):
    # given two rights holders each claiming registration EU 000123, both awaiting verification
    rights = [
        services.right_submit(
            actor=tenant.admin,
            rights_holder=tenant.organisation,
            data=services.RightData(
                kind=Right.Kind.WORD_MARK,
                name=f"CLAIM {tenant.organisation.name}",
                mark_text="CONTESTED",
                registration_number="000123",
                office=Right.Office.EU,
                nice_classes=[25],
                goods_description="Clothing",
                territories=["EU"],
                valid_from=timezone.localdate() - datetime.timedelta(days=30),
                valid_until=timezone.localdate() + datetime.timedelta(days=3650),
            ),
            proof_documents=[pdf_upload()],
        )
        for tenant in (world.holder_a, world.holder_b)
    ]
    moderator = world.operator_moderator
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def verify(right: Right) -> None:
        try:
            start.wait(timeout=10)
            services.right_verify(actor=moderator, right=right)
            outcomes.append("verified")
        except DomainError as exc:
            outcomes.append(f"refused: {exc}")
        finally:
            connection.close()

    # when two moderators' requests verify them at the same moment, on two connections
    threads = [threading.Thread(target=verify, args=(r,)) for r in rights]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    # then exactly one succeeds and the other is refused with a reason
    assert sorted(o.split(":")[0] for o in outcomes) == ["refused", "verified"]
    assert "already verified" in next(o for o in outcomes if o.startswith("refused"))
    assert (
        Right.objects.filter(
            office=Right.Office.EU, registration_number="000123", status=RightStatus.VERIFIED
        ).count()
        == 1
    )
