"""The end of the school year (DOMAIN rules 11 and 12).

1. Teachers close their averages (`services.average_close`); the homeroom teacher sets the
   conduct grades and then closes the class's results: every student's status is computed by
   the year's rule set and stored as a `YearResult`, and the class's catalog is locked.
2. The school's leadership records the resit (corigență) and deferred-subject exams; each one
   recomputes and stores the student's result.
3. The director closes the school year once every class is closed and no result waits for an
   exam: the year is frozen.

Only the director reopens a class's results (with a reason), while the year is open.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.roles import Role
from accounts.services import NotAllowed
from audit.actions import Action
from audit.services import audit_record
from catalog.attendance.brought import Brought
from catalog.attendance.models import Absence
from catalog.grades import averages
from catalog.grades.models import Average, ClassClosing, Exam, Grade, LegacyAverage, YearResult
from catalog.grades.selectors import (
    Discipline,
    Standing,
    absences_brought,
    class_standings,
    discipline_name,
    disciplines_of,
)
from catalog.grades.services import value_parse
from catalog.structure.guards import reason_check, require_homeroom, require_results_open
from catalog.structure.models import CurricularModule, Exemption, Scheme, SchoolClass, SchoolYear, Student, Subject
from catalog.structure.selectors import enrolments_active, record_of
from catalog.structure.services import require_open

AVERAGE_MISSING = _("{student}: media la {subject} nu este încheiată.")
CONDUCT_MISSING = _("{student}: lipsește nota la purtare pentru cel puțin o perioadă.")
NOT_CLOSED = _("Situația școlară a clasei nu este încheiată.")
ONLY_DIRECTOR_REOPENS = _("Doar directorul poate redeschide situația școlară a unei clase.")
ONLY_DIRECTOR_CLOSES_YEAR = _("Doar directorul poate încheia anul școlar.")
ONLY_LEADERSHIP_EXAMS = _("Doar conducerea școlii înregistrează rezultatele examenelor.")
NO_RESULT = _("Elevul nu are situația școlară încheiată în această clasă.")
NO_RESIT = _("Elevul nu este corigent la {subject}: nu susține examen de corigență.")
NO_DEFERRAL = _("Elevul nu are situația neîncheiată la {subject}.")
MODULE_NOT_OF_SUBJECT = _("Modulul nu este al acestei discipline la clasa elevului.")
EXAM_TWICE = _("Rezultatul acestui examen este deja înregistrat.")
EXAM_DATE = _("Data examenului trebuie să fie după începutul anului școlar și nu în viitor.")
EXAM_KIND = _("Tipul examenului nu este valid.")
CLASSES_OPEN = _("Situația școlară nu este încheiată la clasele: {names}.")
RESULTS_PENDING = _(
    "{count} elevi așteaptă examene de corigență sau de încheiere a situației; înregistrați rezultatele "
    "(sau absența de la examen) înainte de încheierea anului."
)


@dataclass(frozen=True)
class Final:
    """A student's final result, ready to be stored."""

    status: str
    averages: dict[str, int | str | None]
    failed: list[str]
    deferred: list[str]
    conduct: str
    general_average: Decimal | None


def _final(standing: Standing, school_class: SchoolClass, exams: list[Exam], rules) -> Final:
    """The standing with the exams applied: a deferred exam gives the subject's average, a
    passed resit replaces the failed average; a failed or missed exam loses the year."""
    if school_class.scheme == Scheme.DESCRIPTIVE:  # rule 1: the preparatory class has no grades
        return Final(YearResult.Status.PROMOVAT, {}, [], [], "", None)
    final_averages = dict(standing.subject_averages)
    deferred = set(standing.status.deferred)
    exam_failed = False
    for exam in exams:
        name = discipline_name(exam.subject, exam.module)
        result = exam.value if exam.value is not None else exam.calificativ
        if exam.kind == Exam.Kind.DEFERRED:
            deferred.discard(name)
        if exam.absent or (exam.kind == Exam.Kind.RESIT and not averages.passes(result)):
            exam_failed = True
        else:
            final_averages[name] = result
    status = averages.student_status(
        subject_averages=final_averages, conduct=standing.conduct, deferred=sorted(deferred), resit_failed=exam_failed
    )
    general = None
    if status.status == averages.Status.PROMOVAT and school_class.scheme == Scheme.GRADES:
        # Rule 6, for the promoted: the final subject averages (after the exams) and conduct.
        general = averages.general_average(
            subject_averages=list(final_averages.values()), conduct=standing.conduct,
            truncate=rules.general_average_truncate,
        )  # fmt: skip
    conduct = "" if standing.conduct is None else str(standing.conduct)
    return Final(str(status.status), final_averages, list(status.failed), list(status.deferred), conduct, general)


