"""What a curricular module's grades and averages hold in place (DOMAIN rule 4): re-planning
or deleting a module the grades depend on, and closing a module's average (through
`average_close`, which computes it and applies rule 5). The module itself, its fields and
their checks are structure's (`catalog.structure.modules`)."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from audit.actions import Action
from audit.services import audit_record
from catalog.grades.models import Average, Grade
from catalog.grades.services import average_close
from catalog.structure.models import CurricularModule, Student, Subject
from catalog.structure.modules import (
    module_dates_check,
    module_hours_check,
    module_name_check,
    module_name_free_check,
    module_saved,
    module_snapshot,
    module_subject_check,
)
from catalog.structure.services import require_configurer, require_open

GRADES_OUTSIDE = _("Modulul are note între {first} și {last}: perioada lui trebuie să le cuprindă.")
SUBJECT_LOCKED = _("Modulul are deja note: disciplina lui nu se mai poate schimba.")
AVERAGES_CLOSED = _("Modulul are medii încheiate: se mai poate schimba doar numele lui.")
HAS_GRADES = _("Modulul are note sau medii: nu se mai poate șterge.")


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
    module_subject_check(school_class, subject)
    name = module_name_check(name)
    module_hours_check(total_hours)
    module_dates_check(school_class, starts, ends)
    module_name_free_check(school_class, subject, name, module.pk)
    with transaction.atomic():
        module = CurricularModule.objects.select_for_update(of=("self",)).select_related("subject").get(pk=module.pk)
        module.school_class = school_class
        _graded_check(module, subject, total_hours, starts, ends)
        old = module_snapshot(module)
        module.subject, module.name, module.total_hours = subject, name, total_hours
        module.starts, module.ends = starts, ends
        module_saved(module)
        audit_record(action=Action.MODULE_CHANGED, actor=actor, obj=module, old=old, new=module_snapshot(module))
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
        audit_record(action=Action.MODULE_DELETED, actor=actor, obj=module, old=module_snapshot(module))
        module.delete()


def module_average_close(*, teacher: User, student: Student, module: CurricularModule) -> Average:
    """Rule 4: close the student's average of `module` from its grades, once the module has ended
    (that, rule 5's minimum and every other check are `average_close`'s)."""
    return average_close(
        teacher=teacher, student=student, school_class=module.school_class, subject=module.subject, module=module
    )
