"""Full backups: a dump of one school schema, encrypted here, checksummed, stored
off-site; restore and verification by trial restore.

The dump is our archive (`archive.py`: the rows through COPY, the DDL from the template's,
`structure.py`) when the school's structure is the template's, which reads nothing of the
other schools; otherwise `pg_dump` (custom format), which reads the whole catalog. Either
way the backup's table digests are taken in the very snapshot the rows are read in (for
pg_dump, exported by a transaction of ours and handed to it), so a restore can be compared
with the source as it was at backup time, table by table.

pg_restore cannot rename a schema, so a pg_dump is restored as SQL it prints: structure
(pre-data, post-data) with the schema's name replaced, and the data section streamed
into COPY with only the COPY and setval lines renamed — the rows themselves are never
rewritten; an archive is replayed the same way. Everything happens in one transaction: a
restore is complete or absent. Triggers are created after the rows (post-data), so audit
events keep their sequence numbers and hashes and the chain verifies in the restored schema.

Restoring an incremental run restores the newest full backup taken before it, checks the
rows against that backup's manifest, then brings the tables that differ to the run's rows
(rebuilt from the backup database, `history.py`) before the post-data section: the
indexes, constraints and triggers are created over the run's rows.
"""

from __future__ import annotations

import contextlib
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from psycopg import sql

from catedra import database
from ops import selectors
from ops.anchors import anchor_after_backup
from ops.backups import crypto, history, pg
from ops.backups.archive import archive_replay, archive_write, is_archive
from ops.backups.errors import BackupError, first_line
from ops.backups.storage import BackupStorage, StorageError, backup_storage, storage_for_location
from ops.backups.structure import renamer, structure_of
from ops.models import Backup
from ops.sentry import redact
from tenants.models import School

DUMP_TIMEOUT = 3600


class CorruptBackupError(BackupError):
    """The stored object does not match its manifest or does not decrypt."""

    def __init__(self, message: str, *, backup: Backup):
        super().__init__(message)
        self.backup = backup


@dataclass
class RestoreReport:
    backup: Backup  # whose state was restored: a full backup, or an incremental run
    schema: str
    tables: int = 0
    rows: int = 0
    mismatches: list[str] = field(default_factory=list)
    # For an incremental run: the full backup laid first, and how it compared with its manifest.
    base: Backup | None = None
    base_mismatches: list[str] = field(default_factory=list)
    rows_changed: int = 0  # by bringing the full backup's tables to the run's rows

    @property
    def matches(self) -> bool:
        return not self.mismatches

    @property
    def verified(self) -> list[Backup]:
        """The backups this restore showed to be restorable."""
        if not self.matches:
            return []
        return [self.backup] + ([self.base] if self.base is not None and not self.base_mismatches else [])

    @property
    def label(self) -> str:
        return backup_label(self.backup, self.base)


# -- backing up --------------------------------------------------------------------------


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
    return f"{settings.BACKUP_S3_PREFIX}/{record.source_schema}/full/{stamp}-{record.pk}.dump.enc"


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


# -- restoring ---------------------------------------------------------------------------


def backup_fetch(*, backup: Backup, into: Path) -> Path:
    """Download the backup's object, check its SHA-256 before anything reads it, and
    decrypt it; the path of the decrypted dump. CorruptBackupError if it does not match."""
    if backup.kind != Backup.Kind.FULL or backup.status != Backup.Status.DONE:
        raise BackupError(f"backup #{backup.pk} is not a completed full backup")
    storage, key = storage_for_location(backup.location)
    sealed, dump = into / "object.enc", into / "schema.dump"
    storage.download(key, sealed)
    size, digest = sealed.stat().st_size, crypto.sha256_file(sealed)
    if (size, digest) != (backup.size, backup.sha256):
        raise CorruptBackupError(
            f"backup #{backup.pk} is corrupt: the stored object's SHA-256 is {digest[:16]}…,"
            f" the manifest says {backup.sha256[:16]}…; nothing was restored",
            backup=backup,
        )
    try:
        crypto.decrypt_file(sealed, dump, associated=associated_data(backup))
    except crypto.DecryptionError as exc:
        raise CorruptBackupError(
            f"backup #{backup.pk} does not decrypt: {exc}; nothing was restored", backup=backup
        ) from exc
    finally:
        sealed.unlink(missing_ok=True)
    return dump


def backup_label(backup: Backup, base: Backup | None = None) -> str:
    if backup.kind == Backup.Kind.FULL:
        return f"full backup #{backup.pk}"
    return f"full backup #{base.pk} + incremental run #{backup.pk}" if base else f"incremental run #{backup.pk}"


