"""`catedra catalog_import --school SLUG --file elevi.csv --as USERNAME [--year 2025-2026]
[--class "V A"] [--dry-run]`: import students and their parents from a CSV file into a school,
as that school's configurer (admin, director or deputy) would on the import page. All or
nothing; the report names every bad row. Exit status 1 if the file is refused, 2 on bad
arguments."""

from django.core.management.base import CommandError

from accounts.models import User
from catalog.structure import imports
from catalog.structure.models import SchoolYear
from catalog.structure.selectors import year_current
from catedra.commands import BAD_ARGUMENTS, REFUSED, SchoolCommand


class Command(SchoolCommand):
    help = "Import students and their parents from a CSV file into a school (all or nothing)."

    def add_school_arguments(self, parser):
        parser.add_argument("--file", metavar="PATH", required=True, help="the CSV file (UTF-8, `,` or `;`)")
        parser.add_argument("--as", dest="username", metavar="USERNAME", required=True,
                            help="the school's admin, director or deputy the import is recorded for")  # fmt: skip
        parser.add_argument("--year", metavar="NAME", help="the school year, e.g. 2025-2026 (default: the current one)")
        parser.add_argument("--class", dest="school_class", metavar="CLASS", help='one class for every row, e.g. "V A"')
        parser.add_argument("--dry-run", action="store_true", help="check the file and print the report, write nothing")

    def prepare(self, options):
        options["data"] = self._read(options["file"])

    def handle_school(self, school, options):
        report = self._import(options["data"], options)
        self._print(report)
        if not report.ok:
            raise CommandError(f"Nu s-a importat nimic: {len(report.problems)} probleme.", returncode=REFUSED)

    def _read(self, path: str) -> bytes:
        try:
            with open(path, "rb") as file:
                return file.read(imports.MAX_BYTES + 1)  # one byte more tells a file that is too big
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}.", returncode=BAD_ARGUMENTS) from error

    def _import(self, data: bytes, options) -> imports.StudentImport:
        actor = User.objects.filter(username=options["username"]).first()
        if actor is None:
            raise CommandError(f"No user {options['username']!r} in this school.", returncode=BAD_ARGUMENTS)
        year = SchoolYear.objects.filter(name=options["year"]).first() if options["year"] else year_current()
        if year is None:
            raise CommandError("No such school year.", returncode=BAD_ARGUMENTS)
        school_class = None
        if options["school_class"]:
            school_class = imports.class_find(year=year, text=options["school_class"])
            if school_class is None:
                raise CommandError(f"No class {options['school_class']!r} in {year.name}.", returncode=BAD_ARGUMENTS)
        return imports.students_import(
            actor=actor, year=year, data=data, school_class=school_class, dry_run=options["dry_run"]
        )

    def _print(self, report: imports.StudentImport) -> None:
        for problem in report.problems:
            self.stdout.write(str(problem))
        if not report.ok:
            return
        created, reused = len(report.parents_created), len(report.parents_reused)
        if report.dry_run:
            self.stdout.write(
                f"Fișierul este corect: {len(report.students)} elevi, {created} părinți noi, {reused} existenți, "
                f"{report.links} legături. Verificare: nu s-a salvat nimic."
            )
            return
        for student in report.students:
            self.stdout.write(f"{student.user.username}\t{student.cycle} {student.register_number}")
        self.stdout.write(
            f"{len(report.students)} elevi importați, {created} părinți noi, {reused} existenți, "
            f"{report.links} legături."
        )
