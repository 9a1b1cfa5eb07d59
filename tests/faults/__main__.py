"""Run one fault scenario at full size and print its figures.

    .venv/bin/python -m tests.faults worker_kill --listings 100000
    .venv/bin/python -m tests.faults redis_kill --listings 20000
    .venv/bin/python -m tests.faults postgres_stop --listings 100000
    .venv/bin/python -m tests.faults broker_down_outbox

Figures go to docs/reliability.md.
"""

import argparse
import json
import os
import time

from . import test_broker_down_outbox, test_postgres_stop, test_redis_kill, test_worker_kill

SCENARIOS = {
    "worker_kill": test_worker_kill.run,
    "redis_kill": test_redis_kill.run,
    "postgres_stop": test_postgres_stop.run,
    "broker_down_outbox": test_broker_down_outbox.run,
}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    parser.add_argument("--listings", type=int, default=100_000, help="listings or feed lines")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds for each wait")
    args = parser.parse_args()
    run = SCENARIOS[args.scenario]
    kwargs = {"timeout": args.timeout}
    if args.scenario != "broker_down_outbox":
        kwargs["listings"] = args.listings
    started = time.monotonic()
    figures = run(**kwargs)
    figures["wall_seconds"] = round(time.monotonic() - started, 1)
    figures["load_average_1min_at_end"] = round(os.getloadavg()[0], 2)
    figures["cores"] = os.cpu_count()
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
