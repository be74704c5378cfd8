"""The base of commands that work inside schools: `--school SLUG` (or `--all-schools`).

A subclass declares its own arguments in `add_school_arguments` and its work in
`handle_school(school, options)`, which runs inside the school's schema and under an
audit context naming the command (`cli:<name>`). The base finds the school (the tenant
model, so that the catalog's commands need not import tenancy), enters and leaves the
schema whatever happens, and turns the services' refusals into a `CommandError`:
exit status 1 for a refusal, 2 for bad arguments (an unknown school among them).
"""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django_tenants.utils import get_tenant_model, schema_context

from audit.models import ActorKind, Source
from audit.services import audit_context
from catedra.text import refusal_text

REFUSED = 1
BAD_ARGUMENTS = 2


class SchoolCommand(BaseCommand):
    # True when the command can also run on every school in turn (`--all-schools`).
    all_schools_allowed = False
    # Refusals a service raises that end the command with exit status 1 and their message.
    refusals: tuple[type[Exception], ...] = (PermissionDenied, ValidationError)
    refusal_code = REFUSED

    def add_arguments(self, parser):
        self.add_school_choice(parser)
        self.add_school_arguments(parser)

    def add_school_choice(self, parser):
        """--school SLUG, or one of --school and --all-schools: the group, for a command
        (or a verb's parser) that names one more target."""
        if not self.all_schools_allowed:
            return parser.add_argument("--school", metavar="SLUG", required=True)
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--school", metavar="SLUG")
        which.add_argument("--all-schools", action="store_true")
        return which

    def add_school_arguments(self, parser) -> None:
        """The command's own arguments."""

    def handle(self, *args, **options):
        schools = self.schools(options)
        self.prepare(options)
        for school in schools:
            self.run_in(school, options)

    def prepare(self, options) -> None:
        """Work outside any school, once the schools are known (e.g. read the input file)."""

    def handle_school(self, school, options) -> None:
        raise NotImplementedError

    def schools(self, options) -> list:
        """The schools named by --school or --all-schools (schools with a schema only)."""
        with_schema = get_tenant_model().objects.with_schema()
        if options.get("all_schools"):
            return list(with_schema.order_by("slug"))
        school = with_schema.filter(slug=options["school"]).first()
        if school is None:
            raise CommandError(f"No school with a schema has the slug {options['school']!r}.", returncode=BAD_ARGUMENTS)
        return [school]

    def run_in(self, school, options) -> None:
        """`handle_school` inside the school's schema, audited as this command."""
        label = f"cli:{self.command_name()}"
        try:
            with (
                schema_context(school.schema_name),
                audit_context(source=Source.CLI, actor_kind=ActorKind.SYSTEM, actor_label=label),
            ):
                self.handle_school(school, options)
        except self.refusals as error:
            raise CommandError(refusal_text(error), returncode=self.refusal_code) from error
        finally:
            connection.set_schema_to_public()

    def command_name(self) -> str:
        return self.__module__.rsplit(".", 1)[-1]


def day_argument(text: str, option: str) -> date:
    """An ISO day given to `option`, or a CommandError (exit status 2)."""
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise CommandError(f"{option}: not a day (YYYY-MM-DD): {text!r}.", returncode=BAD_ARGUMENTS) from error


def moment_argument(text: str, option: str) -> datetime:
    """A time given to `option` (an ISO date means the end of that day, local time)."""
    try:
        # A day alone first: parse_datetime would read it as that day's midnight.
        day = parse_date(text) if len(text) == len("2026-11-23") else None
        moment = datetime.combine(day, datetime.max.time()) if day else parse_datetime(text)
    except ValueError:  # well formed but impossible, e.g. month 13
        moment = None
    if moment is None:
        raise CommandError(
            f"{option}: not a date or time: {text!r} (e.g. 2026-11-23 or 2026-11-23T18:00).", returncode=BAD_ARGUMENTS
        )
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment
