"""Writes to a school's structure: years and their periods and rules, subjects, classes,
curriculum, teaching assignments, students and enrolments. Admins and the school's
leadership configure; every change is audited in its transaction."""

import re
from dataclasses import dataclass
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
    CurriculumEntry,
    Enrolment,
    Exemption,
    Holiday,
    LearningPeriod,
    Level,
    PeriodEnd,
    RegisterCounter,
    RuleSet,
    SchoolClass,
    SchoolYear,
    Student,
    Subject,
    TeachingAssignment,
    level_cycle,
)

CONFIGURERS = (Role.SCHOOL_ADMIN, Role.DIRECTOR, Role.DEPUTY)
YEAR_CLOSED = _("Anul școlar {year} este încheiat: nu se mai pot face modificări.")
NOT_CONFIGURER = _("Doar secretariatul și conducerea școlii configurează anul școlar.")
PERIOD_NAMES = {
    SchoolYear.Structure.MODULES: "Modulul {n}",
    SchoolYear.Structure.SEMESTERS: "Semestrul {n}",
    SchoolYear.Structure.TRIMESTERS: "Trimestrul {n}",
    SchoolYear.Structure.CUSTOM: "Perioada {n}",
}
PERIOD_COUNTS = {SchoolYear.Structure.MODULES: 5, SchoolYear.Structure.SEMESTERS: 2, SchoolYear.Structure.TRIMESTERS: 3}


@dataclass(frozen=True)
class PeriodSpec:
    starts: date
    ends: date
    name: str = ""


def require_configurer(actor: User) -> None:
    if not (actor.is_active and actor.has_role(*CONFIGURERS)):
        raise NotAllowed(NOT_CONFIGURER)


def require_open(year: SchoolYear) -> None:
    if year.is_closed:
        raise ValidationError(YEAR_CLOSED.format(year=year.name), code="year_closed")


