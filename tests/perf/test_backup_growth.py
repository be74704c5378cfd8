"""How one school's full-backup dump grows with the number of school schemas in the
database (issue 7): 10, 200 and 1,000 schemas (printed; the pass/fail of backups lives in
tests/ops/backups).

The schemas live in a PostgreSQL cluster of the benchmark's own (the same programs as the
embedded server) in a temporary folder — in memory (/dev/shm) when there is room — with
fsync off and minimal WAL, stopped and removed whole at the end. A school schema is ~390
relations (60 tables, 270 indexes, 56 sequences), 51 functions and 366 triggers: 1,000 of
them are ~460,000 files and ~4 GB. On this machine's disk, making and dropping them costs
many minutes (DROP DATABASE of 80 schemas took 40 s), and in the shared test server their
WAL would force checkpoints on every other test. A schema is the template's DDL replayed
under a new name, as provisioning makes one, on two connections at once; the catalogs are
analysed after each step, as autovacuum would. Where the files are does not change what
pg_dump reads.

Measured for the first school (empty: the figures are what a dump costs besides its rows;
tests/perf/test_backups.py measures a school with a year of data):
- the full backup's dump as `ops.backups.full._dump` runs it (an exported snapshot, pg_dump
  --schema=<school> in it, the per-table digests in the same snapshot), with pg_dump's
  slowest statements at the largest size (from the server's log);
- the same pg_dump with `join_collapse_limit=1` for its session: PostgreSQL 16's pg_dump
  asks for the dependencies between materialized views with a query whose plan, once
  pg_class is large, scans all of pg_depend once per dependency of the system views' rules
  (~400 times); joining in the order the query is written avoids that;
- what reads nothing of the other schemas: every table of the school through COPY in one
  repeatable-read snapshot, and a fingerprint of the school's structure found through the
  catalog's index of what depends on its namespace (to check the school against a DDL
  image taken once per migration state).
"""

import gzip
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from collections import defaultdict
from contextlib import contextmanager, nullcontext
from pathlib import Path

import psutil
import psycopg
import pytest
from psycopg import sql

from ops.backups import full, pg
from provisioning.schemas import TEMPLATE_SCHEMA, pg_bin_dir, template_image

pytestmark = [pytest.mark.perf, pytest.mark.slow]

SIZES = (10, 200, 1000)
REPEATS = 3
SLOW = 10.0  # seconds: a measurement slower than this is taken once
SCHOOL = "school_0"  # the school whose dump is timed; made first
WORKERS = 2
DATABASE = "catedra_dumpgrowth"
IN_MEMORY_NEEDS = 8 * 1024**3  # free bytes, in /dev/shm and in memory, to keep the cluster there
SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "wal_level": "minimal",
    "max_wal_senders": "0",
    "max_wal_size": "'256MB'",
    "autovacuum": "off",  # the catalogs are analysed after each step instead
    "listen_addresses": "''",
    "log_line_prefix": "'%a|'",  # the application's name: pg_dump's statements are told apart
    "max_connections": "20",
}
PLANNED = "-c join_collapse_limit=1"
# The full backup's pg_dump is stopped after this long (the figure is then a lower bound):
# the plan above takes 75-130 s at 1,000 schemas, more than CI can give it. (pg_dump turns
# statement_timeout off for its session, so the benchmark cancels its query itself.)
CAP_SECONDS = 30
CATALOGS = ("pg_class", "pg_attribute", "pg_type", "pg_depend", "pg_proc", "pg_trigger", "pg_constraint", "pg_index",
            "pg_rewrite")  # fmt: skip
COUNTED = ("pg_class", "pg_depend")
_TEMPLATE_REF = re.compile(rf"(?<![\w$]){TEMPLATE_SCHEMA}\.")
_LOGGED = re.compile(r"^pg_dump\|LOG:  duration: ([\d.]+) ms\s+statement: (.*)$", re.MULTILINE)
_STOPPED = re.compile(
    r"^pg_dump\|ERROR:  canceling statement due to user request\npg_dump\|STATEMENT:  (.*)$", re.MULTILINE
)


class Cluster:
    """A PostgreSQL cluster in `root`, on a unix socket there, run as pgserver's OS user
    under root (PostgreSQL refuses to run as root)."""

    def __init__(self, root: Path):
        self.root, self.data, self.log = root, root / "data", root / "server.log"
        self.os_user = "pgserver" if os.geteuid() == 0 else None

    def run(self, program: str, *args: str) -> None:
        command = [str(pg_bin_dir() / program), *args]
        subprocess.run(command, check=True, capture_output=True, timeout=300, user=self.os_user)

    def start(self) -> None:
        if self.os_user:
            from pgserver.utils import ensure_user_exists

            account = ensure_user_exists(self.os_user)
            os.chown(self.root, account.pw_uid, account.pw_gid)
        self.run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-sync")
        settings = {**SETTINGS, "unix_socket_directories": f"'{self.root}'"}
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.writelines(f"{name} = {value}\n" for name, value in settings.items())
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "start")

    def stop(self) -> None:
        self.run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def params(self, dbname: str = DATABASE) -> dict[str, str]:
        return {"dbname": dbname, "user": "postgres", "host": str(self.root)}


