"""The configurable rules of DOMAIN rules 6 and 10, changed through a new rule-set version and
seen end to end in the standings and the stored results (the arithmetic itself is tested in
test_averages.py)."""

from datetime import timedelta
from decimal import Decimal

import pytest

from catalog.attendance.models import Absence
from catalog.grades import closing
from catalog.grades import services as grades
from catalog.grades.models import YearResult
from catalog.structure import services as structure
from catalog.structure.models import CurriculumEntry, RuleSet
from tests.catalog.grades.test_standings import (
    conduct_everywhere,
    exempt_from_pe_and_religion,
    grade_and_close,
    standing_of,
)


def revise(cast, **changes) -> None:
    structure.rules_revise(actor=cast.admin, year=cast.year, note="regulamentul școlii", **changes)
    cast.class_5a.year.refresh_from_db()


def conduct_per_period(cast, student, values) -> None:
    for period, value in zip(cast.year.periods.order_by("number"), values, strict=True):
        grades.conduct_set(homeroom=cast.elena, student=student, school_class=cast.class_5a, period=period, value=value)


def unexcused(cast, student, subject, count: int, *, from_day: int = 0) -> None:
    """`count` unexcused absences at `subject`, six hours a day from the year's start (+ `from_day` days)."""
    Absence.objects.bulk_create(
        Absence(student=student, school_class=cast.class_5a, subject=subject, teacher=cast.elena,
                on=cast.year.starts + timedelta(days=from_day + n // 6), hour=1 + n % 6)
        for n in range(count)
    )  # fmt: skip


@pytest.mark.parametrize(("truncate", "expected"), [(False, Decimal("9.47")), (True, Decimal("9.46"))])
def test_the_stored_general_average_rounds_or_truncates_as_the_rule_set_says(cast, truncate, expected):
    """Rule 6: mathematics 10, Romanian 9 and conduct 9.40 ((10 + 10 + 9 + 9 + 9) / 5) give
    28.4 / 3 = 9.4666…: 9.47 rounded half up (the default), 9.46 truncated."""
    if truncate:
        revise(cast, general_average_truncate=True)
    for student in (cast.ana, cast.bogdan):
        exempt_from_pe_and_religion(cast, student)
        grade_and_close(cast, student, cast.mihai, cast.math, [10])
        grade_and_close(cast, student, cast.elena, cast.romanian, [9])
    conduct_per_period(cast, cast.ana, [10, 10, 9, 9, 9])
    conduct_everywhere(cast, cast.bogdan, 10)

    assert standing_of(cast, cast.ana).general_average == expected
    closing.class_results_close(actor=cast.elena, school_class=cast.class_5a)
    assert YearResult.objects.get(student=cast.ana).general_average == expected


@pytest.mark.parametrize(("step", "expected"), [(20, Decimal("10.00")), (10, Decimal("9.00")), (5, Decimal("8.00"))])
def test_the_number_of_unexcused_absences_per_conduct_point_is_the_rule_sets(cast, step, expected):
    """Rule 10: 12 unexcused absences at Romanian (far below its 20% share) take nothing with
    the default 20 per point, one point with 10, two with 5."""
    if step != 20:
        revise(cast, conduct_absence_step=step)
    conduct_everywhere(cast, cast.bogdan, 10)
    unexcused(cast, cast.bogdan, cast.romanian, 12)

    assert standing_of(cast, cast.bogdan).conduct == expected


@pytest.mark.parametrize(("percent", "expected"), [(20, Decimal("10.00")), (10, Decimal("9.00"))])
def test_the_share_of_a_subjects_hours_that_costs_a_conduct_point_is_the_rule_sets(cast, percent, expected):
    """Rule 10: a tenth of physical education's yearly hours missed, unexcused (fewer than 20
    absences in all): no point at the default 20%, one point at 10%."""
    if percent != 20:
        revise(cast, conduct_subject_percent=percent)
    yearly = CurriculumEntry.objects.get(school_class=cast.class_5a, subject=cast.pe).yearly_hours
    tenth = -(-yearly // 10)
    assert tenth < 20 and tenth * 5 < yearly  # neither the 20-absence step nor the default 20% share
    conduct_everywhere(cast, cast.bogdan, 10)
    unexcused(cast, cast.bogdan, cast.pe, tenth)

    assert standing_of(cast, cast.bogdan).conduct == expected


@pytest.mark.parametrize(("add", "expected"), [(True, Decimal("8.00")), (False, Decimal("9.00"))])
def test_whether_the_two_conduct_deductions_add_up_is_the_rule_sets(cast, add, expected):
    """Rule 10: 20 unexcused absences, all at physical education (over 20% of its hours), reach
    both the 20-absence step and the subject's share: two points when they add up (the
    default), the larger one (one point) when they do not."""
    if not add:
        revise(cast, conduct_deductions_add=False)
    yearly = CurriculumEntry.objects.get(school_class=cast.class_5a, subject=cast.pe).yearly_hours
    assert yearly <= 20 * 5  # 20 absences reach the 20% share
    conduct_everywhere(cast, cast.bogdan, 10)
    unexcused(cast, cast.bogdan, cast.pe, 20)

    standing = standing_of(cast, cast.bogdan)

    assert standing.conduct == expected


def over_the_share_at_pe_and_religion(cast, student) -> int:
    """Unexcused absences reaching 20% of the yearly hours at physical education and at religion
    (nowhere else); returns the points the 20-absence step takes for them."""
    counts = []
    for subject in (cast.pe, cast.religion):
        yearly = CurriculumEntry.objects.get(school_class=cast.class_5a, subject=subject).yearly_hours
        counts.append(-(-yearly // 5))  # the least count reaching a fifth
    unexcused(cast, student, cast.pe, counts[0])
    unexcused(cast, student, cast.religion, counts[1], from_day=-(-counts[0] // 6))  # the days after
    return sum(counts) // 20


def ten_less(points: int) -> Decimal:
    return Decimal(10 - points).quantize(Decimal("0.01"))


PER_SUBJECT, ONCE = RuleSet.SubjectDeduction.PER_SUBJECT, RuleSet.SubjectDeduction.ONCE


@pytest.mark.parametrize(("deduction", "subject_points"), [(None, 2), (PER_SUBJECT, 2), (ONCE, 1)])
def test_unexcused_absences_over_the_share_at_two_subjects_cost_a_point_each_unless_the_rules_count_them_once(
    cast, deduction, subject_points
):
    """Rule 10: the Statute lowers conduct "cu câte un punct" for each subject whose unexcused
    absences reach the share: physical education and religion both reached cost two points
    (the default), one when the rule set counts the subjects once; the 20-absence step adds its own."""
    if deduction is not None:
        revise(cast, conduct_subject_deduction=deduction)
    conduct_everywhere(cast, cast.bogdan, 10)
    step_points = over_the_share_at_pe_and_religion(cast, cast.bogdan)

    assert standing_of(cast, cast.bogdan).conduct == ten_less(step_points + subject_points)


@pytest.mark.parametrize(("deduction", "subject_points"), [(PER_SUBJECT, 2), (ONCE, 1)])
def test_closing_the_class_stores_the_conduct_the_rule_set_gives_for_two_subjects_over_the_share(
    cast, deduction, subject_points
):
    if deduction == ONCE:
        revise(cast, conduct_subject_deduction=deduction)
    exempt_from_pe_and_religion(cast, cast.ana)
    taught = [(cast.math, cast.mihai), (cast.romanian, cast.elena), (cast.pe, cast.dan), (cast.religion, cast.elena)]
    for student, subjects in [(cast.ana, taught[:2]), (cast.bogdan, taught)]:
        for subject, teacher in subjects:
            grade_and_close(cast, student, teacher, subject, [10])
        conduct_everywhere(cast, student, 10)
    step_points = over_the_share_at_pe_and_religion(cast, cast.bogdan)

    closing.class_results_close(actor=cast.elena, school_class=cast.class_5a)

    assert YearResult.objects.get(student=cast.bogdan).conduct == str(ten_less(step_points + subject_points))
    assert YearResult.objects.get(student=cast.ana).conduct == "10.00"
