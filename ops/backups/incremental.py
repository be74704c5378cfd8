"""Daily incremental backups (Order 3896/2023 art. 8(1)) into the backup database.

The backup database keeps one schema per school, named like the school's schema, that
after every run equals the school's live data as of that run (one snapshot of the live
schema is read). Only what changed is copied:

- every table is first compared whole (row count and a digest of its rows, both computed
  in SQL on each side: `pg.table_digest`); equal tables cost one row each way;
- append-only tables (the audit trail, numbered by `seq`; the row-history tables, by
  `pgh_id`) get the rows past the copy's last number, and are then compared whole again;
- a table that differs is compared row by row on its primary key and a hash of the row,
  computed in SQL on both sides: rows that are new or changed are copied (COPY), rows
  that changed or are gone are deleted from the copy first;
- a table without a one-column primary key is replaced whole when it differs.

Every run also keeps what it replaced in the copy (`history.py`), so the state of any
earlier run can be rebuilt, and records the live tables' digests as of the run, which a
restore to that run must equal.

The copy's tables carry only their primary keys (no foreign keys, no triggers: the audit
chain and row history triggers must not fire on copied rows). When the live structure
changes (a migration), the school's copy is rebuilt from scratch in the same run (the old
one is kept for the earlier runs). Everything on the backup side happens in one
transaction: a failed run leaves the previous copy and history as they were.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field

import psycopg
from django.utils import timezone
from psycopg import sql

from ops.anchors import anchor_after_backup
from ops.backups import history, pg, tables
from ops.backups.errors import BackupError
from ops.backups.full.backup import _fail
from ops.backups.structure import dump_section, structure_of
from ops.backups.tables import Table
from ops.models import Backup
from tenants.models import School

# Append-only tables and the column numbering their rows. Row-history numbers are taken
# at insert, not at commit, so a row may arrive below the copy's last one: the comparison
# after appending sees it, and the table is then compared row by row.
APPEND_ONLY = {"audit_auditevent": "seq"}
HISTORY_KEY = "pgh_id"
_NOTHING = {"inserted": 0, "updated": 0, "deleted": 0}


@dataclass
class _Run:
    """One run's work on the backup side."""

    id: int
    schema: str
    keep: bool = True  # whether what the copy held goes to the history (not for a new copy)
    structure_changed: bool = False  # the copy was rebuilt because the live structure changed
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    digests: dict[str, dict[str, object]] = field(default_factory=dict)


def backup_incremental_run(*, school: School) -> Backup:
    """Bring the school's copy in the backup database up to its live data; the done
    record (rows copied per table, the live tables' digests as of the run). BackupError
    after marking the record failed."""
    schema = pg.checked_schema(school.schema_name)
    record = Backup.objects.create(
        school=school, kind=Backup.Kind.INCREMENTAL, source_schema=schema, started_at=timezone.now()
    )
    run = _Run(id=record.pk, schema=schema)
    try:
        with pg.connect(pg.live_params()) as live, pg.connect(pg.backup_params(), create=True) as copy:
            history.run_begin(copy, run_id=run.id, school=schema)
            live.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            live.read_only = True
            _sync(live, copy, run)
            history.run_end(copy, run_id=run.id, sequences=_sync_sequences(live, copy, schema))
            copy.commit()
            live.rollback()
    except (BackupError, psycopg.Error, OSError, subprocess.SubprocessError) as exc:
        _fail(record, exc)
        raise BackupError(f"incremental backup #{record.pk} of {school.slug} failed: {record.error}") from exc
    copied = sum(sum(values.values()) for values in run.counts.values())
    Backup.objects.filter(pk=record.pk).update(
        status=Backup.Status.DONE, finished_at=timezone.now(), rows_copied=copied, digests=run.digests,
        structure_changed=run.structure_changed,
        tables={table: values for table, values in run.counts.items() if any(values.values())},
    )  # fmt: skip
    record.refresh_from_db()
    anchor_after_backup(record)
    return record


