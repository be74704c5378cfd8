"""Requests to excuse absences from the family's side: a parent's request (rule 16: the parent
submits, the director decides, the homeroom teacher excuses with the approved request) or a
medical note's photo (rule 15: the homeroom teacher excuses with it or refuses it)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.roles import Role
from catalog.attendance import evidence, requests
from catalog.attendance.models import ParentRequest
from catalog.structure import access as who_sees
from catalog.structure.selectors import class_of, year_current
from catalog.web import access
from catalog.web.forms import DecisionForm, MedicalNoteForm, ParentRequestForm


@login_required
@require_POST
def request_submit(request, student_id: int):
    """A parent (or the homeroom teacher) submits a request from the student's page."""
    student = who_sees.student_for(request.user, student_id)
    year = year_current()
    school_class = class_of(student, year) if year else None
    if school_class is None:
        raise Http404
    form = ParentRequestForm(request.POST, request.FILES, special_case=requests.special_case_possible(student))
    try:
        if not form.is_valid():
            raise ValidationError(next(iter(form.errors.values()))[0])
        sent = requests.parent_request_submit(
            actor=request.user, student=student, school_class=school_class, **form.cleaned_data
        )
        if sent.kind == ParentRequest.Kind.MEDICAL:
            messages.success(request, _("Documentul medical a fost trimis dirigintelui."))
        else:
            messages.success(request, _("Cererea a fost trimisă directorului spre aprobare."))
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, access.refusal_text(error))
    return redirect("student-year", student_id=student.pk)


@login_required
def requests_pending(request):
    """The director's list of requests waiting for a decision."""
    if not request.user.has_role(Role.DIRECTOR):
        raise Http404
    pending = ParentRequest.objects.filter(
        kind=ParentRequest.Kind.PARENT, status=ParentRequest.Status.PENDING
    ).select_related("student__user", "school_class", "submitted_by")
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


def _homerooms_request(request, request_id: int) -> ParentRequest:
    """A request in a class whose homeroom teacher is the user (else 404)."""
    parent_request = get_object_or_404(
        ParentRequest.objects.select_related("school_class__year", "student__user"), pk=request_id
    )
    if parent_request.school_class.homeroom_id != request.user.pk:
        raise Http404
    return parent_request


@login_required
@require_POST
def request_apply(request, request_id: int):
    """The homeroom teacher excuses the interval's absences with an approved request, or with a
    medical note (its number and date typed from the photo)."""
    parent_request = _homerooms_request(request, request_id)
    try:
        document = {}
        if parent_request.kind == ParentRequest.Kind.MEDICAL:
            form = MedicalNoteForm(request.POST)
            if not form.is_valid():
                raise ValidationError(next(iter(form.errors.values()))[0])
            document = form.cleaned_data
        result = requests.parent_request_apply(homeroom=request.user, request=parent_request, **document)
        messages.success(request, " ".join([_("%(n)s absențe motivate.") % {"n": result.count}, *result.warnings]))
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, access.refusal_text(error))
    return redirect("class-overview", class_id=parent_request.school_class_id)


@login_required
@require_POST
def medical_refuse(request, request_id: int):
    """The homeroom teacher refuses a medical note, with the reason the family reads."""
    parent_request = _homerooms_request(request, request_id)
    try:
        requests.medical_note_refuse(homeroom=request.user, request=parent_request, note=request.POST.get("note", ""))
        messages.success(request, _("Documentul medical a fost respins."))
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, access.refusal_text(error))
    return redirect("class-overview", class_id=parent_request.school_class_id)


@login_required
def medical_photo(request, request_id: int):
    """The medical note's photo, for whoever reads the student's record (the student, the
    parents, the homeroom teacher, the management; anyone else: 404); never cached."""
    parent_request = get_object_or_404(ParentRequest, pk=request_id)
    who_sees.student_for(request.user, parent_request.student_id)
    picture = evidence.photo_read(parent_request)
    if picture is None:
        raise Http404
    response = HttpResponse(picture, content_type="image/jpeg")
    response["Cache-Control"] = "private, no-store"
    response["Content-Disposition"] = f'inline; filename="document-medical-{parent_request.pk}.jpg"'
    return response
