"""The production profile: deploys cleanly when configured, refuses to start when not."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "TAKEDOWN_", "DATABASE_", "CELERY_", "CACHE_"))
    }
    return {**env, "TAKEDOWN_PROFILE": "production", "TAKEDOWN_VAR_DIR": str(tmp_path), **extra}


def test_configured_production_profile_passes_the_deploy_check(tmp_path):
    # given the production profile with a generated secret key and a host name
    env = _production_env(
        tmp_path,
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        DJANGO_ALLOWED_HOSTS="workbench.example.org",
    )

    # when Django's deployment checklist runs, failing on any warning
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    # then it finds nothing to complain about
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_profile_without_a_secret_key_refuses_to_start(tmp_path):
    # given the production profile with hosts but no secret key
    env = _production_env(tmp_path, DJANGO_ALLOWED_HOSTS="workbench.example.org")

    # when any management command starts
    result = _manage("check", env=env)

    # then it fails and says which variable is missing
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr
