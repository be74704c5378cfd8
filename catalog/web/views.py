"""The catalog's pages: thin doors that check access, parse a form, call one service and
render. Phone first; htmx swaps a single gradebook row when it is there, plain forms
and redirects work without it."""

import re
import time
import uuid
from datetime import date
from functools import partial
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.roles import Role
from accounts.services import NotAllowed
from catalog.attendance import selectors as attendance_reads
from catalog.attendance import services as attendance
from catalog.attendance.models import Absence, ParentRequest
from catalog.attendance.requests import special_case_possible
from catalog.family import outlook as family_outlook
from catalog.grades import selectors as grade_reads
from catalog.grades import services as grades
from catalog.grades.legacy import legacy_record
from catalog.grades.models import DescriptiveReport, Grade
from catalog.structure import access as who_sees
from catalog.structure import modules as curricular
from catalog.structure import services as structure
from catalog.structure.guards import UNDO_SECONDS
from catalog.structure.models import CurricularModule, SchoolYear, Student
from catalog.structure.selectors import assignments_of, children_records, class_of, hour_taught, year_current
from catalog.web import access
from catalog.web.documents import CertificateForm
from catalog.web.forms import AbsenceForm, ChangeForm, ExcuseForm, GradeForm, LateForm, ParentRequestForm
from catalog.web.gradebook_rows import RowView, rows_shown


def school_home(request):
    context = {"school": request.tenant}
    if request.user.is_authenticated:
        year = year_current()
        context["year"] = year
        if year is not None and request.user.has_role(Role.TEACHER):
            context["assignments"] = list(assignments_of(request.user, year))
            context["homeroom_classes"] = list(request.user.homeroom_classes.filter(year=year))
        if request.user.has_role(Role.PARENT):
            context["children"] = children_records(request.user)
        own = Student.objects.filter(user=request.user).first()
        context["own_record"] = own
    return render(request, "web/school_home.html", context)


@login_required
def gradebook(request, class_id: int, subject_id: int):
    school_class, subject, writes = who_sees.gradebook_for(request.user, class_id, subject_id)
    modules = _modules(school_class, subject)
    rows = grade_reads.gradebook(school_class=school_class, subject=subject, module_labels=_labels(modules))
    context = _gradebook_context(request, school_class, subject, writes, rows, modules=modules,
                                 undo=_undo_offered(request))  # fmt: skip
    return render(request, "web/gradebook.html", context)


def _gradebook_context(request, school_class, subject, writes, rows, *, modules=(), **extra) -> dict:
    """The page's context; the day, hour and module chosen at the top travel with every quick form."""
    hour = request.GET.get("ora") or request.POST.get("hour") or ""
    day = _day(request.GET.get("zi") or request.POST.get("on") or "")
    labels = _labels(modules)
    return {
        "write_key": uuid.uuid4().hex,  # with the student's id: one key per row and render (a double tap)
        "school_class": school_class, "subject": subject, "writes": writes, "rows": rows_shown(rows),
        "day": day, "today": timezone.localdate(), "hours": range(1, 15), "keys": _keys(school_class),
        "base_url": reverse("gradebook", args=[school_class.pk, subject.pk]) + "elevi/",
        "hour": int(hour) if hour.isascii() and hour.isdigit() and 1 <= int(hour) <= 14 else (
            hour_taught(school_class, subject, day) if day else None) or 1,
        "modules": [(labels[m.pk], m) for m in modules], "module": _module_pick(request, modules, day), **extra,
    }  # fmt: skip


def _modules(school_class, subject) -> list[CurricularModule]:
    """The subject's curricular modules in the class (rule 4); only technological classes have them."""
    return list(curricular.modules_of(school_class, subject)) if school_class.technological else []


def _labels(modules) -> dict[int, str]:
    """A short label per module ("M1", "M2", in teaching order) for the grade list."""
    return {module.pk: f"M{n}" for n, module in enumerate(modules, start=1)}


