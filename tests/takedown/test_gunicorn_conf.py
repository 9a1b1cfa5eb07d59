"""The production gunicorn configuration (takedown/gunicorn.conf.py) is one gunicorn applies.

gunicorn skips a name it does not know without a word, so a misspelt
setting (``keep_alive``) would quietly leave its default in production.
"""

import runpy
import subprocess
import sys
import types
from pathlib import Path

import pytest
from gunicorn.config import Config

CONF = Path(__file__).resolve().parents[2] / "takedown" / "gunicorn.conf.py"


def settings(monkeypatch: pytest.MonkeyPatch, **environ: str) -> dict[str, object]:
    for name in ("WEB_CONCURRENCY", "GUNICORN_THREADS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return {k: v for k, v in runpy.run_path(str(CONF)).items() if not k.startswith("_")}


def test_every_name_in_the_file_is_a_gunicorn_setting(monkeypatch):
    # Given the configuration's names, without the modules it imports
    names = {k for k, v in settings(monkeypatch).items() if not isinstance(v, types.ModuleType)}

    # Then gunicorn knows each of them
    assert names - set(Config().settings) == set()


def test_gunicorn_accepts_the_configuration_and_loads_the_app():
    # When gunicorn checks the configuration (which imports takedown.wsgi)
    checked = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--check-config", "-c", str(CONF), "takedown.wsgi"],
        cwd=CONF.parents[1],
        capture_output=True,
        text=True,
        timeout=120,
    )

    # Then it has nothing to say against it
    assert checked.returncode == 0, checked.stderr


def test_the_environment_sets_workers_and_threads(monkeypatch):
    # Given a machine that wants 3 processes of 6 threads
    conf = settings(monkeypatch, WEB_CONCURRENCY="3", GUNICORN_THREADS="6")

    # Then gunicorn runs 18 requests at once, each with its own database connection
    assert (conf["worker_class"], conf["workers"], conf["threads"]) == ("gthread", 3, 6)
