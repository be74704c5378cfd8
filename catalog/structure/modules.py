"""Curricular modules of technical and vocational classes (DOMAIN rule 4): a subject taught in
modules, each with its hours and dates and its own average, closed once the module has ended.

The school's secretariat and leadership configure the modules; the subject's teacher closes
their averages (through `grades.average_close`, which computes them and applies rule 5).
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from audit.actions import Action
from audit.services import audit_record
from catalog.grades import services as grades
from catalog.grades.models import Average, Grade
from catalog.structure.models import CurricularModule, CurriculumEntry, SchoolClass, Student, Subject
from catalog.structure.services import require_configurer, require_open
from catedra.text import has_control_characters

MAX_HOURS = 2000
NAME_LENGTH = CurricularModule._meta.get_field("name").max_length

NOT_TECHNOLOGICAL = _("Modulele curriculare există doar la clasele tehnologice / profesionale.")
NOT_IN_CURRICULUM = _("Disciplina nu este în planul de învățământ al clasei.")
NAME_INVALID = _("Scrieți numele modulului (cel mult 160 de caractere, fără caractere nepermise).")
NAME_TAKEN = _("Disciplina are deja un modul numit „{name}” la această clasă.")
HOURS_INVALID = _("Numărul de ore al modulului trebuie să fie un număr întreg între 1 și 2000.")
DATES_INVALID = _("Modulul trebuie să înceapă și să se termine în anul școlar {year}, începutul înaintea sfârșitului.")
GRADES_OUTSIDE = _("Modulul are note între {first} și {last}: perioada lui trebuie să le cuprindă.")
SUBJECT_LOCKED = _("Modulul are deja note: disciplina lui nu se mai poate schimba.")
AVERAGES_CLOSED = _("Modulul are medii încheiate: se mai poate schimba doar numele lui.")
HAS_GRADES = _("Modulul are note sau medii: nu se mai poate șterge.")


# Reads


def modules_of(school_class: SchoolClass, subject: Subject | None = None) -> QuerySet[CurricularModule]:
    """The class's modules (of one subject), in teaching order (start date, name)."""
    modules = CurricularModule.objects.filter(school_class=school_class).select_related("subject")
    return modules.filter(subject=subject) if subject is not None else modules


def module_running(modules: list[CurricularModule], on: date) -> CurricularModule | None:
    """The first of `modules` whose dates hold `on` (a grade's default module)."""
    return next((m for m in modules if m.starts <= on <= m.ends), None)


def module_ended(module: CurricularModule, today: date | None = None) -> bool:
    """Whether the module's average may be closed: from its last day on (the last lesson is on it)."""
    return (today or timezone.localdate()) >= module.ends


# Writes (the secretariat and the leadership)


def _name_check(name: str) -> str:
    name = (name or "").strip() if isinstance(name, str) else ""
    if not name or len(name) > NAME_LENGTH or has_control_characters(name):
        raise ValidationError(NAME_INVALID, code="name")
    return name


def _hours_check(total_hours: int) -> int:
    if type(total_hours) is not int or not 1 <= total_hours <= MAX_HOURS:
        raise ValidationError(HOURS_INVALID, code="hours")
    return total_hours


def _dates_check(school_class: SchoolClass, starts: date, ends: date) -> None:
    year = school_class.year
    if not (isinstance(starts, date) and isinstance(ends, date) and year.starts <= starts <= ends <= year.ends):
        raise ValidationError(DATES_INVALID.format(year=year.name), code="dates")


def _subject_check(school_class: SchoolClass, subject: Subject) -> None:
    if not school_class.technological:
        raise ValidationError(NOT_TECHNOLOGICAL, code="not_technological")
    if not CurriculumEntry.objects.filter(school_class=school_class, subject=subject).exists():
        raise ValidationError(NOT_IN_CURRICULUM, code="curriculum")


def _name_free_check(school_class: SchoolClass, subject: Subject, name: str, module_id: int | None = None) -> None:
    taken = CurricularModule.objects.filter(school_class=school_class, subject=subject, name__iexact=name)
    if taken.exclude(pk=module_id).exists():
        raise ValidationError(NAME_TAKEN.format(name=name), code="name_taken")


def _saved(module: CurricularModule) -> None:
    """Save in a savepoint: a name taken by a concurrent write is the same refusal."""
    try:
        with transaction.atomic():
            module.save()
    except IntegrityError as error:
        raise ValidationError(NAME_TAKEN.format(name=module.name), code="name_taken") from error


