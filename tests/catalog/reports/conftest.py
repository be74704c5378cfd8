import io

import pytest
from pypdf import PdfReader

from catalog.grades import services as grades
from catalog.grades.models import Average
from catalog.structure import services as structure
from tests.catalog.api.conftest import as_user  # noqa: F401 - a fixture
from tests.catalog.conftest import cnp_for, past_day


def pdf_text(data: bytes) -> tuple[str, int]:
    """(the text of every page, the number of pages)."""
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages), len(reader.pages)


@pytest.fixture
def made(local_storage, django_capture_on_commit_callbacks):
    """made(page, url, data) -> (the page's answer, the PDF its document job made, or None).
    The job runs here when the request's transaction commits, as a worker would run it."""
    from catalog.reports.models import DocumentJob
    from catedra.celery_app import app

    app.conf.task_always_eager = True

    def ask(page, url: str, data: dict | None = None):
        last = DocumentJob.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        with django_capture_on_commit_callbacks(execute=True):
            response = page.post(url, data or {})
        job = DocumentJob.objects.filter(pk__gt=last).first()
        if job is None:
            return response, None
        assert response.status_code == 302 and response["Location"] == "/documente/"
        download = page.get(f"/documente/{job.pk}/fisier/")
        assert download.status_code == 200 and download["Content-Type"] == "application/pdf", download
        return response, download.content

    yield ask
    app.conf.task_always_eager = False


def pdf_fonts(data: bytes) -> set[str]:
    """The fonts embedded in the first page (subset prefixes dropped)."""
    fonts = PdfReader(io.BytesIO(data)).pages[0]["/Resources"]["/Font"]
    return {str(font.get_object()["/BaseFont"]).lstrip("/").split("+")[-1] for font in fonts.values()}


@pytest.fixture
def stefan(cast):
    """Ștefan Țăranu in V A, with two grades in mathematics and their closed average."""
    from datetime import date

    student = structure.student_create(
        actor=cast.admin, first_name="Ștefan", last_name="Țăranu", cnp=cnp_for(date(2015, 4, 2), 190),
        school_class=cast.class_5a, starts=cast.year.starts,
    )  # fmt: skip
    for value in (9, 10):
        grades.grade_add(teacher=cast.mihai, student=student, school_class=cast.class_5a, subject=cast.math,
                         on=past_day(cast.year), value=value)  # fmt: skip
    Average.objects.create(student=student, school_class=cast.class_5a, subject=cast.math, value=10,
                           closed_by=cast.mihai)  # fmt: skip
    return student
