"""Absences a transferred student brought from the school of origin: transcribed per subject
(hours excused and unexcused, as the record counts them) and counted with those recorded
here by the year's absence rules: conduct deductions (DOMAIN rule 10), deferral at half the
hours (rule 11) and the parents' notices (rule 17)."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from audit.actions import Action
from audit.models import AuditEvent
from catalog.attendance import services as attendance
from catalog.attendance.brought import Brought
from catalog.attendance.models import Notice
from catalog.grades import closing, transcriptions
from catalog.grades import selectors as reads
from catalog.grades import services as grades
from catalog.grades.models import Grade, TranscribedAbsences, Transcription, YearResult
from catalog.grades.transcriptions import TranscribedAbsence, TranscribedConduct, TranscribedGrade
from catalog.structure import services as structure
from catalog.structure.models import CurriculumEntry, Enrolment, Level, SchoolClass
from tests.catalog.conftest import Transfer


def record(cast, transfer: Transfer, absences, *, conduct=None):
    return transcriptions.transcription_record(
        homeroom=cast.elena, enrolment=transfer.enrolment, origin="Școala Gimnazială nr. 5 Cluj-Napoca",
        document="1234", document_date=transfer.enrolment.starts, grades=[],
        conduct=conduct if conduct is not None else [TranscribedConduct(p, 10) for p in transfer.periods[:2]],
        absences=absences,
    )  # fmt: skip


def yearly(transfer: Transfer, subject) -> int:
    return CurriculumEntry.objects.get(school_class=transfer.target, subject=subject).yearly_hours


def absent_here(cast, transfer: Transfer, count: int, *, first: int = 0) -> None:
    """`count` unexcused mathematics hours here, in the fourth module (after the transfer)."""
    days = transfer.school_days(3, first + count)[first:]
    for day in days:
        attendance.absence_record(
            teacher=cast.mihai, student=transfer.dora, school_class=transfer.target, subject=cast.math, on=day, hour=1
        )


def conduct_here(cast, transfer: Transfer) -> None:
    for period in transfer.periods[2:]:
        grades.conduct_set(
            homeroom=cast.elena, student=transfer.dora, school_class=transfer.target, period=period, value=10
        )


def test_absences_brought_count_in_the_conduct_deductions(cast, transfer):
    """Rule 10: 20 unexcused hours brought at mathematics are a point for the 20 of the year and
    one for 20% of the subject's hours: conduct 10 at every module makes 8."""
    conduct_here(cast, transfer)
    (before,) = reads.class_standings(school_class=transfer.target)
    assert before.conduct == Decimal("10.00")

    record(cast, transfer, [TranscribedAbsence(cast.math, excused=3, unexcused=20)])

    (standing,) = reads.class_standings(school_class=transfer.target)
    assert standing.conduct == Decimal("8.00")


def test_the_class_pages_show_the_absences_brought_apart_from_those_to_excuse_here(cast, transfer):
    record(cast, transfer, [TranscribedAbsence(cast.math, excused=3, unexcused=2), TranscribedAbsence(cast.pe, 1)])
    assert reads.class_unexcused(school_class=transfer.target) == {transfer.dora.pk: (0, 2)}
    absent_here(cast, transfer, 1)

    assert reads.class_unexcused(school_class=transfer.target) == {transfer.dora.pk: (1, 2)}
    (row,) = reads.gradebook(school_class=transfer.target, subject=cast.math)
    assert (row.absences_count, row.unexcused, row.brought) == (6, 3, Brought(3, 2))
    year = reads.student_year(student=transfer.dora, school_class=transfer.target)
    assert [(s.subject, s.absences_count, s.unexcused) for s in year.subjects] == [(cast.math, 6, 3), (cast.pe, 1, 0)]
    assert (year.absences_total, year.unexcused_total) == (7, 3)