@dataclass(frozen=True)
class _Attendance:
    """A class's absences and grades, counted per student for rule 11's deferral."""

    absent: dict[tuple[int, int], list[date]]  # (student, subject) -> the days of its absences
    graded: dict[tuple, int]  # (student, subject) and (student, subject, module) -> grades
    brought: dict[int, dict[int, Brought]]  # student -> subject -> absences from a school of origin

    @classmethod
    def of(cls, school_class: SchoolClass) -> "_Attendance":
        """The class's catalog: with what students who moved in had before (`record_of`), and
        the absences those who came from another school brought (`absences_brought`)."""
        enrolments = enrolments_active(school_class, on=None)
        record = record_of(school_class, enrolments) & Q(student__in=[e.student_id for e in enrolments])
        absent = defaultdict(list)
        for student_id, subject_id, on in Absence.objects.filter(record).values_list("student_id", "subject_id", "on"):
            absent[student_id, subject_id].append(on)
        graded = defaultdict(int)
        for student_id, subject_id, module_id in Grade.objects.filter(record).values_list(
            "student_id", "subject_id", "module_id"
        ):
            graded[student_id, subject_id] += 1
            graded[student_id, subject_id, module_id] += 1
        return cls(absent, graded, absences_brought(school_class.year_id, enrolments))

    def too_absent(self, student_id: int, discipline: Discipline) -> bool:
        """Half the discipline's hours or more missed, and fewer grades than its minimum. A
        module's hours are its own, its absences those at its subject during its dates."""
        entry, module = discipline.entry, discipline.module
        days = self.absent[student_id, entry.subject_id]
        if module is None:  # (a subject taught in modules has no absences brought: they have no days)
            brought = self.brought[student_id][entry.subject_id]
            return averages.is_deferred(
                absent_hours=len(days) + brought.total, yearly_hours=entry.yearly_hours,
                grade_count=self.graded[student_id, entry.subject_id],
                minimum=averages.minimum_grades(weekly_hours=entry.weekly_hours),
            )  # fmt: skip
        return averages.is_deferred(
            absent_hours=sum(module.starts <= on <= module.ends for on in days), yearly_hours=module.total_hours,
            grade_count=self.graded[student_id, entry.subject_id, module.pk],
            minimum=averages.module_minimum_grades(total_hours=module.total_hours),
        )  # fmt: skip


def _deferred_by_absences(
    school_class: SchoolClass, standings: list[Standing], disciplines: dict[str, Discipline]
) -> dict[int, set[str]]:
    """Rule 11: disciplines without an average that stay open because the student missed half
    their hours or more and has too few grades (the others are the teachers' to close)."""
    attendance = _Attendance.of(school_class)
    deferred = defaultdict(set)
    for standing in standings:
        student_id = standing.student.pk
        for name, value in standing.subject_averages.items():
            if value is None and attendance.too_absent(student_id, disciplines[name]):
                deferred[student_id].add(name)
    return deferred


def _completeness_check(school_class: SchoolClass, standings: list[Standing]) -> None:
    """Every average closed (or left open by rule 11: an approved deferral, or too many
    absences with too few grades) and every conduct grade set."""
    if school_class.scheme == Scheme.DESCRIPTIVE:
        return
    disciplines = {d.name: d for d in disciplines_of(school_class)}
    by_absences = _deferred_by_absences(school_class, standings, disciplines)
    approved = set(
        Exemption.objects.filter(year=school_class.year_id, kind=Exemption.Kind.DEFERRED).values_list(
            "student_id", "subject_id"
        )
    )
    problems = []
    for standing in standings:
        student_id, student = standing.student.pk, standing.student.user.get_full_name()
        for name, value in standing.subject_averages.items():
            subject_id = disciplines[name].entry.subject_id
            if value is None and name not in by_absences[student_id] and (student_id, subject_id) not in approved:
                problems.append(AVERAGE_MISSING.format(student=student, subject=name))
        if standing.conduct is None:
            problems.append(CONDUCT_MISSING.format(student=student))
    if problems:
        raise ValidationError([str(p) for p in problems], code="incomplete")


