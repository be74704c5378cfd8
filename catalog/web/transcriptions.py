"""The homeroom teacher's page for a student who came from another school: the record they
brought (situația școlară) transcribed into the class's catalog, or taken back with a reason.

Grades are typed as the catalog shows them, each with its day: „9/14.10 8/3.11” (or „FB/14.10”
where calificative are given), one line per subject, with the subject's absences there (hours
excused and unexcused, as the record counts them); conduct grades per period spent at the
other school. Every problem is shown at once and nothing is saved until all are right."""

import re
from datetime import date

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _

from catalog.grades import transcriptions
from catalog.grades.models import Transcription
from catalog.grades.services import value_parse
from catalog.grades.transcriptions import TranscribedAbsence, TranscribedConduct, TranscribedGrade
from catalog.structure import access as who_sees
from catalog.structure.models import CurriculumEntry, Enrolment, Scheme, SchoolYear
from catalog.web import access

GRADE_WITH_DAY = re.compile(r"^(?P<value>[^/\s]{1,3})/(?P<day>\d{1,2})\.(?P<month>\d{1,2})(?:\.(?P<year>\d{4}))?$")
TOKEN_BAD = _("{subject}: „{token}” nu este o notă cu ziua ei (de exemplu 9/14.10).")
DAY_BAD = _("{subject}: „{token}” are o zi care nu există.")
TOO_MANY = _("{subject}: cel mult 60 de note.")
PERIOD_VALUE = _("{period}: {message}")
HOURS_BAD = _("{subject}: absențele sunt numere întregi de ore, de la 0 la {hours}.")


class TranscriptionForm(forms.Form):
    origin = forms.CharField(
        label=_("Școala de proveniență"), max_length=200, error_messages={"required": transcriptions.ORIGIN_MISSING}
    )
    document = forms.CharField(
        label=_("Numărul documentului (situația școlară)"), max_length=60,
        error_messages={"required": transcriptions.DOCUMENT_MISSING},
    )  # fmt: skip
    document_date = forms.DateField(
        label=_("Data documentului"), widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": _("Alegeți data documentului."), "invalid": _("Data nu este validă.")},
    )  # fmt: skip


def grades_parse(text: str, *, subject, year: SchoolYear, scheme: str) -> tuple[list[TranscribedGrade], list[str]]:
    """The grades of one subject's line („9/14.10 8/3.11”), and what is wrong with it. A day
    without a year falls in the school year (September to August)."""
    found, problems = [], []
    tokens = [token for token in re.split(r"[\s,;]+", text.strip()) if token]
    if len(tokens) > 60:
        return [], [str(TOO_MANY.format(subject=subject.name))]
    for token in tokens:
        match = GRADE_WITH_DAY.match(token)
        if match is None:
            problems.append(str(TOKEN_BAD.format(subject=subject.name, token=token[:20])))
            continue
        try:
            value, calificativ = value_parse(match["value"], scheme=scheme)
        except ValidationError as error:
            problems.append(f"{subject.name}: {' '.join(error.messages)}")
            continue
        day, month = int(match["day"]), int(match["month"])
        calendar_year = int(match["year"]) if match["year"] else _calendar_year(year, month)
        try:
            on = date(calendar_year, month, day)
        except ValueError:
            problems.append(str(DAY_BAD.format(subject=subject.name, token=token)))
            continue
        found.append(TranscribedGrade(subject=subject, on=on, value=value, calificativ=calificativ))
    return found, problems


def _calendar_year(year: SchoolYear, month: int) -> int:
    return year.starts.year if month >= year.starts.month else year.ends.year


def absences_parse(excused: str, unexcused: str, *, entry: CurriculumEntry) -> TranscribedAbsence | None | str:
    """A subject's two absence fields: what they hold (None: both empty or 0), or what is wrong."""
    counts = []
    for text in (excused.strip(), unexcused.strip()):
        if not text:
            counts.append(0)
        elif text.isascii() and text.isdigit() and int(text) <= entry.yearly_hours:
            counts.append(int(text))
        else:
            return str(HOURS_BAD.format(subject=entry.subject.name, hours=entry.yearly_hours))
    if not any(counts):
        return None
    return TranscribedAbsence(subject=entry.subject, excused=counts[0], unexcused=counts[1])


