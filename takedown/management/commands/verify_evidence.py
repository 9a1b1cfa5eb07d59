"""Walk the evidence ledger and re-hash every snapshot, case event, purge and erasure it records.

``python manage.py verify_evidence`` exits 0 with a summary when everything
verifies, and non-zero naming the first entry that does not (content changed,
chain link broken, entry missing, tail deleted, an object deleted without a
chained purge naming it, a PurgedObject or ErasureRecord row the chain does
not cover or that was edited). ``--expect SEQ:HASH`` checks
the chain against a head kept outside the database (a logged anchor).
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from takedown.services.evidence import ledger_verify


def _expected(value: str) -> tuple[int, str]:
    sequence, _, digest = value.partition(":")
    if not sequence.isdigit() or len(digest) != 64:
        raise ValueError(value)
    return int(sequence), digest.lower()


class Command(BaseCommand):
    help = "Verify the hash-chained evidence ledger; name the first entry that does not verify."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--chunk-size", type=int, default=1000, help="Entries read from the database at once."
        )
        parser.add_argument(
            "--skip-files",
            action="store_true",
            help="Do not re-hash the image copies in file storage (quicker).",
        )
        parser.add_argument(
            "--expect",
            action="append",
            default=[],
            metavar="SEQ:HASH",
            help="A head recorded elsewhere (e.g. a logged anchor); may be repeated.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            expected = [_expected(value) for value in options["expect"]]
        except ValueError as exc:
            raise CommandError(f"--expect takes SEQUENCE:SHA256, not {exc}.") from exc
        report = ledger_verify(
            chunk_size=options["chunk_size"],
            check_files=not options["skip_files"],
            expected=expected,
        )
        if not report.ok:
            raise CommandError(
                f"Evidence ledger does not verify. {report.problem} "
                f"({report.entries} entries verified before it.)"
            )
        files = "not checked" if options["skip_files"] else f"{report.files} checked"
        self.stdout.write(
            f"Evidence ledger verified: {report.entries} entries "
            f"({report.snapshots} snapshots, {report.case_events} case events, "
            f"{report.purges} purge batches, {report.erasures} erasures), "
            f"image copies {files}, {report.anchors} anchors. "
            f"Head #{report.head_sequence} {report.head_hash}"
        )
