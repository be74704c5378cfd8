"""Write-time redundancy (Order 3896/2023 art. 7): PostgreSQL synchronous streaming replication.

A primary and a synchronous standby are made in a temporary folder from the PostgreSQL
programs the embedded stack uses (the pgserver wheel's). Catedra, pointed at the primary,
writes grades through `catalog.grades.services.grade_add`:

- with the standby down, the grade's commit waits (the primary reports a `SyncRep` wait)
  and ends only when the standby is back: replication is synchronous, not merely fast;
- the primary is stopped at once (`pg_ctl stop -m immediate`) the moment a grade is
  committed, and the grade and its audit event are on the standby, which is then promoted.

The Helm chart's pre-migration check (helm/catedra/files/check_primary.py) passes on this
primary while the standby streams and refuses it while the standby is down.

docs/operations.md describes the production set-up these settings mirror.
"""

import contextlib
import glob
import os
import pwd
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from audit.actions import Action
from audit.models import AuditEvent
from catalog.grades.models import Grade
from catedra.embedded import EmbeddedRedis, pgserver_bin_dir
from tests.helpers import CATEDRA, clean_env, free_port, run_catedra

pytestmark = pytest.mark.slow

STANDBY_NAME = "standby1"
SCHOOL = "standby-school"
SCHEMA = "standby_school"
PROGRAMS = ("initdb", "pg_ctl", "pg_basebackup", "postgres")
CHECK_PRIMARY = Path(__file__).resolve().parents[2] / "helm" / "catedra" / "files" / "check_primary.py"
PRIMARY_SETTINGS = {
    "wal_level": "replica",
    "max_wal_senders": "4",
    "synchronous_commit": "on",
    "hot_standby": "on",
    "listen_addresses": "'127.0.0.1'",
    "unix_socket_directories": "''",
    "max_connections": "30",
    "shared_buffers": "'32MB'",
}
PG_HBA = """\
local   all          all                      trust
host    all          all          127.0.0.1/32 trust
host    replication  replicator   127.0.0.1/32 trust
"""
# Run by `catedra shell -c` against the primary: a minimal cast in the school, then one
# grade per "grade" line on stdin, each reported as committed once grade_add has returned.
GRADE_WRITER = """
import sys
from datetime import timedelta

from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from accounts.roles import Role
from audit.models import ActorKind, Source
from audit.services import audit_context
from catalog.grades.services import grade_add
from catalog.structure import services as structure
from catalog.structure.cnp import cnp_check_digit
from catalog.structure.models import Level, SchoolYear


def person(username, roles):
    user = User(username=username, roles=roles, first_name=username.split(".")[0].title(), last_name="Test")
    user.set_unusable_password()
    user.save()
    return user


context = audit_context(source=Source.CLI, actor_kind=ActorKind.SYSTEM, actor_label="test:standby")
with schema_context("SCHEMA"), context:
    admin = person("secretara.standby", [Role.SCHOOL_ADMIN])
    teacher = person("mihai.standby", [Role.TEACHER])
    today = timezone.localdate()
    first = today.year if today.month >= 9 else today.year - 1
    year = structure.year_create(
        actor=admin, name=f"{first}-{first + 1}", starts=today.replace(year=first, month=9, day=1),
        ends=today.replace(year=first + 1, month=8, day=31), structure=SchoolYear.Structure.MODULES,
    )
    math = structure.subject_create(actor=admin, name="Matematică", position=1)
    class_5a = structure.class_create(actor=admin, year=year, level=Level.V, letter="A")
    structure.curriculum_set(actor=admin, school_class=class_5a, subject=math, weekly_hours=4)
    structure.assignment_create(actor=admin, teacher=teacher, school_class=class_5a, subject=math)
    cnp = "615031440101"
    ana = structure.student_create(
        actor=admin, first_name="Ana", last_name="Marin", cnp=cnp + str(cnp_check_digit(cnp)),
        school_class=class_5a, starts=year.starts,
    )
    on = min(year.starts + timedelta(days=10), today)
    print("READY", flush=True)
    for value, line in enumerate(sys.stdin, start=7):
        if line.strip() != "grade":
            break
        grade = grade_add(teacher=teacher, student=ana, school_class=class_5a, subject=math, on=on, value=value)
        print("COMMITTED", grade.pk, value, flush=True)
""".replace("SCHEMA", SCHEMA)


