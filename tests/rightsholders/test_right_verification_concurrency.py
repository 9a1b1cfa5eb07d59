"""Verification under concurrency, on PostgreSQL where row locks and partial indexes are real."""

import datetime
import threading

import pytest
from django.db import connection
from django.utils import timezone

from rightsholders import services
from rightsholders.models import Right
from takedown.errors import DomainError
from takedown.states import RightStatus
from tests.files import pdf_upload


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