@login_required
def transcription(request, class_id: int, student_id: int):
    school_class = who_sees.class_for(request.user, class_id)
    if school_class.homeroom_id != request.user.pk or school_class.scheme == Scheme.DESCRIPTIVE:
        raise Http404  # the preparatory class has no grades to transcribe
    enrolment = get_object_or_404(
        Enrolment.objects.select_related("student__user", "school_class__year"),
        school_class=school_class, student_id=student_id, entry=Enrolment.Entry.TRANSFER_IN,
    )  # fmt: skip
    done = transcriptions.transcription_of(enrolment)
    if done is not None:
        return _transcribed(request, enrolment, done)
    entries = transcriptions.curriculum_to_transcribe(school_class)
    subjects = [entry.subject for entry in entries]
    periods = transcriptions.periods_before(enrolment)
    posted = request.method == "POST"
    form = TranscriptionForm(request.POST if posted else None)
    lines = {subject.pk: (request.POST.get(f"s{subject.pk}", "")[:2000] if posted else "") for subject in subjects}
    hours = {
        subject.pk: tuple(request.POST.get(f"{kind}{subject.pk}", "")[:20] if posted else "" for kind in "eu")
        for subject in subjects
    }  # fmt: skip
    conduct_text = {period.pk: (request.POST.get(f"p{period.pk}", "")[:10] if posted else "") for period in periods}
    problems: list[str] = []
    if posted:
        grades, conduct, absences = [], [], []
        for entry in entries:
            subject = entry.subject
            parsed, wrong = grades_parse(
                lines[subject.pk], subject=subject, year=school_class.year, scheme=school_class.scheme
            )
            grades += parsed
            problems += wrong
            match absences_parse(*hours[subject.pk], entry=entry):
                case str(problem):
                    problems.append(problem)
                case TranscribedAbsence() as brought:
                    absences.append(brought)
        for period in periods:
            if text := conduct_text[period.pk].strip():
                try:
                    value, calificativ = value_parse(text, scheme=school_class.scheme)
                    conduct.append(TranscribedConduct(period=period, value=value, calificativ=calificativ))
                except ValidationError as error:
                    problems.append(str(PERIOD_VALUE.format(period=period.name, message=" ".join(error.messages))))
        if form.is_valid() and not problems:
            try:
                transcriptions.transcription_record(
                    homeroom=request.user,
                    enrolment=enrolment,
                    grades=grades,
                    conduct=conduct,
                    absences=absences,
                    **form.cleaned_data,
                )
                messages.success(request, _("Situația școlară a fost transcrisă în catalog."))
                return redirect("transcription", class_id=school_class.pk, student_id=student_id)
            except (ValidationError, PermissionDenied) as refusal:
                problems.append(access.refusal_text(refusal))
    context = {
        "school_class": school_class, "enrolment": enrolment, "student": enrolment.student, "form": form,
        "problems": problems,
        "subjects": [(entry, lines[entry.subject_id], *hours[entry.subject_id]) for entry in entries],
        "periods": [(period, conduct_text[period.pk]) for period in periods],
        "calificative": school_class.scheme == Scheme.CALIFICATIVE,
    }  # fmt: skip
    refused = posted and (problems or not form.is_valid())
    return render(request, "web/transcription.html", context, status=400 if refused else 200)


def _transcribed(request, enrolment: Enrolment, done: Transcription):
    """What was transcribed, and taking it back with a reason."""
    error = ""
    if request.method == "POST":
        try:
            transcriptions.transcription_delete(
                homeroom=request.user, transcription=done, reason=request.POST.get("reason", "")[:500]
            )
            messages.success(request, _("Transcrierea a fost ștearsă; o puteți face din nou."))
            return redirect("transcription", class_id=enrolment.school_class_id, student_id=enrolment.student_id)
        except (ValidationError, PermissionDenied) as refusal:
            error = access.refusal_text(refusal)
    context = {
        "school_class": enrolment.school_class, "enrolment": enrolment, "student": enrolment.student,
        "transcription": done, "error": error,
        "grades": done.grades.select_related("subject").order_by("subject__position", "on", "id"),
        "conduct": done.conduct_grades.select_related("period").order_by("period__number"),
        "absences": done.absences.select_related("subject").order_by("subject__position", "subject__name"),
    }  # fmt: skip
    return render(request, "web/transcription.html", context, status=400 if error else 200)
