"""`catedra backup run|list|verify|restore|delete|purge`: the backups of schools.

    catedra backup run --school SLUG --kind full|incremental     (or --all-schools)
    catedra backup list --school SLUG
    catedra backup verify --school SLUG [--backup ID]
    catedra backup restore --school SLUG [--at TIME | --backup ID] [--dry-run]
    catedra backup drill [--backup ID]                             (the weekly restore drill, now)
    catedra backup opt-out --school SLUG --reason TEXT             (ended schools only)
    catedra backup opt-in --school SLUG
    catedra backup delete --backup ID                              (refused within retention)
    catedra backup purge                                           (what retention allows)

A restore gives the state as of TIME (default: the latest): the newest full backup at or
before TIME, brought to the newest incremental run after it up to TIME. It replaces the
school's schema (the current one is kept, renamed); `catedra restore_school` (provisioning)
makes the state a new school instead.

Exit status 1 when anything failed or was refused, 2 on bad arguments.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context

from audit.selectors import chain_report
from catedra.commands import moment_argument
from catedra.objectstore import StorageError
from catedra.text import refusal_text
from ops import selectors
from ops.backups import full, incremental, optout, retention
from ops.backups.drill import restore_drill, restore_drill_run
from ops.models import Backup, RestoreDrill
from tenants.models import School

ACTOR = "cli"


class Command(BaseCommand):
    help = "Back up, list, verify, restore and purge schools' backups."

    def add_arguments(self, parser):
        verbs = parser.add_subparsers(dest="verb", required=True)
        run = verbs.add_parser("run", help="take a backup now")
        which = run.add_mutually_exclusive_group(required=True)
        which.add_argument("--school", metavar="SLUG")
        which.add_argument("--all-schools", action="store_true")
        run.add_argument("--kind", choices=Backup.Kind.values, required=True)
        listing = verbs.add_parser("list", help="a school's backups, newest first")
        listing.add_argument("--school", metavar="SLUG", required=True)
        verify = verbs.add_parser("verify", help="checksum and trial restore into a scratch schema")
        verify.add_argument("--school", metavar="SLUG", required=True)
        verify.add_argument("--backup", metavar="ID", type=int, help="default: what a restore now would restore")
        restore = verbs.add_parser("restore", help="restore the full backup and the incremental runs after it")
        restore.add_argument("--school", metavar="SLUG", required=True)
        point = restore.add_mutually_exclusive_group()
        point.add_argument("--at", metavar="TIME", help="the state as of this time (ISO date or date and time)")
        point.add_argument("--backup", metavar="ID", type=int, help="the state of this backup or incremental run")
        restore.add_argument("--dry-run", action="store_true", help="only verify (checksum, trial restore, compare)")
        drill = verbs.add_parser("drill", help="restore a random recent backup into a scratch schema and compare")
        drill.add_argument("--backup", metavar="ID", type=int, help="this backup instead of a random one")
        opt_out = verbs.add_parser("opt-out", help="switch an ended school's daily incremental backup off")
        opt_out.add_argument("--school", metavar="SLUG", required=True)
        opt_out.add_argument("--reason", required=True)
        opt_in = verbs.add_parser("opt-in", help="switch a school's daily incremental backup back on")
        opt_in.add_argument("--school", metavar="SLUG", required=True)
        delete = verbs.add_parser("delete", help="delete one backup (only after the retention period)")
        delete.add_argument("--backup", metavar="ID", type=int, required=True)
        verbs.add_parser("purge", help="delete the backups whose retention period is over, with certificates")

    def handle(self, *args, **options):
        try:
            getattr(self, f"_{options['verb'].replace('-', '_')}")(options)
        finally:
            connection.set_schema_to_public()

    # -- verbs ---------------------------------------------------------------------------

    def _run(self, options) -> None:
        schools = self._schools(options)
        if options["all_schools"] and options["kind"] == Backup.Kind.INCREMENTAL:
            opted_out = selectors.incremental_opted_out_ids()
            for school in schools:
                if school.pk in opted_out:
                    self.stdout.write(f"{school.slug}: skipped (daily incremental switched off: contract ended)")
            schools = [school for school in schools if school.pk not in opted_out]
        failed = 0
        for school in schools:
            started = time.monotonic()
            try:
                backup = _take(school, options["kind"])
            except (full.BackupError, StorageError) as exc:
                failed += 1
                self.stdout.write(f"{school.slug}: {options['kind']} backup FAILED: {exc}")
                continue
            self.stdout.write(f"{school.slug}: {_summary(backup)} ({time.monotonic() - started:.1f} s)")
        if failed:
            raise CommandError(f"{failed} of {len(schools)} backups failed.", returncode=1)

    def _list(self, options) -> None:
        school = self._school(options["school"])
        if opt_out := selectors.incremental_opt_out_open(school):
            honoured = "" if school.status == School.Status.ENDED else " (not in effect: the school is not ended)"
            self.stdout.write(
                f"{school.slug}: daily incremental switched off since"
                f" {timezone.localtime(opt_out.started_at):%Y-%m-%d} by {opt_out.started_by}{honoured}"
            )
        backups = list(selectors.backups_of(school))
        if not backups:
            self.stdout.write(f"{school.slug}: no backups")
        for backup in backups:
            self.stdout.write(_line(backup))

    def _verify(self, options) -> None:
        school = self._school(options["school"])
        backup = restore_point_pick(school, {"backup": options.get("backup"), "at": None})
        self._verify_one(backup)

    def _restore(self, options) -> None:
        school = self._school(options["school"])
        backup = restore_point_pick(school, options)
        if options["dry_run"]:
            self._verify_one(backup)
            self.stdout.write("dry run: nothing was restored")
            return
        started = time.monotonic()
        try:
            kept, report = full.backup_restore_in_place(backup=backup)
        except (full.BackupError, StorageError, ValidationError) as exc:
            raise CommandError(
                f"restore of backup #{backup.pk} refused or failed: {refusal_text(exc)}", returncode=1
            ) from exc
        where = f"schema {school.schema_name}; the previous schema is kept as {kept}"
        restore_said(self.stdout, school, backup, report, where, started)

    def _drill(self, options) -> None:
        if options.get("backup") is not None:
            backup = Backup.objects.select_related("school").filter(pk=options["backup"]).first()
            if backup is None:
                raise CommandError(f"No backup #{options['backup']}.", returncode=2)
            drill = restore_drill(backup=backup)
        else:
            drill = restore_drill_run()
        if drill is None:
            raise CommandError(
                f"no backup taken in the last {settings.BACKUP_DRILL_RECENT_DAYS} days to drill.", returncode=1
            )
        said = f"restore drill #{drill.pk} of {drill.backup.kind} backup #{drill.backup_id}: {drill.result}"
        if drill.result != RestoreDrill.Result.PASSED:
            raise CommandError(f"{said}: {drill.detail}", returncode=1)
        self.stdout.write(f"{said}, {drill.tables} tables and {drill.rows} rows match the source")

    def _opt_out(self, options) -> None:
        school = self._school(options["school"])
        try:
            optout.backup_incremental_opt_out(school=school, actor=ACTOR, reason=options["reason"])
        except ValidationError as exc:
            raise CommandError(f"opt-out refused: {refusal_text(exc)}", returncode=1) from exc
        self.stdout.write(f"{school.slug}: daily incremental backup switched off (monthly full backups go on)")

    def _opt_in(self, options) -> None:
        school = self._school(options["school"])
        try:
            optout.backup_incremental_opt_in(school=school, actor=ACTOR)
        except ValidationError as exc:
            raise CommandError(f"opt-in refused: {refusal_text(exc)}", returncode=1) from exc
        self.stdout.write(f"{school.slug}: daily incremental backup switched on")

    def _delete(self, options) -> None:
        backup = Backup.objects.select_related("school").filter(pk=options["backup"]).first()
        if backup is None:
            raise CommandError(f"No backup #{options['backup']}.", returncode=2)
        try:
            certificate = retention.backup_delete(backup=backup, actor=ACTOR)
        except (full.BackupError, StorageError) as exc:
            raise CommandError(f"delete refused: {exc}", returncode=1) from exc
        self.stdout.write(f"backup #{backup.pk} deleted; certificate #{certificate.pk} seal {certificate.seal}")

    def _purge(self, options) -> None:
        certificates = retention.backups_purge(actor=ACTOR)
        for certificate in certificates:
            self.stdout.write(
                f"{certificate.content['school']['slug']}: {len(certificate.content['backups'])} backups deleted;"
                f" certificate #{certificate.pk} seal {certificate.seal}"
            )
        if not certificates:
            self.stdout.write("nothing to purge: no school's retention period is over")

    # -- helpers -------------------------------------------------------------------------

    def _verify_one(self, backup: Backup) -> None:
        self.stdout.write(verified_line(backup))

    def _schools(self, options) -> list[School]:
        if options["all_schools"]:
            return list(School.objects.with_schema().order_by("slug"))
        return [self._school(options["school"])]

    def _school(self, slug: str) -> School:
        return school_named(slug)


def _take(school: School, kind: str) -> Backup:
    if kind == Backup.Kind.FULL:
        return full.backup_full_run(school=school)
    return incremental.backup_incremental_run(school=school)


def _summary(backup: Backup) -> str:
    if backup.kind == Backup.Kind.FULL:
        return f"full backup #{backup.pk} done, {_size(backup.size)}, sha256 {backup.sha256[:16]}…, {backup.location}"
    return f"incremental backup #{backup.pk} done, {backup.rows_copied} rows copied"


def _line(backup: Backup) -> str:
    when = f"{timezone.localtime(backup.started_at):%Y-%m-%d %H:%M}"
    if backup.kind == Backup.Kind.FULL:
        what = f"{_size(backup.size)}  sha256 {backup.sha256[:16]}  {_verified(backup)}  {backup.location}"
    else:
        copied = f"{backup.rows_copied} rows copied" if backup.rows_copied is not None else ""
        what = f"{copied}  {_verified(backup)}"
    parts = [f"#{backup.pk}", backup.kind, backup.status, when, what if backup.status == "done" else backup.error]
    return "  ".join(part for part in parts if part)


def _verified(backup: Backup) -> str:
    """Verified when a trial restore (verify, a drill or a restore's check) last matched."""
    if backup.restore_verified_at:
        return f"verified {timezone.localtime(backup.restore_verified_at):%Y-%m-%d}"
    failed = backup.verification.startswith(("failed", "MISMATCH"))
    return "unverified (the last trial restore failed)" if failed else "unverified"


def _size(size: int | None) -> str:
    if size is None:
        return ""
    return f"{size / 1_000_000:.1f} MB" if size >= 100_000 else f"{size / 1000:.1f} kB"


def school_named(slug: str) -> School:
    """Any school but the control plane: an archived one keeps its backups, not its schema."""
    school = School.objects.filter(slug=slug).exclude(schema_name=get_public_schema_name()).first()
    if school is None:
        raise CommandError(f"No school has the slug {slug!r}.", returncode=2)
    return school


def restore_point_pick(school: School, options) -> Backup:
    """The backup named by --backup, or the one whose state a restore as of --at gives."""
    backup_id = options.get("backup")
    if backup_id is not None:
        backup = selectors.backups_of(school).filter(pk=backup_id).first()
        if backup is None:
            raise CommandError(f"{school.slug} has no backup #{backup_id}.", returncode=2)
        if backup.status != Backup.Status.DONE:
            raise CommandError(f"backup #{backup_id} is {backup.status}, not a completed backup.", returncode=1)
        return backup
    at = moment_argument(options["at"], "--at") if options.get("at") else None
    backup = selectors.restore_point(school=school, at=at)
    if backup is None:
        when = f" taken by {timezone.localtime(at):%Y-%m-%d %H:%M}" if at else ""
        raise CommandError(f"{school.slug}: no completed full backup{when}.", returncode=1)
    return backup


def verified_line(backup: Backup) -> str:
    """Verify `backup` (checksum, trial restore, comparison): what was found, or a CommandError."""
    started = time.monotonic()
    try:
        report = full.backup_verify(backup=backup)
    except (full.BackupError, StorageError) as exc:
        raise CommandError(f"backup #{backup.pk}: NOT VERIFIED: {exc}", returncode=1) from exc
    seconds = time.monotonic() - started
    if not report.matches:
        mismatches = ", ".join(report.mismatches)
        raise CommandError(f"{report.label}: MISMATCH after trial restore: {mismatches}", returncode=1)
    return (
        f"{report.label}: checksum ok, trial restore of {report.tables} tables and {report.rows} rows"
        f" matches the source ({seconds:.1f} s)"
    )


def restore_said(out, school: School, backup: Backup, report: full.RestoreReport, where: str, started: float) -> None:
    """Write what a restore gave, its audit chain checked; a CommandError after it when the
    chain does not verify (the restore is done: where it went is said first)."""
    with schema_context(report.schema):
        chain = chain_report()
    as_of = f"{timezone.localtime(backup.started_at):%Y-%m-%d %H:%M}"
    out.write(
        f"restored {report.label} of {school.slug} (the state as of {as_of}) into {where}: {report.tables} tables,"
        f" {report.rows} rows, all match; audit chain {'intact' if chain.intact else 'BROKEN'}"
        f" ({chain.events} events) ({time.monotonic() - started:.1f} s)"
    )
    if not chain.intact:
        raise CommandError("the restored audit chain does not verify.", returncode=1)
