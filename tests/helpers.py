"""Shared test helpers: the test database as a URL, running `catedra` in a subprocess."""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

from django.db import connection

CATEDRA = str(Path(sys.executable).with_name("catedra"))
# Variables that would make a subprocess inherit this run's configuration.
_CONFIG_PREFIXES = ("DATABASE_URL", "REDIS_URL", "CATEDRA_", "SECRET_KEY", "DEBUG", "SECURE_", "SESSION_", "CSRF_")


def test_database_url() -> str:
    """The database the tests run on, as a URL a subprocess (a Celery worker) can use."""
    params = connection.settings_dict
    user = quote(params["USER"] or "")
    password = f":{quote(params['PASSWORD'])}" if params.get("PASSWORD") else ""
    host = params.get("HOST") or ""
    if host.startswith("/"):  # unix socket directory
        return f"postgres://{user}{password}@/{params['NAME']}?host={host}"
    port = f":{params['PORT']}" if params.get("PORT") else ""
    return f"postgres://{user}{password}@{host}{port}/{params['NAME']}"


def clean_env(**overrides: str) -> dict[str, str]:
    """The environment without any Catedra configuration, plus `overrides`."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(_CONFIG_PREFIXES)}
    env.update(overrides)
    return env


def run_catedra(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([CATEDRA, *args], env=env, capture_output=True, text=True, timeout=timeout)
