"""Students (CNP, register numbers), their enrolments, moves, transfers and exemptions."""

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.roles import Role
from accounts.services import NotAllowed, user_create
from audit.actions import Action
from audit.services import audit_record
from catalog.structure.cnp import cnp_validate
from catalog.structure.models import (
    Enrolment,
    Exemption,
    RegisterCounter,
    SchoolClass,
    SchoolYear,
    Student,
    Subject,
    level_cycle,
)
from catalog.structure.services.years import require_configurer, require_open


def register_number_next(cycle: str) -> int:
    """The next număr matricol of `cycle`; inside the caller's transaction (never reused)."""
    counter, _created = RegisterCounter.objects.select_for_update().get_or_create(cycle=cycle)
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last


def _register_counter_raise(cycle: str, number: int) -> None:
    """An imported număr matricol moves the cycle's counter past it, so it is never given again."""
    counter, _created = RegisterCounter.objects.select_for_update().get_or_create(cycle=cycle)
    if counter.last < number:
        counter.last = number
        counter.save(update_fields=["last"])


def student_create(
    *, actor: User, first_name: str, last_name: str, cnp: str, school_class: SchoolClass, starts: date | None = None,
    email: str = "", entry: str = Enrolment.Entry.START, register_number: int | None = None,
) -> Student:  # fmt: skip
    """A student (their account, register record and enrolment in `school_class`).

    The număr matricol is the cycle's next one, unless an imported register gives it.
    """
    require_configurer(actor)
    require_open(school_class.year)
    if register_number is not None and (type(register_number) is not int or register_number < 1):
        raise ValidationError(_("Numărul matricol este un număr întreg de la 1 în sus."), code="register_number")
    info = cnp_validate(cnp)
    if Student.objects.filter(cnp=info.value).exists():
        raise ValidationError(_("Există deja un elev cu acest CNP."), code="cnp_taken")
    cycle = level_cycle(school_class.level)
    with transaction.atomic():
        user = user_create(
            actor=actor, first_name=first_name, last_name=last_name, roles=[Role.STUDENT], email=email,
            birth_date=info.birth_date,
        )  # fmt: skip
        number = register_number or register_number_next(cycle)
        if register_number is not None:
            if Student.objects.filter(cycle=cycle, register_number=number).exists():
                raise ValidationError(
                    _("Numărul matricol {n} este deja folosit.").format(n=number), code="register_taken"
                )
            _register_counter_raise(cycle, number)
        student = Student.objects.create(user=user, cnp=info.value, cycle=cycle, register_number=number)
        enrolment_add(actor=actor, student=student, school_class=school_class, starts=starts, entry=entry, audit=False)
        audit_record(
            action=Action.STUDENT_CREATED, actor=actor, obj=student, person=user,
            new={"register_number": number, "cycle": cycle, "class": str(school_class)},
        )  # fmt: skip
    return student


def enrolment_add(
    *, actor: User, student: Student, school_class: SchoolClass, starts: date | None = None,
    entry: str = Enrolment.Entry.START, audit: bool = True,
) -> Enrolment:  # fmt: skip
    require_configurer(actor)
    require_open(school_class.year)
    starts = starts or max(school_class.year.starts, min(timezone.localdate(), school_class.year.ends))
    if not school_class.year.starts <= starts <= school_class.year.ends:
        raise ValidationError(_("Data înscrierii trebuie să fie în anul școlar."), code="dates")
    # One class at a time: no enrolment of the year still open, or ending on or after `starts`.
    if (
        Enrolment.objects.filter(student=student, school_class__year=school_class.year)
        .filter(Q(ends__isnull=True) | Q(ends__gte=starts))
        .exists()
    ):
        raise ValidationError(_("Elevul este deja înscris într-o clasă în acest an."), code="enrolled")
    with transaction.atomic():  # the enrolment and its audit event together
        try:
            with transaction.atomic():
                enrolment = Enrolment.objects.create(
                    student=student, school_class=school_class, starts=starts, entry=entry
                )
        except IntegrityError as error:
            raise ValidationError(_("Elevul a mai fost înscris în această clasă."), code="enrolled") from error
        if audit:
            audit_record(
                action=Action.STUDENT_ENROLLED, actor=actor, obj=enrolment, person=student.user,
                new={"class": str(school_class), "starts": starts, "entry": entry},
            )  # fmt: skip
    return enrolment


ALREADY_LEFT = _("Elevul a plecat deja din clasă.")


def enrolment_end(*, actor: User, enrolment: Enrolment, ends: date, exit: str, note: str = "") -> None:  # noqa: A002
    """The student leaves the class on `ends` (transfer, move to another class, withdrawal)."""
    require_configurer(actor)
    require_open(enrolment.school_class.year)
    if enrolment.ends is not None:
        raise ValidationError(ALREADY_LEFT, code="left")
    if exit not in Enrolment.Exit.values:
        raise ValidationError(_("Motivul plecării nu este valid."), code="exit")
    if not enrolment.starts <= ends <= enrolment.school_class.year.ends:
        raise ValidationError(_("Data plecării trebuie să fie după înscriere și în anul școlar."), code="dates")
    with transaction.atomic():
        enrolment.ends, enrolment.exit, enrolment.note = ends, exit, note.strip()[:200]
        enrolment.save(update_fields=["ends", "exit", "note"])
        audit_record(
            action=Action.STUDENT_LEFT, actor=actor, obj=enrolment, person=enrolment.student.user,
            new={"class": str(enrolment.school_class), "ends": ends, "exit": exit},
        )  # fmt: skip


