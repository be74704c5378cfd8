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
indexes, constraints and triggers are created over the run's rows."""

from ops.backups.errors import BackupError
from ops.backups.full.backup import DUMP_TIMEOUT, CorruptBackupError, associated_data, backup_full_run, object_key
from ops.backups.full.restore import (
    RestoreReport,
    backup_fetch,
    backup_label,
    backup_restore_checked,
    backup_restore_in_place,
    backup_restore_schema,
    backup_verify,
    restore_base,
    restore_discard,
    restore_keep,
)

__all__ = [
    "DUMP_TIMEOUT",
    "BackupError",
    "CorruptBackupError",
    "RestoreReport",
    "associated_data",
    "backup_fetch",
    "backup_full_run",
    "backup_label",
    "backup_restore_checked",
    "backup_restore_in_place",
    "backup_restore_schema",
    "backup_verify",
    "object_key",
    "restore_base",
    "restore_discard",
    "restore_keep",
]
