"""A student who moves to a parallel class mid-year keeps their year (DOMAIN rules 3, 5, 10, 11,
14, 17): the new class's catalog counts the grades, absences and conduct grades recorded in the
class they left before the move, as a paper catalog has them transcribed at the move."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from catalog.attendance import services as attendance
from catalog.attendance.models import Notice
from catalog.grades import closing
from catalog.grades import selectors as reads
from catalog.grades import services as grades
from catalog.grades.averages import Status
from catalog.grades.models import YearResult
from catalog.structure import services as structure
from catalog.structure.models import CurriculumEntry, Enrolment, LearningPeriod, Level, SchoolClass, SchoolYear, Student
from catalog.web.gradebook_rows import RowView
from tests.catalog.conftest import cnp_for, past_year_with_5a, weekdays


@dataclass
class Moved:
    year: SchoolYear
    origin: SchoolClass  # V B: Radu teaches mathematics, Maria is the homeroom teacher
    target: SchoolClass  # V A: Mihai teaches mathematics, Elena is the homeroom teacher
    periods: list[LearningPeriod]
    carmen: Student  # in V B until two weeks into the third module, then in V A

    def school_days(self, period: int, count: int) -> list[date]:
        """`count` weekdays from the start of a period."""
        return weekdays(self.periods[period].starts, count)


@pytest.fixture
def moved(cast) -> Moved:
    year, target = past_year_with_5a(cast)
    origin = structure.class_create(actor=cast.director, year=year, level=Level.V, letter="B", homeroom=cast.maria)
    structure.curriculum_set(actor=cast.admin, school_class=origin, subject=cast.math, weekly_hours=1)
    structure.assignment_create(actor=cast.director, teacher=cast.radu, school_class=origin, subject=cast.math)
    carmen = structure.student_create(
        actor=cast.admin, first_name="Carmen", last_name="Nou", cnp=cnp_for(date(2013, 6, 1), 401),
        school_class=origin, starts=year.starts,
    )  # fmt: skip
    periods = list(year.periods.order_by("number"))
    structure.enrolment_move(  # two weeks into the third module: both classes grade its conduct
        actor=cast.admin, enrolment=Enrolment.objects.get(student=carmen), to_class=target,
        on=periods[2].starts + timedelta(days=14),
    )  # fmt: skip
    return Moved(year=year, origin=origin, target=target, periods=periods, carmen=carmen)


def grade(teacher, moved: Moved, school_class: SchoolClass, on: date, value: int, subject):
    return grades.grade_add(
        teacher=teacher, student=moved.carmen, school_class=school_class, subject=subject, on=on, value=value
    )


def conduct(homeroom, moved: Moved, school_class: SchoolClass, periods: list[LearningPeriod], value: int):
    for period in periods:
        grades.conduct_set(
            homeroom=homeroom, student=moved.carmen, school_class=school_class, period=period, value=value
        )


def close_average(teacher, moved: Moved, subject):
    return grades.average_close(teacher=teacher, student=moved.carmen, school_class=moved.target, subject=subject)


def absent(teacher, moved: Moved, school_class: SchoolClass, days: list[date], subject, hours=(1,)):
    for day in days:
        for hour in hours:
            attendance.absence_record(
                teacher=teacher, student=moved.carmen, school_class=school_class, subject=subject, on=day, hour=hour
            )


def test_the_grades_from_the_class_left_count_in_the_new_class_average_and_minimum(cast, moved):
    """Rules 3 and 5: 4, 4 given in V B and 5, 5 in V A make an average of 5 (18/4 = 4.5, .50
    up) from four grades, the minimum for one weekly hour; V A's grades alone would be two."""
    for day, value in zip(moved.school_days(0, 2), (4, 4), strict=True):
        grade(cast.radu, moved, moved.origin, day, value, cast.math)
    for day, value in zip(moved.school_days(3, 2), (5, 5), strict=True):
        grade(cast.mihai, moved, moved.target, day, value, cast.math)

    average = grades.average_close(
        teacher=cast.mihai, student=moved.carmen, school_class=moved.target, subject=cast.math
    )

    assert average.value == 5
    assert not any("note" in warning for warning in average.warnings)  # four grades: no minimum warning


def test_the_new_class_gradebook_shows_the_earlier_grades_marked_and_not_to_correct(cast, moved):
    earlier = grade(cast.radu, moved, moved.origin, moved.school_days(0, 1)[0], 7, cast.math)
    later = grade(cast.mihai, moved, moved.target, moved.school_days(3, 1)[0], 9, cast.math)
    absent(cast.radu, moved, moved.origin, moved.school_days(1, 1), cast.math)

    (row,) = reads.gradebook(school_class=moved.target, subject=cast.math)

    assert row.grades == [earlier, later]
    assert row.preview == "8"
    assert len(row.absences) == 1 and row.unexcused == 1
    assert "a V-a B" in RowView(row).grades_html  # the class the grade was given in
    assert f"/note/{later.pk}/" in RowView(row).corrections_html
    assert f"/note/{earlier.pk}/" not in RowView(row).corrections_html  # V B's teacher corrects it, not V A's
    # The class left keeps its own catalog: the student is no longer in it.
    assert reads.gradebook(school_class=moved.origin, subject=cast.math) == []


def test_the_student_page_shows_the_whole_year(cast, moved):
    grade(cast.radu, moved, moved.origin, moved.school_days(0, 1)[0], 7, cast.math)
    grade(cast.mihai, moved, moved.target, moved.school_days(3, 1)[0], 9, cast.math)
    conduct(cast.maria, moved, moved.origin, moved.periods[0:1], 9)
    conduct(cast.elena, moved, moved.target, moved.periods[2:3], 10)

    year = reads.student_year(student=moved.carmen, school_class=moved.target)

    (math,) = year.subjects
    assert [g.value for g in math.grades] == [7, 9]
    assert [(c.period.number, c.value) for c in year.conduct] == [(1, 9), (3, 10)]


def test_conduct_is_the_mean_of_every_module_and_deducts_the_whole_year_absences(cast, moved):
    """Rule 10: modules 1–2 graded in V B, 3–5 in V A; 20 unexcused absences, 12 of them in
    V B, take one point: (10 + 10 + 10 + 10 + 10) / 5 − 1 = 9."""
    conduct(cast.maria, moved, moved.origin, moved.periods[:2], 10)
    conduct(cast.elena, moved, moved.target, moved.periods[2:], 10)
    for school_class, teacher in ((moved.origin, cast.radu), (moved.target, cast.mihai)):
        structure.curriculum_set(actor=cast.admin, school_class=school_class, subject=cast.romanian, weekly_hours=5)
        structure.assignment_create(
            actor=cast.director, teacher=teacher, school_class=school_class, subject=cast.romanian
        )
    absent(cast.radu, moved, moved.origin, moved.school_days(0, 6), cast.romanian, hours=(1, 2))
    absent(cast.mihai, moved, moved.target, moved.school_days(3, 4), cast.romanian, hours=(1, 2))

    (standing,) = reads.class_standings(school_class=moved.target, provisional=True)

    assert standing.conduct == Decimal("9.00")


def test_a_period_graded_in_both_classes_counts_once_with_the_new_class_grade(cast, moved):
    """The move's period: V B graded it before the student left, V A at its end."""
    conduct(cast.maria, moved, moved.origin, moved.periods[:2], 10)
    conduct(cast.maria, moved, moved.origin, moved.periods[2:3], 6)
    conduct(cast.elena, moved, moved.target, moved.periods[2:], 8)

    (standing,) = reads.class_standings(school_class=moved.target)

    assert standing.conduct == Decimal("8.80")  # (10 + 10 + 8 + 8 + 8) / 5, not V B's 6


def test_conduct_is_not_complete_while_a_period_of_the_new_class_has_no_grade(cast, moved):
    conduct(cast.maria, moved, moved.origin, moved.periods[:2], 10)
    conduct(cast.elena, moved, moved.target, moved.periods[2:4], 10)  # the last module is missing

    (standing,) = reads.class_standings(school_class=moved.target)

    assert standing.conduct is None


def test_the_class_closes_with_the_year_record(cast, moved):
    """Rule 11 at the year's end: the earlier grades make the average; the conduct of all five
    modules makes the conduct; the student is promoted with the right medie generală."""
    for day, value in zip(moved.school_days(0, 3), (10, 10, 10), strict=True):
        grade(cast.radu, moved, moved.origin, day, value, cast.math)
    grade(cast.mihai, moved, moved.target, moved.school_days(3, 1)[0], 6, cast.math)
    close_average(cast.mihai, moved, cast.math)
    conduct(cast.maria, moved, moved.origin, moved.periods[:2], 8)
    conduct(cast.elena, moved, moved.target, moved.periods[2:], 10)

    closing.class_results_close(actor=cast.elena, school_class=moved.target)

    result = YearResult.objects.get(student=moved.carmen, school_class=moved.target)
    # Mathematics: 36/4 = 9; conduct (8 + 8 + 10 + 10 + 10) / 5 = 9.20; medie generală (9 + 9.20) / 2.
    assert (result.status, result.averages, result.conduct) == (Status.PROMOVAT, {"Matematică": 9}, "9.20")
    assert result.general_average == Decimal("9.10")


