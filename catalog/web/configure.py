"""The school's configuration pages (secretary and leadership): school years with their
periods and rules, subjects, classes, curriculum, teaching assignments, students. Each
page is a list and one form; the structure services do the work and their refusals come
back as form errors. Anyone who does not configure gets a 404."""

from collections import defaultdict

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts.services import NotAllowed
from catalog.rights import selectors as rights_reads
from catalog.rights import services as rights
from catalog.rights.models import RightsChange, RightsRequest
from catalog.structure import services as structure
from catalog.structure.models import (
    BellHour,
    Enrolment,
    Exemption,
    Holiday,
    PeriodEnd,
    RuleSet,
    Scheme,
    SchoolClass,
    SchoolYear,
    Subject,
    TeachingAssignment,
)
from catalog.structure.selectors import year_current
from catalog.web import access
from catalog.web import configure_forms as forms
from catedra.text import by_name


def written(request, form, write) -> bool:
    """A valid POST of `form` and the service call `write(cleaned_data)` done; a refusal of the
    service becomes the form's errors (and nothing changed)."""
    if request.method != "POST" or not form.is_valid():
        return False
    try:
        write(form.cleaned_data)
    except NotAllowed as error:
        form.add_error(None, str(error))
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            for name, errors in error.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            form.add_error(None, error.messages)
    else:
        return True
    return False


def _page(request, template: str, context: dict, *, refused: bool | None = None):
    """The page; after a refused POST (the default for a POST that got here), status 400."""
    refused = request.method == "POST" if refused is None else refused
    return render(request, f"catalog/configure/{template}", context, status=400 if refused else 200)


def _year(year_id: int) -> SchoolYear:
    return get_object_or_404(SchoolYear.objects.select_related("rule_set"), pk=year_id)


def class_or_404(class_id: int) -> SchoolClass:
    return get_object_or_404(SchoolClass.objects.select_related("year__rule_set", "homeroom"), pk=class_id)


def _enrolment(school_class: SchoolClass, student_id: int) -> Enrolment:
    """The student's enrolment in this class; a student of another class is a 404."""
    return get_object_or_404(
        Enrolment.objects.select_related("student__user"), school_class=school_class, student_id=student_id
    )


def _rights_asked(request, changes: list[RightsChange], why: str = "") -> str:
    """Ask for `changes` (catalog.rights): in force at once for the director, otherwise a
    request the director approves; what to tell the user."""
    asked = rights.rights_ask(actor=request.user, changes=changes, why=why)
    if asked.status == RightsRequest.Status.APPROVED:
        return _("Modificarea drepturilor a intrat în vigoare (aprobată de dumneavoastră).")
    return _("Cererea a fost trimisă directorului: intră în vigoare după aprobare.")


@access.configurer_only
@require_safe
def index(request):
    # A GROUP BY query ignores Meta.ordering: the order is spelled out.
    years = SchoolYear.objects.annotate(class_count=Count("classes")).order_by("-starts")
    return render(request, "catalog/configure/index.html", {"years": years, "current": year_current()})


@access.configurer_only
def years(request):
    """The school years, and a new one in two steps: its dates and structure, then its periods
    (proposed evenly by `periods_even`, editable)."""
    form = forms.YearForm(request.POST or None)
    creates = "create" in request.POST
    periods = forms.period_formset(request.POST) if creates else None
    if creates and periods.is_valid() and written(request, form, lambda data: _year_create(request, data, periods)):
        messages.success(request, _("Anul școlar %(name)s a fost creat.") % {"name": form.cleaned_data["name"]})
        return redirect("configure-year", year_id=SchoolYear.objects.get(name=form.cleaned_data["name"]).pk)
    proposed = request.method == "POST" and not creates and form.is_valid()
    if proposed:
        periods = _periods_proposed(form.cleaned_data)
    context = {"form": form, "periods": periods, "years": SchoolYear.objects.prefetch_related("periods")}
    return _page(request, "years.html", context, refused=request.method == "POST" and not proposed)


def _periods_proposed(data: dict):
    """The periods `periods_even` proposes, as rows to edit (and blank rows for a custom year)."""
    proposal = structure.periods_even(structure=data["structure"], starts=data["starts"], ends=data["ends"])
    extra = 5 if data["structure"] == SchoolYear.Structure.CUSTOM else 0
    return forms.period_formset(initial=[vars(p) for p in proposal], extra=extra)


def _year_create(request, data: dict, periods) -> SchoolYear:
    specs = [structure.PeriodSpec(**p.cleaned_data) for p in periods if p.cleaned_data]
    return structure.year_create(actor=request.user, periods=specs, **data)


@access.configurer_only
def year(request, year_id: int):
    """A year's periods and the rules it uses; revising them makes a new rule-set version."""
    school_year = _year(year_id)
    form = forms.RulesForm(request.POST or None, rule_set=school_year.rule_set)

    def revise(data):
        structure.rules_revise(actor=request.user, year=school_year, note=data["note"], **form.changes())

    if written(request, form, revise):
        version = school_year.rule_set.version
        messages.success(request, _("Regulile au fost revizuite: versiunea %(v)s.") % {"v": version})
        return redirect("configure-year", year_id=school_year.pk)
    rules = [(form[name].label, _rule_shown(school_year.rule_set, name)) for name in structure.RULE_FIELDS]
    context = {"year": school_year, "form": form, "rules": rules, "periods": school_year.periods.all()}
    return _page(request, "year.html", context)


@access.configurer_only
def calendar(request, year_id: int):
    """A year's holidays and the levels whose periods end on another day (VIII, XII)."""
    school_year = _year(year_id)
    posted = request.POST.get("form") if request.method == "POST" else None
    holiday_form = forms.HolidayForm(request.POST if posted == "holiday" else None, prefix="holiday")
    end_form = forms.PeriodEndForm(request.POST if posted == "period_end" else None, prefix="end", year=school_year)

    def holiday_add(data):
        structure.holiday_add(actor=request.user, year=school_year, **data)

    if written(request, holiday_form, holiday_add):
        messages.success(request, _("Vacanța a fost adăugată."))
        return redirect("configure-calendar", year_id=school_year.pk)
    if written(request, end_form, lambda data: structure.period_end_set(actor=request.user, **data)):
        messages.success(request, _("Sfârșitul perioadei pentru clasa aleasă a fost salvat."))
        return redirect("configure-calendar", year_id=school_year.pk)
    context = {
        "year": school_year, "holiday_form": holiday_form, "end_form": end_form,
        "holidays": school_year.holidays.all(),
        "variations": PeriodEnd.objects.filter(period__year=school_year).select_related("period")
        .order_by("period__number", "level", "technological"),
    }  # fmt: skip
    return _page(request, "calendar.html", context, refused=request.method == "POST")


@access.configurer_only
@require_POST
def holiday_remove(request, year_id: int, holiday_id: int):
    school_year = _year(year_id)
    holiday = get_object_or_404(Holiday, pk=holiday_id, year=school_year)
    holiday.year = school_year
    return _removed(request, school_year, lambda: structure.holiday_remove(actor=request.user, holiday=holiday))


@access.configurer_only
@require_POST
def period_end_remove(request, year_id: int, variation_id: int):
    school_year = _year(year_id)
    variation = get_object_or_404(PeriodEnd.objects.select_related("period__year"), pk=variation_id,
                                  period__year=school_year)  # fmt: skip
    return _removed(request, school_year, lambda: structure.period_end_remove(actor=request.user, variation=variation))


def _removed(request, school_year: SchoolYear, remove):
    """A removal from the calendar page; a refusal (closed year) shows there as an error."""
    try:
        remove()
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Șters."))
    return redirect("configure-calendar", year_id=school_year.pk)


def _rule_shown(rule_set: RuleSet, name: str) -> str:
    """A rule's value as the page shows it: yes/no, a list, a choice's label or a number."""
    value = getattr(rule_set, name)
    if isinstance(value, bool):
        return _("da") if value else _("nu")
    if isinstance(value, list):
        return ", ".join(str(n) for n in value) or "—"
    return str(dict(RuleSet._meta.get_field(name).flatchoices).get(value, value))


@access.configurer_only
def subjects(request):
    form = forms.SubjectForm(request.POST or None)
    if written(request, form, lambda data: structure.subject_create(actor=request.user, **data)):
        messages.success(request, _("Disciplina %(name)s a fost adăugată.") % {"name": form.cleaned_data["name"]})
        return redirect("configure-subjects")
    return _page(request, "subjects.html", {"form": form, "subjects": Subject.objects.all()})


