"""Large documents as background jobs: queued from the page, made by a worker with progress,
kept for their requester for a limited time, then deleted; the situation at the end of a
module; the hourly sweep reaches every school."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from audit.models import AuditEvent
from catalog.attendance.models import Absence
from catalog.grades.models import ConductGrade, Grade
from catalog.reports import documents, jobs, services
from catalog.reports.models import DocumentJob, IssuedDocument
from catalog.structure.identity import SchoolIdentity
from catedra.objectstore import StorageError, backup_storage
from tests.catalog.reports.conftest import pdf_text

VERIFY = "https://school-a.localhost/verificare/"


def _ready_job(cast, school_a, who) -> DocumentJob:
    job = jobs.document_job_request(actor=who, kind=IssuedDocument.Kind.CLASS_CATALOG, school_class=cast.class_5a,
                                    school=SchoolIdentity.of(school_a), verify_url=VERIFY)  # fmt: skip
    return jobs.document_job_run(job_id=job.pk, school=SchoolIdentity.of(school_a), verify_url=VERIFY)


def test_a_class_catalog_is_made_by_a_job_step_by_step_for_its_requester_only(cast, stefan, as_user, made, settings):
    settings.CATEDRA_DOCUMENT_HOURS = 6
    page = as_user(cast.elena)
    _response, pdf = made(page, f"/clase/{cast.class_5a.pk}/catalog/")

    job = DocumentJob.objects.get(requested_by=cast.elena)
    assert (job.status, job.done, job.total, job.percent) == ("ready", 4, 4, 100)  # 3 students read, 1 rendering
    assert timedelta(hours=5, minutes=59) < job.expires_at - timezone.now() <= timedelta(hours=6)
    assert job.key.startswith(f"catedra/{connection.schema_name}/documents/") and job.size == len(pdf)
    assert "Țăranu Ștefan" in pdf_text(pdf)[0]
    issued = AuditEvent.objects.get(action="document.issued", object_id=str(job.document_id))
    assert issued.actor_id == cast.elena.pk  # the job issues it in the requester's name
    listing = page.get("/documente/").content.decode()
    assert "Descarcă PDF" in listing and "a V-a A" in listing and "hx-get" not in listing
    for other in (cast.director, cast.mihai):  # even the management: a file is its requester's
        assert as_user(other).get(f"/documente/{job.pk}/fisier/").status_code == 404


def test_the_page_follows_a_job_until_it_is_ready(cast, as_user):
    job = DocumentJob.objects.create(kind=IssuedDocument.Kind.STATISTICS, requested_by=cast.director, year=cast.year,
                                     total=1)  # fmt: skip
    page = as_user(cast.director)
    listing = page.get("/documente/").content.decode()
    assert 'hx-get="/documente/"' in listing and "în așteptare" in listing and "Descarcă" not in listing
    assert page.get(f"/documente/{job.pk}/fisier/").status_code == 302  # not made yet: back to the list
    assert page.get("/documente/99999999999999999999/fisier/").status_code == 404
    assert page.get("/documente/", HTTP_HX_REQUEST="true").content.decode().startswith('<div id="documente"')


def test_a_kept_file_expires_is_deleted_and_is_never_handed_out_late(cast, stefan, school_a, as_user, local_storage):
    job = _ready_job(cast, school_a, cast.elena)
    assert jobs.document_job_file(job)[:5] == b"%PDF-"
    with pytest.raises(jobs.JobFileGone):  # the sweep has not run yet: the check at use refuses
        jobs.document_job_file(job, now=job.expires_at)
    assert jobs.document_jobs_expire(now=job.expires_at - timedelta(seconds=1)) == 0

    assert jobs.document_jobs_expire(now=job.expires_at) == 1

    with pytest.raises(StorageError):
        backup_storage().get(job.key)
    job.refresh_from_db()
    assert (job.status, job.key) == ("expired", "")
    response = as_user(cast.elena).get(f"/documente/{job.pk}/fisier/", follow=True)
    assert "nu mai este păstrat" in response.content.decode()


def test_a_job_lost_by_its_worker_is_reported_failed_and_one_delivered_twice_is_made_once(
    cast, stefan, school_a, local_storage
):
    lost = DocumentJob.objects.create(kind=IssuedDocument.Kind.STATISTICS, requested_by=cast.director, year=cast.year,
                                      status=DocumentJob.Status.RUNNING)  # fmt: skip
    DocumentJob.objects.filter(pk=lost.pk).update(created_at=timezone.now() - timedelta(hours=3))
    jobs.document_jobs_expire()
    lost.refresh_from_db()
    assert lost.status == "failed" and "nu s-a putut genera" in lost.error

    job = _ready_job(cast, school_a, cast.director)
    again = jobs.document_job_run(job_id=job.pk, school=SchoolIdentity.of(school_a), verify_url=VERIFY)
    assert again.document_id == job.document_id
    assert IssuedDocument.objects.filter(kind="class_catalog").count() == 1


def test_the_hourly_sweep_runs_in_every_school(cast, stefan, school_a, local_storage, settings):
    from catedra.celery_app import app
    from ops.tasks import schools_dispatch

    app.loader.import_default_modules()  # what a worker does as it starts (the app's autodiscovery)
    entry = settings.CELERY_BEAT_SCHEDULE["documents-expire"]
    assert entry["task"] == "ops.tasks.schools_dispatch" and entry["args"][0] in app.tasks

    job = _ready_job(cast, school_a, cast.elena)
    DocumentJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    app.conf.task_always_eager = True
    try:
        with schema_context("public"):
            assert schools_dispatch("catalog.reports.tasks.documents_expire") >= 2
    finally:
        app.conf.task_always_eager = False
    job.refresh_from_db()
    assert job.status == "expired"


@pytest.fixture
def module_record(cast, stefan):
    """Ștefan's 9 and 10 (module 1, the fixture's), a 7 in Romanian in module 2, an unexcused
    absence and a conduct grade of 10 in module 1."""
    first, second = cast.year.periods.order_by("number")[:2]
    Grade.objects.create(student=stefan, school_class=cast.class_5a, subject=cast.romanian, teacher=cast.elena,
                         value=7, on=second.starts)  # fmt: skip
    Absence.objects.create(student=stefan, school_class=cast.class_5a, subject=cast.math, teacher=cast.mihai,
                           on=first.starts, hour=1)  # fmt: skip
    ConductGrade.objects.create(student=stefan, school_class=cast.class_5a, period=first, value=10, set_by=cast.elena)
    return first, second


def test_the_situation_at_the_end_of_a_module_shows_what_the_module_recorded(cast, stefan, module_record, school_a):
    first, second = module_record
    disciplines, rows = documents.module_situation(cast.class_5a, first)
    names = [discipline.name for discipline in disciplines]
    row = next(row for row in rows if row.student == stefan)
    assert dict(zip(names, row.grades, strict=True))["Matematică"] == "9 10"
    assert dict(zip(names, row.grades, strict=True))["Limba și literatura română"] == ""
    assert (row.absences, row.unexcused, row.conduct) == (1, 1, "10")
    _disciplines, rows = documents.module_situation(cast.class_5a, second)
    row = next(row for row in rows if row.student == stefan)
    assert dict(zip(names, row.grades, strict=True))["Limba și literatura română"] == "7"
    assert (row.absences, row.conduct) == (0, "")

    issued = services.class_situation_issue(actor=cast.elena, school_class=cast.class_5a, period=first,
                                            school=SchoolIdentity.of(school_a), verify_url=VERIFY)  # fmt: skip
    text = " ".join(pdf_text(issued.pdf)[0].split())
    assert "SITUAȚIA ȘCOLARĂ" in text and first.name in text and "Țăranu Ștefan" in text and "9 10" in text
    assert issued.document.period == first


def test_the_module_is_chosen_on_the_class_page(cast, stefan, module_record, as_user, made):
    first, _second = module_record
    page = as_user(cast.elena)
    assert f'<option value="{first.pk}">' in page.get(f"/clase/{cast.class_5a.pk}/").content.decode()
    _response, pdf = made(page, f"/clase/{cast.class_5a.pk}/situatie/", {"modul": first.pk})
    assert first.name in pdf_text(pdf)[0]
    for wrong in ("abc", "99999999", "9" * 40):
        response, pdf = made(page, f"/clase/{cast.class_5a.pk}/situatie/", {"modul": wrong})
        assert response.status_code == 302 and pdf is None
        assert "Alegeți un modul" in page.get(response["Location"]).content.decode()
    assert DocumentJob.objects.count() == 1


def test_settings_refuse_a_keeping_time_out_of_bounds():
    from tests.helpers import clean_env, run_catedra

    servers = {"DATABASE_URL": "postgres://nobody@127.0.0.1:1/none", "REDIS_URL": "redis://127.0.0.1:1/0"}
    result = run_catedra("check", env=clean_env(CATEDRA_DOCUMENT_HOURS="0", **servers))
    assert result.returncode != 0 and "CATEDRA_DOCUMENT_HOURS must be 1 to 168" in result.stderr
