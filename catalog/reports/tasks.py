"""Background jobs of official documents (run in the school's schema: the app carries it)."""

from audit.models import ActorKind, Source
from audit.services import audit_context
from catalog.reports import archive
from catalog.structure.identity import SchoolIdentity
from catedra.celery_app import app


@app.task(ignore_result=True, acks_late=True)
def year_archive_job(archive_id: int, school: dict, verify_url: str) -> None:
    """Render, store and seal a closed year's archive (archive.archive_build)."""
    with audit_context(actor_kind=ActorKind.JOB, actor_label="job:year-archive", source=Source.JOB,
                       request_id=f"year-archive-{archive_id}"):  # fmt: skip
        archive.archive_build(archive_id=archive_id, school=SchoolIdentity(**school), verify_url=verify_url)
