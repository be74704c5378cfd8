"""What each document shows, read by selectors; templates only lay it out."""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q

from accounts.models import User
from accounts.roles import Role
from catalog.attendance.models import Absence
from catalog.grades.legacy import LegacySubject, legacy_record
from catalog.grades.models import Grade, YearResult
from catalog.grades.selectors import Discipline, disciplines_of, student_year
from catalog.grades.selectors.student_year import StudentYear, conduct_record
from catalog.structure.models import Enrolment, LearningPeriod, SchoolClass, Student
from catalog.structure.selectors import enrolments_active, period_ends, record_of


@dataclass
class TranscriptYear:
    """One school year of a student's record here."""

    school_class: SchoolClass
    legacy: list[LegacySubject] = field(default_factory=list)  # a year before 2022-23 (rule 8)
    year: StudentYear | None = None
    result: YearResult | None = None

    @property
    def general_average(self) -> Decimal | None:
        return self.result.general_average if self.result else None


def transcript_years(student: Student) -> list[TranscriptYear]:
    """The student's years at this school, oldest first: legacy years as imported (semester
    averages and the annual one), later years with their closed averages, conduct and result."""
    enrolments = (
        Enrolment.objects.filter(student=student).select_related("school_class__year").order_by(
            "school_class__year__starts", "starts"
        )
    )  # fmt: skip
    years, seen = [], set()
    for enrolment in enrolments:
        school_class = enrolment.school_class
        if school_class.pk in seen:
            continue
        seen.add(school_class.pk)
        if school_class.year.legacy:
            years.append(TranscriptYear(school_class, legacy=legacy_record(student=student, school_class=school_class)))
        else:
            record = student_year(student=student, school_class=school_class)
            years.append(TranscriptYear(school_class, year=record, result=record.result))
    return years


def class_students(school_class: SchoolClass) -> list[Student]:
    """Everyone enrolled in the class during its year, alphabetically (the catalog's pages)."""
    enrolments = Enrolment.objects.filter(school_class=school_class).select_related("student__user")
    return sorted({e.student for e in enrolments}, key=lambda s: (s.user.last_name, s.user.first_name, s.pk))


def class_records(
    school_class: SchoolClass, subjects: set[int] | None = None, progress: Callable[[int], None] | None = None
) -> list[StudentYear]:
    """Every student's year in the class, alphabetically; only the `subjects` given, when
    given. `progress(n)` is told after each student read."""
    records = []
    for done, student in enumerate(class_students(school_class), start=1):
        record = student_year(student=student, school_class=school_class)
        if subjects is not None:
            record.subjects = [s for s in record.subjects if s.subject.pk in subjects]
        records.append(record)
        if progress:
            progress(done)
    return records


@dataclass
class ModuleRow:
    """One student's line of a class's situation at the end of a learning module."""

    student: Student
    grades: list[str]  # per discipline, the module's grades in date order ("9 10 7"; "" none)
    absences: int = 0
    unexcused: int = 0
    conduct: str = ""  # the module's conduct grade


def module_situation(school_class: SchoolClass, period: LearningPeriod) -> tuple[list[Discipline], list[ModuleRow]]:
    """The class's disciplines and, per student, what the module recorded: each discipline's
    grades dated within it, the absences (and how many are not excused), the module's conduct
    grade. Since 2022-23 averages are annual (rule 3): a module has grades, not averages.
    A fixed number of queries for the whole class."""
    enrolments = enrolments_active(school_class, on=None)
    students = [enrolment.student_id for enrolment in enrolments]
    disciplines = disciplines_of(school_class)
    within = Q(on__gte=period.starts, on__lte=period_ends(period, school_class), student__in=students)
    scope = record_of(school_class, enrolments) & within
    cells = defaultdict(lambda: defaultdict(list))
    for grade in Grade.objects.filter(scope).order_by("on", "pk"):
        cells[grade.student_id][grade.subject_id, grade.module_id].append(grade.shown)
    absences = defaultdict(lambda: [0, 0])
    for student_id, excusal_id in Absence.objects.filter(scope).values_list("student_id", "excusal_id"):
        absences[student_id][0] += 1
        absences[student_id][1] += excusal_id is None
    conduct = conduct_record(school_class, enrolments)
    rows = []
    for enrolment in enrolments:
        student_id = enrolment.student_id
        graded = conduct[student_id].get(period.number)
        rows.append(ModuleRow(
            student=enrolment.student,
            grades=[" ".join(cells[student_id][discipline.key]) for discipline in disciplines],
            absences=absences[student_id][0], unexcused=absences[student_id][1],
            conduct=graded.shown if graded else "",
        ))  # fmt: skip
    return disciplines, rows


def director_name() -> str:
    director = User.objects.filter(roles__contains=[Role.DIRECTOR], is_active=True).order_by("pk").first()
    return director.get_full_name() if director else ""