def _store(actor: User, school_class: SchoolClass, student: Student, final: Final) -> YearResult:
    result, _created = YearResult.objects.update_or_create(
        student=student, school_class=school_class,
        defaults={
            "status": final.status, "averages": final.averages, "failed": final.failed, "deferred": final.deferred,
            "conduct": final.conduct, "general_average": final.general_average, "decided_by": actor,
        },
    )  # fmt: skip
    audit_record(
        action=Action.RESULT_SET, actor=actor, obj=result, person=student.user,
        new={"class": str(school_class), "status": final.status, "general_average": final.general_average,
             "conduct": final.conduct, "failed": final.failed, "deferred": final.deferred},
    )  # fmt: skip
    return result


def _exams_of(school_class: SchoolClass) -> dict[int, list[Exam]]:
    exams = defaultdict(list)
    for exam in Exam.objects.filter(school_class=school_class).select_related("subject", "module").order_by("on", "id"):
        exams[exam.student_id].append(exam)
    return exams


def class_results_close(*, actor: User, school_class: SchoolClass) -> list[YearResult]:
    """The homeroom teacher closes the class's results: each student's status is stored and the
    class's grades, averages, conduct and absences are locked. Refused, naming what is missing,
    while an average or a conduct grade is not closed."""
    require_homeroom(actor, school_class)
    with transaction.atomic():
        # Lock the class row: two closings of one class queue, the second finds it closed.
        SchoolClass.objects.select_for_update().get(pk=school_class.pk)
        require_results_open(school_class)
        standings = class_standings(school_class=school_class)
        _completeness_check(school_class, standings)
        exams = _exams_of(school_class)
        rules = school_class.year.rule_set
        results = [
            _store(actor, school_class, s.student, _final(s, school_class, exams[s.student.pk], rules))
            for s in standings
        ]
        closing = ClassClosing.objects.create(school_class=school_class, closed_by=actor)
        audit_record(
            action=Action.RESULTS_CLOSED, actor=actor, obj=closing,
            new={"class": str(school_class), "students": len(results),
                 "statuses": {status: sum(r.status == status for r in results) for status in YearResult.Status.values}},
        )  # fmt: skip
    return results


def class_results_reopen(*, actor: User, school_class: SchoolClass, reason: str) -> None:
    """Rule 12: the director reopens a class's results, with a reason; the stored results go
    (their history stays) and are stored again at the next closing. Exams already recorded stay."""
    if not (actor.is_active and actor.has_role(Role.DIRECTOR)):
        raise NotAllowed(ONLY_DIRECTOR_REOPENS)
    require_open(school_class.year)
    reason = reason_check(reason)
    with transaction.atomic():
        closing = ClassClosing.objects.select_for_update().filter(school_class=school_class).first()
        if closing is None:
            raise ValidationError(NOT_CLOSED, code="not_closed")
        audit_record(
            action=Action.RESULTS_REOPENED, actor=actor, obj=closing, reason=reason,
            old={"class": str(school_class), "closed_by": closing.closed_by_id},
        )  # fmt: skip
        YearResult.objects.filter(school_class=school_class).delete()
        closing.delete()


def _exam_subject_check(result: YearResult, name: str, kind: str) -> None:
    if kind == Exam.Kind.RESIT:
        if result.status != YearResult.Status.CORIGENT or name not in result.failed:
            raise ValidationError(NO_RESIT.format(subject=name), code="no_resit")
    elif kind == Exam.Kind.DEFERRED:
        if name not in result.deferred:
            raise ValidationError(NO_DEFERRAL.format(subject=name), code="no_deferral")
    else:
        raise ValidationError(EXAM_KIND, code="kind")


