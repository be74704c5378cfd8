"""End-of-year pages: a teacher closes a subject's averages, the homeroom teacher sets conduct
and closes the class's results, the school's leadership records the exams and the director
closes the year (DOMAIN rules 9–12). Each door checks who may come in; the services decide."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts import two_factor
from accounts.roles import Role
from catalog.grades import closing
from catalog.grades import selectors as grade_reads
from catalog.grades import services as grades
from catalog.grades.models import CALIFICATIVE_CHOICES, Exam, YearResult
from catalog.reports import archive
from catalog.structure import access as who_sees
from catalog.structure.models import CurricularModule, Scheme, SchoolClass
from catalog.structure.selectors import enrolments_active, year_current
from catalog.web import access, documents
from catalog.web.forms import date_field

# A subject's averages (the teacher of the subject)


def _averages_close_chosen(request, school_class, subject, chosen: set[str]) -> None:
    """Close each chosen student's average (each on its own: one refusal does not stop the
    others); what was closed, warned or refused goes back as messages."""
    rows = grade_reads.gradebook(school_class=school_class, subject=subject)
    rows = [r for r in rows if str(r.student.pk) in chosen and not (r.locked or r.left)]
    if not rows:
        messages.error(request, _("Alegeți cel puțin un elev cu media neîncheiată."))
        return
    closed, notes = 0, []
    for row in rows:
        try:
            average = grades.average_close(
                teacher=request.user, student=row.student, school_class=school_class, subject=subject,
                calificativ=request.POST.get(f"calificativ-{row.student.pk}", "")[:2],
            )  # fmt: skip
            closed += 1
            notes += [f"{row.student}: {warning}" for warning in average.warnings]
        except (ValidationError, PermissionDenied) as error:
            notes.append(f"{row.student}: {access.refusal_text(error)}")
    if closed:
        messages.success(request, _("Medii încheiate: %(n)s.") % {"n": closed})
    for note in notes:
        messages.warning(request, note)


@login_required
def averages_close(request, class_id: int, subject_id: int):
    """The subject's averages, computed from the grades; the teacher closes the chosen ones
    (calificative: the suggestion preselected, the teacher's choice recorded, rule 9)."""
    school_class, subject, writes = who_sees.gradebook_for(request.user, class_id, subject_id)
    if not writes:
        raise Http404
    if school_class.technological and school_class.modules.filter(subject=subject).exists():
        messages.info(request, grades.IN_MODULES.format(subject=subject.name))  # rule 4: the module pages
        return redirect("gradebook", class_id=school_class.pk, subject_id=subject.pk)
    if request.method == "POST":
        _averages_close_chosen(request, school_class, subject, set(request.POST.getlist("student")))
        return redirect("averages-close", class_id=school_class.pk, subject_id=subject.pk)
    rows = grade_reads.gradebook(school_class=school_class, subject=subject)
    context = {
        "school_class": school_class, "subject": subject, "rows": [r for r in rows if not r.left],
        "calificative": school_class.scheme == Scheme.CALIFICATIVE, "choices": CALIFICATIVE_CHOICES,
    }  # fmt: skip
    return render(request, "web/averages_close.html", context)


# Conduct (the homeroom teacher), one period at a time


class ConductForm(forms.Form):
    period = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=gettext_lazy("Motivul (doar pentru note schimbate)"), max_length=500, required=False)


def _homeroom_class(user, class_id: int) -> SchoolClass:
    school_class = who_sees.class_for(user, class_id)
    if school_class.homeroom_id != user.pk:
        raise Http404
    return school_class


@login_required
def conduct(request, class_id: int):
    """One select per student for the chosen period; only what changed is written, all or nothing."""
    school_class = _homeroom_class(request.user, class_id)
    if school_class.scheme == Scheme.DESCRIPTIVE:
        raise Http404
    periods = list(school_class.year.periods.order_by("number"))
    period_id = request.POST.get("period") or request.GET.get("perioada") or ""
    period = next((p for p in periods if str(p.pk) == period_id), None) or periods[0]
    students = [e.student for e in enrolments_active(school_class)]
    form = ConductForm(request.POST or None, initial={"period": period.pk})
    if request.method == "POST" and form.is_valid():
        try:
            written = grades.conduct_set_many(
                homeroom=request.user, school_class=school_class, period=period,
                chosen={student: request.POST.get(f"c-{student.pk}", "") for student in students},
                reason=form.cleaned_data["reason"],
            )  # fmt: skip
            messages.success(request, _("Note la purtare salvate: %(n)s.") % {"n": len(written)})
            return redirect(reverse("conduct", args=[school_class.pk]) + f"?perioada={period.pk}")
        except (ValidationError, PermissionDenied) as error:
            form.add_error(None, access.refusal_text(error))
    current = grade_reads.conduct_shown(school_class=school_class, period=period)
    choices = [(value, value) for value in grades.conduct_choices(school_class)]
    rows = [(s, current.get(s.pk, "")) for s in students]
    context = {
        "school_class": school_class, "periods": periods, "period": period, "rows": rows, "choices": choices,
        "form": form,
    }  # fmt: skip
    return render(request, "web/conduct.html", context, status=400 if form.errors else 200)