def _module_pick(request, modules, day) -> CurricularModule | None:
    """The module new grades go to: the one a quick form carried, or the one chosen at the top
    while it runs on the day ("0": none), else the one running on the day."""
    if not modules:
        return None
    by_id = {str(m.pk): m for m in modules}
    if request.method == "POST":
        return by_id.get(request.POST.get("module", ""))
    chosen = request.GET.get("modul", "")
    if chosen == "0":
        return None
    module = by_id.get(chosen)
    if module is not None and module.starts <= day <= module.ends:
        return module
    return curricular.module_running(modules, day)


def _day(text: str):
    """The day chosen on the page (ISO date), else today."""
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return timezone.localdate()


def _keys(school_class) -> str:
    """The keypad of a gradebook row: one button per grade or calificativ (rendered once)."""
    if school_class.scheme == "calificative":
        values = ["FB", "B", "S", "I"]
    elif school_class.scheme == "grades":
        values = [str(v) for v in range(10, 0, -1)]
    else:
        return ""
    return format_html_join("", '<button type="submit" name="value" value="{}">{}</button>', ((v, v) for v in values))


def _student_in(school_class, student_id: int) -> Student:
    student = (
        Student.objects.select_related("user").filter(pk=student_id, enrolments__school_class=school_class).first()
    )
    if student is None:
        raise Http404
    return student


def _row_response(
    request, school_class, subject, writes, student, *, error: str = "", notice: str = "", undo: str = ""
):  # fmt: skip
    """After a write: the student's row (htmx) or the gradebook again (a plain form). `undo`:
    the door that takes the write back for a minute, offered beside the notice."""
    offered = {"url": undo, "student": student.pk} if undo else None
    if request.htmx:
        modules = _modules(school_class, subject)
        rows = grade_reads.gradebook(
            school_class=school_class, subject=subject, student=student, module_labels=_labels(modules)
        )
        context = _gradebook_context(
            request, school_class, subject, writes, rows, modules=modules, error=error, notice=notice, undo=offered
        )
        context["row"] = RowView(rows[0])
        return render(request, "web/_gradebook_row.html", context)
    if offered:
        request.session[_UNDO] = {**offered, "at": time.time()}
    if error:
        messages.error(request, error)
    elif notice:
        messages.success(request, notice)
    url = reverse("gradebook", args=[school_class.pk, subject.pk])
    params = {"zi": request.POST.get("on", ""), "ora": request.POST.get("hour", "")}
    if "module" in request.POST:
        params["modul"] = request.POST["module"] or "0"
    return redirect(f"{url}?{urlencode(params)}#elev-{student.pk}")


def _first_error(form) -> str:
    return next(iter(form.errors.values()))[0]


def _quick_write(request, class_id: int, subject_id: int, student_id: int, form_class, write):
    """A gradebook row's write: the form parsed, `write(...)` (a service call that returns the
    notice, and the door that undoes it, if any) run, and the row (or the page) back with the
    notice or the refusal. A second tap that sends the same row's form again records nothing."""
    school_class, subject, writes = who_sees.gradebook_for(request.user, class_id, subject_id)
    student = _student_in(school_class, student_id)
    form = form_class(request.POST)
    if not form.is_valid():
        return _row_response(request, school_class, subject, writes, student, error=_first_error(form))
    if _repeated(request, student):
        return _row_response(request, school_class, subject, writes, student, notice=_("Înregistrat deja."))
    try:
        result = write(school_class=school_class, subject=subject, student=student, data=form.cleaned_data)
    except (ValidationError, PermissionDenied) as error:
        if isinstance(error, PermissionDenied) and not writes:
            raise  # a reader (homeroom teacher, director) tried to write: 403
        return _row_response(request, school_class, subject, writes, student, error=access.refusal_text(error))
    notice, undo = result if isinstance(result, tuple) else (result, "")
    return _row_response(request, school_class, subject, writes, student, notice=notice, undo=undo)


_WRITE_KEY = re.compile(r"^[0-9a-f]{32}-[0-9]{1,12}$")
_UNDO = "catedra_undo"


