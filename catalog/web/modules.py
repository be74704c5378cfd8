"""Curricular modules' pages (DOMAIN rule 4): the secretariat and the leadership set up a
technological class's modules; the subject's teacher closes each student's module average once
the module has ended. The services in `catalog.structure.modules` decide; refusals come back as
form errors (400) or as messages."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.grades import averages
from catalog.grades import modules as grade_modules
from catalog.grades import selectors as grade_reads
from catalog.structure import access as who_sees
from catalog.structure import modules as curricular
from catalog.structure.models import CurricularModule, SchoolClass
from catalog.web import access
from catalog.web.configure import class_or_404, written
from catalog.web.configure_forms import curriculum_subjects, number_field, plain_text, subject_field
from catalog.web.forms import date_field
from catalog.web.gradebook_rows import rows_shown


class ModuleForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Numele modulului"), max_length=160, validators=[plain_text])
    total_hours = number_field(gettext_lazy("Ore în total"), 1, curricular.MAX_HOURS)
    starts = date_field(gettext_lazy("Început"))
    ends = date_field(gettext_lazy("Sfârșit"))

    def __init__(self, *args, school_class: SchoolClass, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields = {"subject": subject_field(curriculum_subjects(school_class)), **self.fields}


def _page(request, template: str, context: dict):
    """The page; a POST that got here was refused (400)."""
    status = 400 if request.method == "POST" else 200
    return render(request, f"catalog/modules/{template}", context, status=status)


def _module(school_class: SchoolClass, module_id: int) -> CurricularModule:
    """A module of this class; one of another class is a 404."""
    module = get_object_or_404(
        CurricularModule.objects.select_related("subject"), pk=module_id, school_class=school_class
    )
    module.school_class = school_class
    return module


# Setting up a class's modules (the secretariat and the leadership)


@access.configurer_only
def configure(request, class_id: int):
    """The class's modules by subject, and a new one."""
    found = class_or_404(class_id)
    form = ModuleForm(request.POST or None, school_class=found)
    if written(request, form, lambda data: curricular.module_create(actor=request.user, school_class=found, **data)):
        messages.success(request, _("Modulul %(name)s a fost adăugat.") % {"name": form.cleaned_data["name"].strip()})
        return redirect("modules-configure", class_id=found.pk)
    modules = curricular.modules_of(found).order_by("subject__position", "subject__name", "starts", "name")
    context = {"school_class": found, "year": found.year, "form": form, "modules": modules}
    return _page(request, "list.html", context)


@access.configurer_only
def change(request, class_id: int, module_id: int):
    found = class_or_404(class_id)
    module = _module(found, module_id)
    initial = {name: getattr(module, name) for name in ("name", "total_hours", "starts", "ends")}
    form = ModuleForm(request.POST or None, school_class=found, initial={**initial, "subject": module.subject_id})
    if written(request, form, lambda data: grade_modules.module_change(actor=request.user, module=module, **data)):
        messages.success(request, _("Modulul a fost modificat."))
        return redirect("modules-configure", class_id=found.pk)
    return _page(request, "change.html", {"school_class": found, "year": found.year, "form": form, "module": module})


@access.configurer_only
def delete(request, class_id: int, module_id: int):
    found = class_or_404(class_id)
    module = _module(found, module_id)
    form = forms.Form(request.POST if request.method == "POST" else None)
    if written(request, form, lambda _data: grade_modules.module_delete(actor=request.user, module=module)):
        messages.success(request, _("Modulul %(name)s a fost șters.") % {"name": module.name})
        return redirect("modules-configure", class_id=found.pk)
    return _page(request, "delete.html", {"school_class": found, "year": found.year, "form": form, "module": module})


# A module's averages (the subject's teacher)


def _close_chosen(request, module: CurricularModule, rows, chosen: set[str]) -> None:
    """Close each chosen student's module average on its own (a refusal does not stop the
    others); what was closed, warned or refused goes back as messages."""
    rows = [r for r in rows if str(r.student.pk) in chosen and not r.closed]
    if not rows:
        messages.error(request, _("Alegeți cel puțin un elev cu media modulului neîncheiată."))
        return
    closed, notes = 0, []
    for row in rows:
        try:
            average = grade_modules.module_average_close(teacher=request.user, student=row.student, module=module)
            closed += 1
            notes += [f"{row.student}: {warning}" for warning in average.warnings]
        except (ValidationError, PermissionDenied) as error:
            notes.append(f"{row.student}: {access.refusal_text(error)}")
    if closed:
        messages.success(request, _("Medii încheiate la modulul %(name)s: %(n)s.") % {"name": module, "n": closed})
    for note in notes:
        messages.warning(request, note)


@login_required
def averages_close(request, class_id: int, module_id: int):
    """The module's averages computed from its grades only, with rule 5's minimum; the teacher
    closes the chosen ones once the module has ended."""
    module = get_object_or_404(
        CurricularModule.objects.select_related("subject"), pk=module_id, school_class_id=class_id
    )
    school_class, subject, writes = who_sees.gradebook_for(request.user, class_id, module.subject_id)
    if not writes:
        raise Http404
    module.school_class = school_class
    rows = rows_shown(
        r for r in grade_reads.gradebook(school_class=school_class, subject=subject, module=module) if not r.left
    )
    if request.method == "POST":
        _close_chosen(request, module, rows, set(request.POST.getlist("student")))
        return redirect("module-averages", class_id=school_class.pk, module_id=module.pk)
    minimum = averages.module_minimum_grades(total_hours=module.total_hours)
    blocks = school_class.year.rule_set.min_grades_block
    ended = curricular.module_ended(module)
    context = {
        "school_class": school_class, "subject": subject, "module": module, "minimum": minimum, "blocks": blocks,
        "ended": ended, "ends": f"{module.ends:%d.%m.%Y}",
        "rows": [(row, _row_state(row, minimum, blocks, ended)) for row in rows],
    }  # fmt: skip
    return render(request, "catalog/modules/averages.html", context)


def _row_state(row, minimum: int, blocks: bool, ended: bool) -> str:
    """What the teacher may do with a row: "closed", "exempt", "empty" (no grades), "blocked" or
    "short" (fewer grades than rule 5's minimum, blocking or warning), "running", or "ready"."""
    if row.closed:
        return "closed"
    if row.exemption is not None and row.exemption.kind != row.exemption.Kind.DEFERRED:
        return "exempt"
    if not row.grades:
        return "empty"
    if len(row.grades) < minimum:
        return "blocked" if blocks else "short"
    return "ready" if ended else "running"
