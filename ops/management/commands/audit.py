"""`catedra audit verify --school SLUG | --all-schools | --control-plane`: recompute the
audit chain of each named schema and name the first event that does not verify, then hold
the chain against its anchors in the backup storage (ops.anchors): an anchor that does not
verify, a re-chained trail, a deleted tail. Exit status 1 if any chain is broken or its
anchors cannot be read, 2 on bad arguments."""

import time

from django.core.management.base import CommandError
from django.db import connection
from django_tenants.utils import get_public_schema_name, schema_context

from audit.selectors import chain_report
from catedra.commands import SchoolCommand
from ops.anchors import AnchorError, AnchorReport, anchors_check


class Command(SchoolCommand):
    all_schools_allowed = True
    help = "Verify the hash chain of audit events and its anchors (one school, every school, or the control plane)."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="verb", required=True)
        verify = actions.add_parser("verify", help="recompute the chain, name the first bad event, check the anchors")
        self.add_school_choice(verify).add_argument("--control-plane", action="store_true")

    def handle(self, *args, **options):
        schemas = self._schemas(options)
        found = [self._verify(label, schema) for label, schema in schemas]
        connection.set_schema_to_public()
        broken, unread = found.count("broken"), found.count("unread")
        if broken or unread:
            said = [f"{broken} of {len(schemas)} audit chains are broken."] if broken else []
            said += [f"The anchors of {unread} could not be read."] if unread else []
            raise CommandError(" ".join(said), returncode=1)

    def _verify(self, label: str, schema: str) -> str:
        """Verify one schema's chain and anchors, print what was found; intact, broken or unread."""
        started = time.monotonic()
        with schema_context(schema):
            report = chain_report()
        try:
            anchors, unreadable = anchors_check(schema=schema), ""
        except AnchorError as exc:
            anchors, unreadable = AnchorReport(), str(exc)
        seconds = time.monotonic() - started
        if not report.intact:
            self.stdout.write(
                f"{label}: BROKEN at event {report.bad_seq}: {report.problem}; {report.events} events before it verify"
            )
        for problem in anchors.problems:
            self.stdout.write(f"{label}: BROKEN: {problem}")
        if unreadable:
            intact = f"{report.events} events, chain intact; " if report.intact else ""
            self.stdout.write(f"{label}: {intact}anchors not checked: {unreadable}")
        if not (report.intact and anchors.intact):
            return "broken"
        if unreadable:
            return "unread"
        self.stdout.write(f"{label}: {report.events} events, chain intact; {_agreed(anchors)} ({seconds:.1f} s)")
        return "intact"

    def _schemas(self, options) -> list[tuple[str, str]]:
        if options["control_plane"]:
            return [("control plane", get_public_schema_name())]
        return [(school.slug, school.schema_name) for school in self.schools(options)]


def _agreed(anchors: AnchorReport) -> str:
    if anchors.newest is None:
        return "no anchors yet"
    newest = anchors.newest
    count = "1 anchor agrees" if anchors.anchors == 1 else f"{anchors.anchors} anchors agree"
    return f"{count}, the newest at event {newest.seq} of {newest.when}"