def _repeated(request, student) -> bool:
    """Whether this row's form (its key: the render's and the student's) was sent already: a
    double tap, or a phone sending again. Keys are kept ten minutes; a form without one writes."""
    key = request.POST.get("cheie", "")
    if not (_WRITE_KEY.match(key) and key.endswith(f"-{student.pk}")):
        return False
    return not cache.add(f"quick-write:{request.user.pk}:{key}", 1, timeout=600)


def _undo_offered(request) -> dict | None:
    """The undo of a plain form's write, shown once on the page it returns to (within the minute)."""
    offered = request.session.pop(_UNDO, None)
    if isinstance(offered, dict) and 0 <= time.time() - offered.get("at", 0) <= UNDO_SECONDS:
        return offered
    return None


@login_required
@require_POST
def grade_add(request, class_id: int, subject_id: int, student_id: int):
    def write(*, school_class, subject, student, data) -> str:
        value, calificativ = grades.value_parse(data["value"], scheme=school_class.scheme)
        module = _module_chosen(data["module"])
        grade = grades.grade_add(
            teacher=request.user, student=student, school_class=school_class, subject=subject, on=data["on"],
            value=value, calificativ=calificativ, kind=data["kind"], module=module,
        )  # fmt: skip
        if module is not None:
            added = _("Nota %(grade)s a fost adăugată la modulul %(module)s.") % {"grade": grade, "module": module}
        else:
            added = _("Nota %(grade)s a fost adăugată.") % {"grade": grade}
        return " ".join([added, *grade.warnings]), reverse("grade-undo", args=[grade.pk])

    return _quick_write(request, class_id, subject_id, student_id, GradeForm, write)


def _module_chosen(module_id: int | None) -> CurricularModule | None:
    """The module a grade form names; whether it is this class's and subject's, and runs on the
    grade's day, is `grade_add`'s to judge."""
    if module_id is None:
        return None
    module = CurricularModule.objects.filter(pk=module_id).first()
    if module is None:
        raise ValidationError(grades.MODULE_MISMATCH, code="module")
    return module


@login_required
@require_POST
def absence_add(request, class_id: int, subject_id: int, student_id: int):
    def write(*, school_class, subject, student, data) -> str:
        absence = attendance.absence_record(
            teacher=request.user, student=student, school_class=school_class, subject=subject, on=data["on"],
            hour=data["hour"],
        )  # fmt: skip
        return _("Absență trecută la ora %(hour)s.") % {"hour": data["hour"]}, reverse(
            "absence-undo", args=[absence.pk]
        )

    return _quick_write(request, class_id, subject_id, student_id, AbsenceForm, write)


@login_required
@require_POST
def absence_late(request, class_id: int, subject_id: int, student_id: int):
    """Rule 14: the subject teacher excuses a late arrival at their own hour, the same day."""

    def write(*, school_class, subject, student, data) -> str:
        absence = (
            Absence.objects.filter(pk=data["absence"], student=student, school_class=school_class, subject=subject)
            .select_related("subject", "school_class")
            .first()
        )
        if absence is None:
            raise ValidationError(_("Absența nu mai există în catalogul acestei discipline."), code="absence")
        attendance.absence_excuse_late(teacher=request.user, absence=absence)
        return _("Absența de la ora %(hour)s a fost motivată: elevul a întârziat.") % {"hour": absence.hour}

    return _quick_write(request, class_id, subject_id, student_id, LateForm, write)


@login_required
@require_POST
def grade_undo(request, grade_id: int):
    """The author takes back a grade within a minute of adding it (no reason asked)."""
    grade = get_object_or_404(Grade.objects.select_related("student__user", "subject", "school_class"), pk=grade_id)
    undo = partial(grades.grade_undo, grade=grade)
    return _undone(request, grade, undo, _("Nota %(grade)s a fost anulată.") % {"grade": grade})


@login_required
@require_POST
def absence_undo(request, absence_id: int):
    absence = get_object_or_404(Absence.objects.select_related("student__user", "subject", "school_class"),
                                pk=absence_id)  # fmt: skip
    undo = partial(attendance.absence_undo, absence=absence)
    return _undone(request, absence, undo, _("Absența de la ora %(hour)s a fost anulată.") % {"hour": absence.hour})


