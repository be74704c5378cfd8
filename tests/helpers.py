"""Shared test helpers: the test database as a URL, running `catedra` in a subprocess."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

import psutil
from django.db import connection

from catedra import database

CATEDRA = str(Path(sys.executable).with_name("catedra"))
# Variables that would make a subprocess inherit this run's configuration.
_CONFIG_PREFIXES = (
    "DATABASE_URL",
    "DATABASE_OWNER_URL",
    "REDIS_URL",
    "CATEDRA_",
    "SECRET_KEY",
    "DEBUG",
    "SECURE_",
    "SESSION_",
    "CSRF_",
)


def database_url_for_subprocess(*, owner: bool = False) -> str:
    """The database the tests run on, as a URL a subprocess (a Celery worker) can use: the
    runtime role's, or the owner's."""
    params = {**connection.settings_dict, **(database.owner_credentials() if owner else {})}
    user = quote(params["USER"] or "")
    password = f":{quote(params['PASSWORD'])}" if params.get("PASSWORD") else ""
    host = params.get("HOST") or ""
    if host.startswith("/"):  # unix socket directory
        return f"postgres://{user}{password}@/{params['NAME']}?host={host}"
    port = f":{params['PORT']}" if params.get("PORT") else ""
    return f"postgres://{user}{password}@{host}{port}/{params['NAME']}"


def database_env() -> dict[str, str]:
    """DATABASE_URL and DATABASE_OWNER_URL of the test database, for a subprocess."""
    return {
        "DATABASE_URL": database_url_for_subprocess(),
        "DATABASE_OWNER_URL": database_url_for_subprocess(owner=True),
    }


def clean_env(**overrides: str) -> dict[str, str]:
    """The environment without any Catedra configuration, plus `overrides`."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(_CONFIG_PREFIXES)}
    env.update(overrides)
    return env


def run_catedra(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([CATEDRA, *args], env=env, capture_output=True, text=True, timeout=timeout)


ROOT = Path(__file__).resolve().parents[1]
# What tests leave for a person to look at (pictures of documents); not committed.
ARTEFACTS = Path(os.environ.get("CATEDRA_TEST_ARTEFACTS", ROOT / ".artefacts"))
READY_LINE = "Catedra is ready"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class MakeRun:
    """`make run` in its own process group, as a person starts it in a terminal."""

    def __init__(self, data_dir: Path, port: int):
        self.data_dir, self.port = data_dir, port
        self.log = data_dir.parent / f"make-run-{port}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> float:
        """Start and wait until ready; the seconds it took."""
        env = clean_env(CATEDRA_DATA_DIR=str(self.data_dir), CATEDRA_PORT=str(self.port))
        started, offset = time.monotonic(), len(self.output())
        with open(self.log, "a") as log:
            self.process = subprocess.Popen(["make", "--no-print-directory", "run"], cwd=ROOT, env=env,
                                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
        self._wait_for(READY_LINE, offset=offset, timeout=300)  # a hang guard, not a target
        return time.monotonic() - started

    def interrupt(self, timeout: float = 60) -> int:
        """Ctrl-C: SIGINT to the foreground process group; the exit status."""
        os.killpg(self.process.pid, signal.SIGINT)
        return self.process.wait(timeout=timeout)

    def kill_supervisor(self) -> None:
        """kill -9 of `catedra run` (make's child), leaving whatever it leaves."""
        for child in psutil.Process(self.process.pid).children():
            child.kill()
        self.process.wait(timeout=30)

    def get(self, path: str, host: str = "localhost", headers: dict | None = None) -> tuple[int, str]:
        headers = {"Host": f"{host}:{self.port}", **(headers or {})}
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def processes(self) -> list[psutil.Process]:
        """Every live process started for this data folder (servers, web, worker, beat)."""
        mine = []
        for process in psutil.process_iter(["cmdline", "status"]):
            if process.info["status"] == psutil.STATUS_ZOMBIE:
                continue
            try:
                in_cmdline = str(self.data_dir) in " ".join(process.info["cmdline"] or [])
                in_env = process.environ().get("CATEDRA_DATA_DIR") == str(self.data_dir)
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            if in_cmdline or in_env:
                mine.append(process)
        return mine

    def wait_until_all_stopped(self, timeout: float = 20) -> list[str]:
        """Wait for every process of this data folder to end; what is still running."""
        deadline = time.monotonic() + timeout
        while (left := self.processes()) and time.monotonic() < deadline:
            time.sleep(0.2)
        return [f"{p.pid} {p.name()} {' '.join(p.cmdline())}" for p in left if p.is_running()]

    def _dump_stacks(self) -> None:
        """Ask `catedra run` (make's child) to print its threads' stacks into the log."""
        with contextlib.suppress(psutil.NoSuchProcess):
            for child in psutil.Process(self.process.pid).children():
                child.send_signal(signal.SIGUSR1)
            time.sleep(1)

    def output(self) -> str:
        return self.log.read_text() if self.log.exists() else ""

    def _wait_for(self, text: str, *, offset: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output()[offset:]:
            if self.process.poll() is not None or time.monotonic() > deadline:
                self._dump_stacks()
                raise AssertionError(f"`make run` did not print {text!r}:\n{self.output()[-6000:]}")
            time.sleep(0.2)
