"""A transfer in: the grades and conduct grades a student brought from another school.

The school of origin sends the student's record (situația școlară) with the transfer; the
homeroom teacher of the class the student joined transcribes it into the class's catalog.
The transcribed grades are the class's own rows, dated when they were given there, so the
year's averages, the minimum number of grades and the conduct mean count the whole year
(DOMAIN rules 3, 5, 10). Nobody corrects a transcribed grade one by one: the homeroom
teacher deletes the transcription (with a reason) and records it again.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from audit.actions import Action
from audit.services import audit_record
from catalog.attendance.services import notices_send
from catalog.grades.models import Average, ConductGrade, Grade, TranscribedAbsences, Transcription
from catalog.grades.selectors import conduct_due
from catalog.grades.services import IN_MODULES, PERIOD_OTHER_YEAR, _grade_snapshot, _value_check
from catalog.structure.guards import DATE_OUTSIDE_YEAR, reason_check, require_homeroom, require_results_open
from catalog.structure.models import (
    CurricularModule,
    CurriculumEntry,
    Enrolment,
    Exemption,
    LearningPeriod,
    SchoolClass,
    Subject,
)
from catedra.text import has_control_characters

NOT_A_TRANSFER = _("Elevul nu a venit prin transfer de la altă școală în această clasă: nu are ce transcrie.")
ALREADY_TRANSCRIBED = _("Situația școlară a elevului este deja transcrisă. Ștergeți transcrierea ca s-o refaceți.")
ORIGIN_MISSING = _("Scrieți școala de proveniență (cel mult 200 de caractere).")
DOCUMENT_MISSING = _("Scrieți numărul documentului (cel mult 60 de caractere).")
DOCUMENT_DATE_BAD = _("Data documentului nu poate fi în viitor.")
NOTHING_TO_TRANSCRIBE = _("Nu ați scris nicio notă, nicio notă la purtare și nicio absență.")
NOT_IN_CURRICULUM = _("{subject} nu este în planul de învățământ al clasei.")
AFTER_TRANSFER = _("Nota din {day} este de după transfer ({starts}): notele de aici se pun în catalog.")
EXEMPT_AT = _("{subject}: elevul este scutit ({kind}), nu primește note.")
AVERAGE_CLOSED_AT = _("{subject}: media anuală este încheiată, nu se mai adaugă note.")
ABSENCES_BAD = _("{subject}: absențele sunt numere întregi de ore, cel puțin una și cel mult {hours} (orele anului).")
ABSENCES_TWICE = _("{subject}: absențele se scriu o singură dată.")
CONDUCT_OURS = _("Nota la purtare pentru {period} o dă dirigintele clasei: elevul era deja în clasă.")


@dataclass(frozen=True)
class TranscribedGrade:
    subject: Subject
    on: date
    value: int | None = None
    calificativ: str = ""


@dataclass(frozen=True)
class TranscribedAbsence:
    """A subject's absences at the school of origin, in hours: excused and unexcused."""

    subject: Subject
    excused: int = 0
    unexcused: int = 0


@dataclass(frozen=True)
class TranscribedConduct:
    period: LearningPeriod
    value: int | None = None
    calificativ: str = ""


