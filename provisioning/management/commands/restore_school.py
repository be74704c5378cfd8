"""`catedra restore_school --school SLUG --into NEW_SLUG [--at TIME | --backup ID] [--dry-run]`:
a school as it was at TIME (default: the latest backup), made a new, active school
NEW_SLUG with its own host; the original school is not touched. `catedra backup restore`
replaces a school's own schema instead.

Exit status 1 when the restore fails or does not match its backup, 2 on bad arguments.
"""

import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from catedra.objectstore import StorageError
from catedra.text import refusal_text
from ops.backups.full import BackupError
from ops.management.commands.backup import restore_point_pick, restore_said, school_named, verified_line
from provisioning.restore import school_restore_from_backup, school_restore_validate

ACTOR = "cli"


class Command(BaseCommand):
    help = "Restore a school's backup as a new school (the original is not touched)."

    def add_arguments(self, parser):
        parser.add_argument("--school", metavar="SLUG", required=True, help="the school whose backup is restored")
        parser.add_argument("--into", metavar="NEW_SLUG", required=True, help="the new school's identifier")
        point = parser.add_mutually_exclusive_group()
        point.add_argument("--at", metavar="TIME", help="the state as of this time (ISO date or date and time)")
        point.add_argument("--backup", metavar="ID", type=int, help="the state of this backup or incremental run")
        parser.add_argument("--dry-run", action="store_true", help="only verify (checksum, trial restore, compare)")

    def handle(self, *args, **options):
        school = school_named(options["school"])
        try:
            school_restore_validate(options["into"])
        except ValidationError as exc:
            raise CommandError(f"--into: {refusal_text(exc)}", returncode=2) from exc
        backup = restore_point_pick(school, options)
        if options["dry_run"]:
            self.stdout.write(verified_line(backup))
            self.stdout.write("dry run: nothing was restored")
            return
        started = time.monotonic()
        try:
            restored, report = school_restore_from_backup(backup=backup, slug=options["into"], actor=ACTOR)
        except (BackupError, StorageError, ValidationError) as exc:
            raise CommandError(
                f"restore of backup #{backup.pk} refused or failed: {refusal_text(exc)}", returncode=1
            ) from exc
        where = f"new school {restored.slug} (schema {restored.schema_name}, {restored.public_url})"
        restore_said(self.stdout, school, backup, report, where, started)
