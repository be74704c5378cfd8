"""The Romanian grading arithmetic: averages, minimum numbers of grades, conduct and the year's outcome.

Exact arithmetic only (Fraction, Decimal): floats are refused, since a float grade is already a rounded one.
Plain functions, no database: the callers read grades from the catalog and store what these return.
"""

import enum
import math
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from django.utils.translation import gettext_lazy as _

# Primary classes (I–IV) get calificative instead of grades, in ascending order.
CALIFICATIVE = ("I", "S", "B", "FB")
FAILING_CALIFICATIV = "I"
LOWEST_GRADE = 1
HIGHEST_GRADE = 10
PASSING_GRADE = 5
PASSING_CONDUCT = 6

_HALF = Fraction(1, 2)
_LOWEST_CONDUCT = Decimal("1.00")


def _integer(value: int, *, name: str, low: int | None = None, high: int | None = None) -> int:
    """Return `value` once it is an int (not a bool, not a float) within [low, high]."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{name} must be between {low} and {high}, not {value}")
    return value


def _exact(value: Fraction | Decimal | int, *, name: str) -> Fraction:
    """Return `value` as a Fraction; floats, bools and non-finite Decimals are refused."""
    if isinstance(value, bool) or not isinstance(value, Fraction | Decimal | int):
        raise TypeError(f"{name} must be an int, a Fraction or a Decimal, not {type(value).__name__}")
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValueError(f"{name} must be a finite number, not {value}")
    return Fraction(value)


def _non_negative(value: Fraction | Decimal | int, *, name: str) -> Fraction:
    """Return `value` as a Fraction once it is not negative."""
    exact = _exact(value, name=name)
    if exact < 0:
        raise ValueError(f"{name} must not be negative, not {value}")
    return exact


def _grades(values: Iterable[int], *, name: str) -> list[int]:
    """Return `values` as a list once each is an integer grade from 1 to 10."""
    return [_integer(value, name=name, low=LOWEST_GRADE, high=HIGHEST_GRADE) for value in values]


def _grade_value(value: Decimal | int, *, name: str) -> Fraction:
    """Return an average (int or Decimal) as a Fraction once it lies between 1 and 10."""
    exact = _exact(value, name=name)
    if not LOWEST_GRADE <= exact <= HIGHEST_GRADE:
        raise ValueError(f"{name} must be between {LOWEST_GRADE} and {HIGHEST_GRADE}, not {value}")
    return exact


def _calificative(values: Iterable[str], *, name: str) -> list[str]:
    """Return `values` as a list once each is a known calificativ."""
    values = list(values)
    for value in values:
        if value not in CALIFICATIVE:
            raise ValueError(f"{name} must be one of {', '.join(CALIFICATIVE)}, not {value!r}")
    return values


def _mean(values: Sequence[int]) -> Fraction:
    """Return the exact mean of non-empty `values`."""
    return Fraction(sum(values), len(values))


def round_half_up(x: Fraction) -> int:
    """Return `x` (≥ 0) rounded to the nearest integer, halves up."""
    # DOMAIN rule 3: .50 rounds up, in the student's favour
    return math.floor(_non_negative(x, name="x") + _HALF)


def two_decimals(x: Fraction, *, truncate: bool = False) -> Decimal:
    """Return `x` (≥ 0) as a Decimal with exactly two decimals, rounded half up or truncated."""
    hundredths = _non_negative(x, name="x") * 100
    cents = math.floor(hundredths) if truncate else math.floor(hundredths + _HALF)
    return Decimal(cents).scaleb(-2)


def annual_average(grades: Sequence[int]) -> int | None:
    """Return a subject's annual average (mean of its grades, rounded half up), or None without grades."""
    values = _grades(grades, name="grade")
    if not values:
        return None
    # DOMAIN rule 3: one exact mean over the whole year; nothing is rounded before the final step
    return round_half_up(_mean(values))


def minimum_grades(*, weekly_hours: int) -> int:
    """Return the minimum number of grades a subject with `weekly_hours` needs in a year."""
    hours = _integer(weekly_hours, name="weekly_hours", low=0)
    # DOMAIN rule 5: three more than the weekly hours, and never fewer than four
    return max(hours + 3, 4)


def module_minimum_grades(*, total_hours: int) -> int:
    """Return the minimum number of grades for a module taught in `total_hours` hours."""
    hours = _integer(total_hours, name="total_hours", low=0)
    # DOMAIN rule 5: modules have no weekly timetable, so they count one grade per 25 hours started, at least two
    return max(2, math.ceil(Fraction(hours, 25)))


