"""`catedra audit verify --school SLUG | --all-schools | --control-plane`: recompute the
audit chain of each named schema and name the first event that does not verify.
Exit status 1 if any chain is broken, 2 on bad arguments."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django_tenants.utils import get_public_schema_name, schema_context

from audit.selectors import chain_report
from tenants import selectors
from tenants.models import School


class Command(BaseCommand):
    help = "Verify the hash chain of audit events (one school, every school, or the control plane)."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="verb", required=True)
        verify = actions.add_parser("verify", help="recompute the chain and name the first bad event")
        which = verify.add_mutually_exclusive_group(required=True)
        which.add_argument("--school", metavar="SLUG")
        which.add_argument("--all-schools", action="store_true")
        which.add_argument("--control-plane", action="store_true")

    def handle(self, *args, **options):
        schemas = self._schemas(options)
        broken = 0
        for label, schema in schemas:
            started = time.monotonic()
            with schema_context(schema):
                report = chain_report()
            seconds = time.monotonic() - started
            if report.intact:
                self.stdout.write(f"{label}: {report.events} events, chain intact ({seconds:.1f} s)")
            else:
                broken += 1
                self.stdout.write(
                    f"{label}: BROKEN at event {report.bad_seq}: {report.problem};"
                    f" {report.events} events before it verify"
                )
        connection.set_schema_to_public()
        if broken:
            raise CommandError(f"{broken} of {len(schemas)} audit chains are broken.", returncode=1)

    def _schemas(self, options) -> list[tuple[str, str]]:
        if options["control_plane"]:
            return [("control plane", get_public_schema_name())]
        if options["all_schools"]:
            ready = selectors.schemas_to_migrate()
            schools = School.objects.filter(schema_name__in=ready).order_by("slug").values_list("slug", "schema_name")
            return list(schools)
        school = selectors.school_with_schema(options["school"])
        if school is None:
            raise CommandError(f"No school with a schema has the slug {options['school']!r}.", returncode=2)
        return [(school.slug, school.schema_name)]