def in_memory_folder() -> Path | None:
    shm = Path("/dev/shm")
    roomy = shm.is_dir() and shutil.disk_usage(shm).free > IN_MEMORY_NEEDS
    return shm if roomy and psutil.virtual_memory().available > IN_MEMORY_NEEDS else None


@pytest.fixture
def cluster():
    root = Path(tempfile.mkdtemp(prefix="catedra-dumpgrowth-", dir=in_memory_folder()))
    server = Cluster(root)
    try:
        server.start()
        with pg.connect(server.params("postgres"), autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))
        yield server
    finally:
        if server.data.joinpath("postmaster.pid").exists():
            server.stop()
        shutil.rmtree(root, ignore_errors=True)


def schema_ddl(ddl: str, schema: str) -> bytes:
    renamed = _TEMPLATE_REF.sub(f"{schema}.", ddl)
    return renamed.replace(f"CREATE SCHEMA {TEMPLATE_SCHEMA};", f"CREATE SCHEMA {schema};", 1).encode()


def schools_make(params: dict[str, str], ddl: str, numbers: range) -> None:
    """The template's DDL replayed as school_<n> for each n, one schema per transaction,
    on WORKERS connections at once; then the catalogs analysed."""
    failures = []

    def work(part: range) -> None:
        try:
            with pg.connect(params, autocommit=True) as conn:
                for n in part:
                    conn.execute(schema_ddl(ddl, f"school_{n}"))
        except Exception as exc:  # noqa: BLE001 - re-raised by the main thread
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(numbers[i::WORKERS],)) for i in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    with pg.connect(params, autocommit=True) as conn:
        conn.execute(f"ANALYZE {', '.join(CATALOGS)}")


def timed(work) -> float:
    """Seconds: the median of REPEATS runs, or one run when it is slower than SLOW."""
    times = []
    while len(times) < REPEATS and sum(times) < SLOW:
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def pg_dump_planned(params: dict[str, str], target: Path) -> None:
    """pg_dump as the full backup runs it, with the join order of its queries as written."""
    args, env = pg.program_args(params)
    command = [pg.program("pg_dump"), *args, "--format=custom", "--compress=6", "--no-owner", "--no-privileges",
               f"--schema={SCHOOL}", f"--file={target}"]  # fmt: skip
    subprocess.run(command, env={**env, "PGOPTIONS": PLANNED}, check=True, capture_output=True, timeout=600)


# The school's own objects, through the catalog's index on what depends on its namespace
# (tables, sequences, functions; indexes, constraints and triggers through their table):
# nothing here reads the rows of other schemas.
MEMBERS = """
SELECT classid::regclass::text, objid FROM pg_depend
WHERE refclassid = 'pg_namespace'::regclass AND refobjid = %(schema)s::regnamespace AND deptype = 'n'
"""
# Everything that makes up the school's structure, with its name taken out; the arrays
# (relations and functions of the school) keep every join an index look-up.
FINGERPRINT = """
WITH relations AS (SELECT c.oid, c.relname, c.relkind FROM unnest(%(relations)s::oid[]) AS r (oid)
                   JOIN pg_class c ON c.oid = r.oid)
SELECT md5(string_agg(item, E'\\n' ORDER BY item)) FROM (
    SELECT replace(named, %(schema)s || '.', '') FROM (
        SELECT r.relname || ' ' || r.relkind::text || ' ' || a.attname || ' '
               || format_type(a.atttypid, a.atttypmod) || ' ' || a.attnotnull || ' '
               || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
        FROM relations r JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
        LEFT JOIN pg_attrdef d ON d.adrelid = r.oid AND d.adnum = a.attnum
        UNION ALL SELECT pg_get_indexdef(i.indexrelid) FROM relations r JOIN pg_index i ON i.indrelid = r.oid
        UNION ALL SELECT con.conname || ' ' || pg_get_constraintdef(con.oid)
        FROM relations r JOIN pg_constraint con ON con.conrelid = r.oid
        UNION ALL SELECT pg_get_triggerdef(t.oid) FROM relations r JOIN pg_trigger t ON t.tgrelid = r.oid
        WHERE NOT t.tgisinternal
        UNION ALL SELECT p.proname || ' ' || md5(p.prosrc) FROM unnest(%(functions)s::oid[]) AS f (oid)
        JOIN pg_proc p ON p.oid = f.oid
    ) AS named (named)
) AS structure (item)
"""
# PostgreSQL 16's pg_dump (buildMatViewRefreshDependencies): the dependencies between
# materialized views. Only its plan is looked at (EXPLAIN), never run here.
MATVIEW_DEPENDENCIES = """
WITH RECURSIVE w AS (
  SELECT d1.objid, d2.refobjid, c2.relkind AS refrelkind FROM pg_depend d1
  JOIN pg_class c1 ON c1.oid = d1.objid AND c1.relkind = 'm' JOIN pg_rewrite r1 ON r1.ev_class = d1.objid
  JOIN pg_depend d2 ON d2.classid = 'pg_rewrite'::regclass AND d2.objid = r1.oid AND d2.refobjid <> d1.objid
  JOIN pg_class c2 ON c2.oid = d2.refobjid AND c2.relkind IN ('m','v') WHERE d1.classid = 'pg_class'::regclass
  UNION
  SELECT w.objid, d3.refobjid, c3.relkind FROM w JOIN pg_rewrite r3 ON r3.ev_class = w.refobjid
  JOIN pg_depend d3 ON d3.classid = 'pg_rewrite'::regclass AND d3.objid = r3.oid AND d3.refobjid <> w.refobjid
  JOIN pg_class c3 ON c3.oid = d3.refobjid AND c3.relkind IN ('m','v')
)
SELECT 'pg_class'::regclass::oid AS classid, objid, refobjid FROM w WHERE refrelkind = 'm'
"""


