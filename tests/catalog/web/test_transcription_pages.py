"""The homeroom teacher's transcription page for a student who came from another school."""

from datetime import date

import pytest

from catalog.grades import transcriptions
from catalog.grades.models import ClassClosing, ConductGrade, Grade, Transcription
from catalog.web.transcriptions import grades_parse
from tests.catalog.conftest import Transfer


def url(transfer: Transfer, student=None) -> str:
    return f"/clase/{transfer.target.pk}/elevi/{(student or transfer.dora).pk}/transcriere/"


def post(client, transfer: Transfer, cast, **fields):
    data = {
        "origin": "Școala Gimnazială nr. 5 Cluj-Napoca", "document": "1234", "document_date": "2025-01-27",
        f"s{cast.math.pk}": "4/16.09 4/17.09", f"p{transfer.periods[0].pk}": "10", **fields,
    }  # fmt: skip
    return client.post(url(transfer), data)


def state():
    return Transcription.objects.count(), Grade.objects.count(), ConductGrade.objects.count()


def test_the_homeroom_teacher_transcribes_the_record_from_the_overview(cast, transfer, as_user):
    client = as_user(cast.elena)
    overview = client.get(f"/clase/{transfer.target.pk}/").content.decode()
    assert url(transfer) in overview and "Transcrie situația de la școala de proveniență" in overview
    page = client.get(url(transfer))
    text = page.content.decode()
    assert page.status_code == 200 and 'data-testid="transcription-form"' in text
    assert f'name="s{cast.math.pk}"' in text and f'name="p{transfer.periods[0].pk}"' in text
    assert f'name="p{transfer.periods[2].pk}"' not in text  # the module of the transfer is graded here

    response = post(client, transfer, cast)

    assert response.status_code == 302
    done = Transcription.objects.get()
    assert done.origin == "Școala Gimnazială nr. 5 Cluj-Napoca" and done.document_date == date(2025, 1, 27)
    assert sorted(done.grades.values_list("on", "value")) == [(date(2024, 9, 16), 4), (date(2024, 9, 17), 4)]
    assert list(done.conduct_grades.values_list("period__number", "value")) == [(1, 10)]
    shown = client.get(url(transfer)).content.decode()
    assert 'data-testid="transcribed"' in shown and "4/16.09" in shown and "Șterge transcrierea" in shown
    assert "Situația transcrisă" in client.get(f"/clase/{transfer.target.pk}/").content.decode()
    gradebook = as_user(cast.mihai).get(f"/clase/{transfer.target.pk}/discipline/{cast.math.pk}/")
    assert 'title="transcrisă din situația școlară de la Școala Gimnazială nr. 5' in gradebook.content.decode()
    student_page = client.get(f"/elevi/{transfer.dora.pk}/?an={transfer.year.pk}").content.decode()
    assert student_page.count('title="transcrisă din situația școlară de la altă școală">T</small>') == 2


def test_every_problem_is_shown_at_once_and_nothing_is_saved(cast, transfer, as_user):
    before = state()
    response = post(
        as_user(cast.elena), transfer, cast, origin="", **{
            f"s{cast.math.pk}": "4/16.09 11/17.09 nouă 7/31.02 8/3.03",  # 3.03 is after the transfer
            f"p{transfer.periods[0].pk}": "zece",
        },
    )  # fmt: skip
    text = response.content.decode()
    assert response.status_code == 400
    for expected in ("de la 1 la 10", "„nouă” nu este o notă", "„7/31.02” are o zi care nu există", "Modulul 1: "):
        assert expected in text  # "Modulul 1: …": the conduct value's problem, not the field's label
    assert text.count(str(transcriptions.ORIGIN_MISSING)) == 1  # next to its field, once
    assert 'value="4/16.09 11/17.09 nouă 7/31.02 8/3.03"' in text  # kept for the correction
    assert state() == before
    late = post(as_user(cast.elena), transfer, cast, **{f"s{cast.math.pk}": "8/3.03"})
    assert late.status_code == 400 and "este de după transfer" in late.content.decode() and state() == before


def test_taking_a_transcription_back_needs_a_reason(cast, transfer, as_user):
    client = as_user(cast.elena)
    post(client, transfer, cast)
    assert client.post(url(transfer), {"reason": " "}).status_code == 400 and Transcription.objects.exists()
    response = client.post(url(transfer), {"reason": "data documentului greșită"})
    assert response.status_code == 302 and state() == (0, 0, 0)
    assert 'data-testid="transcription-form"' in client.get(url(transfer)).content.decode()


