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