def periods_even(*, structure: str, starts: date, ends: date) -> list[PeriodSpec]:
    """`structure`'s periods splitting [starts, ends] into equal parts (a starting point to edit)."""
    count = PERIOD_COUNTS.get(structure, 1)
    span = (ends - starts).days + 1
    firsts = [starts + timedelta(days=span * i // count) for i in range(count)]
    lasts = [first - timedelta(days=1) for first in firsts[1:]] + [ends]  # never a day past `ends`
    return [PeriodSpec(first, last) for first, last in zip(firsts, lasts, strict=True)]


def _periods_validate(starts: date, ends: date, periods: list[PeriodSpec]) -> None:
    if not periods:
        raise ValidationError(_("Anul școlar are nevoie de cel puțin o perioadă de cursuri."), code="no_periods")
    previous_end = None
    for number, period in enumerate(periods, start=1):
        if period.starts > period.ends:
            raise ValidationError(_("Perioada {n} se termină înainte să înceapă.").format(n=number), code="period")
        if period.starts < starts or period.ends > ends:
            raise ValidationError(_("Perioada {n} iese din anul școlar.").format(n=number), code="period")
        if previous_end is not None and period.starts <= previous_end:
            raise ValidationError(_("Perioada {n} se suprapune cu cea dinainte.").format(n=number), code="period")
        previous_end = period.ends


YEAR_NAME = _("Anul școlar se scrie ca 2026-2027: anul în care începe și anul în care se termină.")


def _year_name_check(name: str, starts: date, ends: date) -> None:
    """ "2026-2027": two years in a row, the first when the year starts and the second when it ends."""
    match = re.fullmatch(r"(\d{4})-(\d{4})", name or "")
    if not match or (int(match[1]), int(match[2])) != (starts.year, starts.year + 1) or ends.year != starts.year + 1:
        raise ValidationError(YEAR_NAME, code="name")


def year_create(
    *, actor: User, name: str, starts: date, ends: date, structure: str, periods: list[PeriodSpec] | None = None
) -> SchoolYear:
    """A new school year with its periods, on the newest rule set."""
    require_configurer(actor)
    if structure not in SchoolYear.Structure.values:
        raise ValidationError(_("Structura anului școlar nu este validă."), code="structure")
    if starts >= ends:
        raise ValidationError(_("Anul școlar trebuie să înceapă înainte să se termine."), code="dates")
    _year_name_check(name, starts, ends)
    if SchoolYear.objects.filter(name=name).exists():
        raise ValidationError(_("Anul școlar {name} există deja.").format(name=name), code="duplicate")
    if periods is None:
        periods = periods_even(structure=structure, starts=starts, ends=ends)
    _periods_validate(starts, ends, periods)
    with transaction.atomic():
        year = SchoolYear.objects.create(
            name=name, starts=starts, ends=ends, structure=structure,
            rule_set=RuleSet.objects.order_by("-version").first(), legacy=starts.year < 2022,
        )  # fmt: skip
        LearningPeriod.objects.bulk_create(
            LearningPeriod(
                year=year, number=n, name=p.name or PERIOD_NAMES[structure].format(n=n), starts=p.starts, ends=p.ends
            )
            for n, p in enumerate(periods, start=1)
        )
        audit_record(
            action=Action.YEAR_CREATED, actor=actor, obj=year,
            new={"name": name, "starts": starts, "ends": ends, "structure": structure, "periods": len(periods)},
        )  # fmt: skip
    return year


RULE_FIELDS = tuple(
    f.name for f in RuleSet._meta.concrete_fields if f.name not in {"id", "version", "created_at", "note"}
)


def rules_revise(*, actor: User, year: SchoolYear, note: str = "", **changes) -> RuleSet:
    """A new rule-set version for `year` with `changes`; earlier years keep theirs."""
    require_configurer(actor)
    require_open(year)
    unknown = set(changes) - set(RULE_FIELDS)
    if unknown:
        raise ValidationError(_("Reguli necunoscute: {names}.").format(names=", ".join(sorted(unknown))))
    notify_at = changes.get("notify_at", [])
    if not isinstance(notify_at, list) or any(type(n) is not int or not 1 <= n <= 1000 for n in notify_at):
        raise ValidationError(_("Pragurile de anunțare sunt numere întregi de la 1 la 1000."), code="notify_at")
    current = year.rule_set
    values = {name: getattr(current, name) for name in RULE_FIELDS} | changes
    with transaction.atomic():
        RuleSet.objects.select_for_update().order_by("-version").first()  # one new version at a time
        version = RuleSet.objects.order_by("-version").values_list("version", flat=True).first() + 1
        rule_set = RuleSet(version=version, note=note[:200], **values)
        rule_set.full_clean()
        rule_set.save()
        year.rule_set = rule_set
        year.save(update_fields=["rule_set"])
        old = {name: getattr(current, name) for name in changes}
        audit_record(action=Action.YEAR_RULES_REVISED, actor=actor, obj=year, old=old, new=changes, reason=note)
    return rule_set


def period_end_set(
    *, actor: User, period: LearningPeriod, level: str, ends: date, technological: bool = False
) -> PeriodEnd:
    """`period` ends on `ends` for the classes of `level` (only its technological classes when
    `technological`): the last year of a cycle finishes earlier (VIII, XII)."""
    require_configurer(actor)
    require_open(period.year)
    if level not in Level.values:
        raise ValidationError(_("Nivelul clasei nu este valid."), code="level")
    if not (isinstance(ends, date) and period.starts <= ends <= period.year.ends):
        raise ValidationError(_("Sfârșitul trebuie să fie după începutul perioadei și în anul școlar."), code="dates")
    with transaction.atomic():
        variation, _created = PeriodEnd.objects.update_or_create(
            period=period, level=level, technological=technological, defaults={"ends": ends}
        )
        audit_record(
            action=Action.YEAR_PERIOD_END_SET, actor=actor, obj=variation,
            new={"period": period.name, "level": level, "technological": technological, "ends": ends},
        )  # fmt: skip
    return variation


def period_end_remove(*, actor: User, variation: PeriodEnd) -> None:
    """The level's period ends with everybody's again."""
    require_configurer(actor)
    require_open(variation.period.year)
    with transaction.atomic():
        audit_record(
            action=Action.YEAR_PERIOD_END_REMOVED, actor=actor, obj=variation,
            old={"period": variation.period.name, "level": variation.level, "technological": variation.technological,
                 "ends": variation.ends},
        )  # fmt: skip
        variation.delete()


HOLIDAY_NAME = _("Scrieți numele vacanței (cel mult 80 de caractere).")
HOLIDAY_DATES = _("Vacanța trebuie să fie în anul școlar {year} și să înceapă înainte să se termine.")
HOLIDAY_OVERLAP = _("Se suprapune cu {name} ({starts:%d.%m.%Y} – {ends:%d.%m.%Y}).")


def holiday_add(*, actor: User, year: SchoolYear, name: str, starts: date, ends: date) -> Holiday:
    """A holiday of the year: no class hours, so no grade or absence is dated in it."""
    require_configurer(actor)
    require_open(year)
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise ValidationError(HOLIDAY_NAME, code="name")
    if not (isinstance(starts, date) and isinstance(ends, date) and year.starts <= starts <= ends <= year.ends):
        raise ValidationError(HOLIDAY_DATES.format(year=year.name), code="dates")
    with transaction.atomic():
        overlap = Holiday.objects.select_for_update().filter(year=year, starts__lte=ends, ends__gte=starts).first()
        if overlap is not None:
            message = HOLIDAY_OVERLAP.format(name=overlap.name, starts=overlap.starts, ends=overlap.ends)
            raise ValidationError(message, code="overlap")
        holiday = Holiday.objects.create(year=year, name=name, starts=starts, ends=ends)
        audit_record(
            action=Action.HOLIDAY_ADDED, actor=actor, obj=holiday, new={"name": name, "starts": starts, "ends": ends}
        )
    return holiday


def holiday_remove(*, actor: User, holiday: Holiday) -> None:
    require_configurer(actor)
    require_open(holiday.year)
    with transaction.atomic():
        audit_record(
            action=Action.HOLIDAY_REMOVED, actor=actor, obj=holiday,
            old={"name": holiday.name, "starts": holiday.starts, "ends": holiday.ends},
        )  # fmt: skip
        holiday.delete()


def subject_create(
    *, actor: User, name: str, kind: str = Subject.Kind.REGULAR, position: int = 100, short_name: str = ""
) -> Subject:
    require_configurer(actor)
    subject = Subject(name=name.strip(), kind=kind, position=position, short_name=short_name.strip())
    subject.full_clean()
    with transaction.atomic():
        subject.save()
        audit_record(action=Action.SUBJECT_CREATED, actor=actor, obj=subject, new={"name": subject.name, "kind": kind})
    return subject


def class_create(
    *, actor: User, year: SchoolYear, level: str, letter: str, homeroom: User | None = None, technological: bool = False
) -> SchoolClass:
    require_configurer(actor)
    require_open(year)
    school_class = SchoolClass(year=year, level=level, letter=letter.strip().upper(), technological=technological)
    school_class.full_clean()
    _homeroom_validate(homeroom)
    school_class.homeroom = homeroom
    with transaction.atomic():
        school_class.save()
        _homeroom_role_grant(homeroom)
        audit_record(
            action=Action.CLASS_CREATED, actor=actor, obj=school_class,
            new={"class": str(school_class), "year": year.name, "homeroom": homeroom and homeroom.get_full_name()},
        )  # fmt: skip
    return school_class


def _homeroom_role_grant(homeroom: User | None) -> None:
    """The homeroom teacher of a class has the homeroom role (it opens their class pages)."""
    if homeroom is not None and not homeroom.has_role(Role.HOMEROOM):
        homeroom.roles = sorted({*homeroom.roles, Role.HOMEROOM})
        homeroom.save(update_fields=["roles"])


def _homeroom_validate(homeroom: User | None) -> None:
    if homeroom is not None and not homeroom.has_role(Role.TEACHER):
        raise ValidationError(_("Dirigintele trebuie să fie profesor al școlii."), code="homeroom")


def homeroom_set(*, actor: User, school_class: SchoolClass, homeroom: User | None) -> None:
    require_configurer(actor)
    require_open(school_class.year)
    _homeroom_validate(homeroom)
    old = school_class.homeroom
    with transaction.atomic():
        school_class.homeroom = homeroom
        school_class.save(update_fields=["homeroom"])
        _homeroom_role_grant(homeroom)
        audit_record(
            action=Action.CLASS_CHANGED, actor=actor, obj=school_class,
            old={"homeroom": old and old.get_full_name()}, new={"homeroom": homeroom and homeroom.get_full_name()},
        )  # fmt: skip


def curriculum_set(
    *, actor: User, school_class: SchoolClass, subject: Subject, weekly_hours: int, weeks: int = 34
) -> CurriculumEntry:
    """`subject` taught `weekly_hours` a week in the class (the yearly hours follow from the weeks)."""
    require_configurer(actor)
    require_open(school_class.year)
    if not 1 <= weekly_hours <= 40:
        raise ValidationError(_("Numărul de ore pe săptămână trebuie să fie între 1 și 40."), code="hours")
    with transaction.atomic():
        entry, _created = CurriculumEntry.objects.update_or_create(
            school_class=school_class, subject=subject,
            defaults={"weekly_hours": weekly_hours, "yearly_hours": weekly_hours * weeks},
        )  # fmt: skip
        audit_record(
            action=Action.CURRICULUM_SET, actor=actor, obj=entry,
            new={"class": str(school_class), "subject": subject.name, "weekly_hours": weekly_hours},
        )  # fmt: skip
    return entry


def assignment_create(*, actor: User, teacher: User, school_class: SchoolClass, subject: Subject) -> TeachingAssignment:
    """`teacher` teaches `subject` in the class: from now on they write its grades and absences."""
    require_configurer(actor)
    require_open(school_class.year)
    if not teacher.has_role(Role.TEACHER) or not teacher.is_active:
        raise ValidationError(_("Încadrarea se face doar pentru profesori activi."), code="teacher")
    if not CurriculumEntry.objects.filter(school_class=school_class, subject=subject).exists():
        raise ValidationError(_("Disciplina nu este în planul de învățământ al clasei."), code="curriculum")
    with transaction.atomic():
        assignment, created = TeachingAssignment.objects.get_or_create(
            teacher=teacher, school_class=school_class, subject=subject
        )
        if created:
            audit_record(
                action=Action.ASSIGNMENT_CREATED, actor=actor, obj=assignment, person=teacher,
                new={"class": str(school_class), "subject": subject.name},
            )  # fmt: skip
    return assignment


def assignment_remove(*, actor: User, assignment: TeachingAssignment, reason: str) -> None:
    require_configurer(actor)
    require_open(assignment.school_class.year)
    if not reason.strip():
        raise ValidationError(_("Motivul este obligatoriu."), code="reason")
    with transaction.atomic():
        audit_record(
            action=Action.ASSIGNMENT_REMOVED, actor=actor, obj=assignment, person=assignment.teacher,
            old={"class": str(assignment.school_class), "subject": assignment.subject.name}, reason=reason,
        )  # fmt: skip
        assignment.delete()


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
