"""A transfer in from another school: the homeroom teacher transcribes the record the student
brought (its grades and conduct grades), and the year counts them (DOMAIN rules 3, 5, 10)."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from accounts.services import NotAllowed
from audit.actions import Action
from audit.models import AuditEvent
from catalog.grades import selectors as reads
from catalog.grades import services as grades
from catalog.grades import transcriptions
from catalog.grades.models import ConductGrade, Grade, Transcription
from catalog.grades.transcriptions import TranscribedConduct, TranscribedGrade
from catalog.structure import services as structure
from catalog.structure.guards import date_check
from catalog.structure.models import Enrolment, Exemption
from catalog.web.gradebook_rows import RowView
from tests.catalog.conftest import Transfer


def record(cast, transfer: Transfer, *, homeroom=None, grades_=None, conduct=None, **fields):
    days = transfer.school_days(0, 2)
    return transcriptions.transcription_record(
        homeroom=homeroom or cast.elena, enrolment=transfer.enrolment,
        origin=fields.pop("origin", "Școala Gimnazială nr. 5 Cluj-Napoca"), document=fields.pop("document", "1234"),
        document_date=fields.pop("document_date", transfer.enrolment.starts),
        grades=grades_ if grades_ is not None else [TranscribedGrade(cast.math, day, 4) for day in days],
        conduct=conduct if conduct is not None else [TranscribedConduct(transfer.periods[0], 10)],
    )  # fmt: skip


def test_transcribed_grades_count_in_the_average_and_the_minimum(cast, transfer):
    """Rules 3 and 5: 4, 4 from the school of origin and 5, 5 here make 5 (18/4 = 4.5, .50 up)
    from four grades, the minimum for one weekly hour; the grades given here alone would be two."""
    record(cast, transfer)
    for day in transfer.school_days(3, 2):
        grades.grade_add(
            teacher=cast.mihai, student=transfer.dora, school_class=transfer.target, subject=cast.math, on=day, value=5
        )

    average = grades.average_close(
        teacher=cast.mihai, student=transfer.dora, school_class=transfer.target, subject=cast.math
    )

    assert average.value == 5
    assert not any("note" in warning for warning in average.warnings)


def test_transcribed_conduct_grades_complete_the_years_conduct(cast, transfer):
    """Rule 10: the modules spent at the other school keep their conduct grades there."""
    record(
        cast,
        transfer,
        conduct=[TranscribedConduct(transfer.periods[0], 10), TranscribedConduct(transfer.periods[1], 8)],
    )
    for period in transfer.periods[2:]:
        grades.conduct_set(
            homeroom=cast.elena, student=transfer.dora, school_class=transfer.target, period=period, value=9
        )

    conduct = reads.conduct_record(transfer.target, [transfer.enrolment])[transfer.dora.pk]

    assert sorted((number, grade.value) for number, grade in conduct.items()) == [
        (1, 10),
        (2, 8),
        (3, 9),
        (4, 9),
        (5, 9),
    ]


def test_the_gradebook_marks_transcribed_grades_and_nobody_corrects_them_one_by_one(cast, transfer):
    transcription = record(cast, transfer)
    here = grades.grade_add(
        teacher=cast.mihai, student=transfer.dora, school_class=transfer.target, subject=cast.math,
        on=transfer.school_days(3, 1)[0], value=9,
    )  # fmt: skip

    (row,) = reads.gradebook(school_class=transfer.target, subject=cast.math)

    assert [grade.value for grade in row.grades] == [4, 4, 9]
    assert (
        RowView(row).grades_html.count('title="transcrisă') == 2
        and str(transcription.origin) in RowView(row).grades_html
    )
    assert f"/note/{here.pk}/" in RowView(row).corrections_html
    assert all(f"/note/{grade.pk}/" not in RowView(row).corrections_html for grade in transcription.grades.all())
    transcribed = transcription.grades.first()
    with pytest.raises(ValidationError, match="transcrisă"):
        grades.grade_change(teacher=cast.mihai, grade=transcribed, value=10, reason="greșit")
    with pytest.raises(ValidationError, match="transcrisă"):
        grades.grade_delete(teacher=cast.mihai, grade=transcribed, reason="greșit")
    assert Grade.objects.get(pk=transcribed.pk).value == 4


def test_a_transcription_is_audited_grade_by_grade_and_as_a_whole(cast, transfer):
    transcription = record(cast, transfer)
    whole = AuditEvent.objects.get(action=Action.TRANSCRIPTION_RECORDED)
    assert whole.actor_id == cast.elena.pk and whole.person_id == transfer.dora.user.pk
    assert whole.new_values["origin"] == "Școala Gimnazială nr. 5 Cluj-Napoca" and whole.new_values["grades"] == 2
    added = AuditEvent.objects.filter(action=Action.GRADE_ADDED, person_id=transfer.dora.user.pk)
    assert added.count() == 2 and all(e.new_values["transcribed_from"] == str(transcription) for e in added)
    assert AuditEvent.objects.filter(
        action=Action.CONDUCT_SET, new_values__transcribed_from=str(transcription)
    ).exists()


def state():
    return (
        Transcription.objects.count(),
        Grade.objects.count(),
        ConductGrade.objects.count(),
        AuditEvent.objects.count(),
    )


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        (lambda cast, t: {"homeroom": cast.mihai}, NotAllowed),
        (lambda cast, t: {"homeroom": cast.admin}, NotAllowed),
        (lambda cast, t: {"homeroom": cast.director}, NotAllowed),
        (lambda cast, t: {"grades_": [TranscribedGrade(cast.math, t.school_days(3, 1)[0], 7)]}, "după transfer"),
        (lambda cast, t: {"grades_": [TranscribedGrade(cast.romanian, t.school_days(0, 1)[0], 7)]}, "planul de"),
        (lambda cast, t: {"grades_": [TranscribedGrade(cast.math, t.school_days(0, 1)[0], 11)]}, "de la 1 la 10"),
        (lambda cast, t: {"grades_": [TranscribedGrade(cast.math, t.school_days(0, 1)[0], None, "FB")]}, "de la 1"),
        (lambda cast, t: {"grades_": [TranscribedGrade(cast.math, date(2024, 9, 2), 7)]}, "2024-2025"),
        (lambda cast, t: {"conduct": [TranscribedConduct(t.periods[2], 10)]}, "o dă dirigintele"),
        (lambda cast, t: {"conduct": [TranscribedConduct(t.periods[0], 0)]}, "de la 1 la 10"),
        (lambda cast, t: {"grades_": [], "conduct": []}, "nicio notă"),
        (lambda cast, t: {"origin": "  "}, "școala de proveniență"),
        (lambda cast, t: {"document": ""}, "numărul documentului"),
        (lambda cast, t: {"document_date": date(2099, 1, 1)}, "în viitor"),
    ],
)
def test_a_wrong_transcription_is_refused_whole_and_changes_nothing(cast, transfer, change, refusal):
    before = state()
    with pytest.raises(refusal if isinstance(refusal, type) else ValidationError) as raised:
        record(cast, transfer, **change(cast, transfer))
    if isinstance(refusal, str):
        assert refusal in " ".join(raised.value.messages)
    assert state() == before


def test_only_a_transfer_in_is_transcribed_once_and_not_into_an_exempt_subject_or_a_closed_average(cast, transfer):
    start = Enrolment.objects.get(student=cast.ana, school_class=cast.class_5a)
    with pytest.raises(ValidationError, match="nu a venit prin transfer"):
        transcriptions.transcription_record(
            homeroom=cast.elena, enrolment=start, origin="X", document="1", document_date=date(2024, 9, 1),
            grades=[TranscribedGrade(cast.math, cast.year.starts, 7)],
        )  # fmt: skip
    structure.exemption_set(
        actor=cast.admin, student=transfer.dora, year=transfer.year, subject=cast.pe, kind=Exemption.Kind.MEDICAL,
        document="77", document_date=date(2024, 9, 10),
    )  # fmt: skip
    with pytest.raises(ValidationError, match="scutit"):
        record(cast, transfer, grades_=[TranscribedGrade(cast.pe, transfer.school_days(0, 1)[0], 9)])
    for day in transfer.school_days(3, 2):
        grades.grade_add(
            teacher=cast.mihai, student=transfer.dora, school_class=transfer.target, subject=cast.math, on=day, value=8
        )
    grades.average_close(teacher=cast.mihai, student=transfer.dora, school_class=transfer.target, subject=cast.math)
    with pytest.raises(ValidationError, match="Matematică: media anuală este încheiată"):
        record(cast, transfer)
    record(cast, transfer, grades_=[], conduct=[TranscribedConduct(transfer.periods[1], 9)])
    with pytest.raises(ValidationError, match="deja transcrisă"):
        record(cast, transfer, grades_=[], conduct=[TranscribedConduct(transfer.periods[0], 9)])


def test_a_transcription_is_taken_back_with_a_reason_and_recorded_again(cast, transfer):
    transcription = record(cast, transfer)
    with pytest.raises(ValidationError, match="motivul"):
        transcriptions.transcription_delete(homeroom=cast.elena, transcription=transcription, reason=" ")
    with pytest.raises(NotAllowed):
        transcriptions.transcription_delete(homeroom=cast.mihai, transcription=transcription, reason="greșeală")
    transcriptions.transcription_delete(homeroom=cast.elena, transcription=transcription, reason="data greșită")
    assert not Grade.objects.filter(student=transfer.dora).exists()
    assert not ConductGrade.objects.filter(student=transfer.dora).exists()
    deleted = AuditEvent.objects.filter(action=Action.GRADE_DELETED, person_id=transfer.dora.user.pk)
    assert deleted.count() == 2 and all(event.reason == "data greșită" for event in deleted)
    assert AuditEvent.objects.get(action=Action.TRANSCRIPTION_DELETED).reason == "data greșită"
    again = record(cast, transfer, document="1240")
    assert again.grades.count() == 2


def test_a_grade_given_on_a_day_this_school_had_off_is_transcribed(cast, transfer):
    """The other school's holidays were its own: the ski week differs from county to county."""
    ski = transfer.school_days(1, 6)[1:6]
    structure.holiday_add(actor=cast.admin, year=transfer.year, name="Vacanța de schi", starts=ski[0], ends=ski[-1])
    with pytest.raises(ValidationError, match="Vacanța de schi"):  # here, nobody grades in it
        date_check(ski[2], transfer.target)
    transcription = record(cast, transfer, grades_=[TranscribedGrade(cast.math, ski[2], 9)], conduct=[])
    assert [grade.on for grade in transcription.grades.all()] == [ski[2]]
