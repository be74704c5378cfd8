"""The year's standings: per student the averages, conduct and status the year's rule set
gives (DOMAIN rules 4, 6, 7, 10, 11), and the homeroom teacher's overview of the class."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

from django.db.models import Q

from catalog.attendance.models import Absence
from catalog.grades import averages
from catalog.grades.models import (
    Average,
    ClassClosing,
    Grade,
    YearResult,
)
from catalog.grades.selectors.gradebook import absences_brought, class_unexcused
from catalog.grades.selectors.student_year import conduct_record
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


def class_standings(
    *, school_class: SchoolClass, provisional: bool = False, only: Student | None = None
) -> list[Standing]:
    """Every student's averages, conduct, medie generală and status, by the year's rule set
    (`only`: that student's, if enrolled).

    Closed averages count as they were closed: a subject's annual average, or each module's
    of a subject taught in modules. Open disciplines count as not closed (amânat until
    closed) or, `provisional`, as the average their grades give now, with the conduct of the
    periods graded so far. A fixed number of queries for the whole class."""
    rules = school_class.year.rule_set
    enrolments = enrolments_active(school_class, on=None)
    if only is not None:
        enrolments = [enrolment for enrolment in enrolments if enrolment.student_id == only.pk]
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


@dataclass
class ClassOverview:
    """The homeroom teacher's class: per student (standing, unexcused absences, the year's
    result once the class is closed, and for a transfer in whether the record brought from
    the school of origin is transcribed), and the class's closing."""

    rows: list[tuple]
    closing: ClassClosing | None


def class_overview(*, school_class: SchoolClass) -> ClassOverview:
    standings = class_standings(school_class=school_class)
    unexcused = class_unexcused(school_class=school_class)
    closing = ClassClosing.objects.filter(school_class=school_class).first()
    results = {r.student_id: r for r in YearResult.objects.filter(school_class=school_class)} if closing else {}
    transfers = {
        enrolment.student_id: hasattr(enrolment, "transcription")
        for enrolment in Enrolment.objects.filter(school_class=school_class, entry=Enrolment.Entry.TRANSFER_IN)
        .select_related("transcription")
    }  # fmt: skip
    rows = [(s, unexcused.get(s.student.pk), results.get(s.student.pk), transfers.get(s.student.pk)) for s in standings]
    return ClassOverview(rows=rows, closing=closing)
