"""`catedra siiir_export --school SLUG --as USERNAME [--year 2025-2026] [--format xlsx|csv]
[--from DAY] [--to DAY] [--output PATH]`: the school year's catalog in SIIIR's concepts, as the
export page gives it, written to a file (default: the file's own name in the current folder).
Audited for the named admin, director or deputy. Exit status 2 on bad arguments."""

from pathlib import Path

from django.core.management.base import CommandError

from accounts.models import User
from catalog.exports import services
from catalog.exports.formats import EXPORTERS
from catalog.structure.identity import SchoolIdentity
from catalog.structure.models import SchoolYear
from catalog.structure.selectors import year_current
from catedra.commands import BAD_ARGUMENTS, SchoolCommand, day_argument


class Command(SchoolCommand):
    help = "Export a school year for SIIIR (students, grades, absences, averages, results) as XLSX or CSV."
    refusal_code = BAD_ARGUMENTS  # a refused export is a bad --as, --year, --format or interval

    def add_school_arguments(self, parser):
        parser.add_argument("--as", dest="username", metavar="USERNAME", required=True,
                            help="the school's admin, director or deputy the export is recorded for")  # fmt: skip
        parser.add_argument("--year", metavar="NAME", help="the school year, e.g. 2025-2026 (default: the current one)")
        parser.add_argument("--format", dest="code", default="xlsx", help=f"one of: {', '.join(sorted(EXPORTERS))}")
        parser.add_argument("--from", dest="since", metavar="DAY", help="grades and absences from this day")
        parser.add_argument("--to", dest="until", metavar="DAY", help="grades and absences up to this day")
        parser.add_argument("--output", metavar="PATH", help="the file to write (default: its own name, here)")

    def prepare(self, options):
        options["since"] = day_argument(options["since"], "--from") if options["since"] else None
        options["until"] = day_argument(options["until"], "--to") if options["until"] else None

    def handle_school(self, school, options):
        exported = self._export(school, options)
        path = Path(options["output"] or exported.filename)
        try:
            path.write_bytes(exported.data)
        except OSError as error:
            raise CommandError(f"Cannot write {path}: {error.strerror}.", returncode=BAD_ARGUMENTS) from error
        self.stdout.write(f"{path} ({len(exported.data)} bytes, sha256 {exported.sha256})")

    def _export(self, school, options):
        actor = User.objects.filter(username=options["username"]).first()
        if actor is None:
            raise CommandError(f"No user {options['username']!r} in this school.", returncode=BAD_ARGUMENTS)
        year = SchoolYear.objects.filter(name=options["year"]).first() if options["year"] else year_current()
        if year is None:
            raise CommandError("No such school year.", returncode=BAD_ARGUMENTS)
        return services.siiir_export(
            actor=actor, school=SchoolIdentity.of(school), year=year, code=options["code"], since=options["since"],
            until=options["until"],
        )  # fmt: skip