def _undone(request, record, undo, notice: str):
    school_class, subject, writes = who_sees.gradebook_for(request.user, record.school_class_id, record.subject_id)
    try:
        undo(teacher=request.user)
    except NotAllowed:
        raise Http404 from None
    except ValidationError as error:
        return _row_response(request, school_class, subject, writes, record.student, error=access.refusal_text(error))
    return _row_response(request, school_class, subject, writes, record.student, notice=notice)


@login_required
def grade_edit(request, grade_id: int):
    """Correct or delete a grade, with a reason."""
    grade = get_object_or_404(Grade.objects.select_related("student__user", "subject"), pk=grade_id)
    school_class, subject, writes = who_sees.gradebook_for(request.user, grade.school_class_id, grade.subject_id)
    if not writes:
        raise Http404
    form = ChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            if "delete" in request.POST:
                grades.grade_delete(teacher=request.user, grade=grade, reason=form.cleaned_data["reason"])
                messages.success(request, _("Nota a fost ștearsă."))
            else:
                value, calificativ = grades.value_parse(form.cleaned_data["value"], scheme=school_class.scheme)
                grades.grade_change(
                    teacher=request.user, grade=grade, value=value, calificativ=calificativ,
                    reason=form.cleaned_data["reason"],
                )  # fmt: skip
                messages.success(request, _("Nota a fost modificată."))
            return redirect(reverse("gradebook", args=[school_class.pk, subject.pk]) + f"#elev-{grade.student_id}")
        except ValidationError as error:
            form.add_error(None, error)
    status = 400 if request.method == "POST" else 200
    context = {"grade": grade, "form": form, "school_class": school_class, "subject": subject}
    return render(request, "web/grade_edit.html", context, status=status)


@login_required
def class_overview(request, class_id: int):
    """The homeroom teacher's class: absences to excuse, standings, students at risk."""
    school_class = who_sees.class_for(request.user, class_id)
    if not (who_sees.sees_everything(request.user) or school_class.homeroom_id == request.user.pk):
        raise Http404
    overview = grade_reads.class_overview(school_class=school_class)
    return render(request, "web/class_overview.html", {
        "school_class": school_class, "rows": overview.rows, "closing": overview.closing,
        "subjects": list(school_class.curriculum.select_related("subject").order_by("subject__position")),
        "is_homeroom": school_class.homeroom_id == request.user.pk,
        "is_director": request.user.has_role(Role.DIRECTOR),
        "periods": list(school_class.year.periods.all()),
        "waiting_requests": attendance_reads.requests_for_homeroom(school_class=school_class),
    })  # fmt: skip


@login_required
def absences_excuse(request, class_id: int, student_id: int):
    school_class = who_sees.class_for(request.user, class_id)
    if school_class.homeroom_id != request.user.pk:
        raise Http404
    student = _student_in(school_class, student_id)
    form = ExcuseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = attendance.absences_excuse(
                homeroom=request.user, student=student, school_class=school_class, **form.cleaned_data
            )
            messages.success(request, " ".join([_("%(n)s absențe motivate.") % {"n": result.count}, *result.warnings]))
            return redirect("class-overview", class_id=school_class.pk)
        except (ValidationError, PermissionDenied) as error:
            form.add_error(None, access.refusal_text(error))
    status = 400 if request.method == "POST" else 200
    context = {"school_class": school_class, "student": student, "form": form}
    return render(request, "web/absences_excuse.html", context, status=status)


class RestrictionForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Motivul (cererea la care răspundeți)"), max_length=500,
        error_messages={"required": gettext_lazy("Scrieți motivul.")},
    )  # fmt: skip