def members(conn: psycopg.Connection, schema: str) -> dict[str, list[int]]:
    """The oids of the school's relations and functions, by catalog."""
    found: dict[str, list[int]] = defaultdict(list)
    for catalog, oid in conn.execute(MEMBERS, {"schema": schema}).fetchall():
        found[catalog].append(oid)
    return found


def school_tables(conn: psycopg.Connection, schema: str) -> list[str]:
    rows = conn.execute(
        "SELECT relname FROM pg_class WHERE oid = ANY(%s::oid[]) AND relkind IN ('r', 'p') ORDER BY relname",
        [members(conn, schema)["pg_class"]],
    ).fetchall()
    return [name for (name,) in rows]


def copy_dump(conn: psycopg.Connection, target: Path) -> None:
    """Every table of the school through COPY in one repeatable-read snapshot, compressed
    (`conn` is the backup's own connection, as the one that exports the snapshot today)."""
    conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    conn.read_only = True
    with gzip.open(target, "wb", compresslevel=6) as out:
        for table in school_tables(conn, SCHOOL):
            statement = sql.SQL("COPY {}.{} TO STDOUT").format(sql.Identifier(SCHOOL), sql.Identifier(table))
            with conn.cursor().copy(statement) as copy:
                for block in copy:
                    out.write(block)
    conn.rollback()


def fingerprint(conn: psycopg.Connection, schema: str = SCHOOL) -> str:
    found = members(conn, schema)
    values = {"schema": schema, "relations": found["pg_class"], "functions": found["pg_proc"]}
    fingerprint = conn.execute(FINGERPRINT, values).fetchone()[0]
    conn.rollback()
    return fingerprint


def matview_plan_rescans_pg_depend(params: dict[str, str]) -> bool:
    """Whether the planner would run pg_dump's materialized-view query with a scan of all
    of pg_depend inside a nested loop, once per outer row (it decides from the catalogs'
    statistics, which ANALYZE takes from a random sample)."""
    with pg.connect(params) as conn:
        (plan,) = conn.execute(f"EXPLAIN (FORMAT JSON) {MATVIEW_DEPENDENCIES}").fetchone()[0]
    return _rescans_pg_depend(plan["Plan"])


def _rescans_pg_depend(node: dict) -> bool:
    children = node.get("Plans", [])
    if node["Node Type"] == "Nested Loop" and len(children) == 2:
        inner = children[1]
        while inner["Node Type"] == "Materialize":
            inner = inner["Plans"][0]
        if inner["Node Type"] == "Seq Scan" and inner.get("Relation Name") == "pg_depend":
            return True
    return any(_rescans_pg_depend(child) for child in children)


def catalog_rows(params: dict[str, str]) -> dict[str, int]:
    with pg.connect(params) as conn:
        count = "SELECT count(*) FROM {}"
        return {name: conn.execute(sql.SQL(count).format(sql.Identifier(name))).fetchone()[0] for name in COUNTED}


