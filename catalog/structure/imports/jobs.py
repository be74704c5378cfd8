"""Imports in the background: a job queued with the uploaded file, run by a worker inside
the school's schema, its report kept for the page that follows it."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.services import NotAllowed
from audit.models import ActorKind, Source
from audit.services import audit_context
from catalog.structure.imports.report import ImportReport, RowProblem
from catalog.structure.models import ImportJob, SchoolYear

JOB_NOT_ALLOWED = _("Contul care a încărcat fișierul nu mai are dreptul să importe elevi.")


JOB_FAILED = _("Importul s-a oprit din cauza unei erori; nu s-a salvat nimic. Reîncercați sau anunțați furnizorul.")


def job_queue(task, *, kind: str, actor: User, year: SchoolYear, data: bytes, **fields) -> ImportJob:
    """Keep a checked file as an ImportJob of `kind` and send `task` with its id once this
    transaction commits (the caller has checked the right and the year)."""
    fields["file_name"] = fields.get("file_name", "")[:200]
    job = ImportJob.objects.create(kind=kind, year=year, created_by=actor, data=data, **fields)
    transaction.on_commit(lambda: task.delay(job.pk))
    return job


def job_run(*, job_id: int, label: str, work, not_allowed) -> None:
    """Run a queued import: `work(job)` imports the file as the person who uploaded it and
    returns its report and what to keep of it. Safe to deliver twice: a job runs once, under
    its row's lock, and a finished job is left as it is. A refusal (the uploader lost the
    right: `not_allowed` says so; the year closed meanwhile) is kept as the job's problems;
    an unexpected error marks it failed, with nothing saved, and is raised again (Sentry
    sees it). The file is dropped when the job ends."""
    ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.RUNNING, started_at=timezone.now()
    )
    try:
        with transaction.atomic():
            job = ImportJob.objects.select_for_update().get(pk=job_id)
            if job.finished:
                return
            outcome: dict = {}
            with audit_context(
                actor_kind=ActorKind.JOB, actor_label=label, source=Source.IMPORT,
                request_id=f"{job.kind}-import-{job.pk}",
            ):  # fmt: skip
                try:
                    report, outcome = work(job)
                except NotAllowed:
                    report = ImportReport(problems=[RowProblem(None, "", not_allowed)])
                except ValidationError as refusal:  # the year closed since the file was checked
                    report = ImportReport(problems=[RowProblem(None, "", " ".join(refusal.messages))])
            job.status = ImportJob.Status.DONE if report.ok else ImportJob.Status.REFUSED
            job.outcome = {**(outcome if report.ok else {}), "problems": _problems_kept(report.problems)}
            job.data, job.finished_at = b"", timezone.now()
            job.save(update_fields=["status", "outcome", "data", "finished_at"])
    except Exception:
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportJob.Status.FAILED, finished_at=timezone.now(), data=b"",
            outcome={"problems": [[None, "", str(JOB_FAILED)]]},
        )  # fmt: skip
        raise


def _problems_kept(problems: list[RowProblem]) -> list[list]:
    return [[problem.line, problem.column, str(problem.message)] for problem in problems]


def job_problems(job: ImportJob) -> list[RowProblem]:
    """The problems a finished job recorded, as the report shows them."""
    return [RowProblem(line, column, message) for line, column, message in job.outcome.get("problems", [])]
