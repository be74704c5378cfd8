"""Subjects, classes, homeroom teachers, curricula and teaching assignments."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.roles import Role
from accounts.services import NotAllowed, school_has_director
from audit.actions import Action
from audit.services import audit_record
from catalog.structure.models import (
    CurriculumEntry,
    SchoolClass,
    SchoolYear,
    Subject,
    TeachingAssignment,
)
from catalog.structure.services.years import require_configurer, require_open

RIGHTS_NEED_APPROVAL = _(
    "Încadrările și dirigențiile se dau cu aprobarea directorului: cereți-le din paginile de configurare."
)


def require_rights_giver(actor: User, approval: dict | None = None) -> None:
    """Rights to write (assignments, homerooms) are given by the director, or with an approval
    recorded by catalog.rights (`approval`); while a school has no active director yet (its
    onboarding), by its configurers (as accounts lets them make the first director)."""
    if approval is not None or actor.has_role(Role.DIRECTOR):
        return
    if school_has_director():
        raise NotAllowed(RIGHTS_NEED_APPROVAL)


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
    if homeroom is not None:
        require_rights_giver(actor)
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


def homeroom_check(*, school_class: SchoolClass, homeroom: User | None) -> None:
    """What a homeroom change must satisfy: checked when asked for and again when approved."""
    require_open(school_class.year)
    _homeroom_validate(homeroom)


def homeroom_set(
    *, actor: User, school_class: SchoolClass, homeroom: User | None, approval: dict | None = None
) -> None:
    """The class's homeroom teacher (None: none, which never waits for an approval); `approval`
    (the request it was approved in) goes into the audit event."""
    require_configurer(actor)
    if homeroom is not None:
        require_rights_giver(actor, approval)
    homeroom_check(school_class=school_class, homeroom=homeroom)
    old = school_class.homeroom
    with transaction.atomic():
        school_class.homeroom = homeroom
        school_class.save(update_fields=["homeroom"])
        _homeroom_role_grant(homeroom)
        audit_record(
            action=Action.CLASS_CHANGED, actor=actor, obj=school_class,
            old={"homeroom": old and old.get_full_name()},
            new={"homeroom": homeroom and homeroom.get_full_name()} | (approval or {}),
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


GRANT_DATES = _("Dreptul temporar are o dată de început și una de sfârșit, în anul școlar, cel mult {ends}.")
GRANT_OVER = _("Perioada dreptului temporar s-a încheiat deja.")
GRANT_EXPIRED = _("dreptul temporar a expirat")


def assignment_check(
    *, teacher: User, school_class: SchoolClass, subject: Subject, starts: date | None = None,
    ends: date | None = None, today: date | None = None,
) -> None:  # fmt: skip
    """What an assignment (or a temporary grant from `starts` to `ends`) must satisfy: checked
    when it is asked for and again when it is approved."""
    require_open(school_class.year)
    if not teacher.has_role(Role.TEACHER) or not teacher.is_active:
        raise ValidationError(_("Încadrarea se face doar pentru profesori activi."), code="teacher")
    if not CurriculumEntry.objects.filter(school_class=school_class, subject=subject).exists():
        raise ValidationError(_("Disciplina nu este în planul de învățământ al clasei."), code="curriculum")
    if starts is None and ends is None:
        return
    year = school_class.year
    if not (isinstance(starts, date) and isinstance(ends, date) and year.starts <= starts <= ends <= year.ends):
        raise ValidationError(GRANT_DATES.format(ends=f"{year.ends:%d.%m.%Y}"), code="grant_dates")
    if ends < (today or timezone.localdate()):
        raise ValidationError(GRANT_OVER, code="grant_over")


def assignment_create(
    *, actor: User, teacher: User, school_class: SchoolClass, subject: Subject, starts: date | None = None,
    ends: date | None = None, approval: dict | None = None,
) -> TeachingAssignment:  # fmt: skip
    """`teacher` teaches `subject` in the class: they write its grades and absences, for good or,
    as a temporary grant (a substitute's), from `starts` to `ends`. `approval` (the request it
    was approved in) goes into the audit event. A permanent assignment is never narrowed to a
    grant; a grant asked for again takes the new interval."""
    require_configurer(actor)
    require_rights_giver(actor, approval)
    assignment_check(teacher=teacher, school_class=school_class, subject=subject, starts=starts, ends=ends)
    with transaction.atomic():
        assignment, created = TeachingAssignment.objects.select_for_update().get_or_create(
            teacher=teacher, school_class=school_class, subject=subject, defaults={"starts": starts, "ends": ends}
        )
        widened = not created and assignment.is_grant and (assignment.starts, assignment.ends) != (starts, ends)
        if widened:
            assignment.starts, assignment.ends = starts, ends
            assignment.save(update_fields=["starts", "ends"])
        if created or widened:
            grant = {"grant": f"{starts:%d.%m.%Y}–{ends:%d.%m.%Y}"} if ends else {}
            audit_record(
                action=Action.ASSIGNMENT_CREATED, actor=actor, obj=assignment, person=teacher,
                new={"class": str(school_class), "subject": subject.name} | grant | (approval or {}),
            )  # fmt: skip
    return assignment


def grants_expire(*, today: date | None = None) -> int:
    """Remove the temporary grants that ended before `today` (each audited); how many. They
    gave nothing since their last day already (`in_force`): this only tidies and records."""
    today = today or timezone.localdate()
    removed = 0
    for grant in TeachingAssignment.objects.filter(ends__lt=today).select_related("school_class", "subject", "teacher"):
        with transaction.atomic():
            audit_record(
                action=Action.GRANT_EXPIRED, actor="job", obj=grant, person=grant.teacher,
                old={"class": str(grant.school_class), "subject": grant.subject.name,
                     "grant": f"{grant.starts:%d.%m.%Y}–{grant.ends:%d.%m.%Y}"},
                reason=str(GRANT_EXPIRED),
            )  # fmt: skip
            grant.delete()
        removed += 1
    return removed


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
