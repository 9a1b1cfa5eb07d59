"""The registry's periodic work run by a real Celery worker process."""

import datetime

import pytest
from django.utils import timezone

from rightsholders.models import RightEvent
from rightsholders.tasks import expire_due_rights
from takedown.states import RightAction, RightStatus


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
