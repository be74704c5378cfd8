"""The class x subject gradebook: each student's grades, absences (with those brought from
a school of origin), average and exemption, and the unexcused absences per student."""

from collections import defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db.models import Count, Q

from catalog.attendance.brought import Brought, brought_by_student
from catalog.attendance.models import Absence
from catalog.grades import averages
from catalog.grades.models import (
    Average,
    Grade,
    TranscribedAbsences,
)
from catalog.structure.models import (
    CurricularModule,
    Enrolment,
    Exemption,
    SchoolClass,
    Student,
    Subject,
)
from catalog.structure.selectors import enrolments_active, record_of

NOTHING_BROUGHT = Brought()


@dataclass
class GradebookRow:
    student: Student
    grades: list[Grade] = field(default_factory=list)
    absences: list[Absence] = field(default_factory=list)
    average: Average | None = None
    exemption: Exemption | None = None
    left: bool = False  # no longer in the class
    module_labels: dict[int, str] = field(default_factory=dict)  # module id -> "M1" (rule 4)
    class_id: int | None = None  # the gradebook's class: grades from another one came with a move
    brought: Brought = NOTHING_BROUGHT  # from the school of origin

    @property
    def unexcused(self) -> int:
        return self.brought.unexcused + sum(1 for absence in self.absences if absence.excusal_id is None)

    @property
    def absences_count(self) -> int:
        return self.brought.total + len(self.absences)

    @property
    def preview(self) -> str:
        """The average the grades give now (closed: the closed one)."""
        if self.average is not None and self.average.closed:
            return self.average.shown
        values = [g.value for g in self.grades if g.value is not None]
        if values:
            return str(averages.annual_average(values))
        return averages.suggest_calificativ([g.calificativ for g in self.grades if g.calificativ]) or ""

    @property
    def locked(self) -> bool:
        return bool(self.average and self.average.closed and self.average.module_id is None)

    @property
    def closed(self) -> bool:
        """The row's average (annual, or the module's on a module's page) is closed."""
        return bool(self.average and self.average.closed)

    def carried_here(self, grade: Grade) -> bool:
        """`grade` was given in the class the student moved from (it counts here too)."""
        return self.class_id is not None and grade.school_class_id != self.class_id

    @property
    def carried(self) -> bool:
        """Some grades were given in the class the student moved from (they count here too)."""
        return any(self.carried_here(g) for g in self.grades)

    @property
    def transcribed(self) -> bool:
        """Some grades came from another school with a transfer (they count here too)."""
        return any(g.transcription_id is not None for g in self.grades)

    @property
    def own_grades(self) -> list[Grade]:
        """The grades given in this class (not those that came with a move or a transfer)."""
        return [g for g in self.grades if not self.carried_here(g) and g.transcription_id is None]


def gradebook(
    *, school_class: SchoolClass, subject: Subject, student: Student | None = None,
    module: CurricularModule | None = None, module_labels: dict[int, str] | None = None,
) -> list[GradebookRow]:  # fmt: skip
    """The class × subject catalog page: every student (or one), alphabetically, with grades,
    absences and average (of one curricular `module`: its grades and its average only; grades
    shown with their module's label from `module_labels`). A student who moved in from a parallel
    class has the grades and absences from there too, marked with that class (`record_of`), and one
    who came from another school the absences transcribed from there (`absences_brought`).
    Five queries whatever the class size (six with a transfer in)."""
    if student is None:
        enrolments = enrolments_active(school_class, on=None)
    else:  # one row (after a tap): that student's enrolment only
        enrolments = list(
            Enrolment.objects.filter(school_class=school_class, student=student, ends__isnull=True).select_related(
                "student__user"
            )
        )
    labels = module_labels or {}
    rows = {
        e.student_id: GradebookRow(student=e.student, module_labels=labels, class_id=school_class.pk)
        for e in enrolments
    }  # fmt: skip
    scope = {"school_class": school_class, "subject": subject, "student__in": list(rows)}
    record = record_of(school_class, enrolments) & Q(subject=subject, student__in=list(rows))
    if module:  # a module's grades are the module's class's own
        grades = Grade.objects.filter(**scope, module=module)
    else:
        grades = Grade.objects.filter(record).select_related("school_class", "transcription")
    for grade in grades.order_by("on", "id"):
        rows[grade.student_id].grades.append(grade)
    for absence in Absence.objects.filter(record).order_by("on", "hour"):
        rows[absence.student_id].absences.append(absence)
    for average in Average.objects.filter(**scope, module=module):  # module None: the annual average
        rows[average.student_id].average = average
    for exemption in Exemption.objects.filter(year=school_class.year_id, subject=subject, student__in=list(rows)):
        rows[exemption.student_id].exemption = exemption
    if module is None:
        for student_id, subjects in absences_brought(school_class.year_id, enrolments).items():
            if subject.pk in subjects and student_id in rows:
                rows[student_id].brought = subjects[subject.pk]
    return list(rows.values())


def absences_brought(year_id: int, enrolments: list[Enrolment]) -> dict[int, dict[int, Brought]]:
    """The absences the enrolled students brought from a school they transferred from, per
    student and subject id (`TranscribedAbsences`): the catalog's absence rules count them with
    those recorded here (DOMAIN rules 10, 11, 17). Scoped as `record_of` scopes the class's
    rows: a transfer in brings its own transcription; a move brings those of the student's
    earlier enrolments this year. One query, and none when no enrolment is a transfer in or a
    move (a move may follow a transfer in)."""
    scope = Q()
    for enrolment in enrolments:
        if enrolment.entry == Enrolment.Entry.TRANSFER_IN:
            scope |= Q(transcription__enrolment=enrolment.pk)
        elif enrolment.entry == Enrolment.Entry.MOVED:
            scope |= Q(
                transcription__enrolment__student=enrolment.student_id,
                transcription__enrolment__school_class__year=year_id,
                transcription__enrolment__starts__lt=enrolment.starts,
            )  # fmt: skip
    if not scope:
        return defaultdict(lambda: defaultdict(Brought))
    return _brought(TranscribedAbsences.objects.filter(scope))


def _brought(rows) -> dict[int, dict[int, Brought]]:
    return brought_by_student(
        rows.values_list("transcription__enrolment__student_id", "subject_id", "excused", "unexcused")
    )


class Unexcused(NamedTuple):
    recorded: int  # in this school's catalog: to excuse here
    brought: int = 0  # from a school of origin

    @property
    def total(self) -> int:
        return self.recorded + self.brought


def class_unexcused(*, school_class: SchoolClass) -> dict[int, Unexcused]:
    """Unexcused absences per student id in the class's catalog: those recorded (with those from
    before a move) and those brought from a school of origin. Students with none are left out."""
    enrolments = enrolments_active(school_class, on=None)
    rows = Absence.objects.filter(
        record_of(school_class, enrolments), student__in=[e.student_id for e in enrolments], excusal__isnull=True
    )
    recorded = dict(rows.values_list("student_id").annotate(n=Count("id")))
    brought = {
        student_id: n
        for student_id, subjects in absences_brought(school_class.year_id, enrolments).items()
        if (n := sum(counts.unexcused for counts in subjects.values()))
    }  # fmt: skip
    return {s: Unexcused(recorded.get(s, 0), brought.get(s, 0)) for s in recorded.keys() | brought.keys()}