def restore_base(backup: Backup) -> Backup | None:
    """The full backup a restore of `backup` starts from: none for a full backup; for an
    incremental run, the newest full backup taken before it. BackupError if there is none."""
    if backup.status != Backup.Status.DONE:
        raise BackupError(f"backup #{backup.pk} is not a completed backup ({backup.status})")
    if backup.kind == Backup.Kind.FULL:
        return None
    if not backup.digests:
        raise BackupError(f"incremental run #{backup.pk} recorded no table digests; it cannot be restored")
    base = selectors.full_backup_latest(school=backup.school, at=backup.started_at)
    if base is None:
        raise BackupError(f"no completed full backup was taken before incremental run #{backup.pk}")
    return base


def backup_restore_schema(*, backup: Backup, schema: str) -> RestoreReport:
    """Restore the state of `backup` (a full backup, or an incremental run on top of the
    full backup before it) into the new schema `schema`, which must not exist, and compare
    every table with the digests taken from the source at backup time."""
    schema = pg.checked_schema(schema)
    base = restore_base(backup)
    report = RestoreReport(backup=backup, schema=schema, base=base)
    with tempfile.TemporaryDirectory(prefix="catedra-restore-") as work:
        dump = backup_fetch(backup=base or backup, into=Path(work))
        try:
            with pg.connect(pg.owner_params()) as conn:
                if pg.schema_exists(conn, schema):
                    raise BackupError(f"schema {schema} already exists; a restore never writes over one")
                between = (lambda: _bring_to_run(conn, report)) if base else None
                _replay(dump, source=(base or backup).source_schema, target=schema, conn=conn, between=between)
                database.runtime_grants_apply(conn, schema)  # the dump has none (--no-privileges)
                conn.commit()
                restored = pg.table_digests(conn, schema, like=backup.expected_tables)
                conn.commit()
        except (psycopg.Error, OSError, subprocess.SubprocessError) as exc:
            # Nothing was committed: the restore is absent.
            raise BackupError(f"restore failed: {redact(first_line(str(exc)) or type(exc).__name__)}") from exc
    report.tables = len(restored)
    report.rows = sum(int(values["rows"]) for values in restored.values())
    report.mismatches = _mismatches(backup.expected_tables, restored)
    return report


def _bring_to_run(conn: psycopg.Connection, report: RestoreReport) -> None:
    """The full backup's rows are in (no indexes or triggers yet): compare them with its
    manifest, then bring every table that differs to the incremental run's rows."""
    laid = pg.table_digests(conn, report.schema, like=report.base.tables)
    report.base_mismatches = _mismatches(report.base.tables, laid)
    # A table whose digest was recorded differently by the full backup and the run (digests
    # of an earlier version's) counts as changed: compared row by row, never skipped wrongly.
    unchanged = {table for table, values in laid.items() if report.backup.digests.get(table) == values}
    changed = history.state_restore(conn, target=report.schema, run_id=report.backup.pk, unchanged=unchanged)
    report.rows_changed = sum(sum(counts.values()) for counts in changed.values())


def backup_verify(*, backup: Backup, now: datetime | None = None) -> RestoreReport:
    """Checksum, trial restore into a scratch schema, comparison with the source, scratch
    dropped. Records the result on the backup (and on the full backup an incremental run
    was restored on); a failure or mismatch leaves the backup unverified."""
    scratch = f"_verify_{backup.pk}"
    with pg.connect(pg.owner_params(), autocommit=True) as conn:
        pg.drop_schema(conn, scratch)  # left by an interrupted verification
    when = now or timezone.now()
    try:
        report = backup_restore_schema(backup=backup, schema=scratch)
    except BackupError as exc:
        _unverified(backup, f"failed ({when:%Y-%m-%d %H:%M}): {exc}")
        if isinstance(exc, CorruptBackupError) and exc.backup.pk != backup.pk:
            _unverified(exc.backup, f"failed ({when:%Y-%m-%d %H:%M}): {exc}")
        raise
    finally:
        with pg.connect(pg.owner_params(), autocommit=True) as conn:
            pg.drop_schema(conn, scratch)
    _record_verified(report, when)
    if not report.matches:
        _unverified(backup, f"MISMATCH ({when:%Y-%m-%d %H:%M}): {', '.join(report.mismatches)}")
    if report.base is not None and report.base_mismatches:
        _unverified(report.base, f"MISMATCH ({when:%Y-%m-%d %H:%M}): {', '.join(report.base_mismatches)}")
    backup.refresh_from_db()
    return report