def postgres_bin_dir() -> Path:
    """The PostgreSQL programs the tests run on: the pgserver wheel's, else the machine's newest."""
    candidates = []
    if configured := os.environ.get("CATEDRA_PG_BIN_DIR"):
        candidates.append(Path(configured))
    with contextlib.suppress(ImportError):  # the wheel is a dependency, but a broken install falls back
        candidates.append(pgserver_bin_dir())
    if initdb := shutil.which("initdb"):
        candidates.append(Path(initdb).parent)
    by_version = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True)
    candidates += [Path(path) for path in by_version]
    for candidate in candidates:
        if all((candidate / program).is_file() for program in PROGRAMS):
            return candidate
    pytest.skip(f"no PostgreSQL server programs ({', '.join(PROGRAMS)}) found in {candidates}")


class Server:
    """One PostgreSQL server whose data folder lives under `root`, on 127.0.0.1:`port`."""

    def __init__(self, root: Path, name: str, bin_dir: Path, os_user: str | None):
        self.name, self.bin_dir, self.os_user = name, bin_dir, os_user
        self.data, self.log = root / name, root / f"{name}.log"
        self.port = free_port()

    def run(self, program: str, *args: str, timeout: float = 60) -> None:
        # Output to a file: pg_ctl's server inherits pipes and would keep a reader waiting.
        with open(self.log.with_suffix(".out"), "a") as out:
            result = subprocess.run(
                [str(self.bin_dir / program), *args], stdout=out, stderr=subprocess.STDOUT, timeout=timeout,
                user=self.os_user, check=False,
            )  # fmt: skip
        if result.returncode:
            raise AssertionError(f"{program} {' '.join(args)} failed ({result.returncode}):\n{self.output()}")

    def output(self) -> str:
        parts = [path.read_text()[-4000:] for path in (self.log.with_suffix(".out"), self.log) if path.exists()]
        return "\n".join(parts)

    def configure(self, settings: dict[str, str]) -> None:
        with open(self.data / "postgresql.auto.conf", "a") as conf:
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())

    def start(self) -> None:
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self.run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def pid(self) -> int | None:
        """The postmaster's pid while it runs."""
        with contextlib.suppress(FileNotFoundError, ValueError, IndexError):
            pid = int((self.data / "postmaster.pid").read_text().split()[0])
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, 0)
                return pid
        return None

    def kill(self) -> None:
        """Whatever happened, leave no server running (immediate shutdown)."""
        if self.pid() is None:
            return
        with contextlib.suppress(AssertionError, subprocess.TimeoutExpired):
            self.stop("immediate")
        if pid := self.pid():
            os.kill(pid, signal.SIGQUIT)  # what pg_ctl's immediate mode sends

    def url(self, database: str = "postgres", user: str = "postgres") -> str:
        return f"postgres://{user}@127.0.0.1:{self.port}/{database}"

    def query(self, statement, params=(), database: str = "postgres") -> list[tuple]:
        """The rows `statement` returns (an empty list for a statement that returns none)."""
        # The timeout keeps a stuck statement from holding the test (it also cancels a sync-rep wait).
        options = "-c statement_timeout=30000"
        with psycopg.connect(self.url(database), autocommit=True, connect_timeout=10, options=options) as conn:
            cursor = conn.execute(statement, params)
            return cursor.fetchall() if cursor.description else []


def wait_until(condition, *, what: str, timeout: float = 30, diagnostics=lambda: ""):
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}\n{diagnostics()}")
        time.sleep(0.1)
    return result


