"""The end of the year through the services (DOMAIN rules 11 and 12): closing a class's
results, resit and deferred-subject exams, reopening, and closing the school year."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.services import NotAllowed
from audit.models import AuditEvent
from catalog.attendance import services as attendance
from catalog.attendance.models import Absence
from catalog.grades import closing
from catalog.grades import services as grades
from catalog.grades.models import Average, ClassClosing, Exam, Grade, YearResult
from catalog.structure import services as structure
from catalog.structure.models import Exemption, Level
from tests.catalog.conftest import cnp_for
from tests.catalog.grades.test_standings import conduct_everywhere, exempt_from_pe_and_religion, grade_and_close

Status = YearResult.Status
MATH, ROMANIAN, RELIGION = "Matematică", "Limba și literatura română", "Religie"


def today() -> date:
    return timezone.localdate()


def result_of(cast, student, school_class=None) -> YearResult:
    return YearResult.objects.get(student=student, school_class=school_class or cast.class_5a)


@pytest.fixture
def year_end(cast):
    """5A ready to close: Ana promoted (math 9, Romanian 8), Bogdan failing mathematics (4);
    both without PE and religion; conduct 10 in every module."""
    for student, math in [(cast.ana, [10, 9, 9]), (cast.bogdan, [4, 4, 5])]:
        exempt_from_pe_and_religion(cast, student)
        grade_and_close(cast, student, cast.mihai, cast.math, math)
        grade_and_close(cast, student, cast.elena, cast.romanian, [8, 8, 9])
        conduct_everywhere(cast, student, 10)
    return cast


def test_closing_stores_each_students_result_and_audits_it(year_end):
    cast = year_end
    results = closing.class_results_close(actor=cast.elena, school_class=cast.class_5a)
    assert len(results) == 2
    ana, bogdan = result_of(cast, cast.ana), result_of(cast, cast.bogdan)
    assert (ana.status, ana.general_average, ana.conduct) == (Status.PROMOVAT, Decimal("9.00"), "10.00")
    assert ana.averages == {ROMANIAN: 8, MATH: 9}
    assert (bogdan.status, bogdan.failed, bogdan.general_average) == (Status.CORIGENT, [MATH], None)
    assert AuditEvent.objects.filter(action="result.set").count() == 2
    assert AuditEvent.objects.filter(action="results.closed").count() == 1


def test_closing_is_refused_naming_every_missing_average_and_conduct_grade(cast):
    exempt_from_pe_and_religion(cast, cast.ana)
    grade_and_close(cast, cast.ana, cast.mihai, cast.math, [9])
    with pytest.raises(ValidationError) as refused:
        closing.class_results_close(actor=cast.elena, school_class=cast.class_5a)
    messages = refused.value.messages
    assert "Ana Marin: media la Limba și literatura română nu este încheiată." in messages
    assert "Ana Marin: lipsește nota la purtare pentru cel puțin o perioadă." in messages
    assert "Bogdan Avram: media la Matematică nu este încheiată." in messages
    assert not YearResult.objects.exists() and not ClassClosing.objects.exists()


@pytest.mark.parametrize("who", ["mihai", "admin", "director", "maria"])
def test_only_the_homeroom_teacher_closes_the_class(year_end, who):
    with pytest.raises(NotAllowed):
        closing.class_results_close(actor=getattr(year_end, who), school_class=year_end.class_5a)
    assert not ClassClosing.objects.exists()


def test_a_closed_class_refuses_every_catalog_write(year_end):
    cast = year_end
    closing.class_results_close(actor=cast.elena, school_class=cast.class_5a)
    grade = Grade.objects.filter(student=cast.ana, subject=cast.romanian).first()
    average = Average.objects.get(student=cast.ana, subject=cast.math)
    absence_day = cast.year.starts + timedelta(days=3)
    writes = [
        lambda: grades.grade_add(
            teacher=cast.mihai, student=cast.ana, school_class=cast.class_5a, subject=cast.math, on=cast.day, value=7
        ),
        lambda: grades.grade_change(teacher=cast.elena, grade=grade, value=10, reason="greșeală"),
        lambda: grades.grade_delete(teacher=cast.elena, grade=grade, reason="greșeală"),
        lambda: grades.average_reopen(actor=cast.director, average=average, reason="contestație"),
        lambda: grades.conduct_set(
            homeroom=cast.elena, student=cast.ana, school_class=cast.class_5a, period=cast.year.periods.first(),
            value=9, reason="revizuire",
        ),
        lambda: attendance.absence_record(
            teacher=cast.mihai, student=cast.ana, school_class=cast.class_5a, subject=cast.math, on=absence_day, hour=1
        ),
        lambda: attendance.absences_excuse(
            homeroom=cast.elena, student=cast.ana, school_class=cast.class_5a, starts=absence_day, ends=absence_day,
            reason="medical", document="12", document_date=absence_day,
        ),
    ]  # fmt: skip
    for write in writes:
        with pytest.raises(ValidationError) as refused:
            write()
        assert refused.value.code == "results_closed"
        assert "este încheiată" in refused.value.messages[0]
    assert Grade.objects.filter(student=cast.ana, subject=cast.math).count() == 3
    assert Average.objects.get(pk=average.pk).closed


def test_a_passed_resit_promotes_and_its_grade_counts_in_the_general_average(year_end):
    cast = year_end
    closing.class_results_close(actor=cast.elena, school_class=cast.class_5a)
    result = closing.exam_record(
        actor=cast.director, student=cast.bogdan, school_class=cast.class_5a, subject=cast.math,
        kind=Exam.Kind.RESIT, on=today(), grade="7",
    )  # fmt: skip
    assert (result.status, result.failed) == (Status.PROMOVAT, [])
    assert result.averages[MATH] == 7
    assert result.general_average == Decimal("8.33")  # (7 + 8 + 10) / 3
    assert result_of(cast, cast.bogdan).status == Status.PROMOVAT
    assert AuditEvent.objects.filter(action="exam.recorded").count() == 1


@pytest.mark.parametrize("outcome", [{"grade": "4"}, {"absent": True}])
def test_a_failed_or_missed_resit_makes_a_repetent(year_end, outcome):
    cast = year_end
    closing.class_results_close(actor=cast.elena, school_class=cast.class_5a)
    result = closing.exam_record(
        actor=cast.director, student=cast.bogdan, school_class=cast.class_5a, subject=cast.math,
        kind=Exam.Kind.RESIT, on=today(), **outcome,
    )  # fmt: skip
    assert result.status == Status.REPETENT


def test_exams_are_refused_where_they_do_not_belong(year_end):
    cast = year_end
    exam = {"school_class": cast.class_5a, "on": today(), "grade": "8"}
    with pytest.raises(ValidationError, match="nu este încheiată"):  # before the class is closed
        closing.exam_record(actor=cast.director, student=cast.bogdan, subject=cast.math, kind="resit", **exam)
    closing.class_results_close(actor=cast.elena, school_class=cast.class_5a)
    refusals = [
        ({"student": cast.ana, "subject": cast.math, "kind": "resit"}, "nu este corigent"),
        ({"student": cast.bogdan, "subject": cast.romanian, "kind": "resit"}, "nu este corigent"),
        ({"student": cast.bogdan, "subject": cast.math, "kind": "deferred"}, "nu are situația neîncheiată"),
        ({"student": cast.bogdan, "subject": cast.math, "kind": "oral"}, "nu este valid"),
        ({"student": cast.bogdan, "subject": cast.math, "kind": "resit", "grade": "11"}, "de la 1 la 10"),
        (
            {"student": cast.bogdan, "subject": cast.math, "kind": "resit", "on": today() + timedelta(days=1)},
            "în viitor",
        ),
    ]
    for arguments, message in refusals:
        with pytest.raises(ValidationError, match=message):
            closing.exam_record(actor=cast.director, **{**exam, **arguments})
    for who in ("mihai", "admin", "elena", "parent"):
        with pytest.raises(NotAllowed):
            closing.exam_record(actor=getattr(cast, who), student=cast.bogdan, subject=cast.math, kind="resit", **exam)
    closing.exam_record(actor=cast.director, student=cast.bogdan, subject=cast.math, kind="resit", **exam)
    with pytest.raises(ValidationError, match="deja înregistrat"):
        closing.exam_record(actor=cast.director, student=cast.bogdan, subject=cast.math, kind="resit", **exam)
    assert Exam.objects.count() == 1


def many_absences(cast, student, subject, hours):
    """`hours` absences at `subject` (bulk: what a year of them looks like)."""
    days = [cast.year.starts + timedelta(days=n) for n in range(hours)]
    teacher = cast.elena if subject == cast.religion else cast.dan
    Absence.objects.bulk_create(
        Absence(student=student, school_class=cast.class_5a, subject=subject, teacher=teacher, on=day, hour=1)
        for day in days
    )


def test_half_the_hours_missed_with_too_few_grades_leaves_the_subject_open_until_its_exam(year_end):
    cast = year_end
    # Bogdan attends religion after all: 1 h/week = 34 h a year; 17 absences are half of them.
    Exemption.objects.filter(student=cast.bogdan, subject=cast.religion).delete()
    many_absences(cast, cast.bogdan, cast.religion, 17)
    closing.class_results_close(actor=cast.elena, school_class=cast.class_5a)
    result = result_of(cast, cast.bogdan)
    assert (result.status, result.deferred, result.failed) == (Status.AMANAT, [RELIGION], [MATH])
    exam = {"actor": cast.director, "student": cast.bogdan, "school_class": cast.class_5a, "on": today()}
    with pytest.raises(ValidationError, match="nu este corigent"):  # amânat: no resit before the deferral closes
        closing.exam_record(subject=cast.math, kind="resit", grade="7", **exam)
    result = closing.exam_record(subject=cast.religion, kind="deferred", grade="9", **exam)
    assert (result.status, result.deferred, result.failed) == (Status.CORIGENT, [], [MATH])
    assert Average.objects.get(student=cast.bogdan, subject=cast.religion).value == 9
    result = closing.exam_record(subject=cast.math, kind="resit", grade="5", **exam)
    assert result.status == Status.PROMOVAT
    # Conduct 10 − 1: the 17 unexcused hours are over 20% of religion's 34 (rule 10). (5 + 8 + 9 + 9) / 4
    assert (result.conduct, result.general_average) == ("9.00", Decimal("7.75"))


def test_a_subject_without_an_average_and_without_a_reason_to_defer_it_blocks_the_closing(year_end):
    cast = year_end
    Exemption.objects.filter(student=cast.bogdan, subject=cast.religion).delete()
    many_absences(cast, cast.bogdan, cast.religion, 16)  # one short of half the hours
    with pytest.raises(ValidationError, match="Bogdan Avram: media la Religie nu este încheiată"):
        closing.class_results_close(actor=cast.elena, school_class=cast.class_5a)


def test_an_approved_deferral_leaves_the_subject_open_and_a_failed_deferred_exam_leads_to_a_resit(year_end):
    cast = year_end
    structure.exemption_set(
        actor=cast.admin, student=cast.ana, year=cast.year, subject=cast.pe, kind=Exemption.Kind.DEFERRED
    )
    closing.class_results_close(actor=cast.elena, school_class=cast.class_5a)
    ana = result_of(cast, cast.ana)
    assert (ana.status, ana.deferred) == (Status.AMANAT, ["Educație fizică"])
    exam = {"actor": cast.director, "student": cast.ana, "school_class": cast.class_5a, "on": today()}
    result = closing.exam_record(subject=cast.pe, kind="deferred", grade="4", **exam)
    assert (result.status, result.failed) == (Status.CORIGENT, ["Educație fizică"])
    result = closing.exam_record(subject=cast.pe, kind="resit", grade="6", **exam)
    assert result.status == Status.PROMOVAT


def test_missing_the_deferred_exam_loses_the_year(year_end):
    cast = year_end
    structure.exemption_set(
        actor=cast.admin, student=cast.ana, year=cast.year, subject=cast.pe, kind=Exemption.Kind.DEFERRED
    )
    closing.class_results_close(actor=cast.elena, school_class=cast.class_5a)
    result = closing.exam_record(
        actor=cast.director, student=cast.ana, school_class=cast.class_5a, subject=cast.pe, kind="deferred",
        on=today(), absent=True,
    )  # fmt: skip
    assert result.status == Status.REPETENT


def test_only_the_director_reopens_a_class_with_a_reason_and_the_class_can_be_written_again(year_end):
    cast = year_end
    closing.class_results_close(actor=cast.elena, school_class=cast.class_5a)
    for who in ("elena", "admin", "mihai"):
        with pytest.raises(NotAllowed):
            closing.class_results_reopen(actor=getattr(cast, who), school_class=cast.class_5a, reason="eroare")
    with pytest.raises(ValidationError, match="motivul"):
        closing.class_results_reopen(actor=cast.director, school_class=cast.class_5a, reason="  ")
    assert ClassClosing.objects.exists()
    closing.class_results_reopen(actor=cast.director, school_class=cast.class_5a, reason="contestație admisă")
    assert not ClassClosing.objects.exists() and not YearResult.objects.exists()
    event = AuditEvent.objects.get(action="results.reopened")
    assert event.reason == "contestație admisă"
    average = Average.objects.get(student=cast.bogdan, subject=cast.math)
    grades.average_reopen(actor=cast.director, average=average, reason="contestație admisă")
    grades.grade_add(
        teacher=cast.mihai, student=cast.bogdan, school_class=cast.class_5a, subject=cast.math, on=cast.day, value=10
    )
    grades.average_close(teacher=cast.mihai, student=cast.bogdan, school_class=cast.class_5a, subject=cast.math)
    closing.class_results_close(actor=cast.elena, school_class=cast.class_5a)
    assert result_of(cast, cast.bogdan).status == Status.PROMOVAT  # [4, 4, 5, 10] → 5.75 → 6
    with pytest.raises(ValidationError, match="nu este încheiată"):
        closing.class_results_reopen(actor=cast.director, school_class=cast.class_3a, reason="eroare")


def close_3a_and_6b(cast):
    """3A (calificative): Ioana promoted; 6B, given a homeroom teacher: Victor promoted."""
    for subject, calificativ in [(cast.math, "FB"), (cast.romanian, "B")]:
        grades.grade_add(
            teacher=cast.maria, student=cast.ioana, school_class=cast.class_3a, subject=subject, on=cast.day,
            calificativ=calificativ,
        )  # fmt: skip
        grades.average_close(teacher=cast.maria, student=cast.ioana, school_class=cast.class_3a, subject=subject)
    for period in cast.year.periods.all():
        grades.conduct_set(
            homeroom=cast.maria, student=cast.ioana, school_class=cast.class_3a, period=period, calificativ="FB"
        )
    structure.homeroom_set(actor=cast.director, school_class=cast.class_6b, homeroom=cast.radu)
    cast.radu.refresh_from_db()
    cast.class_6b.refresh_from_db()
    grades.grade_add(
        teacher=cast.radu, student=cast.victor, school_class=cast.class_6b, subject=cast.math, on=cast.day, value=8
    )
    grades.average_close(teacher=cast.radu, student=cast.victor, school_class=cast.class_6b, subject=cast.math)
    for period in cast.year.periods.all():
        grades.conduct_set(homeroom=cast.radu, student=cast.victor, school_class=cast.class_6b, period=period, value=9)
    closing.class_results_close(actor=cast.maria, school_class=cast.class_3a)
    closing.class_results_close(actor=cast.radu, school_class=cast.class_6b)


def test_a_primary_class_is_closed_with_calificative_and_no_general_average(year_end):
    cast = year_end
    close_3a_and_6b(cast)
    ioana = result_of(cast, cast.ioana, cast.class_3a)
    assert (ioana.status, ioana.averages, ioana.conduct, ioana.general_average) == (
        Status.PROMOVAT, {ROMANIAN: "B", MATH: "FB"}, "FB", None,
    )  # fmt: skip
    assert result_of(cast, cast.victor, cast.class_6b).general_average == Decimal("8.50")


def test_the_preparatory_class_closes_with_everyone_promoted(cast):
    prep = structure.class_create(
        actor=cast.director, year=cast.year, level=Level.PREP, letter="A", homeroom=cast.maria
    )
    cast.maria.refresh_from_db()
    structure.curriculum_set(actor=cast.admin, school_class=prep, subject=cast.romanian, weekly_hours=7)
    child = structure.student_create(
        actor=cast.admin, first_name="Luca", last_name="Rusu", cnp=cnp_for(date(2020, 2, 2), 150), school_class=prep,
        starts=cast.year.starts,
    )  # fmt: skip
    closing.class_results_close(actor=cast.maria, school_class=prep)
    assert result_of(cast, child, prep).status == Status.PROMOVAT


def test_the_year_closes_only_when_every_class_is_closed_and_no_exam_is_pending(year_end):
    cast = year_end
    with pytest.raises(NotAllowed):
        closing.year_close(actor=cast.admin, year=cast.year)
    closing.class_results_close(actor=cast.elena, school_class=cast.class_5a)
    with pytest.raises(ValidationError, match="la clasele: Clasa a III-a A, Clasa a VI-a B"):
        closing.year_close(actor=cast.director, year=cast.year)
    close_3a_and_6b(cast)
    with pytest.raises(ValidationError, match="1 elevi așteaptă examene"):
        closing.year_close(actor=cast.director, year=cast.year)
    closing.exam_record(
        actor=cast.director, student=cast.bogdan, school_class=cast.class_5a, subject=cast.math, kind="resit",
        on=today(), grade="6",
    )  # fmt: skip
    closing.year_close(actor=cast.director, year=cast.year)
    cast.year.refresh_from_db()
    assert cast.year.is_closed and cast.year.closed_by == cast.director
    event = AuditEvent.objects.get(action="year.closed")
    statuses = event.new_values["statuses"]
    assert statuses["promovat"] >= 1 and "legacy" not in event.new_values
    assert sum(statuses.values()) == YearResult.objects.filter(school_class__year=cast.year).count()
    frozen = [
        lambda: grades.grade_add(
            teacher=cast.mihai, student=cast.ana, school_class=cast.class_5a, subject=cast.math, on=cast.day, value=7
        ),
        lambda: closing.class_results_reopen(actor=cast.director, school_class=cast.class_5a, reason="eroare"),
        lambda: closing.year_close(actor=cast.director, year=cast.year),
        lambda: structure.curriculum_set(
            actor=cast.admin, school_class=cast.class_5a, subject=cast.math, weekly_hours=5
        ),
    ]
    for write in frozen:
        with pytest.raises(ValidationError, match="este încheiat"):
            write()


def test_a_student_who_joined_mid_year_is_closed_with_the_conduct_of_the_periods_they_were_in(cast):
    """A move from a parallel class (or a transfer in) after the first periods: the homeroom
    teacher cannot grade conduct for periods before the student came, and the class closes
    with the conduct of the periods since (DOMAIN rule 10)."""
    from catalog.structure.models import Enrolment, SchoolYear

    year = structure.year_create(
        actor=cast.admin, name="2024-2025", starts=date(2024, 9, 9), ends=date(2025, 6, 20),
        structure=SchoolYear.Structure.MODULES,
    )  # fmt: skip
    v_a = structure.class_create(actor=cast.director, year=year, level=Level.V, letter="A", homeroom=cast.elena)
    v_b = structure.class_create(actor=cast.admin, year=year, level=Level.V, letter="B")
    for school_class in (v_a, v_b):
        structure.curriculum_set(actor=cast.admin, school_class=school_class, subject=cast.math, weekly_hours=1)
        structure.assignment_create(
            actor=cast.director, teacher=cast.mihai, school_class=school_class, subject=cast.math
        )
    carmen = structure.student_create(
        actor=cast.admin, first_name="Carmen", last_name="Nou", cnp=cnp_for(date(2013, 6, 1), 401), school_class=v_b,
        starts=year.starts,
    )  # fmt: skip
    periods = list(year.periods.order_by("number"))
    structure.enrolment_move(
        actor=cast.admin, enrolment=Enrolment.objects.get(student=carmen), to_class=v_a, on=periods[2].starts
    )
    for value in (8, 9, 9, 10):
        grades.grade_add(
            teacher=cast.mihai, student=carmen, school_class=v_a, subject=cast.math, on=periods[3].starts, value=value
        )
    grades.average_close(teacher=cast.mihai, student=carmen, school_class=v_a, subject=cast.math)
    with pytest.raises(ValidationError):  # she was in V B then
        grades.conduct_set(homeroom=cast.elena, student=carmen, school_class=v_a, period=periods[0], value=10)
    for period, value in zip(periods[2:], (10, 9, 8), strict=True):
        grades.conduct_set(homeroom=cast.elena, student=carmen, school_class=v_a, period=period, value=value)
    closing.class_results_close(actor=cast.elena, school_class=v_a)
    result = result_of(cast, carmen, v_a)
    assert (result.status, result.conduct, result.general_average) == (Status.PROMOVAT, "9.00", Decimal("9.00"))
