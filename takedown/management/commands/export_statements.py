"""Export the statements of reasons of a period in the DSA Transparency Database's schema.

``python manage.py export_statements --from 2026-01-01 --to 2026-03-31
[--platform demomart] [--out statements.jsonl]`` writes one statement a line
(JSON lines; each line is a body the database's API takes), checking each
against the schema first: a statement the database would refuse stops the
export, naming it and what is wrong, and leaves no partial file behind.
"""

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.http import Http404

from takedown.dsa_sor import statement_errors, statements_export
from takedown.errors import DomainError
from takedown.transparency import period_parse, public_scope


class Command(BaseCommand):
    help = (
        "Write the statements of reasons of a period as JSON lines in the schema of the "
        "EU DSA Transparency Database's API."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="first", required=True, help="First day, YYYY-MM-DD.")
        parser.add_argument("--to", dest="last", required=True, help="Last day, YYYY-MM-DD.")
        parser.add_argument(
            "--platform", default="", help="A platform's slug; every platform without it."
        )
        parser.add_argument("--out", default="", help="File to write; standard output without it.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            period = period_parse(options["first"], options["last"])
        except DomainError as error:
            raise CommandError(f"--{error.field}: {error.message}") from error
        try:
            scope = public_scope(options["platform"])
        except Http404 as error:
            raise CommandError(f"--platform: {error}") from error
        out: Path | None = Path(options["out"]) if options["out"] else None
        if out is not None and not out.parent.is_dir():
            raise CommandError(f"--out: the folder {out.parent} does not exist.")

        if out is None:
            count = self._write(sys.stdout, statements_export(period, scope))
        else:
            # Written beside the target and moved into place: no half export on a failure.
            handle, temporary = tempfile.mkstemp(prefix=".statements-", dir=out.parent)
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as stream:
                    count = self._write(stream, statements_export(period, scope))
                os.replace(temporary, out)
            except BaseException:
                os.unlink(temporary)
                raise
        self.stderr.write(
            f"{count} statement(s) of reasons from {period.first} to {period.last} "
            f"({scope.label}){f' written to {out}' if out else ''}."
        )

    def _write(self, stream, statements) -> int:
        count = 0
        for statement in statements:
            errors = statement_errors(statement)
            if errors:
                raise CommandError(
                    f"Statement {statement.get('puid')} would be refused by the Transparency "
                    f"Database: {'; '.join(errors)}"
                )
            stream.write(json.dumps(statement, ensure_ascii=False) + "\n")
            count += 1
        return count
