"""Curricular modules of technical and vocational classes (DOMAIN rule 4): a subject taught in
modules, each with its hours and dates and its own average, closed once the module has ended.

The school's secretariat and leadership configure the modules. What a module's grades and
averages hold in place (re-planning, deletion) and the closing of its averages are guarded
by the grades: `catalog.grades.modules`.
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
from catalog.structure.models import CurricularModule, CurriculumEntry, SchoolClass, Subject
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


def module_name_check(name: str) -> str:
    name = (name or "").strip() if isinstance(name, str) else ""
    if not name or len(name) > NAME_LENGTH or has_control_characters(name):
        raise ValidationError(NAME_INVALID, code="name")
    return name


def module_hours_check(total_hours: int) -> int:
    if type(total_hours) is not int or not 1 <= total_hours <= MAX_HOURS:
        raise ValidationError(HOURS_INVALID, code="hours")
    return total_hours


def module_dates_check(school_class: SchoolClass, starts: date, ends: date) -> None:
    year = school_class.year
    if not (isinstance(starts, date) and isinstance(ends, date) and year.starts <= starts <= ends <= year.ends):
        raise ValidationError(DATES_INVALID.format(year=year.name), code="dates")


def module_subject_check(school_class: SchoolClass, subject: Subject) -> None:
    if not school_class.technological:
        raise ValidationError(NOT_TECHNOLOGICAL, code="not_technological")
    if not CurriculumEntry.objects.filter(school_class=school_class, subject=subject).exists():
        raise ValidationError(NOT_IN_CURRICULUM, code="curriculum")


def module_name_free_check(
    school_class: SchoolClass, subject: Subject, name: str, module_id: int | None = None
) -> None:
    taken = CurricularModule.objects.filter(school_class=school_class, subject=subject, name__iexact=name)
    if taken.exclude(pk=module_id).exists():
        raise ValidationError(NAME_TAKEN.format(name=name), code="name_taken")


def module_saved(module: CurricularModule) -> None:
    """Save in a savepoint: a name taken by a concurrent write is the same refusal."""
    try:
        with transaction.atomic():
            module.save()
    except IntegrityError as error:
        raise ValidationError(NAME_TAKEN.format(name=module.name), code="name_taken") from error


def module_snapshot(module: CurricularModule) -> dict:
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
    module_subject_check(school_class, subject)
    name = module_name_check(name)
    module_hours_check(total_hours)
    module_dates_check(school_class, starts, ends)
    module_name_free_check(school_class, subject, name)
    module = CurricularModule(
        school_class=school_class, subject=subject, name=name, total_hours=total_hours, starts=starts, ends=ends
    )
    with transaction.atomic():
        module_saved(module)
        audit_record(action=Action.MODULE_CREATED, actor=actor, obj=module, new=module_snapshot(module))
    return module
