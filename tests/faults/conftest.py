"""The fault suite runs only when asked: ``TAKEDOWN_FAULTS=1`` (``.ci/run`` sets it).

Each scenario starts its own PostgreSQL cluster, Redis, workers and web server
and kills some of them, for a minute or two; ``make test`` and
``make test-services`` skip it.
"""

import os
import shutil

import pytest

from .harness import PG_BIN, REDIS_SERVER

FAULTS = os.environ.get("TAKEDOWN_FAULTS") == "1"


def pytest_runtest_setup(item: pytest.Item) -> None:
    if not item.get_closest_marker("faults"):
        return
    if not FAULTS:
        pytest.skip("fault scenario: run with TAKEDOWN_FAULTS=1 (.ci/run does)")
    missing = [
        name
        for name, found in (
            (str(PG_BIN / "initdb"), (PG_BIN / "initdb").exists()),
            (REDIS_SERVER, shutil.which(REDIS_SERVER) is not None),
        )
        if not found
    ]
    if missing:
        pytest.fail(f"fault scenario needs {', '.join(missing)}", pytrace=False)