def general_average(
    *, subject_averages: Sequence[int], conduct: Decimal | int, truncate: bool = False
) -> Decimal | None:
    """Return the year's general average with two decimals, or None without subject averages."""
    subjects = _grades(subject_averages, name="subject average")
    if not subjects:
        return None
    conduct_value = _grade_value(conduct, name="conduct")
    # DOMAIN rule 6: conduct is one more term of the mean, weighing as much as any subject
    mean = (sum(subjects) + conduct_value) / (len(subjects) + 1)
    return two_decimals(mean, truncate=truncate)


def legacy_semester_average(*, grades: Sequence[int], thesis: int | None = None) -> int:
    """Return a semester average of the years before 2022-23 (the thesis, if any, weighing a quarter)."""
    values = _grades(grades, name="grade")
    if not values:
        raise ValueError("a semester average needs at least one grade")
    if thesis is None:
        return round_half_up(_mean(values))
    thesis_grade = _integer(thesis, name="thesis", low=LOWEST_GRADE, high=HIGHEST_GRADE)
    # DOMAIN rule 8: the other grades' mean is cut at two decimals before the thesis is weighed in
    others = Fraction(two_decimals(_mean(values), truncate=True))
    return round_half_up((3 * others + thesis_grade) / 4)


def legacy_annual_average(*, semesters: Sequence[int]) -> Decimal:
    """Return a subject's annual average of the years before 2022-23: the semesters' mean, truncated."""
    values = _grades(semesters, name="semester average")
    if not values:
        raise ValueError("an annual average needs at least one semester average")
    # DOMAIN rule 8: before 2022-23 the annual average kept two decimals and was truncated, never rounded
    return two_decimals(_mean(values), truncate=True)


def suggest_calificativ(values: Sequence[str]) -> str | None:
    """Return the most frequent calificativ, or None when there is none or two are equally frequent."""
    ranked = Counter(_calificative(values, name="calificativ")).most_common()
    if not ranked:
        return None
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        # DOMAIN rule 9: a tie is the teacher's call, not the catalog's
        return None
    return ranked[0][0]


def _reaches_share(pair: tuple[int, int], share: Fraction) -> bool:
    """Return whether a subject's unexcused absences reach `share` of its yearly hours."""
    unexcused, hours = pair
    unexcused = _integer(unexcused, name="unexcused absences at a subject", low=0)
    hours = _integer(hours, name="yearly hours of a subject", low=0)
    # DOMAIN rule 10: a subject without yearly hours has no share to reach
    return hours > 0 and Fraction(unexcused, hours) >= share


def conduct_deductions(
    *,
    unexcused_total: int,
    subject_unexcused: Iterable[tuple[int, int]] = (),
    step: int = 20,
    subject_share: Fraction = Fraction(20, 100),
    deductions_add: bool = True,
    per_subject: bool = True,
) -> int:
    """Return the points the annual conduct average loses for unexcused absences: one per `step`
    in the year and, `per_subject`, one per subject reaching `subject_share` of its hours (else
    one point however many reach it)."""
    total = _integer(unexcused_total, name="unexcused_total", low=0)
    per = _integer(step, name="step", low=1)
    share = _non_negative(subject_share, name="subject_share")
    if not isinstance(per_subject, bool):
        raise TypeError(f"per_subject must be a bool, not {type(per_subject).__name__}")
    by_total = total // per
    reached = sum(_reaches_share(pair, share) for pair in subject_unexcused)
    # DOMAIN rule 10, from the Statute of the student (OM 5707/2024; before it, art. 27 of OM 4742/2016 as
    # amended by OM 3797/2023): at the share of a subject's yearly hours missed unexcused, conduct is lowered
    # "cu câte un punct", a point for each subject that reaches it; a rule set may count them once.
    by_subject = reached if per_subject else min(reached, 1)
    # DOMAIN rule 10: the school's rules decide whether both deductions apply or only the larger one
    return by_total + by_subject if deductions_add else max(by_total, by_subject)


def conduct_average(
    *,
    module_grades: Sequence[int],
    unexcused_total: int,
    subject_unexcused: Iterable[tuple[int, int]] = (),
    step: int = 20,
    subject_share: Fraction = Fraction(20, 100),
    deductions_add: bool = True,
    per_subject: bool = True,
    truncate: bool = False,
) -> Decimal:
    """Return the annual conduct average: the modules' mean with two decimals, less the absence deductions."""
    grades = _grades(module_grades, name="module conduct grade")
    if not grades:
        raise ValueError("a conduct average needs at least one module conduct grade")
    mean = two_decimals(_mean(grades), truncate=truncate)
    points = conduct_deductions(
        unexcused_total=unexcused_total,
        subject_unexcused=subject_unexcused,
        step=step,
        subject_share=subject_share,
        deductions_add=deductions_add,
        per_subject=per_subject,
    )
    # DOMAIN rule 10: deductions never take conduct below the lowest grade
    return max(mean - points, _LOWEST_CONDUCT)


