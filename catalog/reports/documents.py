"""What each document shows, read by selectors; templates only lay it out."""

from dataclasses import dataclass, field
from decimal import Decimal

from accounts.models import User
from accounts.roles import Role
from catalog.grades.legacy import LegacySubject, legacy_record
from catalog.grades.models import YearResult
from catalog.grades.selectors import student_year
from catalog.grades.selectors.student_year import StudentYear
from catalog.structure.models import Enrolment, SchoolClass, Student


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


def class_records(school_class: SchoolClass, subjects: set[int] | None = None) -> list[StudentYear]:
    """Every student's year in the class, alphabetically (the class catalog's pages); only
    the `subjects` given, when given."""
    enrolments = Enrolment.objects.filter(school_class=school_class).select_related("student__user")
    students = sorted({e.student for e in enrolments}, key=lambda s: (s.user.last_name, s.user.first_name, s.pk))
    records = [student_year(student=student, school_class=school_class) for student in students]
    if subjects is not None:
        for record in records:
            record.subjects = [s for s in record.subjects if s.subject.pk in subjects]
    return records


def director_name() -> str:
    director = User.objects.filter(roles__contains=[Role.DIRECTOR], is_active=True).order_by("pk").first()
    return director.get_full_name() if director else ""
