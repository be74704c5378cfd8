"""The full backup's own dump format, for a school whose structure is the template's.

A gzip-compressed tar whose members come in the order a restore reads them:

    catedra-dump.json   format, version, schema, structure fingerprint, the tables with
                        their columns, the sequences' values
    pre-data.sql        tables, sequences, functions (pg_dump's DDL of the template,
                        named in the school's schema: `structure.py`)
    data/<table>.copy   each table's rows, as COPY ... TO STDOUT writes them
    post-data.sql       indexes, constraints, triggers

Every table is read through COPY in the repeatable-read snapshot the backup's digests
are taken in, so nothing here reads the catalog of other schools (pg_dump does). A
restore replays it as it replays a pg_dump: structure renamed, rows streamed into COPY
untouched, the caller's step between rows and post-data, then post-data.
"""

from __future__ import annotations

import io
import json
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path

import psycopg
from psycopg import sql

from ops.backups import pg, tables
from ops.backups.errors import BackupError
from ops.backups.structure import Structure, renamer

FORMAT, VERSION = "catedra-dump", 1
MANIFEST, PRE, POST = "catedra-dump.json", "pre-data.sql", "post-data.sql"
_GZIP = b"\x1f\x8b"
_BLOCK = 1024 * 1024


def is_archive(path: Path) -> bool:
    with open(path, "rb") as file:
        return file.read(2) == _GZIP


def archive_write(conn: psycopg.Connection, schema: str, structure: Structure, target: Path) -> None:
    """Write the school's archive to `target`, reading its rows in `conn`'s snapshot."""
    found = list(tables.tables_of(conn, schema).values())  # by name
    manifest = {
        "format": FORMAT, "version": VERSION, "schema": schema, "fingerprint": structure.fingerprint,
        "tables": [{"name": table.name, "columns": list(table.columns)} for table in found],
        "sequences": pg.sequence_values(conn, schema),
    }  # fmt: skip
    with tarfile.open(target, "w:gz", compresslevel=6) as archive:
        _add(archive, MANIFEST, json.dumps(manifest, ensure_ascii=False).encode())
        _add(archive, PRE, structure.pre.encode())
        for table in found:
            with tempfile.TemporaryFile(dir=target.parent) as rows:
                reading = sql.SQL("COPY (SELECT {} FROM {}) TO STDOUT").format(
                    sql.SQL(", ").join(map(sql.Identifier, table.columns)), tables.name(schema, table.name)
                )
                with conn.cursor().copy(reading) as copy:
                    for block in copy:
                        rows.write(block)
                size = rows.tell()
                rows.seek(0)
                info = tarfile.TarInfo(f"data/{table.name}.copy")
                info.size = size
                archive.addfile(info, rows)
        _add(archive, POST, structure.post.encode())


def _add(archive: tarfile.TarFile, name: str, content: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(content)
    archive.addfile(info, io.BytesIO(content))


def archive_replay(
    path: Path, *, target: str, conn: psycopg.Connection, between: Callable[[], None] | None = None
) -> None:
    """Replay the archive as schema `target`; `between()` runs after the rows, before post-data."""
    with tarfile.open(path, "r|gz") as archive:
        members = iter(archive)
        manifest = json.loads(_read(archive, members, MANIFEST))
        if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
            raise BackupError(f"not a dump this version restores: {manifest.get('format')} {manifest.get('version')}")
        rename = renamer(manifest["schema"], target)
        with conn.cursor() as cursor:
            # Straight to the server in one batch: function bodies hold `%` and `$$`.
            cursor.execute(rename(_read(archive, members, PRE).decode()).encode())
        for table in manifest["tables"]:
            member = next(members, None)
            if member is None or member.name != f"data/{table['name']}.copy":
                raise BackupError(f"the dump lacks the rows of {table['name']}")
            rows = archive.extractfile(member)
            writing = sql.SQL("COPY {} ({}) FROM STDIN").format(
                tables.name(target, table["name"]), sql.SQL(", ").join(map(sql.Identifier, table["columns"]))
            )
            with conn.cursor().copy(writing) as copy:
                while block := rows.read(_BLOCK):
                    copy.write(block)
        for sequence, value in manifest["sequences"].items():
            conn.execute("SELECT setval(%s::regclass, %s, true)", [f'"{target}"."{sequence}"', value])
        if between is not None:
            between()
        with conn.cursor() as cursor:
            cursor.execute(rename(_read(archive, members, POST).decode()).encode())


def _read(archive: tarfile.TarFile, members, name: str) -> bytes:
    member = next(members, None)
    if member is None or member.name != name:
        raise BackupError(f"the dump lacks {name}")
    return archive.extractfile(member).read()