def _snapshot(module: CurricularModule) -> dict:
    return {
        "class": str(module.school_class), "subject": module.subject.name, "name": module.name,
        "total_hours": module.total_hours, "starts": module.starts, "ends": module.ends,
    }  # fmt: skip


def module_create(
    *, actor: User, school_class: SchoolClass, subject: Subject, name: str, total_hours: int, starts: date, ends: date
) -> CurricularModule:
    """A new module of `subject` in a technological class, inside the class's school year."""
    require_configurer(actor)
    require_open(school_class.year)
    _subject_check(school_class, subject)
    name = _name_check(name)
    _hours_check(total_hours)
    _dates_check(school_class, starts, ends)
    _name_free_check(school_class, subject, name)
    module = CurricularModule(
        school_class=school_class, subject=subject, name=name, total_hours=total_hours, starts=starts, ends=ends
    )
    with transaction.atomic():
        _saved(module)
        audit_record(action=Action.MODULE_CREATED, actor=actor, obj=module, new=_snapshot(module))
    return module


def module_change(
    *, actor: User, module: CurricularModule, name: str, total_hours: int, starts: date, ends: date,
    subject: Subject | None = None,
) -> CurricularModule:  # fmt: skip
    """Rename or re-plan a module. Its dates must keep holding its grades; once it has grades its
    subject stays, and once an average of it is closed only its name changes."""
    require_configurer(actor)
    school_class = module.school_class
    require_open(school_class.year)
    subject = subject or module.subject
    _subject_check(school_class, subject)
    name = _name_check(name)
    _hours_check(total_hours)
    _dates_check(school_class, starts, ends)
    _name_free_check(school_class, subject, name, module.pk)
    with transaction.atomic():
        module = CurricularModule.objects.select_for_update(of=("self",)).select_related("subject").get(pk=module.pk)
        module.school_class = school_class
        _graded_check(module, subject, total_hours, starts, ends)
        old = _snapshot(module)
        module.subject, module.name, module.total_hours = subject, name, total_hours
        module.starts, module.ends = starts, ends
        _saved(module)
        audit_record(action=Action.MODULE_CHANGED, actor=actor, obj=module, old=old, new=_snapshot(module))
    return module


def _graded_check(module: CurricularModule, subject: Subject, total_hours: int, starts: date, ends: date) -> None:
    """What a module's grades and closed averages hold in place."""
    replanned = (subject.pk, total_hours, starts, ends) != (
        module.subject_id, module.total_hours, module.starts, module.ends,
    )  # fmt: skip
    if replanned and Average.objects.filter(module=module, closed=True).exists():
        raise ValidationError(AVERAGES_CLOSED, code="averages_closed")
    days = sorted(Grade.objects.filter(module=module).values_list("on", flat=True).distinct())
    if days and subject.pk != module.subject_id:
        raise ValidationError(SUBJECT_LOCKED, code="subject_locked")
    if days and not starts <= days[0] <= days[-1] <= ends:
        first, last = f"{days[0]:%d.%m.%Y}", f"{days[-1]:%d.%m.%Y}"
        raise ValidationError(GRADES_OUTSIDE.format(first=first, last=last), code="grades_outside")


def module_delete(*, actor: User, module: CurricularModule) -> None:
    """Delete a module set up by mistake: only while it has no grades and no averages."""
    require_configurer(actor)
    require_open(module.school_class.year)
    with transaction.atomic():
        locked = CurricularModule.objects.select_for_update().filter(pk=module.pk).first()
        if locked is None:
            return
        if Grade.objects.filter(module=module).exists() or Average.objects.filter(module=module).exists():
            raise ValidationError(HAS_GRADES, code="has_grades")
        audit_record(action=Action.MODULE_DELETED, actor=actor, obj=module, old=_snapshot(module))
        module.delete()


# The module's average (the subject's teacher)


def module_average_close(*, teacher: User, student: Student, module: CurricularModule) -> Average:
    """Rule 4: close the student's average of `module` from its grades, once the module has ended
    (that, rule 5's minimum and every other check are `average_close`'s)."""
    return grades.average_close(
        teacher=teacher, student=student, school_class=module.school_class, subject=module.subject, module=module
    )