@access.configurer_only
def classes(request, year_id: int):
    school_year = _year(year_id)
    form = forms.ClassForm(request.POST or None, year=school_year)

    @transaction.atomic
    def create(data):
        homeroom = data.pop("homeroom", None)
        made = structure.class_create(actor=request.user, year=school_year, **data)
        told = ""
        if homeroom is not None:  # the homeroom is a right: it waits for the director's approval
            change = RightsChange(kind=RightsChange.Kind.HOMEROOM, person=homeroom, school_class=made)
            told = _rights_asked(request, [change])
        messages.success(request, f"{_('Clasa a fost adăugată.')} {told}".strip())

    if written(request, form, create):
        return redirect("configure-classes", year_id=school_year.pk)
    rows = (
        school_year.classes.select_related("homeroom")
        .annotate(students=Count("enrolments", filter=Q(enrolments__ends__isnull=True)))
        .order_by("level", "letter")
    )  # fmt: skip
    return _page(request, "classes.html", {"year": school_year, "form": form, "classes": rows})


@access.configurer_only
def school_class(request, class_id: int):
    """A class's homeroom teacher, and the way to its curriculum, assignments and students."""
    found = class_or_404(class_id)
    form = forms.HomeroomForm(request.POST or None, initial={"homeroom": found.homeroom_id})

    def change(data):
        if data["homeroom"] is None:  # taking a right away never waits
            structure.homeroom_set(actor=request.user, school_class=found, homeroom=None)
            messages.success(request, _("Clasa nu mai are diriginte."))
        else:
            change = RightsChange(kind=RightsChange.Kind.HOMEROOM, person=data["homeroom"], school_class=found)
            messages.success(request, _rights_asked(request, [change], data["why"]))

    if written(request, form, change):
        return redirect("configure-class", class_id=found.pk)
    context = {"school_class": found, "year": found.year, "form": form, "scheme": Scheme(found.scheme).label,
               "waiting": rights_reads.pending_in_class(found, RightsChange.Kind.HOMEROOM)}  # fmt: skip
    return _page(request, "class.html", context)


@access.configurer_only
def bell(request):
    """The bell schedule: when each class hour starts and ends."""
    form = forms.BellForm(request.POST or None, hours=BellHour.objects.all())
    if written(request, form, lambda data: structure.bell_set(actor=request.user, hours=data["hours"])):
        messages.success(request, _("Orarul clopoțelului a fost salvat."))
        return redirect("configure-bell")
    return _page(request, "bell.html", {"form": form})


@access.configurer_only
def timetable(request, class_id: int):
    """The class's week: which subject at which hour (the gradebook opens at the hour taught)."""
    found = class_or_404(class_id)
    subjects = forms.curriculum_subjects(found)
    hours = max([8, *BellHour.objects.values_list("number", flat=True)])
    form = forms.TimetableForm(request.POST or None, subjects=subjects, hours=hours,
                               slots=found.timetable.all())  # fmt: skip
    if written(request, form, lambda data: structure.timetable_set(actor=request.user, school_class=found,
                                                                   slots=form.slots())):  # fmt: skip
        messages.success(request, _("Orarul clasei a fost salvat."))
        return redirect("configure-timetable", class_id=found.pk)
    return _page(request, "timetable.html", {"school_class": found, "year": found.year, "form": form})


@access.configurer_only
def curriculum(request, class_id: int):
    found = class_or_404(class_id)
    form = forms.CurriculumForm(request.POST or None)
    if written(request, form, lambda data: structure.curriculum_set(actor=request.user, school_class=found, **data)):
        messages.success(request, _("Planul de învățământ a fost actualizat."))
        return redirect("configure-curriculum", class_id=found.pk)
    entries = found.curriculum.select_related("subject").order_by("subject__position", "subject__name")
    context = {"school_class": found, "year": found.year, "form": form, "entries": entries}
    return _page(request, "curriculum.html", context)


@access.configurer_only
def assignments(request, class_id: int):
    """Who teaches what in the class (încadrări), the subjects nobody teaches yet, and a new one."""
    found = class_or_404(class_id)
    form = forms.AssignmentForm(request.POST or None, school_class=found)

    def ask(data):
        kind = RightsChange.Kind.GRANT if data["ends"] else RightsChange.Kind.ASSIGNMENT
        change = RightsChange(kind=kind, person=data["teacher"], school_class=found, subject=data["subject"],
                              starts=data["starts"], ends=data["ends"])  # fmt: skip
        messages.success(request, _rights_asked(request, [change], data["why"]))

    if written(request, form, ask):
        return redirect("configure-assignments", class_id=found.pk)
    rows = list(
        found.assignments.select_related("teacher", "subject")
        .order_by("subject__position", "subject__name", "teacher__last_name")
    )  # fmt: skip
    taught = {a.subject_id for a in rows}
    untaught = [s for s in forms.curriculum_subjects(found) if s.pk not in taught]
    waiting = rights_reads.pending_in_class(found, RightsChange.Kind.ASSIGNMENT, RightsChange.Kind.GRANT)
    context = {"school_class": found, "year": found.year, "form": form, "assignments": rows, "untaught": untaught,
               "waiting": waiting}  # fmt: skip
    return _page(request, "assignments.html", context)


