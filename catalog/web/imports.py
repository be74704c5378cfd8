"""Pages of the imports: students and parents from a CSV file, the file to fill in, copying
a year's structure into the next, and the history of the years before 2022-23. Only the
school's configurers (admin, director, deputy) see them, and only the director the history's
import; anyone else gets a 404. The services judge everything; nothing changes on a refusal."""

from datetime import timedelta
from functools import wraps

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from accounts.roles import Role
from catalog.grades import closing, legacy
from catalog.grades.selectors import repeaters
from catalog.rights import imports as rights_imports
from catalog.rights import services as rights
from catalog.rights.models import RightsRequest
from catalog.structure import imports, rollover
from catalog.structure.models import ImportJob, SchoolClass, SchoolYear, Student
from catalog.structure.selectors import year_current
from catalog.web import access
from catedra.text import by_name

NO_YEAR = _("Școala nu are încă un an școlar: creați-l întâi.")
RECENT_JOBS = 5
# A job still waiting after this long: the page says so (the background workers may be down).
JOB_LATE = timedelta(minutes=5)
TOO_BIG = _("Fișierul are peste 2 MB: împărțiți-l în mai multe fișiere (cel mult 2.000 de elevi fiecare).")


class CsvImportForm(forms.Form):
    """A CSV file (read whole, at most MAX_BYTES) and a dry-run box; `too_big` says what to do with a bigger one."""

    too_big = TOO_BIG
    file = forms.FileField(
        label=_("Fișierul CSV"), error_messages={"required": _("Alegeți fișierul."), "empty": imports.FILE_EMPTY}
    )
    dry_run = forms.BooleanField(label=_("Doar verifică fișierul, fără să importe"), required=False)

    def clean_file(self) -> bytes:
        upload = self.cleaned_data["file"]
        if upload.size > imports.MAX_BYTES:
            raise ValidationError(self.too_big, code="too_big")
        return upload.read()


