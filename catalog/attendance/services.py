"""Writes of absences: recording them (the subject teacher), excusing them (the homeroom
teacher, or the subject teacher for a late arrival the same day); recording one may notify
the parents (`notices`). Every write is audited in its transaction."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.roles import Role
from accounts.services import NotAllowed
from audit.actions import Action
from audit.services import audit_record
from catalog.attendance.models import Absence, Excusal
from catalog.attendance.notices import notices_send
from catalog.notify.models import Kind
from catalog.notify.services import absence_text, excused_text, families_notify, notifications_cancel
from catalog.structure.guards import (
    NOT_ENROLLED,
    date_check,
    reason_check,
    require_homeroom,
    require_results_open,
    require_writer,
    under_grant,
    undo_check,
)
from catalog.structure.models import CurriculumEntry, Enrolment, SchoolClass, Student, Subject
from catalog.structure.selectors import is_enrolled, record_of

HOUR_INVALID = _("Ora trebuie să fie un număr de la 1 la 14.")
ALREADY_ABSENT = _("Elevul are deja absență la ora {hour} în ziua aleasă.")
NOTHING_TO_EXCUSE = _("Elevul nu are absențe nemotivate în acest interval.")
INTERVAL_INVALID = _("Intervalul nu este valid: „din” trebuie să fie înainte de „până la”, în anul școlar.")
DOCUMENT_REQUIRED = _("Scrieți numărul și data documentului.")
DOCUMENT_LATE = _("Documentul a fost adus după {days} zile de la revenirea elevului.")
DOCUMENT_LATE_REFUSED = _("Documentul a fost adus după termenul de {days} zile: nu mai poate motiva absențele.")
NEEDS_DIRECTOR = _("Cererea părintelui are nevoie de aprobarea prealabilă a directorului.")
PARENT_CAP_YEAR = _("Cererile părintelui pot motiva cel mult {cap} ore pe an; mai sunt disponibile {left}.")
PARENT_CAP_SUBJECT = _("La {subject}, cererile părintelui pot motiva cel mult {cap} ore pe an ({percent}% din ore).")
LATE_ONLY_SAME_DAY = _("Întârzierea se motivează doar în aceeași zi, de profesorul orei.")
REASON_INVALID = _("Motivul ales nu este valid.")


def _hour_check(hour: int) -> None:
    if type(hour) is not int or not 1 <= hour <= 14:
        raise ValidationError(HOUR_INVALID, code="hour")


def absence_record(
    *, teacher: User, student: Student, school_class: SchoolClass, subject: Subject, on: date, hour: int
) -> Absence:
    """Rule 13: the student was not present at this class hour (the subject teacher records it)."""
    assignment = require_writer(teacher, school_class, subject)
    require_results_open(school_class)
    date_check(on, school_class)
    _hour_check(hour)
    if not is_enrolled(student, school_class, on):
        raise ValidationError(NOT_ENROLLED, code="enrolment")
    with transaction.atomic():
        if Absence.objects.filter(student=student, on=on, hour=hour).exists():
            raise ValidationError(ALREADY_ABSENT.format(hour=hour), code="duplicate")
        absence = Absence.objects.create(
            student=student, school_class=school_class, subject=subject, teacher=teacher, on=on, hour=hour
        )
        audit_record(
            action=Action.ABSENCE_RECORDED, actor=teacher, obj=absence, person=student.user,
            new={"on": on, "hour": hour, "subject": subject.name, "class": str(school_class)} | under_grant(assignment),
        )  # fmt: skip
        families_notify(kind=Kind.ABSENCE, student=student, source=f"absence:{absence.pk}",
                        text=absence_text(student=student, subject=subject, on=on, hour=hour))  # fmt: skip
        notices_send(student=student, school_class=school_class)
    return absence


def absence_delete(*, teacher: User, absence: Absence, reason: str) -> None:
    """An absence recorded by mistake (the student was there), removed with a reason."""
    assignment = require_writer(teacher, absence.school_class, absence.subject)
    require_results_open(absence.school_class)
    reason = reason_check(reason)
    with transaction.atomic():
        audit_record(
            action=Action.ABSENCE_DELETED, actor=teacher, obj=absence, person=absence.student.user,
            old={"on": absence.on, "hour": absence.hour, "subject": absence.subject.name, "excused": absence.excused},
            new=under_grant(assignment), reason=reason,
        )  # fmt: skip
        notifications_cancel(source=f"absence:{absence.pk}")
        absence.delete()


def absence_undo(*, teacher: User, absence: Absence, now=None) -> None:
    """The teacher takes back the absence they recorded less than a minute ago (as a
    correction with the reason "anulat imediat"); its notice, held a minute, never goes."""
    reason = undo_check(actor=teacher, author_id=absence.teacher_id, created_at=absence.created_at, now=now)
    if absence.excusal_id is not None:
        raise ValidationError(_("Absența a fost deja motivată: nu se mai poate anula."), code="excused")
    absence_delete(teacher=teacher, absence=absence, reason=reason)


@dataclass
class ExcusalResult:
    excusal: Excusal
    count: int
    warnings: list[str] = field(default_factory=list)


def absences_excuse(
    *, homeroom: User, student: Student, school_class: SchoolClass, starts: date, ends: date, reason: str,
    document: str = "", document_date: date | None = None, approved_by: User | None = None,
    special_case: bool = False, today: date | None = None,
) -> ExcusalResult:  # fmt: skip
    """Rules 14–16: the homeroom teacher excuses the student's unexcused absences in [starts, ends]."""
    require_homeroom(homeroom, school_class)
    year = school_class.year
    require_results_open(school_class)
    if reason not in (Excusal.Reason.MEDICAL, Excusal.Reason.PARENT, Excusal.Reason.OTHER):
        raise ValidationError(REASON_INVALID, code="reason")
    if not (isinstance(starts, date) and isinstance(ends, date) and year.starts <= starts <= ends <= year.ends):
        raise ValidationError(INTERVAL_INVALID, code="interval")
    document = (document or "").strip()[:60]
    if reason != Excusal.Reason.PARENT and not (document and document_date):
        raise ValidationError(DOCUMENT_REQUIRED, code="document")
    warnings = _document_timing(year.rule_set, ends, today or timezone.localdate())
    with transaction.atomic():
        absences = list(
            # The class's catalog: with the absences from a class the student moved from (`record_of`).
            Absence.objects.select_for_update()
            .filter(record_of(school_class, Enrolment.objects.filter(student=student, school_class=school_class)))
            .filter(student=student, on__range=(starts, ends), excusal__isnull=True)
            .select_related("subject")
        )
        if not absences:
            raise ValidationError(NOTHING_TO_EXCUSE, code="nothing")
        if reason == Excusal.Reason.PARENT:
            _parent_request_check(student, school_class, absences, approved_by, special_case)
        excusal = Excusal.objects.create(
            student=student, school_class=school_class, starts=starts, ends=ends, reason=reason, document=document,
            document_date=document_date, approved_by=approved_by if reason == Excusal.Reason.PARENT else None,
            special_case=special_case, excused_by=homeroom,
        )  # fmt: skip
        Absence.objects.filter(pk__in=[a.pk for a in absences]).update(excusal=excusal)
        audit_record(
            action=Action.ABSENCES_EXCUSED, actor=homeroom, obj=excusal, person=student.user,
            new={"starts": starts, "ends": ends, "reason": reason, "document": document,
                 "document_date": document_date, "absences": len(absences),
                 "approved_by": approved_by and approved_by.get_full_name()},
        )  # fmt: skip
        families_notify(kind=Kind.EXCUSED, student=student, source=f"excusal:{excusal.pk}",
                        text=excused_text(student=student, count=len(absences)))  # fmt: skip
    return ExcusalResult(excusal, len(absences), warnings)