@pytest.mark.parametrize("person", ["mihai", "admin", "director", "parent", "maria"])
def test_only_the_homeroom_teacher_opens_the_page(cast, transfer, as_user, person):
    client = as_user(getattr(cast, person))
    assert client.get(url(transfer)).status_code == 404
    assert post(client, transfer, cast).status_code == 404
    assert state() == (0, 0, 0)


def test_a_student_who_did_not_come_by_transfer_has_no_page(cast, transfer, as_user):
    client = as_user(cast.elena)
    assert client.get(f"/clase/{cast.class_5a.pk}/elevi/{cast.ana.pk}/transcriere/").status_code == 404
    assert client.get(f"/clase/{transfer.target.pk}/elevi/999999/transcriere/").status_code == 404


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("9/14.10 8/3.11", [(date(2024, 10, 14), 9), (date(2024, 11, 3), 8)]),
        ("  10/9.1, 7/10.02.2025;", [(date(2025, 1, 9), 10), (date(2025, 2, 10), 7)]),
        ("", []),
    ],
)
def test_a_line_of_grades_reads_as_the_catalog_writes_them(cast, transfer, line, expected):
    grades, problems = grades_parse(line, subject=cast.math, year=transfer.year, scheme="grades")
    assert problems == [] and [(grade.on, grade.value) for grade in grades] == expected


def test_calificative_are_read_where_the_class_gives_them(cast, transfer):
    grades, problems = grades_parse("fb/14.10 S/1.12", subject=cast.math, year=transfer.year, scheme="calificative")
    assert problems == [] and [grade.calificativ for grade in grades] == ["FB", "S"]
    _none, refused = grades_parse("9/14.10", subject=cast.math, year=transfer.year, scheme="calificative")
    assert refused and "FB, B, S sau I" in refused[0]
    _none, too_many = grades_parse("9/14.10 " * 61, subject=cast.math, year=transfer.year, scheme="grades")
    assert too_many == ["Matematică: cel mult 60 de note."]


def test_once_the_class_results_are_closed_the_overview_offers_no_new_transcription(cast, transfer, as_user):
    client = as_user(cast.elena)
    ClassClosing.objects.create(school_class=transfer.target, closed_by=cast.elena)
    overview = client.get(f"/clase/{transfer.target.pk}/").content.decode()
    assert "Transcrie situația de la școala de proveniență" not in overview and url(transfer) not in overview
    refused = post(client, transfer, cast)
    assert refused.status_code == 400 and state() == (0, 0, 0)


def test_each_subject_s_absences_there_are_transcribed_and_shown_where_absences_are(cast, transfer, as_user):
    client = as_user(cast.elena)
    text = client.get(url(transfer)).content.decode()
    assert f'name="e{cast.math.pk}"' in text and f'name="u{cast.pe.pk}"' in text and 'max="34"' in text

    response = post(client, transfer, cast, **{f"e{cast.math.pk}": "3", f"u{cast.math.pk}": "2", f"u{cast.pe.pk}": "1"})

    assert response.status_code == 302
    brought = Transcription.objects.get().absences.order_by("subject__position")
    assert sorted((a.subject.name, a.excused, a.unexcused) for a in brought) == [
        ("Educație fizică", 0, 1), ("Matematică", 3, 2)
    ]  # fmt: skip
    shown = client.get(url(transfer)).content.decode()
    assert 'data-testid="transcribed-absences"' in shown and "3 motivate, 2 nemotivate" in shown
    overview = client.get(f"/clase/{transfer.target.pk}/").content.decode()
    assert "3 absențe nemotivate (3 de la școala de proveniență)" in overview
    assert f"/clase/{transfer.target.pk}/elevi/{transfer.dora.pk}/motivare/" not in overview  # nothing to excuse here
    gradebook = as_user(cast.mihai).get(f"/clase/{transfer.target.pk}/discipline/{cast.math.pk}/").content.decode()
    assert (
        "absențe: 5 (2 nemotivate)" in gradebook
        and "De la școala de proveniență: 3 motivate, 2 nemotivate" in gradebook
    )
    student_page = client.get(f"/elevi/{transfer.dora.pk}/?an={transfer.year.pk}").content.decode()
    assert "6 absențe, 3 nemotivate" in student_page


@pytest.mark.parametrize("wrong", ["-1", "35", "2.5", "doi", "٣"])
def test_absences_that_are_not_hours_of_the_year_are_refused(cast, transfer, as_user, wrong):
    before = state()
    response = post(as_user(cast.elena), transfer, cast, **{f"u{cast.math.pk}": wrong})
    assert response.status_code == 400
    assert "Matematică: absențele sunt numere întregi de ore, de la 0 la 34." in response.content.decode()
    assert state() == before
