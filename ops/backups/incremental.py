"""Daily incremental backups (Order 3896/2023 art. 8(1)) into the backup database.

The backup database keeps one schema per school, named like the school's schema, that
after every run equals the school's live data as of that run (one snapshot of the live
schema is read). Only what changed is copied:

- every table is first compared whole (row count and a digest of its rows' text, both
  computed in SQL on each side); equal tables cost one row each way;
- a table that differs is compared row by row on its primary key and an md5 of the row's
  text, computed in SQL on both sides: rows that are new or changed are copied (COPY),
  rows that changed or are gone are deleted from the copy first;
- the audit table is append-only: only events past the copy's last `seq` are copied;
- a table without a one-column primary key is replaced whole when it differs.

The copy's tables carry only their primary keys (no foreign keys, no triggers: the audit
chain and row history triggers must not fire on copied rows). When the live structure
changes (a migration), the school's copy is rebuilt from scratch in the same run.
Everything on the backup side happens in one transaction: a failed run leaves the
previous copy as it was.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass

import psycopg
from django.utils import timezone
from psycopg import sql

from ops.backups import pg
from ops.backups.full import BackupError, _fail, _first_line
from ops.models import Backup
from tenants.models import School

APPEND_ONLY = {"audit_auditevent": "seq"}


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[str, ...]  # stored columns, in order (generated ones are not copied)
    shape: tuple[tuple[str, str, str], ...]  # (column, type, generated) of every column
    key: str | None  # the one-column primary key
    key_type: str


def backup_incremental_run(*, school: School) -> Backup:
    """Bring the school's copy in the backup database up to its live data; the done
    record (rows copied, per table). BackupError after marking the record failed."""
    schema = pg.checked_schema(school.schema_name)
    record = Backup.objects.create(
        school=school, kind=Backup.Kind.INCREMENTAL, source_schema=schema, started_at=timezone.now()
    )
    try:
        with pg.connect(pg.live_params()) as live, pg.connect(pg.backup_params(), create=True) as copy:
            live.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            live.read_only = True
            counts = _sync(live, copy, schema)
            _sync_sequences(live, copy, schema)
            copy.commit()
            live.rollback()
    except (BackupError, psycopg.Error, OSError, subprocess.SubprocessError) as exc:
        _fail(record, exc)
        raise BackupError(f"incremental backup #{record.pk} of {school.slug} failed: {record.error}") from exc
    copied = sum(sum(values.values()) for values in counts.values())
    Backup.objects.filter(pk=record.pk).update(
        status=Backup.Status.DONE, finished_at=timezone.now(), rows_copied=copied,
        tables={table: values for table, values in counts.items() if any(values.values())},
    )  # fmt: skip
    record.refresh_from_db()
    return record


def _sync(live: psycopg.Connection, copy: psycopg.Connection, schema: str) -> dict[str, dict[str, int]]:
    tables = _tables(live, schema)
    if not tables:
        raise BackupError(f"schema {schema} has no tables")
    if not pg.schema_exists(copy, schema) or _tables(copy, schema) != tables:
        _rebuild(copy, schema)
    return {table.name: _sync_table(live, copy, schema, table) for table in tables.values()}


def _sync_table(live, copy, schema: str, table: Table) -> dict[str, int]:
    if table.name in APPEND_ONLY:
        return {"inserted": _append(live, copy, schema, table, APPEND_ONLY[table.name])}
    if _whole_digest(live, schema, table) == _whole_digest(copy, schema, table):
        return {"inserted": 0, "updated": 0, "deleted": 0}
    if table.key is None:
        deleted = copy.execute(sql.SQL("DELETE FROM {}").format(_name(schema, table.name))).rowcount
        inserted = _transfer(live, copy, schema, table, where=sql.SQL("true"))
        return {"inserted": inserted, "updated": 0, "deleted": deleted}
    theirs, ours = _row_hashes(live, schema, table), _row_hashes(copy, schema, table)
    changed = [key for key, digest in theirs.items() if key in ours and ours[key] != digest]
    new = [key for key in theirs if key not in ours]
    gone = [key for key in ours if key not in theirs]
    if changed or gone:
        copy.execute(
            sql.SQL("DELETE FROM {} WHERE {}").format(_name(schema, table.name), _key_in(table, changed + gone))
        )
    if changed or new:
        _transfer(live, copy, schema, table, where=_key_in(table, changed + new))
    return {"inserted": len(new), "updated": len(changed), "deleted": len(gone)}


def _append(live, copy, schema: str, table: Table, key: str) -> int:
    last = copy.execute(sql.SQL("SELECT coalesce(max({}), 0) FROM {}").format(
        sql.Identifier(key), _name(schema, table.name))).fetchone()[0]  # fmt: skip
    return _transfer(live, copy, schema, table, where=sql.SQL("{} > {}").format(sql.Identifier(key), last))


def _transfer(live, copy, schema: str, table: Table, *, where: sql.Composable) -> int:
    """COPY the matching rows from the live schema into the copy; how many."""
    columns = sql.SQL(", ").join(map(sql.Identifier, table.columns))
    source = sql.SQL("COPY (SELECT {} FROM {} WHERE {}) TO STDOUT").format(columns, _name(schema, table.name), where)
    target = sql.SQL("COPY {} ({}) FROM STDIN").format(_name(schema, table.name), columns)
    with live.cursor() as reader, copy.cursor() as writer:
        with reader.copy(source) as out, writer.copy(target) as into:
            for block in out:
                into.write(block)
        return writer.rowcount


def _whole_digest(conn, schema: str, table: Table) -> tuple:
    order = sql.Identifier(table.key) if table.key else sql.SQL("h")
    return conn.execute(
        sql.SQL(
            "SELECT count(*), coalesce(md5(string_agg(h, '' ORDER BY {})), '')"
            " FROM (SELECT {}, md5(t::text) AS h FROM {} AS t) AS hashed"
        ).format(order, sql.Identifier(table.key) if table.key else sql.SQL("1"), _name(schema, table.name))
    ).fetchone()


def _row_hashes(conn, schema: str, table: Table) -> dict[str, str]:
    rows = conn.execute(
        sql.SQL("SELECT {}::text, md5(t::text) FROM {} AS t").format(
            sql.Identifier(table.key), _name(schema, table.name)
        )
    ).fetchall()
    return dict(rows)


def _key_in(table: Table, keys: list[str]) -> sql.Composable:
    return sql.SQL("{} = ANY({}::text[]::{}[])").format(
        sql.Identifier(table.key), sql.Literal(keys), sql.SQL(table.key_type)
    )


def _name(schema: str, table: str) -> sql.Composable:
    return sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(table))


def _tables(conn, schema: str) -> dict[str, Table]:
    """Every base table of `schema` with its columns and one-column primary key."""
    columns = conn.execute(
        "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attgenerated::text"
        " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = %s AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped"
        " ORDER BY c.relname, a.attnum",
        [schema],
    ).fetchall()
    keys = conn.execute(
        "SELECT c.relname, min(a.attname), min(format_type(a.atttypid, a.atttypmod)), count(*)"
        " FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
        " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY(i.indkey)"
        " WHERE n.nspname = %s AND i.indisprimary GROUP BY c.relname",
        [schema],
    ).fetchall()
    primary = {name: (column, kind) for name, column, kind, count in keys if count == 1}
    shapes: dict[str, list[tuple[str, str, str]]] = {}
    for table, column, kind, generated in columns:
        shapes.setdefault(table, []).append((column, kind, generated))
    tables = {}
    for name, shape in shapes.items():
        key, key_type = primary.get(name, (None, ""))
        stored = tuple(column for column, _kind, generated in shape if not generated)
        tables[name] = Table(name=name, columns=stored, shape=tuple(shape), key=key, key_type=key_type)
    return tables


def _rebuild(copy, schema: str) -> None:
    """(Re)create the school's schema in the backup database: tables, types, sequences
    and primary keys as live has them; no foreign keys, indexes or triggers."""
    params = pg.live_params()
    args, env = pg.program_args(params)
    pre, post = (
        _dump_section(args, env, schema, section) for section in ("pre-data", "post-data")
    )  # fmt: skip
    keys = [statement for statement in post.split(";\n") if " PRIMARY KEY " in statement]
    pg.drop_schema(copy, schema)
    with copy.cursor() as cursor:
        cursor.execute(("\n".join([pre, *(f"{statement};" for statement in keys)])).encode())


def _dump_section(args: list[str], env: dict[str, str], schema: str, section: str) -> str:
    command = [
        pg.program("pg_dump"), *args, "--schema-only", f"--section={section}", "--no-owner", "--no-privileges",
        "--no-comments", f"--schema={schema}",
    ]  # fmt: skip
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"pg_dump ({section}) failed: {_first_line(result.stderr)}")
    return pg.strip_meta(result.stdout)


def _sync_sequences(live, copy, schema: str) -> None:
    rows = live.execute(
        "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = %s AND last_value IS NOT NULL", [schema]
    ).fetchall()
    for name, value in rows:
        copy.execute("SELECT setval(%s::regclass, %s, true)", [f'"{schema}"."{name}"', value])
