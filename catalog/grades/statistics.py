"""A school year's statistics: aggregates only, never a person (Order 3896/2023 art. 20).

What the statistics viewer (and the school's management) sees: per class the number of
students, grades and their mean, absences excused and not, the year's results and the mean
medie generală; the school's grade and calificativ distributions and absences per month.

No figure names or singles out a student: counts of one or two students in a group are
shown as "< 3" (a class with one repetent would otherwise point at a child), and a mean
over fewer than three students is not shown. A student whose data is restricted (GDPR
art. 18) counts nowhere. Six queries, whatever the school's size.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count, Q
from django.db.models.functions import TruncMonth

from catalog.attendance.models import Absence
from catalog.grades.models import CALIFICATIVE_CHOICES, Grade, YearResult
from catalog.structure.models import SchoolClass, SchoolYear

# Fewer people than this in a figure would single them out: shown as "< 3" / not shown.
SMALLEST_GROUP = 3
STATUSES = YearResult.Status.choices  # (status, label), in the order the pages list them


def shown_count(count: int) -> str:
    """A count of people as the statistics pages show it."""
    return f"< {SMALLEST_GROUP}" if 0 < count < SMALLEST_GROUP else str(count)


def _two_decimals(value) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass
class ClassFigures:
    school_class: SchoolClass
    students: int = 0
    grades: int = 0
    grade_mean: Decimal | None = None
    excused: int = 0
    unexcused: int = 0
    results: dict[str, int] = field(default_factory=dict)
    general_average_mean: Decimal | None = None

    @property
    def students_shown(self) -> str:
        return shown_count(self.students)

    @property
    def absences_per_student(self) -> Decimal | None:
        if self.students < SMALLEST_GROUP:
            return None
        return _two_decimals(Decimal(self.excused + self.unexcused) / self.students)

    @property
    def results_shown(self) -> list[tuple[str, str]]:
        """(status label, count shown) for promovat, corigent, repetent, amânat."""
        return [(label, shown_count(self.results.get(status, 0))) for status, label in STATUSES]

    @property
    def mean_shown(self) -> Decimal | None:
        """The grades' mean, only when at least three students hold grades in the class."""
        return self.grade_mean if self.students >= SMALLEST_GROUP else None


@dataclass
class YearStatistics:
    year: SchoolYear
    classes: list[ClassFigures]
    grade_distribution: list[tuple[str, int]]  # ("1".."10", count)
    calificative_distribution: list[tuple[str, int]]  # ("FB", count), ...
    absences_by_month: list[tuple[date, int, int]]  # (first day of the month, excused, unexcused)

    @property
    def students(self) -> int:
        return sum(figures.students for figures in self.classes)

    @property
    def excused(self) -> int:
        return sum(figures.excused for figures in self.classes)

    @property
    def unexcused(self) -> int:
        return sum(figures.unexcused for figures in self.classes)

    @property
    def results_shown(self) -> list[tuple[str, str]]:
        return [
            (label, shown_count(sum(figures.results.get(status, 0) for figures in self.classes)))
            for status, label in STATUSES
        ]


def year_statistics(year: SchoolYear) -> YearStatistics:
    classes = (
        SchoolClass.objects.filter(year=year)
        .annotate(
            students=Count(
                "enrolments",
                distinct=True,
                filter=Q(enrolments__ends__isnull=True, enrolments__student__restricted_at__isnull=True),
            )
        )
        .order_by("level", "letter")
    )
    figures = {school_class.pk: ClassFigures(school_class, students=school_class.students) for school_class in classes}
    in_year = Q(school_class__year=year, student__restricted_at__isnull=True)
    grades = Grade.objects.filter(in_year).values("school_class").annotate(n=Count("pk"), mean=Avg("value"))
    for row in grades:
        figures[row["school_class"]].grades = row["n"]
        figures[row["school_class"]].grade_mean = _two_decimals(row["mean"])
    absences = (
        Absence.objects.filter(in_year)
        .values("school_class")
        .annotate(excused=Count("pk", filter=Q(excusal__isnull=False)), unexcused=Count("pk", filter=Q(excusal=None)))
    )
    for row in absences:
        figures[row["school_class"]].excused = row["excused"]
        figures[row["school_class"]].unexcused = row["unexcused"]
    results = YearResult.objects.filter(in_year)
    for row in results.values("school_class", "status").annotate(n=Count("pk")):
        figures[row["school_class"]].results[row["status"]] = row["n"]
    means = results.filter(general_average__isnull=False).values("school_class")
    for row in means.annotate(mean=Avg("general_average"), n=Count("pk")):
        if row["n"] >= SMALLEST_GROUP:
            figures[row["school_class"]].general_average_mean = _two_decimals(row["mean"])
    grade_distribution, calificative_distribution = _distributions(year)
    return YearStatistics(
        year=year,
        classes=list(figures.values()),
        grade_distribution=grade_distribution,
        calificative_distribution=calificative_distribution,
        absences_by_month=_absences_by_month(year),
    )


def _distributions(year: SchoolYear) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """(grades 1..10, calificative FB..I) with their counts, from one query."""
    rows = (
        Grade.objects.filter(school_class__year=year, student__restricted_at__isnull=True)
        .values("value", "calificativ")
        .annotate(n=Count("pk"))
        .values_list("value", "calificativ", "n")
    )
    counts = {(value, calificativ): n for value, calificativ, n in rows}
    grades = [(str(value), counts.get((value, ""), 0)) for value in range(1, 11)]
    calificative = [(code, counts.get((None, code), 0)) for code, _label in CALIFICATIVE_CHOICES]
    return grades, calificative


def _absences_by_month(year: SchoolYear) -> list[tuple[date, int, int]]:
    rows = (
        Absence.objects.filter(school_class__year=year, student__restricted_at__isnull=True)
        .annotate(month=TruncMonth("on"))
        .values("month")
        .annotate(excused=Count("pk", filter=Q(excusal__isnull=False)), unexcused=Count("pk", filter=Q(excusal=None)))
        .order_by("month")
    )
    return [(row["month"], row["excused"], row["unexcused"]) for row in rows]