@pytest.fixture
def servers():
    """A primary and a synchronous standby streaming from it, stopped and removed afterwards."""
    bin_dir = postgres_bin_dir()
    # PostgreSQL refuses to run as root; pgserver runs it as its own OS user, so do we.
    os_user = None
    if os.geteuid() == 0:
        from pgserver.utils import ensure_user_exists

        ensure_user_exists("pgserver")
        os_user = "pgserver"
    # Not pytest's tmp_path: its parents are closed to other users, the servers' included.
    root = Path(tempfile.mkdtemp(prefix="catedra-standby-"))
    if os_user:
        account = pwd.getpwnam(os_user)
        os.chown(root, account.pw_uid, account.pw_gid)
    primary = Server(root, "primary", bin_dir, os_user)
    standby = Server(root, "standby", bin_dir, os_user)
    try:
        # --no-sync and 1 MB WAL segments: the test stops servers, never the machine, and
        # writes (and removes) a fraction of the default 16 MB segments.
        primary.run(
            "initdb", "-D", str(primary.data), "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-sync",
            "--wal-segsize=1",
        )  # fmt: skip
        primary.configure({**PRIMARY_SETTINGS, "port": str(primary.port)})
        (primary.data / "pg_hba.conf").write_text(PG_HBA)
        primary.start()
        primary.query("CREATE ROLE replicator WITH REPLICATION LOGIN")
        # -R writes standby.signal and primary_conninfo; application_name is the name
        # that synchronous_standby_names lists.
        standby.run(
            "pg_basebackup", "-D", str(standby.data), "-R", "-X", "stream", "--checkpoint=fast", "--no-sync",
            "-d", f"host=127.0.0.1 port={primary.port} user=replicator application_name={STANDBY_NAME}",
        )  # fmt: skip
        standby.configure({"port": str(standby.port)})
        standby.start()
        # Made synchronous once the standby streams (as docs/operations.md does it): named
        # before, every commit, the replication role's included, would wait for a standby
        # that does not exist yet.
        wait_until(lambda: replication_state(primary) == [(STANDBY_NAME, "streaming", "async")],
                   what="the standby to stream", diagnostics=lambda: primary.output() + standby.output())  # fmt: skip
        primary.query(f"ALTER SYSTEM SET synchronous_standby_names = 'FIRST 1 ({STANDBY_NAME})'")
        primary.query("SELECT pg_reload_conf()")
        yield primary, standby
    finally:
        standby.kill()
        primary.kill()
        shutil.rmtree(root, ignore_errors=True)


def replication_state(primary: Server) -> list[tuple]:
    return primary.query("SELECT application_name, state, sync_state FROM pg_stat_replication")


def wait_for_sync_standby(primary: Server, standby: Server) -> None:
    wait_until(
        lambda: replication_state(primary) == [(STANDBY_NAME, "streaming", "sync")],
        what="the standby to stream as the synchronous standby",
        diagnostics=lambda: f"{replication_state(primary)}\n{primary.output()}\n{standby.output()}",
    )


class GradeWriter:
    """`catedra shell` on the primary, adding one grade per request and saying when it is committed."""

    def __init__(self, env: dict[str, str], log: Path):
        self.log = log
        with open(log, "w") as stderr:
            self.process = subprocess.Popen(
                [CATEDRA, "shell", "-c", GRADE_WRITER], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=stderr, text=True,
            )  # fmt: skip
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line.strip())
        self.lines.put("EOF")

    def expect(self, word: str, timeout: float) -> list[str]:
        """The next line starting with `word`, split; fails after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                raise AssertionError(f"no {word} line within {timeout} s:\n{self.log.read_text()[-4000:]}") from None
            if line == "EOF":
                raise AssertionError(f"the grade writer ended before {word}:\n{self.log.read_text()[-4000:]}")
            if line.startswith(word):
                return line.split()

    def committed(self, timeout: float) -> tuple[int, int]:
        """The id and value of the next grade the writer reports committed."""
        _word, grade_id, value = self.expect("COMMITTED", timeout=timeout)
        return int(grade_id), int(value)

    def request_grade(self) -> None:
        self.process.stdin.write("grade\n")
        self.process.stdin.flush()

    def close(self) -> None:
        with contextlib.suppress(BrokenPipeError, OSError):
            self.process.stdin.close()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)


def check_primary(server: Server) -> subprocess.CompletedProcess:
    """The Helm chart's pre-migration check (helm/catedra/files/check_primary.py) against `server`."""
    return subprocess.run(
        [sys.executable, str(CHECK_PRIMARY)], env=clean_env(DATABASE_URL=server.url()), capture_output=True,
        text=True, timeout=60,
    )  # fmt: skip


