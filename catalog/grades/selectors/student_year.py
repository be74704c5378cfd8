"""A student's year in a class: per subject its grades, absences and averages (per module
where the subject is taught in modules), and the conduct grades per period."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q

from catalog.attendance.brought import Brought
from catalog.attendance.models import Absence
from catalog.grades.models import (
    Average,
    ConductGrade,
    DescriptiveReport,
    Grade,
    YearResult,
)
from catalog.grades.selectors.gradebook import NOTHING_BROUGHT, absences_brought
from catalog.structure.models import (
    CurricularModule,
    CurriculumEntry,
    Enrolment,
    Exemption,
    SchoolClass,
    Student,
    Subject,
)
from catalog.structure.selectors import record_of


@dataclass
class ModuleYear:
    module: CurricularModule
    average: Average | None = None


@dataclass
class SubjectYear:
    subject: Subject
    weekly_hours: int
    yearly_hours: int = 0
    grades: list[Grade] = field(default_factory=list)
    absences: list[Absence] = field(default_factory=list)
    average: Average | None = None
    exemption: Exemption | None = None
    modules: list[ModuleYear] = field(default_factory=list)  # rule 4: technological classes
    brought: Brought = NOTHING_BROUGHT  # from the school of origin

    @property
    def unexcused(self) -> int:
        return self.brought.unexcused + sum(1 for absence in self.absences if absence.excusal_id is None)

    @property
    def absences_count(self) -> int:
        return self.brought.total + len(self.absences)


@dataclass
class StudentYear:
    student: Student
    school_class: SchoolClass
    subjects: list[SubjectYear]
    conduct: list[ConductGrade]
    reports: list[DescriptiveReport] = field(default_factory=list)
    result: YearResult | None = None

    @property
    def absences_total(self) -> int:
        return sum(s.absences_count for s in self.subjects)

    @property
    def unexcused_total(self) -> int:
        return sum(s.unexcused for s in self.subjects)


def student_year(*, student: Student, school_class: SchoolClass) -> StudentYear:
    """A student's year in a class: per subject (curriculum order) grades, absences (with those
    brought from a school of origin), average, and (technological classes) each curricular
    module with its average."""
    entries = CurriculumEntry.objects.filter(school_class=school_class).select_related("subject")
    subjects = {
        e.subject_id: SubjectYear(subject=e.subject, weekly_hours=e.weekly_hours, yearly_hours=e.yearly_hours)
        for e in sorted(entries, key=lambda e: (e.subject.position, e.subject.name))
    }
    scope = {"school_class": school_class, "student": student}
    enrolments = list(Enrolment.objects.filter(**scope))
    record = record_of(school_class, enrolments) & Q(student=student)
    for grade in Grade.objects.filter(record).order_by("on", "id"):
        if grade.subject_id in subjects:
            subjects[grade.subject_id].grades.append(grade)
    for absence in Absence.objects.filter(record).order_by("on", "hour"):
        if absence.subject_id in subjects:
            subjects[absence.subject_id].absences.append(absence)
    for subject_id, brought in absences_brought(school_class.year_id, enrolments)[student.pk].items():
        if subject_id in subjects:
            subjects[subject_id].brought = brought
    modules = _modules_year(school_class, subjects)
    for average in Average.objects.filter(**scope):
        if average.module_id is not None:
            if average.module_id in modules:
                modules[average.module_id].average = average
        elif average.subject_id in subjects:
            subjects[average.subject_id].average = average
    for exemption in Exemption.objects.filter(student=student, year=school_class.year_id):
        if exemption.subject_id in subjects:
            subjects[exemption.subject_id].exemption = exemption
    conduct = [grade for _number, grade in sorted(conduct_record(school_class, enrolments)[student.pk].items())]
    reports = sorted(
        DescriptiveReport.objects.filter(**scope), key=lambda r: DescriptiveReport.Area.values.index(r.area)
    )
    return StudentYear(
        student=student, school_class=school_class, subjects=list(subjects.values()), conduct=conduct,
        reports=reports, result=YearResult.objects.filter(**scope).first(),
    )  # fmt: skip


def _modules_year(school_class: SchoolClass, subjects: dict[int, SubjectYear]) -> dict[int, ModuleYear]:
    """The class's curricular modules, each added to its subject (none, and no query, elsewhere)."""
    if not school_class.technological:
        return {}
    modules = {}
    for module in CurricularModule.objects.filter(school_class=school_class, subject_id__in=list(subjects)):
        modules[module.pk] = ModuleYear(module=module)
        subjects[module.subject_id].modules.append(modules[module.pk])
    return modules


def conduct_record(school_class: SchoolClass, enrolments: list[Enrolment]) -> dict[int, dict[int, ConductGrade]]:
    """The enrolled students' conduct grades per period number in the class's catalog: the
    class's own and, for a student who moved in, those of the class they left for the periods
    that began before the move (`record_of`); where both classes gave one, this class's. One query."""
    grades = ConductGrade.objects.filter(
        record_of(school_class, enrolments, dated="period__starts"), student__in=[e.student_id for e in enrolments]
    ).select_related("period")
    record = defaultdict(dict)
    for grade in grades:
        number = grade.period.number
        if number not in record[grade.student_id] or grade.school_class_id == school_class.pk:
            record[grade.student_id][number] = grade
    return record