def transcription_record(
    *, homeroom: User, enrolment: Enrolment, origin: str, document: str, document_date: date,
    grades: Sequence[TranscribedGrade], conduct: Sequence[TranscribedConduct] = (),
    absences: Sequence[TranscribedAbsence] = (),
) -> Transcription:  # fmt: skip
    """Transcribe the record from the school of origin: every grade is checked (value, date
    before the transfer and in the year, a subject of the class, no exemption, the average
    still open), every subject's absences (whole numbers, no more than its yearly hours), and
    all are written together, or none. Parents of a student still in the class are told if
    the absences here and there together reach a notice threshold that those there had not
    (rule 17)."""
    school_class, student = enrolment.school_class, enrolment.student
    require_homeroom(homeroom, school_class)
    require_results_open(school_class)
    if enrolment.entry != Enrolment.Entry.TRANSFER_IN:
        raise ValidationError(NOT_A_TRANSFER, code="not_transfer")
    if Transcription.objects.filter(enrolment=enrolment).exists():
        raise ValidationError(ALREADY_TRANSCRIBED, code="transcribed")
    origin, document = _text(origin, 200, ORIGIN_MISSING), _text(document, 60, DOCUMENT_MISSING)
    if not isinstance(document_date, date) or document_date > timezone.localdate():
        raise ValidationError(DOCUMENT_DATE_BAD, code="document_date")
    if not grades and not conduct and not absences:
        raise ValidationError(NOTHING_TO_TRANSCRIBE, code="empty")
    subjects = {grade.subject for grade in grades}
    # The class's plan: its subjects and their yearly hours.
    yearly = dict(CurriculumEntry.objects.filter(school_class=school_class).values_list("subject_id", "yearly_hours"))
    _subjects_check(enrolment, subjects | {item.subject for item in absences}, yearly, graded=subjects)
    _grades_check(enrolment, grades)
    _absences_check(absences, yearly)
    for item in conduct:
        if item.period.year_id != school_class.year_id:
            raise ValidationError(PERIOD_OTHER_YEAR, code="period")
        if conduct_due(enrolment, item.period, school_class.year.ends):
            raise ValidationError(CONDUCT_OURS.format(period=item.period.name), code="period")
        _value_check(item.value, item.calificativ, school_class.scheme)
    with transaction.atomic():
        # Checked again under the enrolment's lock: a form sent twice records one transcription.
        Enrolment.objects.select_for_update().filter(pk=enrolment.pk).first()
        if Transcription.objects.filter(enrolment=enrolment).exists():
            raise ValidationError(ALREADY_TRANSCRIBED, code="transcribed")
        _averages_open_check(enrolment, subjects)
        transcription = Transcription.objects.create(
            enrolment=enrolment, origin=origin, document=document, document_date=document_date, recorded_by=homeroom
        )
        written = Grade.objects.bulk_create([
            Grade(
                student=student, school_class=school_class, subject=grade.subject, teacher=homeroom, on=grade.on,
                value=grade.value, calificativ=grade.calificativ, transcription=transcription,
            )
            for grade in grades
        ])  # fmt: skip
        for grade in written:
            audit_record(
                action=Action.GRADE_ADDED, actor=homeroom, obj=grade, person=student.user,
                new={**_grade_snapshot(grade), "transcribed_from": str(transcription)},
            )  # fmt: skip
        for item in conduct:
            conduct_grade = ConductGrade.objects.create(
                student=student, school_class=school_class, period=item.period, value=item.value,
                calificativ=item.calificativ, set_by=homeroom, transcription=transcription,
            )  # fmt: skip
            audit_record(
                action=Action.CONDUCT_SET, actor=homeroom, obj=conduct_grade, person=student.user,
                new={
                    "period": item.period.name, "value": item.value, "calificativ": item.calificativ,
                    "transcribed_from": str(transcription),
                },
            )  # fmt: skip
        TranscribedAbsences.objects.bulk_create([
            TranscribedAbsences(
                transcription=transcription, subject=item.subject, excused=item.excused, unexcused=item.unexcused
            )
            for item in absences
        ])  # fmt: skip
        audit_record(
            action=Action.TRANSCRIPTION_RECORDED, actor=homeroom, obj=transcription, person=student.user,
            new={
                "origin": origin, "document": document, "document_date": document_date, "class": str(school_class),
                "grades": len(written), "conduct": len(conduct), "absences": _absences_snapshot(absences),
            },
        )  # fmt: skip
        if enrolment.ends is None and any(item.unexcused for item in absences):  # still in the class
            notices_send(student=student, school_class=school_class)
    return transcription


def _subjects_check(
    enrolment: Enrolment, subjects: set[Subject], curriculum: dict[int, int], *, graded: set[Subject]
) -> None:
    """The subjects are the class's (`curriculum`'s keys), not taught in curricular modules (a
    module's grades and hours are dated), and the student is not exempt from those given
    grades (rule 7)."""
    school_class = enrolment.school_class
    in_modules = set()
    if school_class.technological:
        in_modules = set(
            CurricularModule.objects.filter(school_class=school_class).values_list("subject_id", flat=True)
        )
    exempt = {
        exemption.subject_id: exemption
        for exemption in Exemption.objects.filter(
            student=enrolment.student_id, year=school_class.year_id, subject__in=[s.pk for s in graded],
            kind__in=(Exemption.Kind.MEDICAL, Exemption.Kind.NO_RELIGION),
        )
    }  # fmt: skip
    for subject in sorted(subjects, key=lambda s: (s.position, s.name)):
        if subject.pk not in curriculum:
            raise ValidationError(NOT_IN_CURRICULUM.format(subject=subject.name), code="curriculum")
        if subject.pk in in_modules:
            raise ValidationError(IN_MODULES.format(subject=subject.name), code="modules")
        if subject.pk in exempt:
            kind = exempt[subject.pk].get_kind_display()
            raise ValidationError(EXEMPT_AT.format(subject=subject.name, kind=kind), code="exempt")


def _grades_check(enrolment: Enrolment, grades: Sequence[TranscribedGrade]) -> None:
    school_class = enrolment.school_class
    for grade in grades:
        _value_check(grade.value, grade.calificativ, school_class.scheme)
        # Not date_check: the other school's holidays were its own (the ski week differs by county).
        if not isinstance(grade.on, date) or not school_class.year.starts <= grade.on <= school_class.year.ends:
            raise ValidationError(DATE_OUTSIDE_YEAR.format(year=school_class.year.name), code="date")
        if grade.on >= enrolment.starts:
            raise ValidationError(
                AFTER_TRANSFER.format(day=f"{grade.on:%d.%m.%Y}", starts=f"{enrolment.starts:%d.%m.%Y}"), code="date"
            )