class StudentImportForm(CsvImportForm):
    field_order = ["file", "school_class", "dry_run"]
    school_class = forms.ModelChoiceField(
        label=_("Clasa"), queryset=SchoolClass.objects.none(), required=False,
        empty_label=_("din coloana „clasa” a fișierului"),
        error_messages={"invalid_choice": _("Alegeți o clasă din listă.")},
    )  # fmt: skip

    def __init__(self, *args, year: SchoolYear, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school_class"].queryset = SchoolClass.objects.filter(year=year).order_by("level", "letter")


@access.configurer_only
def students_import(request):
    """Check the file at once (every problem shown by line and column); a good file is then
    imported by a background job, whose page the browser goes to. The dry run only checks."""
    year = year_current()
    if year is None:
        return render(request, "catalog/imports/students.html", {"no_year": NO_YEAR})
    posted = request.method == "POST"
    form = StudentImportForm(request.POST if posted else None, request.FILES if posted else None, year=year)
    report = None
    if posted and form.is_valid():
        data, chosen = form.cleaned_data["file"], form.cleaned_data["school_class"]
        try:
            report = imports.students_check(actor=request.user, year=year, data=data, school_class=chosen)
            if report.ok and not form.cleaned_data["dry_run"]:
                job = imports.students_import_queue(
                    actor=request.user, year=year, data=data, school_class=chosen,
                    file_name=request.FILES["file"].name, rows=report.rows,
                )  # fmt: skip
                return redirect("import-job", job_id=job.pk)
        except ValidationError as error:
            form.add_error(None, error)
    refused = posted and (not form.is_valid() or (report is not None and not report.ok))
    context = {
        "form": form, "year": year, "report": report, "columns": imports.COLUMNS,
        "jobs": _recent_jobs(ImportJob.Kind.STUDENTS),
    }  # fmt: skip
    return render(request, "catalog/imports/students.html", context, status=400 if refused else 200)


def _recent_jobs(kind: str):
    return ImportJob.objects.filter(kind=kind).select_related("created_by").order_by("-created_at")[:RECENT_JOBS]


@require_GET
@access.configurer_only
def import_job(request, job_id: int):
    """Where a queued import stands; the page asks again every few seconds until it ends.
    A history import's job is the director's, as its page is."""
    job = get_object_or_404(ImportJob.objects.select_related("year", "school_class", "created_by"), pk=job_id)
    if job.kind == ImportJob.Kind.LEGACY and not request.user.has_role(Role.DIRECTOR):
        raise Http404
    students = []
    if job.kind == ImportJob.Kind.STUDENTS and job.status == ImportJob.Status.DONE:
        created = Student.objects.filter(pk__in=job.outcome.get("students", [])).select_related("user")
        students = sorted(created, key=lambda student: by_name(student.user))
    context = {
        "job": job, "problems": imports.job_problems(job), "students": students,
        "waiting": not job.finished,
        "late": job.status == ImportJob.Status.QUEUED and timezone.now() - job.created_at > JOB_LATE,
    }  # fmt: skip
    return render(request, "catalog/imports/job.html", context)


@require_GET
@access.configurer_only
def students_template(request):
    response = HttpResponse(imports.template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="elevi-model.csv"'
    return response


class YearCopyForm(forms.Form):
    source = forms.ModelChoiceField(
        label=_("Anul copiat"), queryset=SchoolYear.objects.all(),
        error_messages={"required": _("Alegeți anul copiat."), "invalid_choice": _("Alegeți un an din listă.")},
    )  # fmt: skip
    target = forms.ModelChoiceField(
        label=_("Anul nou (gol)"), queryset=SchoolYear.objects.filter(closed_at__isnull=True),
        error_messages={"required": _("Alegeți anul nou."), "invalid_choice": _("Alegeți un an deschis din listă.")},
    )  # fmt: skip
    assignments = forms.BooleanField(label=_("Copiază și încadrările profesorilor"), required=False)


@access.configurer_only
def year_copy(request):
    """Choose the years, see what will be copied, confirm: three steps of one form."""
    if request.method != "POST":
        form = YearCopyForm(initial=_copy_defaults())
        return render(request, "catalog/imports/year_copy.html", {"form": form})
    form = YearCopyForm(request.POST)
    context = {"form": form}
    if form.is_valid():
        data = form.cleaned_data
        years = {
            "actor": request.user, "source": data["source"], "target": data["target"],
            "stays_behind": repeaters(data["source"]),  # rule 11: the year's repetenți stay at their level
        }  # fmt: skip
        try:
            if "confirm" in request.POST:
                # The homerooms and assignments wait for the director's approval, in one request.
                context["done"], context["rights"] = rights.year_copy_ask(**years, assignments=data["assignments"])
            else:
                context["plan"] = rollover.year_copy_plan(**years, assignments=data["assignments"])
        except ValidationError as error:
            form.add_error(None, error)
    status = 200 if form.is_valid() else 400
    return render(request, "catalog/imports/year_copy.html", context, status=status)


def _copy_defaults() -> dict:
    """The current year into the first open year after it, with the assignments."""
    source = year_current()
    later = SchoolYear.objects.filter(closed_at__isnull=True)
    target = later.filter(starts__gt=source.starts).order_by("starts").first() if source else None
    return {"source": source, "target": target, "assignments": True}


class LegacyImportForm(CsvImportForm):
    too_big = legacy.FILE_TOO_BIG
    field_order = ["year", "file", "dry_run"]
    year = forms.ModelChoiceField(
        label=_("Anul școlar"), queryset=SchoolYear.objects.none(),
        error_messages={"required": _("Alegeți anul școlar."), "invalid_choice": _("Alegeți un an din listă.")},
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        open_legacy = SchoolYear.objects.filter(legacy=True, closed_at__isnull=True)
        self.fields["year"].queryset = open_legacy.order_by("-starts")


def director_only(view):
    """A configurer page that only the director may open; anyone else gets a 404."""

    @access.configurer_only
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.has_role(Role.DIRECTOR):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


@director_only
def legacy_import(request):
    """The semester averages of a year before 2022-23 from a CSV file (DOMAIN rule 8): checked
    at once (every problem shown by line and column), then imported by a background job,
    whose page the browser goes to. The dry run only checks."""
    posted = request.method == "POST"
    form = LegacyImportForm(request.POST if posted else None, request.FILES if posted else None)
    report = None
    if posted and form.is_valid():
        data = form.cleaned_data
        try:
            report = legacy.legacy_check(actor=request.user, year=data["year"], data=data["file"])
            if report.ok and not data["dry_run"]:
                job = legacy.legacy_import_queue(
                    actor=request.user, year=data["year"], data=data["file"], file_name=request.FILES["file"].name,
                    rows=report.rows,
                )  # fmt: skip
                return redirect("import-job", job_id=job.pk)
        except ValidationError as error:
            form.add_error(None, error)
    refused = posted and (not form.is_valid() or (report is not None and not report.ok))
    context = {
        "form": form, "report": report, "columns": legacy.COLUMNS, "open_years": form.fields["year"].queryset,
        "jobs": _recent_jobs(ImportJob.Kind.LEGACY),
    }  # fmt: skip
    return render(request, "catalog/imports/legacy.html", context, status=400 if refused else 200)


@require_POST
@director_only
def legacy_close(request):
    """The director closes a year of imported history: from then on it is frozen."""
    year = SchoolYear.objects.filter(legacy=True, closed_at__isnull=True, pk=_int(request.POST.get("year"))).first()
    if year is None:
        messages.error(request, _("Alegeți un an de dinainte de 2022-2023 încă deschis."))
        return redirect("import-legacy")
    try:
        closing.year_close(actor=request.user, year=year)
        messages.success(request, _("Anul școlar %(year)s este încheiat: istoricul lui nu se mai poate schimba.")
                         % {"year": year.name})  # fmt: skip
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, access.refusal_text(error))
    return redirect("import-legacy")


def _int(text: str | None) -> int | None:
    return int(text) if text and text.isascii() and text.isdigit() and len(text) < 19 else None


@require_GET
@director_only
def legacy_template(request):
    response = HttpResponse(legacy.template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="istoric-model.csv"'
    return response


class AssignmentsImportForm(CsvImportForm):
    too_big = _("Fișierul are peste 2 MB: împărțiți-l în mai multe fișiere.")
    why = forms.CharField(label=_("Motivul (îl vede directorul)"), max_length=500, required=False)
    dry_run = None


@access.configurer_only
def assignments_import(request):
    """The year's teaching assignments from a CSV: checked whole (every problem by line), then
    one request that the director approves in one step; nothing writes before."""
    year = year_current()
    if year is None:
        return render(request, "catalog/imports/assignments.html", {"no_year": NO_YEAR})
    posted = request.method == "POST"
    form = AssignmentsImportForm(request.POST if posted else None, request.FILES if posted else None)
    if posted and form.is_valid():
        try:
            asked = rights_imports.assignments_import(
                actor=request.user, year=year, data=form.cleaned_data["file"], why=form.cleaned_data["why"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if asked.status == RightsRequest.Status.APPROVED:
                messages.success(request, _("Încadrările sunt în vigoare (aprobate de dumneavoastră)."))
            else:
                text = _("Cererea nr. %(n)s, cu %(count)s încadrări, așteaptă aprobarea directorului.")
                messages.success(request, text % {"n": asked.pk, "count": asked.changes.count()})
            return redirect("rights-mine")
    context = {"form": form, "year": year, "columns": rights_imports.COLUMNS}
    return render(request, "catalog/imports/assignments.html", context, status=400 if posted else 200)