def test_half_the_hours_missed_across_both_classes_defers_the_subject(cast, moved):
    """Rule 11: half the yearly hours missed, 10 of them in V B, and one grade: the subject stays
    open (amânat), and the class can close without its average."""
    half = -(-CurriculumEntry.objects.get(school_class=moved.target, subject=cast.math).yearly_hours // 2)
    absent(cast.radu, moved, moved.origin, moved.school_days(0, 10), cast.math)
    absent(cast.mihai, moved, moved.target, moved.school_days(3, half - 10), cast.math)
    grade(cast.mihai, moved, moved.target, moved.school_days(4, 1)[0], 9, cast.math)
    conduct(cast.elena, moved, moved.target, moved.periods[2:], 10)

    closing.class_results_close(actor=cast.elena, school_class=moved.target)

    result = YearResult.objects.get(student=moved.carmen, school_class=moved.target)
    assert (result.status, result.deferred) == (Status.AMANAT, ["Matematică"])


def test_the_new_homeroom_teacher_excuses_absences_from_before_the_move(cast, moved):
    """Rule 14: the medical certificate comes after the move; the new class's homeroom teacher
    excuses the absences it covers, wherever they were recorded."""
    days = moved.school_days(1, 2)
    absent(cast.radu, moved, moved.origin, days, cast.math)

    result = attendance.absences_excuse(
        homeroom=cast.elena, student=moved.carmen, school_class=moved.target, starts=days[0], ends=days[-1],
        reason="medical", document="123", document_date=days[-1], today=days[-1],
    )  # fmt: skip

    assert result.excusal.absences.count() == 2
    assert reads.class_unexcused(school_class=moved.target) == {}


def test_notices_count_the_year_and_are_not_sent_twice_after_a_move(cast, moved):
    """Rule 17: the parents were told at 10 in V B; the 20th absence, in V A, tells them again
    (20), and not a second time at 10."""
    rules = moved.year.rule_set
    rules.notify_at, rules.notify_subject_percent = [10, 20], 100  # not the share of a subject's hours here
    rules.save(update_fields=["notify_at", "notify_subject_percent"])
    absent(cast.radu, moved, moved.origin, moved.school_days(0, 5), cast.math, hours=(1, 2))
    assert list(Notice.objects.values_list("school_class", "threshold")) == [(moved.origin.pk, 10)]

    absent(cast.mihai, moved, moved.target, moved.school_days(3, 5), cast.math, hours=(1, 2))

    notices = Notice.objects.order_by("threshold").values_list("school_class", "threshold")
    assert list(notices) == [(moved.origin.pk, 10), (moved.target.pk, 20)]


def test_a_grade_of_the_class_left_is_locked_once_the_new_class_closes_the_average(cast, moved):
    earlier = grade(cast.radu, moved, moved.origin, moved.school_days(0, 1)[0], 7, cast.math)
    for day in moved.school_days(3, 3):
        grade(cast.mihai, moved, moved.target, day, 9, cast.math)
    close_average(cast.mihai, moved, cast.math)

    with pytest.raises(ValidationError, match="încheiată"):
        grades.grade_change(teacher=cast.radu, grade=earlier, value=10, reason="greșeală de tastare")
    earlier.refresh_from_db()
    assert earlier.value == 7


def test_the_class_left_cannot_close_an_average_that_would_lock_the_new_class_s_grades(cast, moved):
    for day in moved.school_days(0, 3):
        grade(cast.radu, moved, moved.origin, day, 7, cast.math)
    with pytest.raises(ValidationError, match="media lui se încheie în clasa în care învață acum") as refused:
        grades.average_close(teacher=cast.radu, student=moved.carmen, school_class=moved.origin, subject=cast.math)
    assert refused.value.code == "left"
    assert not moved.carmen.averages.exists()
    grade(cast.mihai, moved, moved.target, moved.school_days(3, 1)[0], 9, cast.math)  # the new class still grades
    assert close_average(cast.mihai, moved, cast.math).value == 8  # 7, 7, 7 and 9: 7.50 rounds up