def test_half_the_hours_missed_there_and_here_with_no_grades_defers_the_subject(cast, transfer):
    """Rule 11: absences, excused or not, at half the yearly hours with too few grades: amânat.
    Conduct 10 − 1: the 7 unexcused hours at physical education are 20% of its 34 (rule 10)."""
    math_hours, pe_hours = yearly(transfer, cast.math), yearly(transfer, cast.pe)
    assert (math_hours, pe_hours) == (34, 34)
    record(cast, transfer, [TranscribedAbsence(cast.math, excused=16), TranscribedAbsence(cast.pe, 10, 7)])
    absent_here(cast, transfer, 1)  # the 17th of mathematics' 34 hours
    conduct_here(cast, transfer)

    closing.class_results_close(actor=cast.elena, school_class=transfer.target)

    result = YearResult.objects.get(student=transfer.dora)
    assert (result.status, sorted(result.deferred), result.conduct) == (
        YearResult.Status.AMANAT, ["Educație fizică", "Matematică"], "9.00"
    )  # fmt: skip


def test_one_hour_short_of_half_leaves_the_average_to_the_teacher(cast, transfer):
    record(cast, transfer, [TranscribedAbsence(cast.math, excused=16), TranscribedAbsence(cast.pe, 17)])
    conduct_here(cast, transfer)
    with pytest.raises(ValidationError, match="media la Matematică nu este încheiată"):
        closing.class_results_close(actor=cast.elena, school_class=transfer.target)


@pytest.fixture
def thresholds(cast, transfer):
    structure.rules_revise(actor=cast.director, year=transfer.year, notify_at=[10, 20], notify_subject_percent=50)
    transfer.year.refresh_from_db()
    transfer.target.year.refresh_from_db()


def test_a_threshold_the_absences_brought_reached_alone_was_the_other_school_s_to_notify(
    cast, transfer, thresholds, django_capture_on_commit_callbacks
):
    """Rule 17: 12 unexcused hours there passed 10 there; the 20th of the year, here, is told."""
    with django_capture_on_commit_callbacks(execute=True):
        record(cast, transfer, [TranscribedAbsence(cast.pe, unexcused=12)])
        absent_here(cast, transfer, 7)
    assert not Notice.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        absent_here(cast, transfer, 1, first=7)

    notice = Notice.objects.get()
    assert (notice.subject, notice.threshold) == (None, 20)
    assert AuditEvent.objects.get(action=Action.ABSENCE_NOTICE).new_values["unexcused"] == 20


def test_absences_here_and_there_together_reaching_a_threshold_are_told_at_the_transcription(
    cast, transfer, thresholds, django_capture_on_commit_callbacks
):
    """5 unexcused hours here, then 6 brought: 11 in the year, past 10, which neither reached alone."""
    with django_capture_on_commit_callbacks(execute=True):
        absent_here(cast, transfer, 5)
    assert not Notice.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        record(cast, transfer, [TranscribedAbsence(cast.pe, unexcused=6)])

    assert list(Notice.objects.values_list("subject", "threshold")) == [(None, 10)]


def state():
    return Transcription.objects.count(), TranscribedAbsences.objects.count(), AuditEvent.objects.count()


@pytest.mark.parametrize(
    ("absences", "refusal"),
    [
        (lambda cast: [TranscribedAbsence(cast.math, excused=35)], "cel mult 34"),
        (lambda cast: [TranscribedAbsence(cast.math, excused=20, unexcused=15)], "cel mult 34"),
        (lambda cast: [TranscribedAbsence(cast.math, excused=-1, unexcused=3)], "numere întregi"),
        (lambda cast: [TranscribedAbsence(cast.math, excused="3")], "numere întregi"),
        (lambda cast: [TranscribedAbsence(cast.math)], "cel puțin una"),
        (lambda cast: [TranscribedAbsence(cast.math, 1), TranscribedAbsence(cast.math, 0, 1)], "o singură dată"),
        (lambda cast: [TranscribedAbsence(cast.romanian, 1)], "planul de"),
    ],
)
def test_wrong_absences_refuse_the_whole_transcription(cast, transfer, absences, refusal):
    before = state()
    with pytest.raises(ValidationError) as raised:
        record(cast, transfer, absences(cast))
    assert refusal in " ".join(raised.value.messages)
    assert state() == before


