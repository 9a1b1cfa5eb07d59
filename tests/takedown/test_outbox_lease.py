"""The outbox sends under a lease: no transaction open during a send, one sender per message."""

import datetime
import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from takedown.models import OutboxMessage
from takedown.services import outbox


def queued_email() -> OutboxMessage:
    """A committed e-mail whose delivery task was lost (the broker was down)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(outbox, "queue_delivery", lambda message_id: None)
        with transaction.atomic():
            return outbox.email_queue(topic="test", to="x@example.test", subject="s", body="b")


@pytest.mark.django_db(transaction=True)
def test_no_transaction_is_open_while_a_message_is_sent(monkeypatch):
    # given a message waiting to be sent
    message = queued_email()
    seen = {}

    def send_mail(*args, **kwargs):
        seen["in_transaction"] = connection.in_atomic_block
        # what another connection sees meanwhile: the claim is committed
        seen["row"] = OutboxMessage.objects.values("status", "attempts", "leased_until").get(
            pk=message.pk
        )
        return 1

    monkeypatch.setattr(outbox, "email_send", send_mail)
    # when a worker delivers it
    outbox.outbox_deliver(message_id=message.pk)
    # then the send ran outside any transaction, under a committed lease
    assert seen["in_transaction"] is False
    assert seen["row"]["status"] == "pending" and seen["row"]["attempts"] == 1
    assert seen["row"]["leased_until"] > timezone.now() + datetime.timedelta(seconds=60)
    # and the outcome is recorded, the lease released
    message.refresh_from_db()
    assert (message.status, message.attempts, message.leased_until) == ("sent", 1, None)
    assert list(message.attempt_log.values_list("number", "ok")) == [(1, True)]


@pytest.mark.django_db(transaction=True)
def test_a_second_worker_finds_the_message_leased_and_sends_nothing(monkeypatch):
    # given a message being sent by one worker
    message = queued_email()
    sends, second = [], []

    def send_mail(*args, **kwargs):
        sends.append(args)
        # when a duplicate task or the sweep runs meanwhile
        second.append(outbox.outbox_deliver(message_id=message.pk))
        return 1

    monkeypatch.setattr(outbox, "email_send", send_mail)
    outbox.outbox_deliver(message_id=message.pk)
    # then it found the lease taken and sent nothing; the message went once
    assert second == [None] and len(sends) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 1)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_for_one_message_send_it_once(monkeypatch):
    # given a message and two workers starting at the same moment
    message = queued_email()
    sends = []
    start = threading.Barrier(2)

    def send_mail(*args, **kwargs):
        sends.append(threading.current_thread().name)
        return 1

    monkeypatch.setattr(outbox, "email_send", send_mail)
    results = {}

    def work(name: str) -> None:
        start.wait()
        try:
            results[name] = outbox.outbox_deliver(message_id=message.pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(n,), name=n) for n in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    # then one sent it and the other found nothing to do
    assert len(sends) == 1
    assert sorted(r is None for r in results.values()) == [False, True]
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 1)


@pytest.mark.django_db(transaction=True)
def test_a_lease_whose_worker_died_is_taken_over_by_the_sweep_once_it_runs_out(monkeypatch):
    # given a worker that claimed a message and died (killed after or during the send)
    message = queued_email()
    claimed = outbox._claim(message.pk)
    assert claimed is not None
    sends = []
    monkeypatch.setattr(outbox, "email_send", lambda *args, **kwargs: sends.append(args) or 1)
    # when the sweep runs while the lease lasts, it leaves the message alone
    assert outbox.outbox_resume() == 0
    assert sends == []
    # when the lease has run out
    later = timezone.now() + outbox.lease_duration() + datetime.timedelta(seconds=1)
    monkeypatch.setattr("takedown.services.outbox.timezone.now", lambda: later)
    assert outbox.outbox_resume() == 1
    # then it is sent once more, as the second attempt, with the same event id
    assert len(sends) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts, message.leased_until) == ("sent", 2, None)
    assert outbox.outbox_resume() == 0
    assert len(sends) == 1


@pytest.mark.django_db(transaction=True)
def test_a_worker_finishing_after_its_lease_was_taken_over_does_not_overwrite_the_outcome(
    monkeypatch,
):
    # given a worker slow beyond its lease, and the message taken over and sent meanwhile
    message = queued_email()
    slow, lease_end = outbox._claim(message.pk)
    later = timezone.now() + outbox.lease_duration() + datetime.timedelta(seconds=1)
    monkeypatch.setattr("takedown.services.outbox.timezone.now", lambda: later)
    monkeypatch.setattr(outbox, "email_send", lambda *args, **kwargs: 1)
    outbox.outbox_deliver(message_id=message.pk)
    # when the slow worker's send fails at last and it records it
    outbox._record(slow, lease_end, later, 0.0, failure=ConnectionError("timed out"))
    # then the message stays sent, and both attempts are in the delivery log
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == ("sent", 2, "")
    assert list(message.attempt_log.values_list("number", "ok")) == [(1, False), (2, True)]


@pytest.mark.django_db(transaction=True)
def test_an_email_sent_again_after_its_lease_ran_out_is_the_same_message(settings):
    # given an e-mail sent once by a worker that died before recording it
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.DEFAULT_FROM_EMAIL = "Takedown <notices@takedown.example>"
    from django.core import mail

    message = queued_email()
    outbox.email_send(message)
    # when the sweep sends it again
    outbox.email_send(OutboxMessage.objects.get(pk=message.pk))
    # then both copies carry one Message-ID and the event id, on which a mail store drops the copy
    first, second = mail.outbox
    assert first.extra_headers == second.extra_headers
    assert first.message()["Message-ID"] == f"<{message.event_id}@takedown.example>"
    assert second.message()["X-Takedown-Event-Id"] == str(message.event_id)
    assert (first.to, first.subject, first.body) == (["x@example.test"], "s", "b")
