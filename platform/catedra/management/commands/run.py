"""`catedra run` (what `make run` starts): the whole stack in the foreground.

Migrates every schema, makes sure the demo school exists, then runs the web server,
a Celery worker and Celery beat as child processes until Ctrl-C. The embedded
servers belong to this process (see catedra.embedded): children get their URLs in
the environment, and when the last user lets go the servers stop.
"""

import contextlib
import ctypes
import faulthandler
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from catedra.embedded import pid_alive
from provisioning import demo

READY_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
_PR_SET_PDEATHSIG = 1


class Command(BaseCommand):
    help = "Run Catedra (web, worker, beat) with the demo school, until Ctrl-C."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("CATEDRA_PORT", "8000")))
        parser.add_argument("--bind", default=os.environ.get("CATEDRA_BIND", "127.0.0.1"))
        parser.add_argument("--no-demo", action="store_true", help="do not create the demo school")

    def handle(self, *args, port, bind, no_demo, **options):
        if not 1 <= port <= 65535:
            raise CommandError(f"Port {port} is not between 1 and 65535.")
        # Progress reaches a log file as it happens; `kill -USR1` prints where we are.
        sys.stdout.reconfigure(line_buffering=True)
        faulthandler.register(signal.SIGUSR1, all_threads=True)
        started = time.monotonic()
        pidfile = run_pidfile()
        stop_previous_run(self.stdout)
        pidfile.write_text(str(os.getpid()))
        children: dict[str, subprocess.Popen] = {}
        stopping = False
        failure = ""

        def request_stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)
        try:
            self.stdout.write("Migrating the public schema and every school...")
            call_command("migrate", interactive=False, verbosity=0)
            if not no_demo:
                school, created = demo.demo_school_ensure()
                self.stdout.write(f"Demo school '{school.slug}': {'created' if created else 'present'}.")
            for name, command in _commands(bind, port).items():
                children[name] = _spawn(command)
            probe_host = "127.0.0.1" if bind in ("0.0.0.0", "::") else bind  # noqa: S104 - a comparison
            if _wait_until_ready(probe_host, port, children, lambda: stopping):
                self._banner(port, time.monotonic() - started)
            elif not stopping:
                dead = _dead(children)
                failure = (
                    f"{dead} stopped during start-up (see its output above)."
                    if dead
                    else f"Catedra did not become ready within {READY_TIMEOUT:.0f} s."
                )
            while not stopping and not failure:
                time.sleep(0.5)
                if dead := _dead(children):
                    failure = f"{dead} stopped unexpectedly (see its output above); stopping Catedra."
        finally:
            _stop_children(children)
            pidfile.unlink(missing_ok=True)
            self.stdout.write("Catedra stopped.")
        if failure:
            raise CommandError(failure)

    def _banner(self, port: int, seconds: float) -> None:
        base = settings.CATEDRA_BASE_DOMAIN
        self.stdout.write(
            "\n".join(
                [
                    "",
                    f"Catedra is ready ({seconds:.1f} s).",
                    f"  Control plane:  http://{settings.CATEDRA_CONTROL_PLANE_HOST}:{port}/",
                    f"  Demo school:    http://{demo.DEMO_SLUG}.{base}:{port}/",
                    f"  Readiness:      http://{settings.CATEDRA_CONTROL_PLANE_HOST}:{port}/readyz",
                    f"  Demo logins:    password {demo.DEMO_PASSWORD!r} for every login below;",
                    f"                  staff 2FA: add the key {demo.DEMO_TOTP_SECRET} to an authenticator app",
                    f"    control plane: {demo.DEMO_PROVIDER[0]}",
                    *(
                        f"    demo school:   {username:<16} {', '.join(roles)}"
                        for username, _name, roles in demo.DEMO_PEOPLE
                    ),
                    "Press Ctrl-C to stop.",
                    "",
                ]
            )
        )


def _commands(bind: str, port: int) -> dict[str, list[str]]:
    python = sys.executable
    beat_schedule = settings.CATEDRA_DATA_DIR / "celerybeat-schedule"
    return {
        "web": [
            python,
            "-m",
            "gunicorn",
            "catedra.wsgi",
            "--bind",
            f"{bind}:{port}",
            "--workers",
            "2",
            "--worker-class",
            "gthread",
            "--threads",
            "4",
            "--graceful-timeout",
            "5",
            "--access-logfile",
            "-",
        ],
        "worker": [
            python,
            "-m",
            "celery",
            "-A",
            "catedra.celery_app",
            "worker",
            "--loglevel",
            "INFO",
            "--concurrency",
            "2",
            "--hostname",
            "catedra@%h",
        ],
        "beat": [
            python,
            "-m",
            "celery",
            "-A",
            "catedra.celery_app",
            "beat",
            "--loglevel",
            "INFO",
            "--schedule",
            str(beat_schedule),
        ],
    }


def _spawn(command: list[str]) -> subprocess.Popen:
    env = dict(
        os.environ,
        DATABASE_URL=settings.DATABASE_URL,
        DATABASE_OWNER_URL=settings.DATABASE_OWNER_URL,
        REDIS_URL=settings.REDIS_URL,
        CATEDRA_DATA_DIR=str(settings.CATEDRA_DATA_DIR),
    )
    # Own process group: Ctrl-C reaches only us, and we stop the children in order.
    return subprocess.Popen(command, env=env, start_new_session=True, preexec_fn=_die_with_parent)  # noqa: S603


def _die_with_parent() -> None:
    """Linux: the child gets SIGTERM when we die, even by kill -9 (no orphan server)."""
    with contextlib.suppress(OSError):  # not Linux: no such safety net
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _dead(children: dict[str, subprocess.Popen]) -> str:
    return ", ".join(name for name, child in children.items() if child.poll() is not None)


def _wait_until_ready(host: str, port: int, children: dict[str, subprocess.Popen], stopping) -> bool:
    deadline = time.monotonic() + READY_TIMEOUT
    url = f"http://{host}:{port}/readyz"
    while time.monotonic() < deadline and not stopping():
        if _dead(children):
            return False
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own loopback URL
                if response.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.25)
    return False


def _stop_children(children: dict[str, subprocess.Popen]) -> None:
    for child in children.values():
        if child.poll() is None:
            child.terminate()
    deadline = time.monotonic() + STOP_TIMEOUT
    for child in children.values():
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()


def run_pidfile():
    return settings.CATEDRA_DATA_DIR / "run.pid"


def stop_previous_run(stdout) -> None:
    """Stop a `catedra run` of this data folder left behind (its terminal closed, its parent killed)."""
    try:
        pid = int(run_pidfile().read_text().strip())
    except (FileNotFoundError, ValueError):
        return
    if pid == os.getpid() or not pid_alive(pid):
        return
    stdout.write(f"Stopping a previous run of Catedra (pid {pid})...")
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT + 5
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
