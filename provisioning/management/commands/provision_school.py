"""`catedra provision_school`: onboard a school from the command line.

Exit 0 and the school's URL on success; on bad input a non-zero exit and one line
saying what is wrong.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from audit.models import ActorKind, Source
from audit.services import audit_context
from provisioning import services


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"Data „{value}” nu este în forma AAAA-LL-ZZ.") from exc


class Command(BaseCommand):
    help = "Onboard a school: validate, make its schema and host, invite its admin."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--slug", required=True)
        parser.add_argument("--siiir", required=True, help="the school's 10-digit SIIIR code")
        parser.add_argument("--cui", required=True, help="fiscal code (CUI), with or without RO")
        parser.add_argument("--county", required=True, help="county code, e.g. IS, CJ, B")
        parser.add_argument("--locality", required=True)
        parser.add_argument("--admin-name", required=True)
        parser.add_argument("--admin-email", required=True)
        parser.add_argument("--contract-start", type=str)
        parser.add_argument("--contract-end", type=str)

    def handle(self, *args, **options):
        _refuse_an_unmigrated_database()
        with audit_context(source=Source.CLI, actor_kind=ActorKind.SYSTEM, actor_label="cli:provision_school"):
            self._provision(options)

    def _provision(self, options) -> None:
        try:
            job = services.school_provision_request(
                name=options["name"], slug=options["slug"], siiir_code=options["siiir"], cui=options["cui"],
                county=options["county"], locality=options["locality"], admin_name=options["admin_name"],
                admin_email=options["admin_email"], requested_by="cli", queue=False,
                contract_start=_date(options["contract_start"]) if options["contract_start"] else None,
                contract_end=_date(options["contract_end"]) if options["contract_end"] else None,
            )  # fmt: skip
        except ValidationError as exc:
            raise CommandError(_one_line(exc)) from exc
        job = services.provisioning_job_run(job_id=job.pk)
        if job.state != job.State.SUCCEEDED:
            raise CommandError(f"Crearea școlii a eșuat la pasul {job.error}")
        self.stdout.write(job.school.public_url)


def _refuse_an_unmigrated_database() -> None:
    """A newcomer's first command may come before the first migrate: say what to run."""
    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        raise CommandError(
            "Baza de date nu este migrată (sau are migrări neaplicate): rulați întâi `catedra migrate`, "
            "apoi din nou `catedra provision_school`."
        )


def _one_line(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return " ".join(f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items())
    return " ".join(error.messages)