def exam_record(
    *, actor: User, student: Student, school_class: SchoolClass, subject: Subject, kind: str, on: date,
    grade: str = "", absent: bool = False, module: CurricularModule | None = None,
) -> YearResult:  # fmt: skip
    """Rule 11: the result of a resit or deferred-subject exam (`grade` as typed, or `absent`)
    at a subject or at one of its curricular `module`s, recorded by the director or a deputy;
    the student's result is computed again and stored."""
    if not (actor.is_active and actor.has_role(Role.DIRECTOR, Role.DEPUTY)):
        raise NotAllowed(ONLY_LEADERSHIP_EXAMS)
    year = school_class.year
    require_open(year)
    if not isinstance(on, date) or not year.starts <= on <= timezone.localdate():
        raise ValidationError(EXAM_DATE, code="date")
    if module is not None and (module.school_class_id != school_class.pk or module.subject_id != subject.pk):
        raise ValidationError(MODULE_NOT_OF_SUBJECT, code="module")
    value, calificativ = (None, "") if absent else value_parse(grade, scheme=school_class.scheme)
    with transaction.atomic():
        SchoolClass.objects.select_for_update().get(pk=school_class.pk)
        if not ClassClosing.objects.filter(school_class=school_class).exists():
            raise ValidationError(NOT_CLOSED, code="not_closed")
        result = YearResult.objects.filter(student=student, school_class=school_class).first()
        if result is None:
            raise ValidationError(NO_RESULT, code="no_result")
        scope = {"student": student, "school_class": school_class, "subject": subject, "module": module}
        if Exam.objects.filter(**scope, kind=kind).exists():
            raise ValidationError(EXAM_TWICE, code="twice")
        name = discipline_name(subject, module)
        _exam_subject_check(result, name, kind)
        exam = Exam.objects.create(
            **scope, kind=kind, on=on, absent=absent, value=value, calificativ=calificativ, recorded_by=actor
        )
        if kind == Exam.Kind.DEFERRED and not absent:
            # The exam closes the subject's (or the module's) average (rule 11).
            Average.objects.update_or_create(
                **scope,
                defaults={"value": value, "calificativ": calificativ, "closed": True, "closed_by": actor,
                          "suggested": ""},
            )  # fmt: skip
        audit_record(
            action=Action.EXAM_RECORDED, actor=actor, obj=exam, person=student.user,
            new={"class": str(school_class), "subject": name, "kind": kind, "on": on, "absent": absent,
                 "value": value, "calificativ": calificativ},
        )  # fmt: skip
        standing = next(s for s in class_standings(school_class=school_class) if s.student.pk == student.pk)
        final = _final(standing, school_class, _exams_of(school_class)[student.pk], year.rule_set)
        return _store(actor, school_class, student, final)


def year_close(*, actor: User, year: SchoolYear) -> None:
    """Rule 12: the director closes the school year; from then on nothing in it changes. A year
    before 2022-23 (imported history) closes as it is: its classes have no results to close."""
    if not (actor.is_active and actor.has_role(Role.DIRECTOR)):
        raise NotAllowed(ONLY_DIRECTOR_CLOSES_YEAR)
    with transaction.atomic():
        year = SchoolYear.objects.select_for_update().get(pk=year.pk)
        require_open(year)
        if year.legacy:  # imported history (rule 8): no results of today's rules to wait for
            summary = {"legacy": True, "averages": LegacyAverage.objects.filter(school_class__year=year).count()}
        else:
            _year_ready_check(year)
            results = YearResult.objects.filter(school_class__year=year)
            summary = {"statuses": dict(results.values_list("status").annotate(n=Count("id")))}
        year.closed_at, year.closed_by = timezone.now(), actor
        year.save(update_fields=["closed_at", "closed_by"])
        audit_record(
            action=Action.YEAR_CLOSED, actor=actor, obj=year,
            new={"name": year.name, "classes": year.classes.count(), **summary},
        )  # fmt: skip


def year_close_check(*, actor: User, year: SchoolYear) -> None:
    """What `year_close` would refuse, refused now, writing nothing (a page asks it before it
    asks the director for a second factor)."""
    if not (actor.is_active and actor.has_role(Role.DIRECTOR)):
        raise NotAllowed(ONLY_DIRECTOR_CLOSES_YEAR)
    require_open(year)
    if not year.legacy:
        _year_ready_check(year)


def _year_ready_check(year: SchoolYear) -> None:
    """Every class's results closed, and no corigent or amânat student still waiting."""
    still_open = [str(c) for c in year.classes.filter(closing__isnull=True).order_by("level", "letter")]
    if still_open:
        raise ValidationError(CLASSES_OPEN.format(names=", ".join(still_open)), code="classes_open")
    pending = YearResult.objects.filter(
        school_class__year=year, status__in=[YearResult.Status.CORIGENT, YearResult.Status.AMANAT]
    ).count()
    if pending:
        raise ValidationError(RESULTS_PENDING.format(count=pending), code="pending")
