"""`catedra siiir_export --school SLUG --as USERNAME [--year 2025-2026] [--format xlsx|csv]
[--from DAY] [--to DAY] [--output PATH]`: the school year's catalog in SIIIR's concepts, as the
export page gives it, written to a file (default: the file's own name in the current folder).
Audited for the named admin, director or deputy. Exit status 2 on bad arguments."""

from datetime import date
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django_tenants.utils import schema_context

from accounts.models import User
from accounts.services import NotAllowed
from audit.models import ActorKind, Source
from audit.services import audit_context
from catalog.exports import services
from catalog.exports.formats import EXPORTERS
from catalog.structure.models import SchoolYear
from catalog.structure.selectors import year_current
from tenants import selectors


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise CommandError(f"Not a day (YYYY-MM-DD): {text!r}.", returncode=2) from error


class Command(BaseCommand):
    help = "Export a school year for SIIIR (students, grades, absences, averages, results) as XLSX or CSV."

    def add_arguments(self, parser):
        parser.add_argument("--school", metavar="SLUG", required=True)
        parser.add_argument("--as", dest="username", metavar="USERNAME", required=True,
                            help="the school's admin, director or deputy the export is recorded for")  # fmt: skip
        parser.add_argument("--year", metavar="NAME", help="the school year, e.g. 2025-2026 (default: the current one)")
        parser.add_argument("--format", dest="code", default="xlsx", help=f"one of: {', '.join(sorted(EXPORTERS))}")
        parser.add_argument("--from", dest="since", metavar="DAY", help="grades and absences from this day")
        parser.add_argument("--to", dest="until", metavar="DAY", help="grades and absences up to this day")
        parser.add_argument("--output", metavar="PATH", help="the file to write (default: its own name, here)")

    def handle(self, *args, **options):
        schema = self._schema(options["school"])
        since = _day(options["since"]) if options["since"] else None
        until = _day(options["until"]) if options["until"] else None
        try:
            with (
                schema_context(schema),
                audit_context(source=Source.CLI, actor_kind=ActorKind.SYSTEM, actor_label="cli:siiir_export"),
            ):
                exported = self._export(options, since, until)
        finally:
            connection.set_schema_to_public()
        path = Path(options["output"] or exported.filename)
        try:
            path.write_bytes(exported.data)
        except OSError as error:
            raise CommandError(f"Cannot write {path}: {error.strerror}.", returncode=2) from error
        self.stdout.write(f"{path} ({len(exported.data)} bytes, sha256 {exported.sha256})")

    def _schema(self, slug: str) -> str:
        school = selectors.school_with_schema(slug)
        if school is None:
            raise CommandError(f"No school with a schema has the slug {slug!r}.", returncode=2)
        return school.schema_name

    def _export(self, options, since, until):
        actor = User.objects.filter(username=options["username"]).first()
        if actor is None:
            raise CommandError(f"No user {options['username']!r} in this school.", returncode=2)
        year = SchoolYear.objects.filter(name=options["year"]).first() if options["year"] else year_current()
        if year is None:
            raise CommandError("No such school year.", returncode=2)
        try:
            return services.siiir_export(actor=actor, year=year, code=options["code"], since=since, until=until)
        except (NotAllowed, ValidationError) as error:
            messages = error.messages if isinstance(error, ValidationError) else [str(error)]
            raise CommandError(" ".join(messages), returncode=2) from error