def _record_verified(report: RestoreReport, when: datetime) -> None:
    """A restore that matched shows its backups restorable: mark them verified."""
    for verified in report.verified:
        how = "" if verified is report.backup else f" under {report.label}"
        Backup.objects.filter(pk=verified.pk).update(
            restore_verified_at=when,
            verification=f"restored {report.tables} tables, {report.rows} rows{how} into {report.schema};"
            f" all match ({when:%Y-%m-%d %H:%M})",
        )


def _unverified(backup: Backup, verification: str) -> None:
    Backup.objects.filter(pk=backup.pk).update(restore_verified_at=None, verification=verification[:2000])


def backup_restore_new_school(*, backup: Backup, slug: str, actor: str) -> tuple[School, RestoreReport]:
    """Restore the state of `backup` as a new school `slug` (schema, host, active), as
    provisioning makes one; the original school is not touched."""
    from provisioning import lifecycle
    from provisioning.services import schema_name_for, slug_validate
    from tenants.models import Domain

    slug_validate(slug)
    if School.objects.filter(slug=slug).exists():
        raise BackupError(f"a school with the slug {slug!r} already exists")
    schema = schema_name_for(slug)
    report = backup_restore_schema(backup=backup, schema=schema)
    if not report.matches:
        _drop_quietly(schema)
        raise BackupError(f"the restore does not match the backup ({', '.join(report.mismatches)}); nothing kept")
    source = backup.school
    try:
        with transaction.atomic():
            school = School.objects.create(
                name=f"{source.name} (restaurată din copia #{backup.pk})"[:200], slug=slug, schema_name=schema,
                county=source.county, locality=source.locality, cui=source.cui,
                contract_start=source.contract_start, contract_end=source.contract_end,
                status=School.Status.PROVISIONING,
            )  # fmt: skip
            Domain.objects.create(domain=f"{slug}.{settings.CATEDRA_BASE_DOMAIN}", tenant=school, is_primary=True)
            lifecycle.school_transition(
                school=school, to=School.Status.ACTIVE, actor=actor, reason=f"restored from {report.label}"
            )
    except Exception:
        _drop_quietly(schema)
        raise
    _record_verified(report, timezone.now())
    school.refresh_from_db()
    return school, report


def backup_restore_in_place(*, backup: Backup, now: datetime | None = None) -> tuple[str, RestoreReport]:
    """Replace the school's schema with the state of `backup`. The current schema is kept,
    renamed (its new name is returned), never dropped: an operator decides when it goes."""
    school = backup.school
    live = pg.checked_schema(school.schema_name)
    staging = f"_restore_{backup.pk}"
    kept = pg.checked_schema(f"{live[:40]}_replaced_{(now or timezone.now()):%Y%m%d%H%M%S}")
    with pg.connect(pg.owner_params(), autocommit=True) as conn:
        if pg.schema_exists(conn, kept):
            raise BackupError(f"schema {kept} already exists; nothing changed")
        pg.drop_schema(conn, staging)
    report = backup_restore_schema(backup=backup, schema=staging)
    if not report.matches:
        _drop_quietly(staging)
        raise BackupError(f"the restore does not match the backup ({', '.join(report.mismatches)}); nothing changed")
    with pg.connect(pg.owner_params()) as conn:
        if pg.schema_exists(conn, live):
            conn.execute(sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(sql.Identifier(live), sql.Identifier(kept)))
        conn.execute(sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(sql.Identifier(staging), sql.Identifier(live)))
        conn.commit()
    report.schema = live
    _record_verified(report, timezone.now())
    return kept, report


def _drop_quietly(schema: str) -> None:
    with pg.connect(pg.owner_params(), autocommit=True) as conn:
        pg.drop_schema(conn, schema)


def _mismatches(expected: dict, restored: dict[str, dict[str, object]]) -> list[str]:
    found = []
    for table in sorted(set(expected) | set(restored)):
        wanted, got = expected.get(table), restored.get(table)
        if wanted is None or got is None:
            found.append(f"{table}: {'missing' if got is None else 'not in the backup'}")
        elif wanted["rows"] != got["rows"]:
            found.append(f"{table}: {got['rows']} rows, expected {wanted['rows']}")
        elif wanted != got:
            found.append(f"{table}: {got['rows']} rows as expected, but their content differs")
    return found


# -- replaying a dump under another schema name -------------------------------------------


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
