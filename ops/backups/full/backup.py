"""Taking a full backup: the school's schema dumped (our archive, or pg_dump) with its
tables' digests from the same snapshot, encrypted, checksummed, stored off-site and read
back before it counts."""

from __future__ import annotations

import contextlib
import subprocess
import tempfile
from datetime import UTC
from pathlib import Path

import psycopg
from django.utils import timezone

from catedra.objectstore import BackupStorage, StorageError, backup_storage, school_area
from catedra.sentry import redact
from ops.anchors import anchor_after_backup
from ops.backups import crypto, pg
from ops.backups.archive import archive_write
from ops.backups.errors import BackupError, first_line
from ops.backups.structure import structure_of
from ops.models import Backup
from tenants.models import School

DUMP_TIMEOUT = 3600


class CorruptBackupError(BackupError):
    """The stored object does not match its manifest or does not decrypt."""

    def __init__(self, message: str, *, backup: Backup):
        super().__init__(message)
        self.backup = backup


def backup_full_run(*, school: School, storage: BackupStorage | None = None) -> Backup:
    """Dump, encrypt, upload and check one school's schema. Returns the done record;
    raises BackupError after marking the record failed (nothing else counts it)."""
    storage = storage or backup_storage()
    record = Backup.objects.create(
        school=school, kind=Backup.Kind.FULL, source_schema=pg.checked_schema(school.schema_name),
        started_at=timezone.now(), key_fingerprint=crypto.key_fingerprint(),
    )  # fmt: skip
    key = object_key(record)
    temporary = f"{key}.partial"
    try:
        with tempfile.TemporaryDirectory(prefix="catedra-backup-") as work:
            dump, sealed = Path(work) / "schema.dump", Path(work) / "schema.dump.enc"
            tables = _dump(record.source_schema, dump)
            crypto.encrypt_file(dump, sealed, associated=associated_data(record))
            size, digest = sealed.stat().st_size, crypto.sha256_file(sealed)
            storage.upload(temporary, sealed)
            if storage.checksum(temporary) != (size, digest):
                raise BackupError("the stored object differs from the one uploaded")
            storage.promote(temporary, key)
    except (BackupError, StorageError, psycopg.Error, OSError, subprocess.SubprocessError) as exc:
        _discard(storage, temporary)
        _fail(record, exc)
        raise BackupError(f"full backup #{record.pk} of {school.slug} failed: {record.error}") from exc
    Backup.objects.filter(pk=record.pk).update(
        status=Backup.Status.DONE, finished_at=timezone.now(), size=size, sha256=digest,
        location=storage.location(key), tables=tables,
    )  # fmt: skip
    record.refresh_from_db()
    anchor_after_backup(record, storage=storage)
    return record


def object_key(record: Backup) -> str:
    stamp = record.started_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{school_area(record.source_schema)}full/{stamp}-{record.pk}.dump.enc"


def associated_data(record: Backup) -> bytes:
    """What the encryption binds the object to: its school schema and its record."""
    return f"catedra-backup:{record.source_schema}:{record.pk}".encode()


def _dump(schema: str, target: Path) -> dict[str, dict[str, object]]:
    """Dump `schema` into `target`: our archive when the school's structure is the
    template's (`archive.py`: reads nothing of other schools), else pg_dump (custom format,
    compressed). The per-table digests are taken in the same snapshot."""
    params = pg.live_params()
    with pg.connect(params) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        if (known := structure_of(conn, schema)) is not None:
            archive_write(conn, schema, known, target)
            tables = pg.table_digests(conn, schema)
        else:
            tables = _pg_dump(conn, params, schema, target)
        conn.rollback()
    if not tables:
        raise BackupError(f"schema {schema} has no tables")
    return tables


def _pg_dump(conn: psycopg.Connection, params: dict[str, str], schema: str, target: Path) -> dict:
    """pg_dump in the snapshot of `conn` (exported to it); the digests of that snapshot."""
    args, env = pg.program_args(params)
    snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
    command = [
        pg.program("pg_dump"), *args, "--format=custom", "--compress=6", "--no-owner", "--no-privileges",
        f"--schema={schema}", f"--snapshot={snapshot}", f"--file={target}",
    ]  # fmt: skip
    with subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True) as dump:  # noqa: S603
        # pg_dump reads the snapshot while this transaction keeps it alive.
        tables = pg.table_digests(conn, schema)
        _out, errors = dump.communicate(timeout=DUMP_TIMEOUT)
    if dump.returncode != 0:
        raise BackupError(f"pg_dump failed: {first_line(errors)}")
    return tables


def _fail(record: Backup, exc: BaseException) -> None:
    message = redact(first_line(str(exc)) or type(exc).__name__)[:1000]
    Backup.objects.filter(pk=record.pk).update(status=Backup.Status.FAILED, finished_at=timezone.now(), error=message)
    record.refresh_from_db()


def _discard(storage: BackupStorage, key: str) -> None:
    # The storage may be down: a `.partial` key is never a backup, whatever is left of it.
    with contextlib.suppress(StorageError):
        storage.delete(key)