def test_absences_alone_are_a_transcription_audited_and_taken_back_with_it(cast, transfer):
    transcription = record(cast, transfer, [TranscribedAbsence(cast.pe, excused=2, unexcused=1)], conduct=[])
    event = AuditEvent.objects.get(action=Action.TRANSCRIPTION_RECORDED)
    assert event.new_values["absences"] == {"Educație fizică": {"excused": 2, "unexcused": 1}}
    history = TranscribedAbsences._meta.get_field("history").related_model.objects  # the row's own trace
    assert list(history.values_list("pgh_label", "excused", "unexcused")) == [("insert", 2, 1)]

    transcriptions.transcription_delete(homeroom=cast.elena, transcription=transcription, reason="alt elev")

    assert not TranscribedAbsences.objects.exists()
    deleted = AuditEvent.objects.get(action=Action.TRANSCRIPTION_DELETED)
    assert (deleted.old_values["absences"], deleted.reason) == (event.new_values["absences"], "alt elev")
    assert reads.class_unexcused(school_class=transfer.target) == {}


def test_a_closed_average_refuses_taking_back_a_transcription_whose_grades_it_counts(cast, transfer):
    """Rule 12 (a transcription into a closed average: test_transcriptions.py)."""
    day = transfer.school_days(0, 1)[0]
    fields = {
        "homeroom": cast.elena, "enrolment": transfer.enrolment, "origin": "Școala nr. 5", "document": "9",
        "document_date": date(2025, 1, 10),
    }  # fmt: skip
    transcription = transcriptions.transcription_record(**fields, grades=[TranscribedGrade(cast.math, day, 8)] * 4)
    grades.average_close(teacher=cast.mihai, student=transfer.dora, school_class=transfer.target, subject=cast.math)
    with pytest.raises(ValidationError, match="Matematică: media anuală este încheiată"):
        transcriptions.transcription_delete(homeroom=cast.elena, transcription=transcription, reason="greșeală")
    assert Grade.objects.filter(student=transfer.dora).count() == 4
    assert Transcription.objects.filter(pk=transcription.pk).exists()


def parallel(cast, transfer: Transfer) -> SchoolClass:
    """V B of the transfer's year, with the same plan (Maria its homeroom teacher)."""
    school_class = structure.class_create(
        actor=cast.director, year=transfer.year, level=Level.V, letter="B", homeroom=cast.maria
    )
    for subject in (cast.math, cast.pe):
        structure.curriculum_set(actor=cast.admin, school_class=school_class, subject=subject, weekly_hours=1)
    return school_class


def test_a_move_to_a_parallel_class_takes_the_absences_brought_along_once(cast, transfer):
    record(cast, transfer, [TranscribedAbsence(cast.math, excused=2, unexcused=3)])
    b = parallel(cast, transfer)
    structure.enrolment_move(
        actor=cast.admin, enrolment=transfer.enrolment, to_class=b, on=transfer.school_days(3, 1)[0]
    )

    assert reads.class_unexcused(school_class=b) == {transfer.dora.pk: (0, 3)}
    assert reads.class_unexcused(school_class=transfer.target) == {}  # she left V A
    (row,) = reads.gradebook(school_class=b, subject=cast.math)
    assert row.brought == Brought(2, 3)
    assert reads.student_year(student=transfer.dora, school_class=b).unexcused_total == 3


def test_coming_back_from_another_school_brings_only_the_new_record(cast, transfer):
    """Dora leaves V A for another school and comes back into V B: V B counts what the second
    record brings, not the first one's (V A's catalog, like its grades)."""
    record(cast, transfer, [TranscribedAbsence(cast.math, unexcused=5)])
    structure.enrolment_end(
        actor=cast.admin, enrolment=transfer.enrolment, ends=transfer.school_days(3, 1)[0],
        exit=Enrolment.Exit.TRANSFER_OUT,
    )  # fmt: skip
    b = parallel(cast, transfer)
    again = structure.enrolment_add(
        actor=cast.admin, student=transfer.dora, school_class=b, starts=transfer.school_days(4, 1)[0],
        entry=Enrolment.Entry.TRANSFER_IN,
    )  # fmt: skip
    assert reads.class_unexcused(school_class=b) == {}

    transcriptions.transcription_record(
        homeroom=cast.maria, enrolment=again, origin="Școala Gimnazială nr. 2 Iași", document="77",
        document_date=again.starts, grades=[], absences=[TranscribedAbsence(cast.pe, unexcused=1)],
    )  # fmt: skip

    assert reads.class_unexcused(school_class=b) == {transfer.dora.pk: (0, 1)}