@contextmanager
def statements_logged(cluster: Cluster):
    """pg_dump's statements in the block, from the server's log: [(seconds, statement)],
    slowest first, filled in when the block ends."""
    alter = sql.SQL("ALTER DATABASE {} {} log_min_duration_statement")
    with pg.connect(cluster.params("postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("{} = 0").format(alter.format(sql.Identifier(DATABASE), sql.SQL("SET"))))
    offset, found = cluster.log.stat().st_size, []
    try:
        yield found
    finally:
        with pg.connect(cluster.params("postgres"), autocommit=True) as conn:
            conn.execute(alter.format(sql.Identifier(DATABASE), sql.SQL("RESET")))
    with open(cluster.log, errors="replace") as log:
        log.seek(offset)
        text = log.read()
    spent = defaultdict(float)
    for duration, statement in _LOGGED.findall(text):
        spent[" ".join(statement.split())[:64]] += float(duration) / 1000
    for statement in _STOPPED.findall(text):
        spent[f"(stopped) {' '.join(statement.split())[:54]}"] += CAP_SECONDS
    found += sorted(((seconds, statement) for statement, seconds in spent.items()), reverse=True)


def seconds(value: float | None) -> str:
    return f"{value:6.2f} s" if value is not None else f"> {CAP_SECONDS} s (stopped)"


def full_backup_dump(cluster: Cluster, target: Path) -> float | None:
    """Seconds of `ops.backups.full._dump` (median of a few runs, one when slow); None when
    its pg_dump was still running after CAP_SECONDS and was stopped."""
    try:
        return timed(lambda: capped(cluster, lambda: full._dump(SCHOOL, target)))
    except full.BackupError as exc:
        if "canceling statement due to user request" not in str(exc):
            raise
        return None


def capped(cluster: Cluster, work) -> None:
    watchdog = threading.Timer(CAP_SECONDS, pg_dump_cancel, args=(cluster,))
    watchdog.start()
    try:
        work()
    finally:
        watchdog.cancel()


def pg_dump_cancel(cluster: Cluster) -> None:
    with pg.connect(cluster.params("postgres"), autocommit=True) as conn:
        conn.execute(
            "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'pg_dump' AND datname = %s",
            [DATABASE],
        )


@pytest.fixture
def conn(cluster):
    """A connection of the benchmark's own to its database (as a backup job has one)."""
    with pg.connect(cluster.params()) as connection:
        yield connection


def test_one_schools_dump_as_schools_accumulate(django_db_setup, django_db_blocker, cluster, conn, monkeypatch,
                                                tmp_path, capsys):  # fmt: skip
    with django_db_blocker.unblock():
        ddl = template_image().ddl
    params = cluster.params()
    # The full backup's own code, pointed at the benchmark's database.
    monkeypatch.setattr(pg, "live_params", lambda: params)
    dumped, copied = tmp_path / "school.dump", tmp_path / "school.copy.gz"
    started, made, rows = time.perf_counter(), 0, []
    for size in SIZES:
        making = time.perf_counter()
        schools_make(params, ddl, range(made, size))
        row = {"size": size, "made_s": time.perf_counter() - making, **catalog_rows(params)}
        made = size
        row["rescans"] = matview_plan_rescans_pg_depend(params)
        with statements_logged(cluster) if size == SIZES[-1] else nullcontext([]) as slowest:
            row["dump"] = full_backup_dump(cluster, dumped)
        row["planned"] = timed(lambda: pg_dump_planned(params, dumped))
        row["copy"] = timed(lambda: copy_dump(conn, copied))
        row["fingerprint"] = timed(lambda: fingerprint(conn))
        rows.append(row)
    lines = [
        f"\n[perf] one school's full-backup dump with N school schemas in the database (cluster in {cluster.root}):"
    ]
    for row in rows:
        lines.append(
            f"[perf]   {row['size']:5d} schemas ({row['pg_class']:6d} pg_class, {row['pg_depend']:7d} pg_depend rows;"
            f" made in {row['made_s']:3.0f} s): full-backup dump {seconds(row['dump'])}, pg_dump with"
            f" {PLANNED.removeprefix('-c ')} {row['planned']:5.2f} s | COPY in a snapshot"
            f" {row['copy'] * 1000:3.0f} ms, structure fingerprint {row['fingerprint'] * 1000:3.0f} ms"
            f" | pg_dump's matview query planned as pg_depend scans per row: {'YES' if row['rescans'] else 'no'}"
        )  # fmt: skip
    lines.append(f"[perf]   pg_dump's slowest statements in the full-backup dump at {SIZES[-1]} schemas:")
    lines += [f"[perf]     {spent:6.2f} s  {statement}" for spent, statement in slowest[:3]]
    lines.append(f"[perf]   benchmark {time.perf_counter() - started:.0f} s")
    with capsys.disabled():
        print("\n".join(lines))
    # The fingerprint names the structure, not the school: the same DDL, the same fingerprint.
    assert fingerprint(conn) == fingerprint(conn, f"school_{SIZES[-1] - 1}")