def _absences_check(absences: Sequence[TranscribedAbsence], yearly: dict[int, int]) -> None:
    """Each subject once, with whole numbers of hours that its year holds (rule 13 counts hours)."""
    seen = set()
    for item in absences:
        if item.subject.pk in seen:
            raise ValidationError(ABSENCES_TWICE.format(subject=item.subject.name), code="absences")
        seen.add(item.subject.pk)
        hours = yearly.get(item.subject.pk, 0)
        counts = (item.excused, item.unexcused)
        if any(type(count) is not int or count < 0 for count in counts) or sum(counts) > hours or not any(counts):
            raise ValidationError(ABSENCES_BAD.format(subject=item.subject.name, hours=hours), code="absences")


def _averages_open_check(enrolment: Enrolment, subjects: set[Subject]) -> None:
    """No transcribed grade lands on a subject whose year average is closed (rule 12), in this
    class or the one the student moved from (`record_of`). One query."""
    closed = Average.objects.filter(
        student=enrolment.student_id, school_class__year=enrolment.school_class.year_id,
        subject__in=[s.pk for s in subjects], module__isnull=True, closed=True,
    ).select_related("subject")  # fmt: skip
    if (average := closed.first()) is not None:
        raise ValidationError(AVERAGE_CLOSED_AT.format(subject=average.subject.name), code="closed")


def _absences_snapshot(absences) -> dict[str, dict[str, int]]:
    return {item.subject.name: {"excused": item.excused, "unexcused": item.unexcused} for item in absences}


def transcription_delete(*, homeroom: User, transcription: Transcription, reason: str) -> None:
    """Take a transcription back (a mistake in it): its grades, conduct grades and absences go
    with it, each audited with the reason. Refused once an average it counts in is closed."""
    enrolment = transcription.enrolment
    school_class, student = enrolment.school_class, enrolment.student
    require_homeroom(homeroom, school_class)
    require_results_open(school_class)
    reason = reason_check(reason)
    with transaction.atomic():
        grades = list(transcription.grades.select_related("subject", "school_class"))
        _averages_open_check(enrolment, {grade.subject for grade in grades})
        absences = list(transcription.absences.select_related("subject"))
        for grade in grades:
            audit_record(
                action=Action.GRADE_DELETED, actor=homeroom, obj=grade, person=student.user,
                old=_grade_snapshot(grade), reason=reason,
            )  # fmt: skip
        for conduct_grade in transcription.conduct_grades.select_related("period"):
            audit_record(
                action=Action.CONDUCT_SET, actor=homeroom, obj=conduct_grade, person=student.user,
                old={
                    "period": conduct_grade.period.name, "value": conduct_grade.value,
                    "calificativ": conduct_grade.calificativ,
                },
                reason=reason,
            )  # fmt: skip
        audit_record(
            action=Action.TRANSCRIPTION_DELETED, actor=homeroom, obj=transcription, person=student.user,
            old={
                "origin": transcription.origin, "document": transcription.document, "grades": len(grades),
                "absences": _absences_snapshot(absences),
            },
            reason=reason,
        )  # fmt: skip
        transcription.grades.all().delete()
        transcription.absences.all().delete()
        transcription.conduct_grades.all().delete()
        transcription.delete()


def _text(value: str, limit: int, message) -> str:
    text = " ".join((value or "").split())
    if not text or len(text) > limit or has_control_characters(text):
        raise ValidationError(message, code="text")
    return text


# Reads for the transcription page


def transcription_of(enrolment: Enrolment) -> Transcription | None:
    return Transcription.objects.filter(enrolment=enrolment).first()


def curriculum_to_transcribe(school_class: SchoolClass) -> list[CurriculumEntry]:
    """The class's subjects whose grades a transcription takes, in the catalog's order: a
    subject taught in curricular modules has its grades per module and is not transcribed."""
    in_modules = set(CurricularModule.objects.filter(school_class=school_class).values_list("subject_id", flat=True))
    return list(
        CurriculumEntry.objects.filter(school_class=school_class).exclude(subject__in=in_modules)
        .select_related("subject").order_by("subject__position", "subject__name")
    )  # fmt: skip


def periods_before(enrolment: Enrolment) -> list[LearningPeriod]:
    """The year's periods that ended before the transfer in: their conduct grades come from
    the school of origin."""
    year = enrolment.school_class.year
    return [period for period in year.periods.order_by("number") if not conduct_due(enrolment, period, year.ends)]
