"""Official documents: the transcript and the student certificate (inline PDF), the large
documents made by a job (the class's catalog and situation, the statistics: the user's
documents page shows them coming), the certificate register, and the public verification page. Issuing is a POST (it
records a document and an audit event); reading who may is the 404 policy of
`catalog.structure.access`, widened for the secretariat, which issues documents."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from accounts import two_factor
from accounts.roles import Role
from accounts.services import NotAllowed
from audit.actions import Action
from audit.services import audit_record
from catalog.reports import archive, codes, jobs, services
from catalog.reports.models import DocumentJob, IssuedDocument, YearArchive
from catalog.structure import access as who_sees
from catalog.structure.identity import SchoolIdentity
from catalog.structure.models import LearningPeriod, SchoolYear, Student, TeachingAssignment
from catalog.structure.selectors import year_current
from catalog.web import access
from catalog.web.configure_forms import plain_text
from catedra.objectstore import StorageError


class CertificateForm(forms.Form):
    purpose = forms.CharField(
        label=gettext_lazy("Se eliberează pentru"), max_length=200, validators=[plain_text],
        help_text=gettext_lazy("de exemplu „alocația de stat”, „abonamentul de transport”"),
        error_messages={"required": gettext_lazy("Scrieți pentru ce se eliberează adeverința.")},
    )  # fmt: skip


class RevokeForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Motivul"), max_length=300, validators=[plain_text])


def _student(request, student_id: int) -> Student:
    """The student, if the user may read their record or works in the secretariat; else 404."""
    if request.user.has_role(*services.SECRETARIAT):
        return get_object_or_404(Student.objects.select_related("user"), pk=student_id)
    return who_sees.student_for(request.user, student_id)


def _pdf(issued: services.Issued) -> HttpResponse:
    response = HttpResponse(issued.pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{issued.filename}"'
    response["Cache-Control"] = "no-store"
    return response


def where(request) -> dict:
    return {"school": SchoolIdentity.of(request.tenant), "verify_url": request.build_absolute_uri(reverse("verify"))}


@login_required
@require_POST
def transcript(request, student_id: int):
    student = _student(request, student_id)
    return _pdf(services.transcript_issue(actor=request.user, student=student, **where(request)))


@login_required
@require_POST
def certificate(request, student_id: int):
    """A certificate is issued by the secretariat, or asked for by the student's parent or the
    student; a teacher who may read the record does not issue one."""
    student = _student(request, student_id)
    user = request.user
    if not (user.has_role(*services.SECRETARIAT) or student.user_id == user.pk
            or user.child_links.filter(student_id=student.user_id).exists()):  # fmt: skip
        raise Http404
    form = CertificateForm(request.POST)
    if form.is_valid():
        try:
            issued = services.certificate_issue(actor=request.user, student=student,
                                                purpose=form.cleaned_data["purpose"], **where(request))  # fmt: skip
        except ValidationError as error:
            messages.error(request, access.refusal_text(error))
        else:
            return _pdf(issued)
    else:
        access.form_refused(request, form)
    return redirect("student-year", student_id=student.pk)


def _queued(request, **asked) -> HttpResponse:
    """Queue a large document for the user and show their documents, where it appears."""
    jobs.document_job_request(actor=request.user, **asked, **where(request))
    messages.info(request, _("Documentul se pregătește; îl puteți descărca de aici când este gata."))
    return redirect("my-documents")


@login_required
@require_POST
def class_catalog(request, class_id: int):
    """The class's catalog (a job): management and the homeroom teacher see every subject, a
    teacher of the class the subjects they teach."""
    school_class = who_sees.class_for(request.user, class_id)
    subjects = None
    if not (who_sees.sees_everything(request.user) or school_class.homeroom_id == request.user.pk):
        subjects = set(
            TeachingAssignment.objects.in_force()
            .filter(teacher=request.user, school_class=school_class)
            .values_list("subject_id", flat=True)
        )
    return _queued(request, kind=IssuedDocument.Kind.CLASS_CATALOG, school_class=school_class, subjects=subjects)


@login_required
@require_POST
def class_situation(request, class_id: int):
    """The class's situația școlară (a job), at the end of the year or of the module given as
    `modul` (a learning period of the class's year): the management and the homeroom teacher."""
    school_class = who_sees.class_for(request.user, class_id)
    if not (who_sees.sees_everything(request.user) or school_class.homeroom_id == request.user.pk):
        raise Http404
    period, asked = None, request.POST.get("modul", "")
    if asked:
        period = LearningPeriod.objects.filter(year=school_class.year_id, pk=asked).first() if asked.isdigit() and len(
            asked) < 12 else None  # fmt: skip
        if period is None:
            messages.error(request, _("Alegeți un modul al anului școlar al clasei."))
            return redirect("class-overview", class_id=school_class.pk)
    return _queued(request, kind=IssuedDocument.Kind.CLASS_SITUATION, school_class=school_class, period=period)


@login_required
@require_POST
def statistics(request):
    """A year's statistics as PDF (a job; `an`: the year's id, else the current year): the
    management and the statistics viewer."""
    if not (who_sees.sees_everything(request.user) or request.user.has_role(Role.STATS_VIEWER)):
        raise Http404
    asked = request.POST.get("an", "")
    year = SchoolYear.objects.filter(pk=int(asked)).first() if asked.isdigit() and len(asked) < 12 else year_current()
    if year is None:
        raise Http404
    return _queued(request, kind=IssuedDocument.Kind.STATISTICS, year=year)


@login_required
@require_safe
def my_documents(request):
    """The large documents the user asked for: progress while they are made (htmx), then the
    download for as long as the file is kept."""
    mine = DocumentJob.objects.filter(requested_by=request.user).select_related(
        "school_class", "year", "period", "document"
    )[:30]  # fmt: skip
    working = any(job.status in (DocumentJob.Status.QUEUED, DocumentJob.Status.RUNNING) for job in mine)
    context = {"jobs": mine, "working": working, "hours": settings.CATEDRA_DOCUMENT_HOURS}
    return render(request, "web/_my_documents.html" if request.htmx else "web/my_documents.html", context)


@login_required
@require_safe
def my_document_file(request, job_id: int):
    job = get_object_or_404(DocumentJob, pk=job_id, requested_by=request.user)
    try:
        data = jobs.document_job_file(job)
    except jobs.JobFileGone:
        messages.error(request, _("Documentul nu mai este păstrat: generați-l din nou."))
        return redirect("my-documents")
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{job.kind}-{job.document.code}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
def certificates(request):
    """The year's certificate register (secretariat): numbers in order, with who and what for."""
    if not request.user.has_role(*services.SECRETARIAT):
        raise Http404
    year = year_current()
    issued = IssuedDocument.objects.filter(kind=IssuedDocument.Kind.CERTIFICATE, year=year).select_related(
        "student__user", "school_class", "issued_by"
    ).order_by("number")  # fmt: skip
    return render(request, "web/certificates.html", {"year": year, "issued": issued, "revoke": RevokeForm()})


@login_required
@require_POST
def document_revoke(request, document_id: int):
    document = get_object_or_404(IssuedDocument, pk=document_id)
    form = RevokeForm(request.POST)
    if not form.is_valid():
        access.form_refused(request, form)
    else:
        try:
            services.document_revoke(actor=request.user, document=document, reason=form.cleaned_data["reason"])
        except NotAllowed:
            raise Http404 from None
        messages.success(request, _("Documentul %(code)s a fost anulat.") % {"code": codes.code_shown(document.code)})
    return redirect("certificates")


@require_safe
def verify(request, code: str = ""):
    """Anyone: is a document with this code issued here, and still valid? Never its contents."""
    asked = request.GET.get("cod", code)
    context = {"asked": asked[:40]}
    if asked:
        cleaned = codes.code_clean(asked)
        context["well_formed"] = cleaned is not None
        context["document"] = IssuedDocument.objects.filter(code=cleaned).select_related(
            "student__user", "school_class"
        ).first() if cleaned else None  # fmt: skip
        if context["document"]:
            context["code"] = codes.code_shown(cleaned)
    context["school"] = SchoolIdentity.of(request.tenant)
    status = 200 if not asked or context.get("document") else 404
    return render(request, "web/verify.html", context, status=status)


# -- the year-end archives (management) ------------------------------------------------------


class ReopenForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Motivul redeschiderii"), max_length=500, validators=[plain_text])
    token = forms.CharField(label=gettext_lazy("Codul 2FA al directorului (sau confirmați cu cheia de acces)"),
                            max_length=40, required=False)  # fmt: skip


@login_required
def archives(request):
    """Every closed year's archives (versions), their progress while being made, and the
    director's reopening of a closed year."""
    access.leadership_required(request.user)
    years = SchoolYear.objects.order_by("-starts")
    versions = YearArchive.objects.select_related("year", "requested_by").order_by("-year__starts", "-version")
    working = any(item.status in (YearArchive.Status.QUEUED, YearArchive.Status.RUNNING) for item in versions)
    context = {"years": years, "archives": versions, "reopen": ReopenForm(), "working": working,
               "is_director": request.user.has_role(Role.DIRECTOR), "has_passkey": two_factor.has_passkey(request.user),
               "fresh_passkey": two_factor.fresh_factor_pending(request)}  # fmt: skip
    template = "web/_archives.html" if request.htmx else "web/archives.html"
    return render(request, template, context)


@login_required
@require_POST
def archive_check(request, archive_id: int):
    access.leadership_required(request.user)
    found = get_object_or_404(YearArchive, pk=archive_id, status=YearArchive.Status.SEALED)
    problems = archive.archive_verify(found)
    if problems:
        messages.error(request, _("Arhiva NU corespunde sigiliului: %(problems)s") % {"problems": "; ".join(problems)})
    else:
        messages.success(request, _("Arhiva este întreagă: fiecare fișier corespunde manifestului sigilat."))
    return redirect("archives")


@login_required
@require_safe
def archive_download(request, archive_id: int, name: str):
    access.leadership_required(request.user)
    found = get_object_or_404(YearArchive, pk=archive_id, status=YearArchive.Status.SEALED)
    try:
        data = archive.archive_file(found, name)
    except (KeyError, StorageError):
        raise Http404 from None
    audit_record(action=Action.ARCHIVE_DOWNLOADED, actor=request.user, obj=found.year,
                 new={"version": found.version, "file": name})  # fmt: skip
    response = HttpResponse(data, content_type="application/pdf" if name.endswith(".pdf") else "application/json")
    response["Content-Disposition"] = f'attachment; filename="{found.year.name}-v{found.version}-{name}"'
    return response


@login_required
@require_POST
def year_reopen(request, year_id: int):
    access.leadership_required(request.user)
    year = get_object_or_404(SchoolYear, pk=year_id)
    form = ReopenForm(request.POST)
    if not form.is_valid():
        access.form_refused(request, form)
        return redirect("archives")
    try:
        token = form.cleaned_data["token"].strip()
        archive.year_reopen(actor=request.user, year=year, reason=form.cleaned_data["reason"], token=token,
                            confirmed_with=None if token else two_factor.fresh_factor_take(request))  # fmt: skip
    except (ValidationError, NotAllowed) as error:
        messages.error(request, access.refusal_text(error))
    else:
        messages.success(request, _("Anul școlar %(year)s este redeschis.") % {"year": year.name})
    return redirect("archives")