def sync_rep_waiters(primary: Server) -> int:
    return primary.query("SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'")[0][0]


def in_school(model) -> sql.Identifier:
    return sql.Identifier(SCHEMA, model._meta.db_table)


def grades_on(server: Server, ids: list[int]) -> dict[int, int]:
    query = sql.SQL("SELECT id, value FROM {} WHERE id = ANY(%s)").format(in_school(Grade))
    return dict(server.query(query, [ids], database="catedra"))


def grade_events_on(server: Server) -> int:
    query = sql.SQL("SELECT count(*) FROM {} WHERE action = %s").format(in_school(AuditEvent))
    return server.query(query, [Action.GRADE_ADDED.value], database="catedra")[0][0]


def test_a_grade_committed_on_the_primary_survives_its_immediate_stop_on_the_synchronous_standby(servers, tmp_path):
    primary, standby = servers
    wait_for_sync_standby(primary, standby)
    assert standby.query("SELECT pg_is_in_recovery()") == [(True,)]
    assert standby.query("SELECT status FROM pg_stat_wal_receiver") == [("streaming",)]
    passed = check_primary(primary)
    assert passed.returncode == 0, passed.stdout + passed.stderr

    # Catedra on the primary, with a real Redis of its own (no embedded PostgreSQL).
    redis = EmbeddedRedis(tmp_path / "redis")
    env = clean_env(
        DATABASE_URL=primary.url("catedra"), REDIS_URL=redis.start(), CATEDRA_DATA_DIR=str(tmp_path / "data")
    )
    writer = None
    try:
        primary.query("CREATE DATABASE catedra")
        for args in [
            ("migrate",),
            ("provision_school", "--name", "Școala Gimnazială Standby", "--slug", SCHOOL, "--siiir", "0361100009",
             "--cui", "13548146", "--county", "AG", "--locality", "Pitești", "--admin-name", "Elena Standby",
             "--admin-email", "secretariat@standby.test"),
        ]:  # fmt: skip
            result = run_catedra(*args, env=env, timeout=180)
            assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        writer = GradeWriter(env, tmp_path / "writer.log")
        writer.expect("READY", timeout=60)

        # Synchronous: with the standby down, the commit waits for it.
        standby.stop("fast")
        writer.request_grade()
        wait_until(
            lambda: sync_rep_waiters(primary) == 1 or not writer.lines.empty(),
            what="a commit waiting for the synchronous standby",
        )
        time.sleep(2)  # and still waiting two seconds later
        assert writer.lines.empty(), "a grade was committed with no standby to confirm it"
        assert sync_rep_waiters(primary) == 1
        refused = check_primary(primary)
        assert refused.returncode == 1
        assert "no synchronous standby is streaming" in refused.stderr
        standby.start()
        first = writer.committed(timeout=30)
        wait_for_sync_standby(primary, standby)

        # Durable: the primary stops at once the moment the grade is committed; the standby has it.
        writer.request_grade()
        second = writer.committed(timeout=30)
        primary.stop("immediate")
        committed = dict([first, second])
        assert grades_on(standby, list(committed)) == committed
        assert grade_events_on(standby) == 2

        # Failover: promoted, the standby is the new primary, with every row.
        standby.run("pg_ctl", "-D", str(standby.data), "-w", "-t", "60", "promote")
        assert standby.query("SELECT pg_is_in_recovery()") == [(False,)]
        assert grades_on(standby, list(committed)) == committed
    finally:
        if writer:
            writer.close()
        redis.stop()
