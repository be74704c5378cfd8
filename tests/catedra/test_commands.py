"""The base of commands that work inside schools (catedra.commands.SchoolCommand)."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django_tenants.utils import schema_context

from accounts.services import NotAllowed
from audit.actions import Action
from audit.models import AuditEvent
from audit.services import audit_record
from catedra.commands import SchoolCommand, moment_argument
from tenants.models import School


class Probe(SchoolCommand):
    """Records where it ran, writes one audit event, refuses or fails when asked to."""

    all_schools_allowed = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.ran: list[tuple[str, str]] = []

    def add_school_arguments(self, parser):
        parser.add_argument("--then", choices=["nothing", "refuse", "deny", "crash"], default="nothing")

    def command_name(self) -> str:
        return "probe"

    def handle_school(self, school, options):
        self.ran.append((school.slug, connection.schema_name))
        audit_record(action=Action.SIIIR_EXPORTED, object_type="probe", object_id=school.slug)
        if options["then"] == "refuse":
            raise ValidationError("Anul școlar este încheiat.")
        if options["then"] == "deny":
            raise NotAllowed("Doar secretariatul.")
        if options["then"] == "crash":
            raise RuntimeError("a bug")


def test_one_school_runs_in_its_schema_under_the_commands_audit_context(school_a):
    probe = Probe()
    call_command(probe, "--school", school_a.slug)

    assert probe.ran == [(school_a.slug, school_a.schema_name)]
    assert connection.schema_name == "public"
    with schema_context(school_a.schema_name):
        event = AuditEvent.objects.get(object_type="probe")
    assert (event.actor_kind, event.actor_name, event.source) == ("system", "cli:probe", "cli")


def test_all_schools_run_each_in_turn_in_slug_order(school_a, school_b):
    probe = Probe()
    call_command(probe, "--all-schools")

    with_schema = School.objects.with_schema().order_by("slug")
    assert probe.ran == [(school.slug, school.schema_name) for school in with_schema]
    assert {school_a.slug, school_b.slug} <= {slug for slug, _schema in probe.ran}


@pytest.mark.parametrize(("arguments", "message"), [
    (["--school", "nu-exista"], "No school with a schema has the slug 'nu-exista'"),
    (["--school", "public"], "No school with a schema has the slug 'public'"),
])  # fmt: skip
def test_an_unknown_school_exits_2_before_any_work(db, arguments, message):
    probe = Probe()
    with pytest.raises(CommandError, match=message) as refused:
        call_command(probe, *arguments)
    assert refused.value.returncode == 2 and probe.ran == []


def test_a_school_is_named_or_all_are_never_both(db):
    with pytest.raises(CommandError, match="not allowed with argument"):
        call_command(Probe(), "--school", "school-a", "--all-schools")


@pytest.mark.parametrize(("then", "message"), [
    ("refuse", "Anul școlar este încheiat."),
    ("deny", "Doar secretariatul."),
])  # fmt: skip
def test_a_services_refusal_exits_1_with_its_message_and_leaves_the_schema(school_a, then, message):
    with pytest.raises(CommandError, match=message) as refused:
        call_command(Probe(), "--school", school_a.slug, "--then", then)
    assert refused.value.returncode == 1
    assert connection.schema_name == "public"


def test_a_bug_is_not_dressed_as_a_refusal_and_the_schema_is_still_left(school_a):
    with pytest.raises(RuntimeError, match="a bug"):
        call_command(Probe(), "--school", school_a.slug, "--then", "crash")
    assert connection.schema_name == "public"


@pytest.mark.parametrize("text", ["ieri", "2026-13-45", "23.11.2026"])
def test_a_time_argument_that_is_not_one_exits_2(text):
    with pytest.raises(CommandError, match=f"--at: not a date or time: '{text}'") as refused:
        moment_argument(text, "--at")
    assert refused.value.returncode == 2


def test_a_day_given_as_a_time_means_the_end_of_that_day():
    moment = moment_argument("2026-11-23", "--at")
    assert (moment.date().isoformat(), moment.hour, moment.minute) == ("2026-11-23", 23, 59)
