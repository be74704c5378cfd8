"""Subjects, classes, homeroom teachers, curricula and teaching assignments."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.roles import Role
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