@access.configurer_only
def assignment_remove(request, class_id: int, assignment_id: int):
    found = class_or_404(class_id)
    assignment = get_object_or_404(
        TeachingAssignment.objects.select_related("teacher", "subject"), pk=assignment_id, school_class=found
    )
    assignment.school_class = found
    form = forms.ReasonForm(request.POST or None)
    if written(
        request, form, lambda data: structure.assignment_remove(actor=request.user, assignment=assignment, **data)
    ):
        messages.success(request, _("Încadrarea a fost ștearsă."))
        return redirect("configure-assignments", class_id=found.pk)
    context = {"school_class": found, "year": found.year, "form": form, "assignment": assignment}
    return _page(request, "assignment_remove.html", context)


@access.configurer_only
def students(request, class_id: int):
    """The class's students alphabetically (those who left too), and a new student."""
    found = class_or_404(class_id)
    form = forms.StudentForm(request.POST or None)
    if written(request, form, lambda data: structure.student_create(actor=request.user, school_class=found, **data)):
        name = f"{form.cleaned_data['last_name']} {form.cleaned_data['first_name']}"
        messages.success(request, _("Elevul %(name)s a fost înscris.") % {"name": name})
        return redirect("configure-students", class_id=found.pk)
    enrolments = sorted(
        Enrolment.objects.filter(school_class=found).select_related("student__user"),
        key=lambda e: (by_name(e.student.user), e.starts),
    )
    exempt = defaultdict(list)
    exemptions = Exemption.objects.filter(year=found.year, student__in=[e.student_id for e in enrolments])
    for exemption in exemptions.select_related("subject"):
        exempt[exemption.student_id].append(exemption)
    rows = [(e, exempt[e.student_id]) for e in enrolments]
    return _page(request, "students.html", {"school_class": found, "year": found.year, "form": form, "rows": rows})


@access.configurer_only
def student_leave(request, class_id: int, student_id: int):
    """The student leaves the class: a transfer to another school, a withdrawal, or a move to a
    parallel class."""
    found = class_or_404(class_id)
    enrolment = _enrolment(found, student_id)
    enrolment.school_class = found
    moves = request.POST.get("form") == "move"
    form = forms.LeaveForm(request.POST if request.method == "POST" and not moves else None)
    move_form = forms.MoveForm(request.POST if moves else None, school_class=found, prefix="move")

    def leave(data):
        structure.enrolment_end(actor=request.user, enrolment=enrolment, **data)

    def move(data):
        structure.enrolment_move(actor=request.user, enrolment=enrolment, **data)

    if written(request, form, leave):
        messages.success(request, _("Plecarea elevului a fost înregistrată."))
        return redirect("configure-students", class_id=found.pk)
    if written(request, move_form, move):
        messages.success(request, _("Elevul a fost mutat în %(name)s.") % {"name": move_form.cleaned_data["to_class"]})
        return redirect("configure-students", class_id=found.pk)
    context = {"school_class": found, "year": found.year, "form": form, "move_form": move_form, "enrolment": enrolment}
    return _page(request, "student_leave.html", context)


@access.configurer_only
def student_exemptions(request, class_id: int, student_id: int):
    """The student's exemptions this year (medical from PE, no religion, deferred) and a new one."""
    found = class_or_404(class_id)
    student = _enrolment(found, student_id).student
    form = forms.ExemptionForm(request.POST or None, school_class=found)

    def exempt(data):
        structure.exemption_set(actor=request.user, student=student, year=found.year, **data)

    if written(request, form, exempt):
        messages.success(request, _("Scutirea a fost înregistrată."))
        return redirect("configure-student-exemptions", class_id=found.pk, student_id=student.pk)
    exemptions = Exemption.objects.filter(student=student, year=found.year).select_related("subject")
    context = {"school_class": found, "year": found.year, "form": form, "student": student, "exemptions": exemptions}
    return _page(request, "student_exemptions.html", context)
