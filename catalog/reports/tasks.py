"""Background jobs of official documents (run in the school's schema: the app carries it)."""

from audit.models import ActorKind, Source
from audit.services import audit_context
from catalog.reports import archive, jobs
from catalog.structure.identity import SchoolIdentity
from catedra.celery_app import app


@app.task(ignore_result=True, acks_late=True)
def year_archive_job(archive_id: int, school: dict, verify_url: str) -> None:
    """Render, store and seal a closed year's archive (archive.archive_build)."""
    with audit_context(actor_kind=ActorKind.JOB, actor_label="job:year-archive", source=Source.JOB,
                       request_id=f"year-archive-{archive_id}"):  # fmt: skip
        archive.archive_build(archive_id=archive_id, school=SchoolIdentity(**school), verify_url=verify_url)


@app.task(ignore_result=True, acks_late=True)
def document_job(job_id: int, school: dict, verify_url: str) -> None:
    """Make a large document asked for on a page (jobs.document_job_run)."""
    with audit_context(actor_kind=ActorKind.JOB, actor_label="job:document", source=Source.JOB,
                       request_id=f"document-{job_id}"):  # fmt: skip
        jobs.document_job_run(job_id=job_id, school=SchoolIdentity(**school), verify_url=verify_url)


@app.task(ignore_result=True)
def documents_expire() -> int:
    """Hourly, in every school (ops.tasks.schools_dispatch): delete the documents kept past
    CATEDRA_DOCUMENT_HOURS (jobs.document_jobs_expire)."""
    return jobs.document_jobs_expire()
