"""Restoring a full backup (and the incremental runs after it) into a schema: fetched and
checked, replayed, brought to the run's rows, compared table by table; verification by a
trial restore, and the restore in place."""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import psycopg
from django.utils import timezone
from psycopg import sql

from catedra import database
from catedra.objectstore import storage_for_location
from catedra.sentry import redact
from ops import selectors
from ops.backups import crypto, history, pg
from ops.backups.errors import BackupError, first_line
from ops.backups.full.backup import CorruptBackupError, associated_data
from ops.backups.full.replay import _replay
from ops.models import Backup


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


def backup_restore_checked(*, backup: Backup, schema: str) -> RestoreReport:
    """Restore `backup` into the new schema `schema`, keeping it only if every table matches
    the backup (BackupError otherwise, the schema dropped). Verified only once the caller
    keeps it: `restore_keep`, or `restore_discard` if what it builds on the schema fails."""
    report = backup_restore_schema(backup=backup, schema=schema)
    if not report.matches:
        restore_discard(schema)
        raise BackupError(f"the restore does not match the backup ({', '.join(report.mismatches)}); nothing kept")
    return report


def restore_keep(report: RestoreReport) -> None:
    """A restored schema that is kept shows its backups restorable."""
    _record_verified(report, timezone.now())


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
        restore_discard(staging)
        raise BackupError(f"the restore does not match the backup ({', '.join(report.mismatches)}); nothing changed")
    with pg.connect(pg.owner_params()) as conn:
        if pg.schema_exists(conn, live):
            conn.execute(sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(sql.Identifier(live), sql.Identifier(kept)))
        conn.execute(sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(sql.Identifier(staging), sql.Identifier(live)))
        conn.commit()
    report.schema = live
    _record_verified(report, timezone.now())
    return kept, report


def restore_discard(schema: str) -> None:
    """Drop a restored schema that is not kept."""
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