def _document_timing(rules, ends: date, today: date) -> list[str]:
    """Rule 15: documents are due within N days of the student's return (the day after `ends`)."""
    if today <= ends + timedelta(days=1 + rules.document_days):
        return []
    if rules.late_documents_refused:
        raise ValidationError(DOCUMENT_LATE_REFUSED.format(days=rules.document_days), code="late")
    return [str(DOCUMENT_LATE.format(days=rules.document_days))]


def _parent_request_check(
    student: Student, school_class: SchoolClass, absences: list[Absence], approved_by: User | None, special: bool
) -> None:
    """Rule 16: the director approved it first; at most N hours a year and P% of a subject's hours."""
    if approved_by is None or not approved_by.has_role(Role.DIRECTOR) or not approved_by.is_active:
        raise NotAllowed(NEEDS_DIRECTOR)
    rules = school_class.year.rule_set
    cap = rules.special_request_hours if special else rules.parent_request_hours
    percent = rules.special_request_percent if special else rules.parent_request_percent
    earlier = Absence.objects.filter(
        student=student, school_class__year=school_class.year, excusal__reason=Excusal.Reason.PARENT
    )
    used = earlier.count()
    if used + len(absences) > cap:
        raise ValidationError(PARENT_CAP_YEAR.format(cap=cap, left=max(cap - used, 0)), code="cap_year")
    used_by_subject = dict(earlier.values_list("subject").annotate(n=Count("id")))
    yearly = dict(CurriculumEntry.objects.filter(school_class=school_class).values_list("subject_id", "yearly_hours"))
    wanted: dict[int, int] = {}
    for absence in absences:
        wanted[absence.subject_id] = wanted.get(absence.subject_id, 0) + 1
    for subject_id, count in wanted.items():
        subject_cap = yearly.get(subject_id, 0) * percent // 100
        if used_by_subject.get(subject_id, 0) + count > subject_cap:
            name = next(a.subject.name for a in absences if a.subject_id == subject_id)
            raise ValidationError(
                PARENT_CAP_SUBJECT.format(subject=name, cap=subject_cap, percent=percent), code="cap_subject"
            )


def absence_excuse_late(*, teacher: User, absence: Absence, today: date | None = None) -> Excusal:
    """Rule 14: the subject teacher excuses a late arrival at their own hour, the same day."""
    require_writer(teacher, absence.school_class, absence.subject)
    require_results_open(absence.school_class)
    if absence.on != (today or timezone.localdate()) or absence.excused:
        raise ValidationError(LATE_ONLY_SAME_DAY, code="late")
    with transaction.atomic():
        excusal = Excusal.objects.create(
            student=absence.student, school_class=absence.school_class, starts=absence.on, ends=absence.on,
            reason=Excusal.Reason.LATE, excused_by=teacher,
        )  # fmt: skip
        absence.excusal = excusal
        absence.save(update_fields=["excusal"])
        audit_record(
            action=Action.ABSENCES_EXCUSED, actor=teacher, obj=excusal, person=absence.student.user,
            new={"starts": absence.on, "ends": absence.on, "reason": Excusal.Reason.LATE, "hour": absence.hour,
                 "subject": absence.subject.name, "absences": 1},
        )  # fmt: skip
    return excusal