# Closing and reopening a class's results


@login_required
@require_POST
def results_close(request, class_id: int):
    school_class = _homeroom_class(request.user, class_id)
    try:
        results = closing.class_results_close(actor=request.user, school_class=school_class)
        messages.success(request, _("Situația școlară a clasei este încheiată (%(n)s elevi).") % {"n": len(results)})
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, _("Situația școlară nu se poate încheia încă:"))
        for message in error.messages if isinstance(error, ValidationError) else [str(error)]:
            messages.warning(request, message)
    return redirect("class-overview", class_id=school_class.pk)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Motivul"), max_length=500,
        error_messages={"required": gettext_lazy("Scrieți motivul redeschiderii.")},
    )  # fmt: skip


@login_required
@require_POST
def results_reopen(request, class_id: int):
    school_class = who_sees.class_for(request.user, class_id)
    if not request.user.has_role(Role.DIRECTOR):
        raise Http404
    form = ReasonForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(form.errors["reason"][0])
        closing.class_results_reopen(actor=request.user, school_class=school_class, reason=form.cleaned_data["reason"])
        messages.success(request, _("Situația școlară a clasei a fost redeschisă."))
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, access.refusal_text(error))
    return redirect("class-overview", class_id=school_class.pk)


# The school year's end (the school's leadership)


class ExamForm(forms.Form):
    result = forms.IntegerField(widget=forms.HiddenInput)
    subject = forms.IntegerField(widget=forms.HiddenInput)
    module = forms.IntegerField(widget=forms.HiddenInput, required=False)  # of a subject taught in modules
    kind = forms.ChoiceField(choices=Exam.Kind.choices, widget=forms.HiddenInput)
    on = date_field(gettext_lazy("Data examenului"))
    grade = forms.CharField(label=gettext_lazy("Nota"), max_length=3, required=False)
    absent = forms.BooleanField(label=gettext_lazy("Absent"), required=False)

    def clean(self):
        data = super().clean()
        if not data.get("absent") and not data.get("grade"):
            raise ValidationError(_("Scrieți nota sau bifați „Absent”."))
        return data


@login_required
def year_end(request):
    """The year's end at a glance: classes closed or not, results waiting for exams, and the
    director's button to close the year."""
    access.leadership_required(request.user)
    year = year_current()
    if year is None:
        raise Http404
    context = {
        "year": year, "rows": grade_reads.year_classes(year), "pending": grade_reads.exams_pending(year),
        "is_director": request.user.has_role(Role.DIRECTOR), "exam_form": ExamForm(),
        "has_passkey": two_factor.has_passkey(request.user),
        "fresh_passkey": two_factor.fresh_factor_pending(request),
    }  # fmt: skip
    return render(request, "web/year_end.html", context)


@login_required
@require_POST
def exam_record(request):
    access.leadership_required(request.user)
    form = ExamForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, errors[0])
        return redirect("year-end")
    data = form.cleaned_data
    result = get_object_or_404(YearResult.objects.select_related("student", "school_class__year"), pk=data["result"])
    subject = result.school_class.curriculum.filter(subject_id=data["subject"]).select_related("subject").first()
    if subject is None:
        raise Http404
    module = None
    if data["module"] is not None:
        modules = CurricularModule.objects.filter(school_class=result.school_class, subject=subject.subject)
        module = get_object_or_404(modules, pk=data["module"])
    try:
        updated = closing.exam_record(
            actor=request.user, student=result.student, school_class=result.school_class, subject=subject.subject,
            kind=data["kind"], on=data["on"], grade=data["grade"], absent=data["absent"], module=module,
        )  # fmt: skip
        messages.success(
            request, _("%(student)s: %(status)s.") % {"student": result.student, "status": updated.get_status_display()}
        )
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, f"{result.student}: {access.refusal_text(error)}")
    return redirect("year-end")


@login_required
@require_POST
def year_close(request):
    access.leadership_required(request.user)
    year = year_current()
    if year is None:
        raise Http404
    token = request.POST.get("token", "").strip()[:40]
    try:
        archive.year_close_sealed(actor=request.user, year=year, token=token, **documents.where(request),
                                  confirmed_with=None if token else two_factor.fresh_factor_take(request))  # fmt: skip
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, access.refusal_text(error))
        return redirect("year-end")
    messages.success(request, _("Anul școlar %(year)s este încheiat; arhiva lui se generează.") % {"year": year.name})
    return redirect("archives")
