"""Replaying a dump under another schema name: pg_restore cannot rename a schema, so its SQL
is replayed with the name replaced, the rows streamed into COPY untouched."""

from __future__ import annotations

import subprocess
from pathlib import Path

import psycopg

from ops.backups import pg
from ops.backups.archive import archive_replay, is_archive
from ops.backups.errors import BackupError, first_line
from ops.backups.full.backup import DUMP_TIMEOUT
from ops.backups.structure import renamer


def _replay(dump: Path, *, source: str, target: str, conn: psycopg.Connection, between=None) -> None:
    """Replay the dump under `target`; `between()` runs after the rows, before post-data."""
    if is_archive(dump):
        archive_replay(dump, target=target, conn=conn, between=between)
        return
    rename = renamer(source, target)
    for section in ("pre-data", "data", "post-data"):
        command = [pg.program("pg_restore"), f"--section={section}", "--no-owner", "--no-privileges", "-f", "-"]
        if section == "data":
            _replay_data([*command, str(dump)], rename=rename, source=source, target=target, conn=conn)
            if between is not None:
                between()
            continue
        result = subprocess.run([*command, str(dump)], capture_output=True, timeout=DUMP_TIMEOUT)  # noqa: S603
        if result.returncode != 0:
            raise BackupError(f"pg_restore ({section}) failed: {first_line(result.stderr.decode(errors='replace'))}")
        ddl = rename(result.stdout.decode())
        with conn.cursor() as cursor:
            # Straight to the server in one batch: function bodies hold `%` and `$$`.
            cursor.execute(ddl.encode())


_COPY_END = b"\\.\n"


_FLUSH_BYTES = 1024 * 1024


def _replay_data(command: list[str], *, rename, source: str, target: str, conn: psycopg.Connection) -> None:
    """Stream pg_restore's data section: statements renamed and run, COPY rows passed on untouched."""
    copy_prefix = f"COPY {source}.".encode()
    pending: list[str] = []
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:  # noqa: S603
        lines = iter(process.stdout)
        for line in lines:
            if not line.startswith(copy_prefix):
                pending.append(line.decode())
                continue
            _run_statements(conn, rename("".join(pending)))
            pending = []
            statement = f"COPY {target}." + line[len(copy_prefix) :].decode().rstrip().removesuffix(";")
            with conn.cursor().copy(statement) as copy:
                buffer = bytearray()
                for row in lines:
                    if row == _COPY_END:
                        break
                    buffer += row
                    if len(buffer) >= _FLUSH_BYTES:
                        copy.write(bytes(buffer))
                        buffer.clear()
                if buffer:
                    copy.write(bytes(buffer))
        errors = process.stderr.read().decode(errors="replace")
        process.wait(timeout=DUMP_TIMEOUT)
    if process.returncode != 0:
        raise BackupError(f"pg_restore (data) failed: {first_line(errors)}")
    _run_statements(conn, rename("".join(pending)))


def _run_statements(conn: psycopg.Connection, text: str) -> None:
    if text.strip():
        with conn.cursor() as cursor:
            cursor.execute(text.encode())
