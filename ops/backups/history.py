"""What every incremental run changed, kept in the backup database, so that the state of
any run can be rebuilt (`catedra backup restore --at TIME`).

The school's copy (the schema named like the school's) holds the state of the latest
run. Before a run changes the copy it writes, in `_history.change`, what it replaces:
every row it updates or deletes, as it was (the row's text, as PostgreSQL prints it), and
the key of every row it inserts, with no row. The state as of run K is then the copy with
the later runs undone: a row that a later run touched is as the earliest of those runs
found it (or absent, if that run inserted it); every other row is as in the copy. The
first run into an empty copy writes nothing: there is no earlier state to go back to.

A change of structure (a migration) rebuilds the copy; the old copy is kept under another
name (`_h<run>_<schema>`) and the earlier runs point at it, so they stay restorable.

A restore lays the newest full backup at or before the chosen time into a new schema and
then brings every table that differs to the rows of the chosen run, copying only the rows
that differ, before the indexes, constraints and triggers are created.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from ops.backups import pg, tables
from ops.backups.errors import BackupError
from ops.backups.tables import Table

SCHEMA = "_history"
_DDL = """
CREATE SCHEMA IF NOT EXISTS _history;
CREATE TABLE IF NOT EXISTS _history.run (
    run bigint PRIMARY KEY,
    school text NOT NULL,
    copy text NOT NULL,
    sequences jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS run_school ON _history.run (school, copy, run);
CREATE TABLE IF NOT EXISTS _history.change (
    run bigint NOT NULL REFERENCES _history.run ON DELETE CASCADE,
    tbl text NOT NULL,
    key text,
    before text
);
CREATE INDEX IF NOT EXISTS change_run ON _history.change (run, tbl);
COMMENT ON TABLE _history.run IS
    'One row per incremental run (ops.Backup id): the school''s schema, the schema holding the copy'
    ' its state is rebuilt from, and the sequences as of the run.';
COMMENT ON TABLE _history.change IS
    'What a run replaced in the copy: (key, the row before) for updated and deleted rows, (key, NULL)'
    ' for inserted rows; for a table without a one-column key, (NULL, NULL) and every earlier row.';
"""
# Serialises the creation of the history tables by concurrent first runs.
_DDL_LOCK = 7_307_001


# -- writing (inside an incremental run's transaction on the backup database) -------------


def run_begin(copy: psycopg.Connection, *, run_id: int, school: str) -> None:
    """Make the history tables if needed, wait for any other run of the school, and
    register this one."""
    if copy.execute("SELECT to_regclass('_history.change')").fetchone()[0] is None:
        copy.execute("SELECT pg_advisory_xact_lock(%s)", [_DDL_LOCK])
        copy.execute(_DDL)
    # Two runs of one school (a retry next to the daily job) would record each other's changes.
    copy.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [_DDL_LOCK, school])
    copy.execute("INSERT INTO _history.run (run, school, copy) VALUES (%s, %s, %s)", [run_id, school, school])


def run_end(copy: psycopg.Connection, *, run_id: int, sequences: dict[str, int]) -> None:
    copy.execute("UPDATE _history.run SET sequences = %s WHERE run = %s", [Jsonb(sequences), run_id])


def rows_replaced(copy: psycopg.Connection, *, run_id: int, schema: str, table: Table, keys: list[str]) -> None:
    """Before rows of the copy are updated or deleted: keep them as they are."""
    if keys:
        query = sql.SQL(
            "INSERT INTO _history.change (run, tbl, key, before) SELECT {}, {}, {}::text, t::text FROM {} AS t WHERE {}"
        )
        copy.execute(
            query.format(
                sql.Literal(run_id),
                sql.Literal(table.name),
                sql.Identifier(table.key),
                tables.name(schema, table.name),
                tables.key_in(table, keys),
            )
        )


def rows_added(copy: psycopg.Connection, *, run_id: int, table: Table, keys: list[str]) -> None:
    if keys:
        copy.execute(
            "INSERT INTO _history.change (run, tbl, key) SELECT %s, %s, unnest(%s::text[])",
            [run_id, table.name, keys],
        )


def rows_appended(copy: psycopg.Connection, *, run_id: int, schema: str, table: Table, where: sql.Composable) -> None:
    """After rows matching `where` were appended to the copy (the audit trail): their keys."""
    query = sql.SQL("INSERT INTO _history.change (run, tbl, key) SELECT {}, {}, {}::text FROM {} WHERE {}")
    copy.execute(
        query.format(
            sql.Literal(run_id),
            sql.Literal(table.name),
            sql.Identifier(table.key),
            tables.name(schema, table.name),
            where,
        )
    )


def table_replaced(copy: psycopg.Connection, *, run_id: int, schema: str, table: Table) -> None:
    """Before a table without a one-column key is replaced whole: a mark, and every row."""
    copy.execute("INSERT INTO _history.change (run, tbl) VALUES (%s, %s)", [run_id, table.name])
    copy.execute(
        sql.SQL("INSERT INTO _history.change (run, tbl, before) SELECT {}, {}, t::text FROM {} AS t").format(
            sql.Literal(run_id), sql.Literal(table.name), tables.name(schema, table.name)
        )
    )


def copy_retire(copy: psycopg.Connection, *, run_id: int, school: str) -> str | None:
    """Before the school's copy is rebuilt: keep it under another name when earlier runs
    are rebuilt from it (their runs then point there), or drop it. The kept name, or None."""
    earlier = copy.execute(
        "SELECT count(*) FROM _history.run WHERE school = %s AND copy = %s AND run <> %s", [school, school, run_id]
    ).fetchone()[0]
    if not earlier:
        pg.drop_schema(copy, school)
        return None
    kept = pg.checked_schema(f"_h{run_id}_{school}"[:63])
    copy.execute(sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(sql.Identifier(school), sql.Identifier(kept)))
    copy.execute(
        "UPDATE _history.run SET copy = %s WHERE school = %s AND copy = %s AND run <> %s",
        [kept, school, school, run_id],
    )
    return kept


def school_forget(copy: psycopg.Connection, *, school: str) -> list[str]:
    """Drop the school's copy, its kept earlier copies and its history (the purge after
    the retention period); the schemas dropped."""
    dropped = []
    if copy.execute("SELECT to_regclass('_history.run')").fetchone()[0] is not None:
        kept = copy.execute("SELECT DISTINCT copy FROM _history.run WHERE school = %s AND copy <> %s", [school, school])
        for (name,) in kept.fetchall():
            pg.drop_schema(copy, name)
            dropped.append(name)
        copy.execute("DELETE FROM _history.run WHERE school = %s", [school])
    if pg.schema_exists(copy, school):
        pg.drop_schema(copy, school)
        dropped.insert(0, school)
    return dropped


# -- reading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunState:
    """Where the rows of run `run` are: the copy `copy` with `later` runs undone."""

    run: int
    copy: str
    later: tuple[int, ...]
    sequences: dict[str, int]


def run_state(copy: psycopg.Connection, *, run_id: int) -> RunState:
    found = None
    if copy.execute("SELECT to_regclass('_history.run')").fetchone()[0] is not None:
        found = copy.execute("SELECT school, copy, sequences FROM _history.run WHERE run = %s", [run_id]).fetchone()
    if found is None:
        raise BackupError(f"incremental run #{run_id} has no history in the backup database; it cannot be restored")
    school, where, sequences = found
    later = copy.execute(
        "SELECT run FROM _history.run WHERE school = %s AND copy = %s AND run > %s ORDER BY run",
        [school, where, run_id],
    ).fetchall()
    return RunState(run=run_id, copy=where, later=tuple(run for (run,) in later), sequences=sequences)


def rows_as_of(state: RunState, table: Table) -> sql.Composable:
    """A parenthesised query giving the rows `table` had as of the run (its columns are the
    table's, so a row hashes as the table's row does)."""
    relation = tables.name(state.copy, table.name)
    if not state.later:
        return sql.SQL("(SELECT c.* FROM {} AS c)").format(relation)
    later = sql.Literal(list(state.later))
    if table.key is None:
        # The earliest later run that replaced the table found it as it was as of the run.
        return sql.SQL(
            "(SELECT c.* FROM {rel} AS c WHERE NOT EXISTS ("
            "SELECT 1 FROM _history.change h WHERE h.run = ANY({later}) AND h.tbl = {tbl})"
            " UNION ALL SELECT (h.before::{rel}).* FROM _history.change h WHERE h.tbl = {tbl}"
            " AND h.before IS NOT NULL AND h.run = (SELECT min(run) FROM _history.change"
            " WHERE run = ANY({later}) AND tbl = {tbl}))"
        ).format(rel=relation, later=later, tbl=sql.Literal(table.name))
    return sql.SQL(
        "(SELECT c.* FROM {rel} AS c WHERE NOT EXISTS ("
        "SELECT 1 FROM _history.change h WHERE h.run = ANY({later}) AND h.tbl = {tbl} AND h.key = c.{key}::text)"
        " UNION ALL SELECT (f.before::{rel}).* FROM ("
        "SELECT DISTINCT ON (h.key) h.before FROM _history.change h"
        " WHERE h.run = ANY({later}) AND h.tbl = {tbl} ORDER BY h.key, h.run) AS f WHERE f.before IS NOT NULL)"
    ).format(rel=relation, later=later, tbl=sql.Literal(table.name), key=sql.Identifier(table.key))


# -- restoring ------------------------------------------------------------------------------


def state_restore(
    live: psycopg.Connection, *, target: str, run_id: int, unchanged: set[str]
) -> dict[str, dict[str, int]]:
    """Bring the tables of `target` (a full backup just restored into the live database,
    without its indexes, constraints and triggers yet) to their rows as of incremental
    run `run_id`; tables in `unchanged` are left as they are. Rows changed, per table."""
    with pg.connect(pg.backup_params()) as copy:
        copy.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        copy.read_only = True
        state = run_state(copy, run_id=run_id)
        theirs = tables.tables_of(copy, state.copy)
        ours = tables.tables_of(live, target)
        if tables.shapes(theirs) != tables.shapes(ours):
            differ = sorted(
                name for name in set(theirs) | set(ours)
                if name not in theirs or name not in ours or theirs[name].shape != ours[name].shape
            )  # fmt: skip
            raise BackupError(
                f"the structure of the school changed between the full backup and run #{run_id}"
                f" (a migration: {', '.join(differ[:5])}); restore to a time before the migration"
                " or after the next full backup"
            )
        counts = {}
        for table in theirs.values():
            if table.name not in unchanged:
                counts[table.name] = _table_restore(copy, live, state, table, target)
        _sequences_restore(live, target, state.sequences)
        copy.rollback()
    return counts


def _table_restore(copy, live, state: RunState, table: Table, target: str) -> dict[str, int]:
    source, into = rows_as_of(state, table), tables.name(target, table.name)
    if table.key is None:
        deleted = live.execute(sql.SQL("DELETE FROM {}").format(into)).rowcount
        inserted = tables.transfer(copy, source, live, into, table, where=sql.SQL("true"))
        return {"inserted": inserted, "updated": 0, "deleted": deleted}
    diff = tables.changes(tables.row_hashes(copy, source, table), tables.row_hashes(live, into, table))
    if diff.changed or diff.gone:
        live.execute(sql.SQL("DELETE FROM {} WHERE {}").format(into, tables.key_in(table, diff.changed + diff.gone)))
    if diff.changed or diff.new:
        tables.transfer(copy, source, live, into, table, where=tables.key_in(table, diff.changed + diff.new))
    return diff.counts


def _sequences_restore(live: psycopg.Connection, target: str, sequences: dict[str, int]) -> None:
    for sequence, value in sorted(sequences.items()):
        live.execute("SELECT setval(%s::regclass, %s, true)", [f'"{target}"."{sequence}"', value])
