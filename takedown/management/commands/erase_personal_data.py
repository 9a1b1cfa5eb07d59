"""Erase a seller's or a notifier's personal data on request (GDPR Art. 17).

``manage.py erase_personal_data --seller 12 --reason "..."`` (or
``--notifier-email a@b.example``, ``--counter-notice 7``) replaces the
person's values with a tombstone, drops the salted personal part of evidence
snapshots and records an ErasureRecord, appended to the evidence ledger;
``verify_evidence`` still passes.
"""

import getpass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from takedown.errors import DomainError
from takedown.services.erasure import counter_notice_erase, notifier_erase, seller_erase


class Command(BaseCommand):
    help = "Erase a seller's or a notifier's personal data, keeping the evidence ledger verifiable."

    def add_arguments(self, parser: CommandParser) -> None:
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--seller", type=int, metavar="ID", help="A seller's id.")
        who.add_argument("--notifier-email", metavar="EMAIL", help="A notifier's e-mail address.")
        who.add_argument("--counter-notice", type=int, metavar="ID", help="A counter-notice's id.")
        parser.add_argument(
            "--reason", required=True, help="Why: the request, its date and who made it."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        label = f"manage.py erase_personal_data as {getpass.getuser()}"
        reason = options["reason"]
        try:
            if options["seller"] is not None:
                record = seller_erase(seller_id=options["seller"], reason=reason, actor_label=label)
            elif options["notifier_email"] is not None:
                record = notifier_erase(
                    email=options["notifier_email"], reason=reason, actor_label=label
                )
            else:
                record = counter_notice_erase(
                    counter_notice_id=options["counter_notice"], reason=reason, actor_label=label
                )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        counts = (
            ", ".join(f"{key}: {len(value)}" for key, value in sorted(record.erased.items()))
            or "nothing left to erase"
        )
        self.stdout.write(
            f"Erasure {record.pk} recorded ({record.subject} {record.subject_ref}): {counts}."
        )