MOVE_CLASS = _("Mutarea se face într-o altă clasă de același nivel, în același an școlar.")


MOVE_DATE = _("Prima zi în clasa nouă trebuie să fie după înscrierea în clasa de acum și în anul școlar.")


def enrolment_move(
    *, actor: User, enrolment: Enrolment, to_class: SchoolClass, on: date, note: str = ""
) -> Enrolment:  # fmt: skip
    """The student moves to a parallel class from `on`: the enrolment in the class they leave
    ends the day before (both ends marked as a move), all in one transaction."""
    require_configurer(actor)
    year = enrolment.school_class.year
    require_open(year)
    if enrolment.ends is not None:
        raise ValidationError(ALREADY_LEFT, code="left")
    if (
        to_class.year_id != year.pk
        or to_class.pk == enrolment.school_class_id
        or to_class.level != enrolment.school_class.level
    ):
        raise ValidationError(MOVE_CLASS, code="class")
    if not (isinstance(on, date) and enrolment.starts < on <= year.ends):
        raise ValidationError(MOVE_DATE, code="dates")
    with transaction.atomic():
        enrolment_end(
            actor=actor, enrolment=enrolment, ends=on - timedelta(days=1), exit=Enrolment.Exit.MOVED, note=note
        )
        return enrolment_add(
            actor=actor, student=enrolment.student, school_class=to_class, starts=on, entry=Enrolment.Entry.MOVED
        )


def exemption_set(
    *, actor: User, student: Student, year: SchoolYear, subject: Subject, kind: str, document: str = "",
    document_date: date | None = None,
) -> Exemption:  # fmt: skip
    """Rule 7/11: a subject left out of the student's year (medical, no religion, deferred)."""
    require_configurer(actor)
    require_open(year)
    if kind not in Exemption.Kind.values:
        raise ValidationError(_("Tipul scutirii nu este valid."), code="kind")
    if kind == Exemption.Kind.MEDICAL and subject.kind != Subject.Kind.PHYSICAL_EDUCATION:
        raise ValidationError(_("Scutirea medicală se dă doar la educație fizică."), code="kind")
    if kind == Exemption.Kind.NO_RELIGION and subject.kind != Subject.Kind.RELIGION:
        raise ValidationError(_("Opțiunea privește doar ora de religie."), code="kind")
    if kind == Exemption.Kind.MEDICAL and not (document.strip() and document_date):
        raise ValidationError(_("Scutirea medicală are nevoie de numărul și data documentului."), code="document")
    with transaction.atomic():
        exemption, _created = Exemption.objects.update_or_create(
            student=student, year=year, subject=subject,
            defaults={"kind": kind, "document": document.strip(), "document_date": document_date},
        )  # fmt: skip
        audit_record(
            action=Action.EXEMPTION_SET, actor=actor, obj=exemption, person=student.user,
            new={"subject": subject.name, "kind": kind, "document": document, "document_date": document_date},
        )  # fmt: skip
    return exemption


RESTRICT_ONLY_DIRECTOR = _("Doar directorul restricționează prelucrarea datelor unui elev.")
RESTRICT_REASON = _("Scrieți motivul (de exemplu, cererea părintelui din data ...).")
ALREADY_RESTRICTED = _("Datele elevului sunt deja restricționate.")
NOT_RESTRICTED = _("Datele elevului nu sunt restricționate.")


def student_restrict(*, actor: User, student: Student, reason: str) -> Student:
    """GDPR art. 18: the director restricts the processing of the student's data (see
    `Student.restricted_at`), with the reason (the request it answers)."""
    return _restriction_set(actor=actor, student=student, reason=reason, restrict=True)


def student_restriction_lift(*, actor: User, student: Student, reason: str) -> Student:
    """The restriction ends (the request was settled): the data is processed again."""
    return _restriction_set(actor=actor, student=student, reason=reason, restrict=False)


def _restriction_set(*, actor: User, student: Student, reason: str, restrict: bool) -> Student:
    if not (actor.is_active and actor.has_role(Role.DIRECTOR)):
        raise NotAllowed(RESTRICT_ONLY_DIRECTOR)
    reason = (reason or "").strip()
    if not reason or len(reason) > 500:
        raise ValidationError(RESTRICT_REASON, code="reason")
    with transaction.atomic():
        student = Student.objects.select_for_update().select_related("user").get(pk=student.pk)
        if student.restricted == restrict:
            raise ValidationError(ALREADY_RESTRICTED if restrict else NOT_RESTRICTED, code="state")
        if restrict:
            student.restricted_at, student.restricted_by, student.restriction_reason = timezone.now(), actor, reason
        else:
            student.restricted_at, student.restricted_by, student.restriction_reason = None, None, ""
        student.save(update_fields=["restricted_at", "restricted_by", "restriction_reason"])
        audit_record(
            action=Action.DATA_RESTRICTED if restrict else Action.DATA_RESTRICTION_LIFTED, actor=actor,
            obj=student, person=student.user, reason=reason,
        )  # fmt: skip
    return student
