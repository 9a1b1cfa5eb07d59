"""Tasks of the takedown domain: outbox delivery, case sweeps."""

import logging

from celery import shared_task

from takedown.services import cases, evidence, outbox, remedies

logger = logging.getLogger(__name__)


@shared_task(
    name="takedown.deliver_outbox_message",
    acks_late=True,
    soft_time_limit=60,
    # The outbox's lease outlasts it (outbox.lease_duration).
    time_limit=outbox.DELIVER_TIME_LIMIT_SECONDS,
)
def deliver_outbox_message(message_id: int) -> str:
    """Send one outbox message; a failure is recorded and retried by the sweep."""
    message = outbox.outbox_deliver(message_id=message_id)
    return "skipped" if message is None else str(message.status)


@shared_task(name="takedown.resume_outbox", acks_late=True, soft_time_limit=120, time_limit=150)
def resume_outbox() -> int:
    """Queue outbox messages due for (another) attempt (every minute)."""
    return outbox.outbox_resume()


@shared_task(
    name="takedown.close_unanswered_cases", acks_late=True, soft_time_limit=120, time_limit=150
)
def close_unanswered_cases() -> int:
    """Close cases whose notifier did not answer a request for information in time (hourly)."""
    return cases.cases_close_unanswered()


@shared_task(
    name="takedown.restore_after_counter_notices",
    acks_late=True,
    soft_time_limit=300,
    time_limit=330,
)
def restore_after_counter_notices() -> int:
    """Restore listings whose counter-notice window closed without a court action (every 10 min)."""
    return remedies.counter_notices_restore_due()


@shared_task(
    name="takedown.recompute_trusted_flaggers", acks_late=True, soft_time_limit=300, time_limit=330
)
def recompute_trusted_flaggers() -> int:
    """Recompute each trusted flagger's accuracy (daily)."""
    return remedies.trusted_flaggers_recompute_accuracy()


@shared_task(
    name="takedown.anchor_evidence_ledger", acks_late=True, soft_time_limit=60, time_limit=90
)
def anchor_evidence_ledger() -> int | None:
    """Record and log the evidence ledger's head (every 10 min); return its sequence."""
    anchor = evidence.ledger_anchor()
    return None if anchor is None else anchor.sequence


@shared_task(name="takedown.purge_expired", acks_late=True, soft_time_limit=300, time_limit=330)
def purge_expired() -> int:
    """Purge one batch of cases and listings past the retention period (nightly); re-queue if more."""
    from takedown.services.retention import retention_purge

    report = retention_purge()
    if report.more:
        purge_expired.delay()
    return report.cases + report.listings


@shared_task(
    name="takedown.build_data_export", acks_late=True, soft_time_limit=1800, time_limit=1860
)
def build_data_export(export_id: int) -> str | None:
    """Build a rights holder's data export (a ZIP in storage); a missing export returns None."""
    from takedown.services.data_export import data_export_build

    export = data_export_build(export_id=export_id)
    return None if export is None else str(export.status)


@shared_task(
    name="takedown.build_evidence_package", acks_late=True, soft_time_limit=1800, time_limit=1860
)
def build_evidence_package(package_id: int) -> str | None:
    """Build one evidence package (ZIP in storage); a missing package returns None."""
    from takedown.services.packages import package_build

    package = package_build(package_id=package_id)
    return None if package is None else str(package.status)
