"""`catedra catalog_import --school SLUG --file elevi.csv --as USERNAME [--year 2025-2026]
[--class "V A"] [--dry-run]`: import students and their parents from a CSV file into a school,
as that school's configurer (admin, director or deputy) would on the import page. All or
nothing; the report names every bad row. Exit status 1 if the file is refused, 2 on bad
arguments."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django_tenants.utils import schema_context

from accounts.models import User
from accounts.services import NotAllowed
from audit.models import ActorKind, Source
from audit.services import audit_context
from catalog.structure import imports
from catalog.structure.models import SchoolYear
from catalog.structure.selectors import year_current
from tenants import selectors


class Command(BaseCommand):
    help = "Import students and their parents from a CSV file into a school (all or nothing)."

    def add_arguments(self, parser):
        parser.add_argument("--school", metavar="SLUG", required=True)
        parser.add_argument("--file", metavar="PATH", required=True, help="the CSV file (UTF-8, `,` or `;`)")
        parser.add_argument("--as", dest="username", metavar="USERNAME", required=True,
                            help="the school's admin, director or deputy the import is recorded for")  # fmt: skip
        parser.add_argument("--year", metavar="NAME", help="the school year, e.g. 2025-2026 (default: the current one)")
        parser.add_argument("--class", dest="school_class", metavar="CLASS", help='one class for every row, e.g. "V A"')
        parser.add_argument("--dry-run", action="store_true", help="check the file and print the report, write nothing")

    def handle(self, *args, **options):
        schema = self._schema(options["school"])
        data = self._read(options["file"])
        try:
            with (
                schema_context(schema),
                audit_context(source=Source.CLI, actor_kind=ActorKind.SYSTEM, actor_label="cli:catalog_import"),
            ):
                report = self._import(data, options)
                self._print(report)
        finally:
            connection.set_schema_to_public()
        if not report.ok:
            raise CommandError(f"Nu s-a importat nimic: {len(report.problems)} probleme.", returncode=1)

    def _schema(self, slug: str) -> str:
        school = selectors.school_with_schema(slug)
        if school is None:
            raise CommandError(f"No school with a schema has the slug {slug!r}.", returncode=2)
        return school.schema_name

    def _read(self, path: str) -> bytes:
        try:
            with open(path, "rb") as file:
                return file.read(imports.MAX_BYTES + 1)  # one byte more tells a file that is too big
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}.", returncode=2) from error

    def _import(self, data: bytes, options) -> imports.StudentImport:
        actor = User.objects.filter(username=options["username"]).first()
        if actor is None:
            raise CommandError(f"No user {options['username']!r} in this school.", returncode=2)
        year = SchoolYear.objects.filter(name=options["year"]).first() if options["year"] else year_current()
        if year is None:
            raise CommandError("No such school year.", returncode=2)
        school_class = None
        if options["school_class"]:
            school_class = imports.class_find(year=year, text=options["school_class"])
            if school_class is None:
                raise CommandError(f"No class {options['school_class']!r} in {year.name}.", returncode=2)
        try:
            return imports.students_import(
                actor=actor, year=year, data=data, school_class=school_class, dry_run=options["dry_run"]
            )
        except (NotAllowed, ValidationError) as error:
            messages = error.messages if isinstance(error, ValidationError) else [str(error)]
            raise CommandError(" ".join(str(m) for m in messages), returncode=1) from error

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
