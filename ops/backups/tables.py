"""Tables compared and copied row by row between two PostgreSQL connections: the live
database and the backup database (incremental runs), or the backup database and a schema
being restored. A row is known by its one-column primary key and a hash of its values
(`pg.hashable` says which: of the typed values, or the md5 of its text, which both sides
print with the session settings of `pg.SESSION`, so equal rows hash equally)."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg import sql

from ops.backups import pg


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[str, ...]  # stored columns, in order (generated ones are not copied)
    shape: tuple[tuple[str, str, str], ...]  # (column, type, generated) of every column
    key: str | None  # the one-column primary key
    key_type: str

    @property
    def hashed(self) -> bool:
        """Whether its rows are hashed from their typed values (else from their text)."""
        return pg.hashable([kind for _column, kind, _generated in self.shape])


def tables_of(conn: psycopg.Connection, schema: str) -> dict[str, Table]:
    """Every base table of `schema` with its columns and one-column primary key."""
    columns = conn.execute(
        sql.SQL(
            "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attgenerated::text"
            " FROM {} AS c JOIN pg_attribute a ON a.attrelid = c.oid"
            " WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped ORDER BY c.relname, a.attnum"
        ).format(pg.SCHEMA_RELATIONS),
        {"schema": schema},
    ).fetchall()
    keys = conn.execute(
        sql.SQL(
            "SELECT c.relname, min(a.attname), min(format_type(a.atttypid, a.atttypmod)), count(*)"
            " FROM {} AS c JOIN pg_index i ON i.indrelid = c.oid"
            " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY(i.indkey)"
            " WHERE i.indisprimary GROUP BY c.relname"
        ).format(pg.SCHEMA_RELATIONS),
        {"schema": schema},
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


def shapes(tables: dict[str, Table]) -> dict[str, tuple]:
    """Tables and their columns, without keys (a schema being restored has none yet)."""
    return {name: table.shape for name, table in tables.items()}


def name(schema: str, table: str) -> sql.Composable:
    return sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(table))


def row_hashes(conn: psycopg.Connection, relation: sql.Composable, table: Table) -> dict[str, object]:
    """{key as text: hash of the row} of `relation` (a table or a parenthesised query)."""
    row_hash = sql.SQL("hash_record_extended(t, 0)" if table.hashed else "md5(t::text)")
    rows = conn.execute(
        sql.SQL("SELECT {}::text, {} FROM {} AS t").format(sql.Identifier(table.key), row_hash, relation)
    ).fetchall()
    return dict(rows)


def key_in(table: Table, keys: list[str]) -> sql.Composable:
    return sql.SQL("{} = ANY({}::text[]::{}[])").format(
        sql.Identifier(table.key), sql.Literal(keys), sql.SQL(table.key_type)
    )


def transfer(
    source: psycopg.Connection,
    relation: sql.Composable,
    target: psycopg.Connection,
    into: sql.Composable,
    table: Table,
    *,
    where: sql.Composable,
) -> int:
    """COPY the rows of `relation` matching `where` into the table `into`; how many."""
    columns = sql.SQL(", ").join(map(sql.Identifier, table.columns))
    reading = sql.SQL("COPY (SELECT {} FROM {} AS t WHERE {}) TO STDOUT").format(columns, relation, where)
    writing = sql.SQL("COPY {} ({}) FROM STDIN").format(into, columns)
    with source.cursor() as reader, target.cursor() as writer:
        with reader.copy(reading) as out, writer.copy(writing) as into_copy:
            for block in out:
                into_copy.write(block)
        return writer.rowcount


@dataclass
class Changes:
    """What bringing a table to its source's rows did: keys as text."""

    new: list[str]
    changed: list[str]
    gone: list[str]

    @property
    def counts(self) -> dict[str, int]:
        return {"inserted": len(self.new), "updated": len(self.changed), "deleted": len(self.gone)}


def changes(theirs: dict[str, object], ours: dict[str, object]) -> Changes:
    """How `ours` (key → row hash) must change to equal `theirs`."""
    return Changes(
        new=[key for key in theirs if key not in ours],
        changed=[key for key, digest in theirs.items() if key in ours and ours[key] != digest],
        gone=[key for key in ours if key not in theirs],
    )
