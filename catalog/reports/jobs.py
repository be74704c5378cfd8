"""Large documents as background jobs: a class's catalog (many pages), a class's situation and
the school's statistics are made by a Celery job, never in the request. The page shows the
job's progress; the file waits in the school's area of the object store for
CATEDRA_DOCUMENT_HOURS hours, for the person who asked only, then it is deleted (an hourly
sweep, and a check at every download, so a late sweep never hands out an expired file)."""

import dataclasses
import logging
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from catalog.reports import documents, services
from catalog.reports.models import DocumentJob, IssuedDocument
from catalog.structure.identity import SchoolIdentity
from catalog.structure.models import LearningPeriod, SchoolClass, SchoolYear
from catedra.objectstore import StorageError, backup_storage, school_area

log = logging.getLogger(__name__)
Kind = IssuedDocument.Kind
KINDS = (Kind.CLASS_CATALOG, Kind.CLASS_SITUATION, Kind.STATISTICS)
STALE = timedelta(hours=2)
FAILED = _("Documentul nu s-a putut genera. Încercați din nou; dacă se repetă, anunțați administratorul școlii.")


class JobFileGone(Exception):
    """The job's file is not (or no longer) there to download."""


def document_job_request(
    *, actor: User, kind: str, school: SchoolIdentity, verify_url: str, school_class: SchoolClass | None = None,
    year: SchoolYear | None = None, period: LearningPeriod | None = None, subjects: set[int] | None = None,
) -> DocumentJob:  # fmt: skip
    """Queue a large document for `actor` (the door checked that they may have it)."""
    if kind not in KINDS:
        raise ValueError(f"{kind} is not made by a job")
    total = 1
    if kind == Kind.CLASS_CATALOG:  # one step per student read, and one for the rendering
        total += len(documents.class_students(school_class))
    with transaction.atomic():
        job = DocumentJob.objects.create(
            kind=kind, requested_by=actor, school_class=school_class, year=year or getattr(school_class, "year", None),
            period=period, subjects=sorted(subjects) if subjects is not None else None, total=total,
        )  # fmt: skip
        school_fields = dataclasses.asdict(school)
        transaction.on_commit(lambda: _queue(job.pk, school_fields, verify_url))
    return job


def _queue(job_id: int, school: dict, verify_url: str) -> None:
    from catalog.reports.tasks import document_job  # the task module imports this one

    document_job.delay(job_id, school, verify_url)


def document_job_run(*, job_id: int, school: SchoolIdentity, verify_url: str) -> DocumentJob:
    """The job: make the document, keep its file, say when it goes. Delivered twice, a job
    already finished is left as it is; a job cut off midway is made again (a new code)."""
    job = DocumentJob.objects.select_related("requested_by", "school_class__year", "year", "period").get(pk=job_id)
    if job.status not in (DocumentJob.Status.QUEUED, DocumentJob.Status.RUNNING):
        return job
    DocumentJob.objects.filter(pk=job.pk).update(status=DocumentJob.Status.RUNNING, done=0)
    try:
        issued = _make(job, school, verify_url)
        key = f"{school_area(connection.schema_name)}documents/{job.pk}-{issued.filename}"
        backup_storage().put_new(key, issued.pdf)
    except Exception:
        log.exception("document job %s (%s) failed", job.pk, job.kind)
        DocumentJob.objects.filter(pk=job.pk).update(
            status=DocumentJob.Status.FAILED, error=str(FAILED), finished_at=timezone.now()
        )
        raise
    now = timezone.now()
    DocumentJob.objects.filter(pk=job.pk).update(
        status=DocumentJob.Status.READY, document=issued.document, key=key, size=len(issued.pdf), done=F("total"),
        finished_at=now, expires_at=now + timedelta(hours=settings.CATEDRA_DOCUMENT_HOURS),
    )  # fmt: skip
    job.refresh_from_db()
    return job


def _make(job: DocumentJob, school: SchoolIdentity, verify_url: str) -> services.Issued:
    where = {"actor": job.requested_by, "school": school, "verify_url": verify_url}
    if job.kind == Kind.CLASS_CATALOG:
        subjects = set(job.subjects) if job.subjects is not None else None

        def progress(done: int) -> None:
            DocumentJob.objects.filter(pk=job.pk).update(done=done)

        return services.class_catalog_issue(school_class=job.school_class, subjects=subjects, progress=progress,
                                            **where)  # fmt: skip
    if job.kind == Kind.CLASS_SITUATION:
        return services.class_situation_issue(school_class=job.school_class, period=job.period, **where)
    return services.statistics_issue(year=job.year, **where)


def document_job_file(job: DocumentJob, *, now=None) -> bytes:
    """The job's PDF while it is kept; JobFileGone after that (or if it never was made)."""
    if job.status != DocumentJob.Status.READY or not job.key or job.expires_at <= (now or timezone.now()):
        raise JobFileGone(job.pk)
    try:
        return backup_storage().get(job.key)
    except StorageError as error:
        raise JobFileGone(job.pk) from error


def document_jobs_expire(*, now=None) -> int:
    """Delete the files kept past their time, and say so on their jobs; how many. A job
    queued or running for STALE_HOURS (its worker lost) is reported failed to its page."""
    now = now or timezone.now()
    DocumentJob.objects.filter(
        status__in=(DocumentJob.Status.QUEUED, DocumentJob.Status.RUNNING), created_at__lte=now - STALE
    ).update(status=DocumentJob.Status.FAILED, error=str(FAILED), finished_at=now)
    storage = backup_storage()
    expired = 0
    for job in DocumentJob.objects.filter(status=DocumentJob.Status.READY, expires_at__lte=now):
        storage.delete(job.key)
        expired += DocumentJob.objects.filter(pk=job.pk, status=DocumentJob.Status.READY).update(
            status=DocumentJob.Status.EXPIRED, key=""
        )
    return expired