def conduct_calificativ(*, module_values: Sequence[str], deductions: int) -> str:
    """Return a primary class's conduct calificativ: the modules' most frequent, one step lower per point lost."""
    counts = Counter(_calificative(module_values, name="module conduct calificativ"))
    if not counts:
        raise ValueError("a conduct calificativ needs at least one module calificativ")
    points = _integer(deductions, name="deductions", low=0)
    top = max(counts.values())
    # DOMAIN rule 10: conduct must close, so a tie cannot wait for the teacher: the lower calificativ applies
    start = min(CALIFICATIVE.index(value) for value, count in counts.items() if count == top)
    return CALIFICATIVE[max(start - points, 0)]


class Status(enum.StrEnum):
    """A student's outcome at the end of the school year."""

    PROMOVAT = "promovat"
    CORIGENT = "corigent"
    REPETENT = "repetent"
    AMANAT = "amanat"

    @property
    def label(self) -> str:
        """Return the Romanian text shown for the status."""
        return _STATUS_LABELS[self]


_STATUS_LABELS = {
    Status.PROMOVAT: _("Promovat"),
    Status.CORIGENT: _("Corigent"),
    Status.REPETENT: _("Repetent"),
    Status.AMANAT: _("Situație neîncheiată (amânat)"),
}


@dataclass(frozen=True)
class Standing:
    """A student's status with the subjects that decided it."""

    status: Status
    failed: tuple[str, ...]
    deferred: tuple[str, ...]


def _subject_fails(subject: str, average: int | str) -> bool:
    """Return whether a closed subject average (grade or calificativ) is a failing one."""
    if isinstance(average, str):
        _calificative([average], name=f"calificativ at {subject}")
        return average == FAILING_CALIFICATIV
    return _integer(average, name=f"average at {subject}", low=LOWEST_GRADE, high=HIGHEST_GRADE) < PASSING_GRADE


def passes(average: int | str) -> bool:
    """Return whether a subject's average or exam result (grade or calificativ) is a passing one."""
    return not _subject_fails("exam", average)


def _conduct_fails(conduct: Decimal | int | str) -> bool:
    """Return whether a closed conduct average (grade or calificativ) is a failing one."""
    if isinstance(conduct, str):
        _calificative([conduct], name="conduct calificativ")
        return conduct == FAILING_CALIFICATIV
    return _grade_value(conduct, name="conduct") < PASSING_CONDUCT


def student_status(
    *,
    subject_averages: Mapping[str, int | str | None],
    conduct: Decimal | int | str | None,
    deferred: Collection[str] = (),
    resit_failed: bool = False,
) -> Standing:
    """Return the student's standing for the year: the status, the failed and the deferred subjects.

    A subject fails with an average below 5 or the calificativ "I". A subject is deferred when it is named in
    `deferred` (whatever its average says, it is not closed, so it never counts as failed) or its average is None.
    The status is chosen in this order:
    REPETENT: conduct below 6 or "I" (conduct has no resit), more than two failed subjects, or a failed resit;
    AMANAT: anything deferred or conduct not closed (None), even with one or two failed subjects, since a year
    with open subjects is not closed;
    CORIGENT: one or two failed subjects;
    PROMOVAT: otherwise.
    `failed` lists the failed subjects whatever the status; both tuples follow `subject_averages`' order,
    deferred names absent from it come last, sorted.
    """
    if isinstance(deferred, str):
        raise TypeError("deferred must be a collection of subject names, not a single string")
    open_subjects = set(deferred)
    failed, still_open = [], []
    for subject, average in subject_averages.items():
        if subject in open_subjects or average is None:
            still_open.append(subject)
        elif _subject_fails(subject, average):
            failed.append(subject)
    still_open += sorted(open_subjects - set(subject_averages))
    conduct_open = conduct is None
    conduct_failed = not conduct_open and _conduct_fails(conduct)

    # DOMAIN rule 11: a student who has lost the year stays so, whatever is still open
    if conduct_failed or len(failed) > 2 or resit_failed:
        status = Status.REPETENT
    elif still_open or conduct_open:
        status = Status.AMANAT
    elif failed:
        status = Status.CORIGENT
    else:
        status = Status.PROMOVAT
    return Standing(status=status, failed=tuple(failed), deferred=tuple(still_open))


def is_deferred(*, absent_hours: int, yearly_hours: int, grade_count: int, minimum: int) -> bool:
    """Return whether a subject stays unclosed: half its yearly hours or more missed, and too few grades."""
    absent = _integer(absent_hours, name="absent_hours", low=0)
    hours = _integer(yearly_hours, name="yearly_hours", low=0)
    count = _integer(grade_count, name="grade_count", low=0)
    needed = _integer(minimum, name="minimum", low=0)
    if hours == 0:
        # DOMAIN rule 11: a subject without yearly hours has no half to miss
        return False
    # DOMAIN rule 11: excused and unexcused absences both count towards the half
    return 2 * absent >= hours and count < needed