def _sync(live: psycopg.Connection, copy: psycopg.Connection, run: _Run) -> None:
    found = tables.tables_of(live, run.schema)
    if not found:
        raise BackupError(f"schema {run.schema} has no tables")
    if not pg.schema_exists(copy, run.schema) or tables.tables_of(copy, run.schema) != found:
        if pg.schema_exists(copy, run.schema):
            history.copy_retire(copy, run_id=run.id, school=run.schema)
            run.structure_changed = True
        _rebuild(live, copy, run.schema)
        run.keep = False
    for table in found.values():
        run.digests[table.name] = pg.table_digest(live, run.schema, table.name, hashed=table.hashed)
        run.counts[table.name] = _sync_table(live, copy, run, table)


def _sync_table(live, copy, run: _Run, table: Table) -> dict[str, int]:
    relation = tables.name(run.schema, table.name)
    appended = 0
    if numbered_by := _append_only(table):
        appended = _append(live, copy, run, table, numbered_by)
    if run.digests[table.name] == pg.table_digest(copy, run.schema, table.name, hashed=table.hashed):
        return {**_NOTHING, "inserted": appended}
    # Differs still (for an append-only table: a late number, or the school was restored in
    # place): compare row by row.
    if table.key is None:
        if run.keep:
            history.table_replaced(copy, run_id=run.id, schema=run.schema, table=table)
        deleted = copy.execute(sql.SQL("DELETE FROM {}").format(relation)).rowcount
        inserted = tables.transfer(live, relation, copy, relation, table, where=sql.SQL("true"))
        return {"inserted": inserted, "updated": 0, "deleted": deleted}
    diff = tables.changes(tables.row_hashes(live, relation, table), tables.row_hashes(copy, relation, table))
    if run.keep:
        history.rows_replaced(copy, run_id=run.id, schema=run.schema, table=table, keys=diff.changed + diff.gone)
        history.rows_added(copy, run_id=run.id, table=table, keys=diff.new)
    if diff.changed or diff.gone:
        replaced = tables.key_in(table, diff.changed + diff.gone)
        copy.execute(sql.SQL("DELETE FROM {} WHERE {}").format(relation, replaced))
    if diff.changed or diff.new:
        tables.transfer(live, relation, copy, relation, table, where=tables.key_in(table, diff.changed + diff.new))
    counts = diff.counts
    counts["inserted"] += appended
    return counts


def _append(live, copy, run: _Run, table: Table, column: str) -> int:
    """Copy the rows past the copy's last `column` (an append-only table); how many."""
    relation = tables.name(run.schema, table.name)
    last = copy.execute(
        sql.SQL("SELECT coalesce(max({}), 0) FROM {}").format(sql.Identifier(column), relation)
    ).fetchone()[0]
    past = sql.SQL("{} > {}").format(sql.Identifier(column), sql.Literal(last))
    inserted = tables.transfer(live, relation, copy, relation, table, where=past)
    if run.keep and inserted:
        history.rows_appended(copy, run_id=run.id, schema=run.schema, table=table, where=past)
    return inserted


def _append_only(table: Table) -> str | None:
    """The column numbering an append-only table's rows, if `table` is one."""
    if table.key and table.name in APPEND_ONLY:
        return APPEND_ONLY[table.name]
    return HISTORY_KEY if table.key == HISTORY_KEY else None


def _rebuild(live, copy, schema: str) -> None:
    """Create the school's schema in the backup database (the old one was kept or dropped):
    tables, types, sequences and primary keys as live has them; no foreign keys, indexes
    or triggers."""
    known = structure_of(live, schema)
    pre, post = (known.pre, known.post) if known else (dump_section(schema, part) for part in ("pre-data", "post-data"))
    keys = [statement for statement in post.split(";\n") if " PRIMARY KEY " in statement]
    with copy.cursor() as cursor:
        cursor.execute(("\n".join([pre, *(f"{statement};" for statement in keys)])).encode())


def _sync_sequences(live, copy, schema: str) -> dict[str, int]:
    """Set the copy's sequences to the live ones; {sequence: last value}."""
    values = pg.sequence_values(live, schema)
    for name, value in values.items():
        copy.execute("SELECT setval(%s::regclass, %s, true)", [f'"{schema}"."{name}"', value])
    return values
