"""Re-scan the listings stored before the running engine version, or say how far it got.

The sweep does this on its own (listings.engine_rescan, every sweep period,
paced by the scanners); the command shows the progress, or drives it by hand
where no beat runs:

    .venv/bin/python manage.py engine_rescan --status
    .venv/bin/python manage.py engine_rescan              # one sweep's worth
    .venv/bin/python manage.py engine_rescan --until-done # sweeps until finished
"""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from listings.models import EngineRescan
from listings.services import rescan


class Command(BaseCommand):
    help = (
        "Mark the listings stored before the running engine version due for a scan, "
        "a chunk at a time, and queue their scans; --status shows each version's re-scan."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--status", action="store_true", help="print progress and stop")
        parser.add_argument(
            "--until-done",
            action="store_true",
            help="repeat until the re-scan is finished, waiting while the scanners are behind",
        )
        parser.add_argument("--chunk", type=int, default=rescan.RESCAN_CHUNK)
        parser.add_argument("--per-run", type=int, default=rescan.RESCAN_PER_SWEEP)
        parser.add_argument("--due-ceiling", type=int, default=rescan.RESCAN_DUE_CEILING)
        parser.add_argument(
            "--wait", type=float, default=10.0, help="seconds between runs with --until-done"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["status"]:
            rows = list(EngineRescan.objects.all())
            for row in rows:
                self.stdout.write(rescan.engine_rescan_progress(row))
            if not rows:
                self.stdout.write("No engine version recorded yet.")
            return
        for name in ("chunk", "per_run", "due_ceiling"):
            if options[name] < 1:
                raise CommandError(
                    f"--{name.replace('_', '-')} must be at least 1, not {options[name]}."
                )
        if options["wait"] < 0:
            raise CommandError(f"--wait cannot be negative, not {options['wait']}.")
        while True:
            marked = rescan.engine_rescan_step(
                chunk=options["chunk"],
                budget=options["per_run"],
                due_ceiling=options["due_ceiling"],
            )
            current = rescan.engine_rescan_open()
            self.stdout.write(f"{marked} marked due; {rescan.engine_rescan_progress(current)}")
            if current.finished_at is not None or not options["until_done"]:
                return
            if marked < options["per_run"]:
                time.sleep(options["wait"])
