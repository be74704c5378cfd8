"""Rule 1: the preparatory class has no grades but an annual descriptive report per
development area, written by its teacher; the family reads it."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from audit.models import AuditEvent
from catalog.grades import services as grades
from catalog.grades.models import DescriptiveReport
from catalog.structure import services as structure
from catalog.structure.models import Level
from tests.catalog.conftest import cnp_for

AREA = DescriptiveReport.Area.LANGUAGE


@pytest.fixture
def prep(cast):
    school_class = structure.class_create(
        actor=cast.director, year=cast.year, level=Level.PREP, letter="B", homeroom=cast.maria
    )
    cast.maria.refresh_from_db()
    child = structure.student_create(
        actor=cast.admin, first_name="Luca", last_name="Rusu", cnp=cnp_for(date(2020, 2, 2), 160),
        school_class=school_class, starts=cast.year.starts,
    )  # fmt: skip
    return school_class, child


def test_the_teacher_writes_each_area_and_a_rewrite_needs_a_reason(cast, prep):
    school_class, child = prep
    write = {"homeroom": cast.maria, "student": child, "school_class": school_class, "area": AREA}
    grades.descriptive_report_set(**write, text="Citește cuvinte scurte.")
    with pytest.raises(ValidationError, match="motivul"):
        grades.descriptive_report_set(**write, text="Citește propoziții.")
    grades.descriptive_report_set(**write, text="Citește propoziții.", reason="progres după evaluarea finală")
    assert DescriptiveReport.objects.get().text == "Citește propoziții."
    event = AuditEvent.objects.filter(action="report.descriptive_set").order_by("-seq").first()
    assert event.reason == "progres după evaluarea finală"


@pytest.mark.parametrize(
    ("change", "error"),
    [({"text": "  "}, ValidationError), ({"text": "x" * 2001}, ValidationError), ({"area": "math"}, ValidationError)],
)
def test_empty_or_too_long_texts_and_unknown_areas_are_refused(cast, prep, change, error):
    school_class, child = prep
    write = {"homeroom": cast.maria, "student": child, "school_class": school_class, "area": AREA, "text": "Bine."}
    with pytest.raises(error):
        grades.descriptive_report_set(**{**write, **change})
    assert not DescriptiveReport.objects.exists()


def test_only_the_preparatory_class_teacher_writes_and_only_for_the_preparatory_class(cast, prep):
    school_class, child = prep
    for who in (cast.elena, cast.admin, cast.director):
        with pytest.raises(PermissionDenied):
            grades.descriptive_report_set(
                homeroom=who, student=child, school_class=school_class, area=AREA, text="Bine."
            )
    with pytest.raises(ValidationError, match="doar la clasa pregătitoare"):
        grades.descriptive_report_set(
            homeroom=cast.elena, student=cast.ana, school_class=cast.class_5a, area=AREA, text="Bine."
        )
    assert not DescriptiveReport.objects.exists()
