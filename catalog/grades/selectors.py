"""Reads of grades, absences and averages: the class gradebook, a student's year, and the
year's standings (averages, conduct, status) computed by the year's rule set.

Query counts do not grow with the number of students or grades: each reader loads its
rows in a fixed number of queries and groups them in Python.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import NamedTuple

from django.db.models import Count, Q
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from catalog.attendance.models import Absence
from catalog.grades import averages
from catalog.grades.models import (
    Average,
    ConductGrade,
    DescriptiveReport,
    Grade,
    TranscribedAbsences,
    YearResult,
)
from catalog.structure.models import (
    CurricularModule,
    CurriculumEntry,
    Enrolment,
    Exemption,
    LearningPeriod,
    RuleSet,
    Scheme,
    SchoolClass,
    Student,
    Subject,
)
from catalog.structure.selectors import enrolments_active, record_of

TRANSCRIBED_TITLE = _("transcrisă din situația școlară de la")


@dataclass(frozen=True)
class Brought:
    """Absences a student brought from the school of origin at one subject (a transfer in)."""

    excused: int = 0
    unexcused: int = 0

    @property
    def total(self) -> int:
        return self.excused + self.unexcused

    def __add__(self, other: "Brought") -> "Brought":
        return Brought(self.excused + other.excused, self.unexcused + other.unexcused)


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

    # The row's repeated bits, rendered here once: a template loop per grade costs more
    # than the rest of the page (35 students × 15 grades).
    @property
    def grades_html(self) -> str:
        if not (self.module_labels or self.carried or self.transcribed):
            return format_html_join("", '<span class="grade">{}</span>', ((str(g),) for g in self.grades))
        return format_html_join(
            "", '<span class="grade">{}{}</span>',
            ((str(g), self._label(g)) for g in self.grades),
        )  # fmt: skip

    def _label(self, grade: Grade) -> str:
        if grade.transcription_id is not None:  # from the school the student transferred from
            return format_html(
                ' <small class="meta" title="{} {}">{}</small>', TRANSCRIBED_TITLE, grade.transcription, _("T")
            )
        if self._carried(grade):  # given in the parallel class the student moved from: that class
            return format_html(' <small class="meta">{}</small>', grade.school_class.short)
        label = self.module_labels.get(grade.module_id)
        return format_html(' <small class="meta">{}</small>', label) if label else ""

    def _carried(self, grade: Grade) -> bool:
        return self.class_id is not None and grade.school_class_id != self.class_id

    @property
    def carried(self) -> bool:
        """Some grades were given in the class the student moved from (they count here too)."""
        return any(self._carried(g) for g in self.grades)

    @property
    def transcribed(self) -> bool:
        """Some grades came from another school with a transfer (they count here too)."""
        return any(g.transcription_id is not None for g in self.grades)

    @property
    def absences_html(self) -> str:
        return format_html_join(
            " ", '<span class="{}">{}</span>',
            (("excused" if a.excusal_id else "unexcused", str(a)) for a in self.absences),
        )  # fmt: skip

    @property
    def corrections_html(self) -> str:
        """Links to correct the grades given in this class (not those that came with a move or a transfer)."""
        own = (g for g in self.grades if not self._carried(g) and g.transcription_id is None)
        return format_html_join(" ", '<a href="/note/{}/">{}</a>', ((g.pk, str(g)) for g in own))


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


@dataclass
class ModuleYear:
    module: CurricularModule
    average: Average | None = None


@dataclass
class SubjectYear:
    subject: Subject
    weekly_hours: int
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
        e.subject_id: SubjectYear(subject=e.subject, weekly_hours=e.weekly_hours)
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


def students_brought(year_id: int, student_ids: list[int]) -> dict[int, dict[int, Brought]]:
    """The absences these students brought this year, whatever their enrolments (the year's
    count of rule 17's notices). One query."""
    return _brought(
        TranscribedAbsences.objects.filter(
            transcription__enrolment__student__in=student_ids, transcription__enrolment__school_class__year=year_id
        )
    )


def _brought(rows) -> dict[int, dict[int, Brought]]:
    brought = defaultdict(lambda: defaultdict(Brought))
    rows = rows.values_list("transcription__enrolment__student_id", "subject_id", "excused", "unexcused")
    for student_id, subject_id, excused, unexcused in rows:
        brought[student_id][subject_id] += Brought(excused, unexcused)
    return brought


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


# Standings: the year's results per student (DOMAIN rules 4, 6, 7, 10, 11)


@dataclass(frozen=True)
class Discipline:
    """One average that the year's end counts (rule 11, the medie generală of rule 6): a
    subject of the class's curriculum or, for a subject taught in curricular modules (rule 4,
    technological classes), each of its modules: in the catalog of a technological class a
    module stands as a discipline of its own, with its own average, resit and deferral."""

    entry: CurriculumEntry
    module: CurricularModule | None = None

    @property
    def key(self) -> tuple[int, int | None]:
        return self.entry.subject_id, self.module.pk if self.module is not None else None

    @property
    def name(self) -> str:
        return discipline_name(self.entry.subject, self.module)


def discipline_name(subject: Subject, module: CurricularModule | None = None) -> str:
    """How results name a discipline: the subject, or "subject – module"."""
    return subject.name if module is None else f"{subject.name} – {module.name}"


def disciplines_of(school_class: SchoolClass) -> list[Discipline]:
    """The class's disciplines in curriculum order (rule 20), each subject taught in modules
    replaced by its modules in teaching order. One query (two in a technological class)."""
    entries = sorted(
        CurriculumEntry.objects.filter(school_class=school_class).select_related("subject"),
        key=lambda e: (e.subject.position, e.subject.name),
    )
    modules = defaultdict(list)
    if school_class.technological:
        for module in CurricularModule.objects.filter(school_class=school_class):
            modules[module.subject_id].append(module)
    return [Discipline(entry, module) for entry in entries for module in (modules[entry.subject_id] or [None])]


@dataclass(frozen=True)
class Standing:
    student: Student
    subject_averages: dict[str, int | str | None]  # discipline name -> average (None: not closed)
    conduct: Decimal | str | None
    general_average: Decimal | None
    status: averages.Standing


def class_standings(*, school_class: SchoolClass, provisional: bool = False) -> list[Standing]:
    """Every student's averages, conduct, medie generală and status, by the year's rule set.

    Closed averages count as they were closed: a subject's annual average, or each module's
    of a subject taught in modules. Open disciplines count as not closed (amânat until
    closed) or, `provisional`, as the average their grades give now, with the conduct of the
    periods graded so far. A fixed number of queries for the whole class."""
    rules = school_class.year.rule_set
    enrolments = enrolments_active(school_class, on=None)
    students = [enrolment.student for enrolment in enrolments]
    disciplines = disciplines_of(school_class)
    closed = defaultdict(dict)
    for average in Average.objects.filter(school_class=school_class, closed=True):
        closed[average.student_id][average.subject_id, average.module_id] = (
            average.value if average.value is not None else average.calificativ
        )
    if provisional:
        _provisional_averages(school_class, enrolments, closed)
    excluded = defaultdict(set)
    deferred = defaultdict(set)
    for exemption in Exemption.objects.filter(year=school_class.year_id, student__in=students):
        if exemption.kind == Exemption.Kind.DEFERRED:
            deferred[exemption.student_id].add(exemption.subject_id)
        else:  # rule 7: medical exemption (PE) and religion without the option leave the averages
            excluded[exemption.student_id].add(exemption.subject_id)
    conduct = conduct_record(school_class, enrolments)
    unexcused = defaultdict(lambda: defaultdict(int))
    record = record_of(school_class, enrolments) & Q(student__in=students, excusal__isnull=True)
    for student_id, subject_id in Absence.objects.filter(record).values_list("student_id", "subject_id"):
        unexcused[student_id][subject_id] += 1
    for student_id, subjects in absences_brought(school_class.year_id, enrolments).items():
        for subject_id, brought in subjects.items():
            if brought.unexcused:
                unexcused[student_id][subject_id] += brought.unexcused
    year = school_class.year
    periods = list(year.periods.all())
    standings = []
    for enrolment in enrolments:
        student_id = enrolment.student_id
        graded = conduct[student_id]
        # Conduct counts once every period the class owes a grade for has one (provisional: any).
        due = set() if provisional else {p.number for p in periods if conduct_due(enrolment, p, year.ends)}
        complete = bool(graded) and due <= graded.keys()
        values = [g.value if g.value is not None else g.calificativ for _n, g in sorted(graded.items())]
        standings.append(
            _standing(enrolment.student, school_class, rules, disciplines, closed[student_id], excluded[student_id],
                      deferred[student_id], values if complete else [], unexcused[student_id])
        )  # fmt: skip
    return standings


def conduct_due(enrolment: Enrolment, period: LearningPeriod, year_ends: date) -> bool:
    """Whether the enrolment's class gives the student a conduct grade for the period (rule 10):
    the student was in the class at the period's start or at its end (the year's, when sooner).
    A student who joined mid-year has none there for the periods before."""
    return enrolment.covers(period.starts) or enrolment.covers(min(period.ends, year_ends))


def _provisional_averages(school_class: SchoolClass, enrolments: list[Enrolment], closed: dict) -> None:
    """Fill the disciplines not closed yet with the average (or calificativ) the grades give now
    (a module's: its grades only)."""
    grades = defaultdict(lambda: defaultdict(list))
    for student_id, subject_id, module_id, value, calificativ in Grade.objects.filter(
        record_of(school_class, enrolments), student__in=[e.student_id for e in enrolments]
    ).values_list("student_id", "subject_id", "module_id", "value", "calificativ"):
        values = grades[student_id]
        values[subject_id, None].append(value if value is not None else calificativ)
        if module_id is not None:
            values[subject_id, module_id].append(value if value is not None else calificativ)
    for student_id, disciplines in grades.items():
        for key, values in disciplines.items():
            if key not in closed[student_id]:
                numbers = [v for v in values if isinstance(v, int)]
                closed[student_id][key] = (
                    averages.annual_average(numbers) if numbers else averages.suggest_calificativ(values)
                )


def _standing(student, school_class, rules, disciplines, closed, excluded, deferred, conduct, unexcused):
    # Rule 7: an exempt subject leaves the averages (with all its modules).
    subject_averages = {d.name: closed.get(d.key) for d in disciplines if d.entry.subject_id not in excluded}
    # An approved deferral leaves the subject open; of a subject in modules, the modules not closed.
    deferred_names = [
        d.name for d in disciplines
        if d.entry.subject_id in deferred and (d.module is None or closed.get(d.key) is None)
    ]  # fmt: skip
    entries = {d.entry.subject_id: d.entry for d in disciplines}
    pairs = [(count, entries[s].yearly_hours) for s, count in unexcused.items() if s in entries]
    total = sum(unexcused.values())
    conduct_value = None
    if conduct:
        conduct_value = _conduct(school_class, rules, conduct, total, pairs)
    general = None
    if (
        school_class.scheme == Scheme.GRADES
        and conduct_value is not None
        and all(isinstance(v, int) for v in subject_averages.values())
    ):
        general = averages.general_average(
            subject_averages=list(subject_averages.values()), conduct=conduct_value,
            truncate=rules.general_average_truncate,
        )  # fmt: skip
    status = averages.student_status(subject_averages=subject_averages, conduct=conduct_value, deferred=deferred_names)
    return Standing(student, subject_averages, conduct_value, general, status)


def _conduct(school_class, rules, conduct, total, pairs):
    """Rule 10: the annual conduct average (grades) or calificativ (primary), with deductions."""
    parameters = {
        "unexcused_total": total, "subject_unexcused": pairs, "step": rules.conduct_absence_step,
        "subject_share": Fraction(rules.conduct_subject_percent, 100), "deductions_add": rules.conduct_deductions_add,
        "per_subject": rules.conduct_subject_deduction == RuleSet.SubjectDeduction.PER_SUBJECT,
    }  # fmt: skip
    if school_class.scheme == Scheme.CALIFICATIVE:
        return averages.conduct_calificativ(module_values=conduct, deductions=averages.conduct_deductions(**parameters))
    return averages.conduct_average(module_grades=conduct, truncate=rules.conduct_truncate, **parameters)


def repeaters(year) -> set[int]:
    """Students whose stored result in `year` is repetent: they stay at their level next year."""
    results = YearResult.objects.filter(school_class__year=year, status=YearResult.Status.REPETENT)
    return set(results.values_list("student_id", flat=True))
