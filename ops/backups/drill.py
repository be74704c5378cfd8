"""The restore drill (weekly, beat): a backup picked at random among the recent ones is
restored into a scratch schema and compared, table by table (row count and digest), with
what its manifest recorded from the source at backup time. The result is recorded
(`RestoreDrill`, and the backup's verification); a mismatch or a failed restore is logged
and sent to Sentry with the school's schema, the backup and the tables' names only."""

from __future__ import annotations

import logging
import secrets
import subprocess
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

import psycopg
import sentry_sdk
from django.conf import settings
from django.utils import timezone

from catedra.objectstore import StorageError
from catedra.sentry import redact
from ops import selectors
from ops.backups.errors import first_line
from ops.backups.full import BackupError, backup_verify
from ops.models import Backup, RestoreDrill

logger = logging.getLogger("catedra.backups")
EXPECTED_FAILURES = (BackupError, StorageError, psycopg.Error, OSError, subprocess.SubprocessError)


def restore_drill_run(
    *, now: datetime | None = None, choose: Callable[[Sequence[int]], int] = secrets.choice
) -> RestoreDrill | None:
    """Drill one backup taken in the last BACKUP_DRILL_RECENT_DAYS days, chosen at random;
    None (and a warning) when there is none."""
    since = (now or timezone.now()) - timedelta(days=settings.BACKUP_DRILL_RECENT_DAYS)
    candidates = list(selectors.drill_candidates(since=since).values_list("pk", flat=True))
    if not candidates:
        logger.warning("restore drill: no backup taken since %s to restore", f"{since:%Y-%m-%d}")
        return None
    return restore_drill(backup=Backup.objects.select_related("school").get(pk=choose(candidates)))


def restore_drill(*, backup: Backup) -> RestoreDrill:
    """Restore `backup` into a scratch schema, compare, record the drill; alert unless it passed."""
    drill = RestoreDrill.objects.create(backup=backup, started_at=timezone.now())
    try:
        report = backup_verify(backup=backup)
    except Exception as exc:
        _finish(drill, RestoreDrill.Result.FAILED, detail=redact(first_line(str(exc)) or type(exc).__name__))
        drill_alert(drill)
        if not isinstance(exc, EXPECTED_FAILURES):
            raise
        return drill
    problems = list(report.mismatches)
    if report.base_mismatches:
        problems += [f"full backup #{report.base.pk}: {item}" for item in report.base_mismatches]
    result = RestoreDrill.Result.PASSED if not problems else RestoreDrill.Result.MISMATCH
    _finish(drill, result, detail=", ".join(problems), tables=report.tables, rows=report.rows)
    if result == RestoreDrill.Result.PASSED:
        logger.info(
            "restore drill #%s: %s of %s restored, %s tables and %s rows match",
            drill.pk, report.label, backup.source_schema, report.tables, report.rows,
        )  # fmt: skip
    else:
        drill_alert(drill)
    return drill


def _finish(drill: RestoreDrill, result: str, *, detail: str, tables=None, rows=None) -> None:
    RestoreDrill.objects.filter(pk=drill.pk).update(
        result=result, finished_at=timezone.now(), detail=detail[:4000], tables=tables, rows=rows
    )
    drill.refresh_from_db()


def drill_alert(drill: RestoreDrill) -> None:
    """A log line and a Sentry event: the school's schema, the backup, the tables or the
    error's first line (values redacted); nothing from the rows."""
    backup = drill.backup
    message = (
        f"restore drill #{drill.pk}: {backup.kind} backup #{backup.pk} of {backup.source_schema}"
        f" {RestoreDrill.Result(drill.result).name}: {drill.detail}"
    )
    logger.error(message)
    with sentry_sdk.new_scope() as scope:
        scope.set_tag("school", backup.source_schema)
        scope.set_tag("backup_kind", backup.kind)
        scope.set_tag("restore_drill", drill.result)
        sentry_sdk.capture_message(message, level="error")