@login_required
@require_POST
def student_restriction(request, student_id: int):
    """The director restricts the processing of a student's data (GDPR art. 18), or lifts it."""
    if not request.user.has_role(Role.DIRECTOR):
        raise Http404
    student = who_sees.student_for(request.user, student_id)
    form = RestrictionForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(next(iter(form.errors.values()))[0])
        reason = form.cleaned_data["reason"]
        if student.restricted:
            structure.student_restriction_lift(actor=request.user, student=student, reason=reason)
            messages.success(request, _("Restricționarea datelor a fost ridicată."))
        else:
            structure.student_restrict(actor=request.user, student=student, reason=reason)
            messages.success(request, _("Prelucrarea datelor elevului este restricționată."))
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, access.refusal_text(error))
    return redirect("student-year", student_id=student.pk)


@login_required
def student_year(request, student_id: int):
    """A student's year: grades, absences and averages per subject (parents, the student, staff);
    `?an=` picks another year the student was in (a year before 2022-23 shows its semesters)."""
    student = who_sees.student_for(request.user, student_id)
    years = list(SchoolYear.objects.filter(classes__enrolments__student=student).distinct().order_by("-starts"))
    current = year_current()
    year = _year_asked(request.GET.get("an"), years, current)
    school_class = class_of(student, year) if year else None
    family = student.user_id == request.user.pk or request.user.child_links.filter(student=student.user).exists()
    view = None
    if school_class is not None and not year.legacy:
        # What is new is marked for the family only; the staff's reading moves no one's marks.
        since = family_outlook.visit_record(user=request.user, student=student) if family else None
        view = family_outlook.outlook(student=student, school_class=school_class, since=since)
    context = {
        "student": student, "year": year, "years": years, "school_class": school_class, "outlook": view,
        "report": view.record if view else None, "current_year_id": current.pk if current else None,
        "certificate_form": CertificateForm(), "family": family,
        "restriction_form": RestrictionForm() if request.user.has_role(Role.DIRECTOR) else None,
    }  # fmt: skip
    if school_class is not None and year.legacy:
        context["report"] = grade_reads.student_year(student=student, school_class=school_class)
        context["legacy"] = legacy_record(student=student, school_class=school_class)
    if (
        school_class is not None
        and year == current
        and (school_class.homeroom_id == request.user.pk or (family and student.user_id != request.user.pk))
    ):
        context["parent_requests"] = ParentRequest.objects.filter(student=student, school_class=school_class)
        context["request_form"] = ParentRequestForm(special_case=special_case_possible(student))
    return render(request, "web/student_year.html", context)


def _year_asked(asked: str | None, years: list[SchoolYear], current: SchoolYear | None) -> SchoolYear | None:
    """The year `?an=` names among the student's years (else 404), or the current year."""
    if asked is None:
        return current
    found = next((year for year in years if str(year.pk) == asked), None)
    if found is None:
        raise Http404
    return found


@login_required
def descriptive_report(request, class_id: int, student_id: int):
    """The preparatory class teacher writes the student's evaluation per development area (rule 1)."""
    school_class = who_sees.class_for(request.user, class_id)
    if school_class.homeroom_id != request.user.pk or school_class.scheme != "descriptive":
        raise Http404
    student = _student_in(school_class, student_id)
    areas = DescriptiveReport.Area.choices
    error, current = "", None
    if request.method == "POST":
        texts = {area: request.POST.get(area, "").strip() for area, _label in areas}
        try:
            grades.descriptive_report_save(
                homeroom=request.user, student=student, school_class=school_class, texts=texts,
                reason=request.POST.get("reason", "")[:500],
            )  # fmt: skip
            messages.success(request, _("Raportul descriptiv a fost salvat."))
            return redirect("descriptive-report", class_id=school_class.pk, student_id=student.pk)
        except (ValidationError, PermissionDenied) as refusal:
            error, current = access.refusal_text(refusal), texts
    if current is None:  # the service reads what is written when it saves; the page, when it shows
        current = grade_reads.descriptive_texts(student=student, school_class=school_class)
    context = {
        "school_class": school_class, "student": student, "error": error,
        "areas": [(area, label, current.get(area, "")) for area, label in areas],
    }  # fmt: skip
    return render(request, "web/descriptive_report.html", context, status=400 if error else 200)
