"""Parents' requests to excuse absences (rule 16): the parent submits, the director decides,
the homeroom teacher excuses with the approved request."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.roles import Role
from catalog.attendance import requests
from catalog.attendance.models import ParentRequest
from catalog.structure import access as who_sees
from catalog.structure.selectors import class_of, year_current
from catalog.web import access
from catalog.web.forms import DecisionForm, ParentRequestForm


@login_required
@require_POST
def request_submit(request, student_id: int):
    """A parent (or the homeroom teacher) submits a request from the student's page."""
    student = who_sees.student_for(request.user, student_id)
    year = year_current()
    school_class = class_of(student, year) if year else None
    if school_class is None:
        raise Http404
    form = ParentRequestForm(request.POST, special_case=requests.special_case_possible(student))
    try:
        if not form.is_valid():
            raise ValidationError(next(iter(form.errors.values()))[0])
        requests.parent_request_submit(
            actor=request.user, student=student, school_class=school_class, **form.cleaned_data
        )
        messages.success(request, _("Cererea a fost trimisă directorului spre aprobare."))
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, access.refusal_text(error))
    return redirect("student-year", student_id=student.pk)


@login_required
def requests_pending(request):
    """The director's list of requests waiting for a decision."""
    if not request.user.has_role(Role.DIRECTOR):
        raise Http404
    pending = ParentRequest.objects.filter(status=ParentRequest.Status.PENDING).select_related(
        "student__user", "school_class", "submitted_by"
    )
    return render(request, "web/parent_requests.html", {"pending": pending, "form": DecisionForm()})


@login_required
@require_POST
def request_decide(request, request_id: int):
    if not request.user.has_role(Role.DIRECTOR):
        raise Http404
    parent_request = get_object_or_404(ParentRequest.objects.select_related("school_class__year"), pk=request_id)
    form = DecisionForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(next(iter(form.errors.values()))[0])
        approve = form.cleaned_data["decision"] == "approve"
        requests.parent_request_decide(
            actor=request.user, request=parent_request, approve=approve, note=form.cleaned_data["note"]
        )
        messages.success(request, _("Cererea a fost aprobată.") if approve else _("Cererea a fost respinsă."))
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, access.refusal_text(error))
    return redirect("parent-requests")


@login_required
@require_POST
def request_apply(request, request_id: int):
    """The homeroom teacher excuses the interval's absences with an approved request."""
    parent_request = get_object_or_404(
        ParentRequest.objects.select_related("school_class__year", "student__user"), pk=request_id
    )
    school_class = parent_request.school_class
    if school_class.homeroom_id != request.user.pk:
        raise Http404
    try:
        result = requests.parent_request_apply(homeroom=request.user, request=parent_request)
        messages.success(request, " ".join([_("%(n)s absențe motivate.") % {"n": result.count}, *result.warnings]))
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, access.refusal_text(error))
    return redirect("class-overview", class_id=school_class.pk)
