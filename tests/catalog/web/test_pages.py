import re

import pytest

from audit.actions import Action
from audit.models import AuditEvent
from catalog.attendance.models import Absence
from catalog.grades import services as grades
from catalog.grades.models import Grade
from tests.catalog.web.conftest import gradebook_url


def test_a_teacher_sees_their_classes_on_the_home_page(cast, as_user):
    page = as_user(cast.mihai).get("/").content.decode()
    assert gradebook_url(cast.class_5a, cast.math) in page
    assert gradebook_url(cast.class_6b, cast.math) not in page


def test_the_gradebook_lists_students_alphabetically(cast, as_user):
    response = as_user(cast.mihai).get(gradebook_url(cast.class_5a, cast.math))
    page = response.content.decode()
    assert response.status_code == 200
    assert page.index("Avram Bogdan") < page.index("Marin Ana")


def test_the_gradebook_follows_the_romanian_alphabet(cast, as_user):
    """Rule 20: Ș is a letter after S, whatever the database's collation (byte order puts it
    after Z, English order among the S's)."""
    from datetime import date

    from catalog.structure import services as structure
    from tests.catalog.conftest import cnp_for

    for serial, last in enumerate(["Șerban", "Sima", "Zamfir", "Stan"], start=500):
        structure.student_create(
            actor=cast.admin, first_name="Elev", last_name=last, cnp=cnp_for(date(2015, 1, 10), serial),
            school_class=cast.class_5a, starts=cast.year.starts,
        )  # fmt: skip
    page = as_user(cast.mihai).get(gradebook_url(cast.class_5a, cast.math)).content.decode()
    names = ["Sima Elev", "Stan Elev", "Șerban Elev", "Zamfir Elev"]
    assert [page.index(name) for name in names] == sorted(page.index(name) for name in names)


def test_a_teacher_adds_a_grade_with_a_plain_form(cast, as_user):
    client = as_user(cast.mihai)
    url = gradebook_url(cast.class_5a, cast.math, cast.ana, "nota")
    response = client.post(url, {"value": "9", "on": cast.day.isoformat(), "hour": "2"})
    assert response.status_code == 302 and f"#elev-{cast.ana.pk}" in response["Location"]
    assert Grade.objects.get(student=cast.ana).value == 9
    assert "9/" in client.get(response["Location"]).content.decode()


def test_a_teacher_adds_a_grade_and_an_absence_with_htmx_and_gets_the_row_back(cast, as_user):
    client = as_user(cast.mihai)
    fields = {"on": cast.day.isoformat(), "hour": "3"}
    row = client.post(
        gradebook_url(cast.class_5a, cast.math, cast.ana, "nota"), {**fields, "value": "8"}, HTTP_HX_REQUEST="true"
    )
    assert row.status_code == 200 and f'id="elev-{cast.ana.pk}"' in row.content.decode()
    assert "<html" not in row.content.decode()
    row = client.post(gradebook_url(cast.class_5a, cast.math, cast.ana, "absenta"), fields, HTTP_HX_REQUEST="true")
    assert "ora 3" in row.content.decode()
    assert Absence.objects.get(student=cast.ana).hour == 3


@pytest.mark.parametrize("value", ["0", "11", "7.5", "10a", "", "<script>"])
def test_a_bad_grade_is_refused_with_a_message_and_changes_nothing(cast, as_user, value):
    client = as_user(cast.mihai)
    before = AuditEvent.objects.filter(action=Action.GRADE_ADDED).count()
    row = client.post(
        gradebook_url(cast.class_5a, cast.math, cast.ana, "nota"),
        {"value": value, "on": cast.day.isoformat()}, HTTP_HX_REQUEST="true",
    )  # fmt: skip
    assert row.status_code == 200 and 'role="alert"' in row.content.decode()
    if value in ("0", "11", "7.5", "10a"):  # the cases, with the service's message
        assert "Nota trebuie să fie un număr întreg de la 1 la 10." in row.content.decode()
    assert not Grade.objects.exists()
    assert AuditEvent.objects.filter(action=Action.GRADE_ADDED).count() == before


@pytest.mark.parametrize("on", ["2020-01-01", "31.02.2026", "ieri", "9999-12-31"])
def test_a_bad_date_is_refused_with_a_message(cast, as_user, on):
    row = as_user(cast.mihai).post(
        gradebook_url(cast.class_5a, cast.math, cast.ana, "nota"), {"value": "9", "on": on}, HTTP_HX_REQUEST="true"
    )
    assert row.status_code == 200 and 'role="alert"' in row.content.decode()
    assert not Grade.objects.exists()


def test_a_teacher_cannot_write_outside_their_assignments_by_changing_ids(cast, as_user):
    client = as_user(cast.mihai)
    fields = {"value": "9", "on": cast.day.isoformat(), "hour": "1"}
    assert client.post(gradebook_url(cast.class_6b, cast.math, cast.victor, "nota"), fields).status_code == 404
    assert client.post(gradebook_url(cast.class_5a, cast.romanian, cast.ana, "nota"), fields).status_code == 404
    assert client.post(gradebook_url(cast.class_5a, cast.math, cast.victor, "nota"), fields).status_code == 404
    assert client.post(gradebook_url(cast.class_5a, cast.math, cast.ioana, "absenta"), fields).status_code == 404
    assert client.get(gradebook_url(cast.class_6b, cast.math)).status_code == 404
    assert not Grade.objects.exists() and not Absence.objects.exists()


def test_the_homeroom_teacher_reads_every_gradebook_of_the_class_but_writes_only_their_own(cast, as_user):
    client = as_user(cast.elena)
    page = client.get(gradebook_url(cast.class_5a, cast.math)).content.decode()
    assert "Doar citire" in page and 'name="value"' not in page
    response = client.post(
        gradebook_url(cast.class_5a, cast.math, cast.ana, "nota"), {"value": "9", "on": cast.day.isoformat()}
    )
    assert response.status_code == 403
    assert not Grade.objects.exists()


def test_an_admin_cannot_reach_a_gradebook_or_write_a_grade_or_an_absence(cast, as_user):
    client = as_user(cast.admin)
    fields = {"value": "9", "on": cast.day.isoformat(), "hour": "1"}
    assert client.get(gradebook_url(cast.class_5a, cast.math)).status_code == 404
    assert client.post(gradebook_url(cast.class_5a, cast.math, cast.ana, "nota"), fields).status_code == 404
    assert client.post(gradebook_url(cast.class_5a, cast.math, cast.ana, "absenta"), fields).status_code == 404
    assert not Grade.objects.exists() and not Absence.objects.exists()


def test_the_director_reads_the_gradebook_but_does_not_write(cast, as_user):
    client = as_user(cast.director)
    assert client.get(gradebook_url(cast.class_5a, cast.math)).status_code == 200
    assert (
        client.post(
            gradebook_url(cast.class_5a, cast.math, cast.ana, "nota"), {"value": "9", "on": cast.day.isoformat()}
        ).status_code
        == 403
    )


def test_a_parent_sees_their_child_and_nobody_else(cast, as_user):
    grades.grade_add(
        teacher=cast.mihai, student=cast.ana, school_class=cast.class_5a, subject=cast.math, on=cast.day, value=10
    )
    client = as_user(cast.parent)
    assert f"/elevi/{cast.ana.pk}/" in client.get("/").content.decode()
    page = client.get(f"/elevi/{cast.ana.pk}/").content.decode()
    assert "Matematică" in page and f"10/{cast.day:%d.%m}" in page
    for other in (cast.bogdan, cast.ioana, cast.victor):
        assert client.get(f"/elevi/{other.pk}/").status_code == 404
    assert client.get("/elevi/999999/").status_code == 404
    assert client.get(gradebook_url(cast.class_5a, cast.math)).status_code == 404
    assert client.get(f"/clase/{cast.class_5a.pk}/").status_code == 404


def test_a_student_sees_only_their_own_year(cast, as_user):
    client = as_user(cast.ana.user)
    assert client.get(f"/elevi/{cast.ana.pk}/").status_code == 200
    assert client.get(f"/elevi/{cast.bogdan.pk}/").status_code == 404


def test_the_homeroom_teacher_excuses_absences_from_the_class_page(cast, as_user):
    from catalog.attendance.services import absence_record

    absence_record(
        teacher=cast.mihai, student=cast.ana, school_class=cast.class_5a, subject=cast.math, on=cast.day, hour=1
    )
    client = as_user(cast.elena)
    page = client.get(f"/clase/{cast.class_5a.pk}/").content.decode()
    assert "1 absență nemotivată" in page
    url = f"/clase/{cast.class_5a.pk}/elevi/{cast.ana.pk}/motivare/"
    day = cast.day.isoformat()
    refused = client.post(url, {"starts": day, "ends": day, "reason": "medical"})
    assert refused.status_code == 400 and "documentului" in refused.content.decode()
    done = client.post(url, {"starts": day, "ends": day, "reason": "medical", "document": "12", "document_date": day})
    assert done.status_code == 302
    assert Absence.objects.get().excusal is not None
    assert as_user(cast.mihai).get(url).status_code == 404


def test_a_teacher_corrects_a_grade_only_with_a_reason(cast, as_user):
    grade = grades.grade_add(
        teacher=cast.mihai, student=cast.ana, school_class=cast.class_5a, subject=cast.math, on=cast.day, value=4
    )
    client = as_user(cast.mihai)
    assert client.post(f"/note/{grade.pk}/", {"value": "5", "reason": ""}).status_code == 400
    assert client.post(f"/note/{grade.pk}/", {"value": "5", "reason": "Eroare"}).status_code == 302
    grade.refresh_from_db()
    assert grade.value == 5
    assert as_user(cast.radu).get(f"/note/{grade.pk}/").status_code == 404
    # The admin corrects no grade: the page is a 404 for them, and a post changes nothing.
    admin = as_user(cast.admin)
    assert admin.get(f"/note/{grade.pk}/").status_code == 404
    assert admin.post(f"/note/{grade.pk}/", {"value": "9", "reason": "Eroare"}).status_code == 404
    grade.refresh_from_db()
    assert grade.value == 5


# -- a late arrival (rule 14) --------------------------------------------------------------


def _absent_today(cast, student=None, hour: int = 2) -> Absence:
    from django.utils import timezone

    from catalog.attendance import services as attendance

    return attendance.absence_record(
        teacher=cast.mihai, student=student or cast.ana, school_class=cast.class_5a, subject=cast.math,
        on=timezone.localdate(), hour=hour,
    )  # fmt: skip


def test_the_subject_teacher_excuses_a_late_arrival_from_the_gradebook_the_same_day(cast, as_user):
    absence = _absent_today(cast)
    client = as_user(cast.mihai)
    page = client.get(gradebook_url(cast.class_5a, cast.math)).content.decode()
    assert "A întârziat: motivează absența de la ora 2" in page
    row = client.post(
        gradebook_url(cast.class_5a, cast.math, cast.ana, "intarziere"), {"absence": absence.pk}, HTTP_HX_REQUEST="true"
    )
    text = row.content.decode()
    assert row.status_code == 200 and 'role="status"' in text and "A întârziat" not in text
    absence.refresh_from_db()
    assert absence.excusal is not None and absence.excusal.reason == "late"
    assert AuditEvent.objects.filter(action=Action.ABSENCES_EXCUSED, actor_id=cast.mihai.pk).count() == 1


def test_a_late_arrival_of_another_day_or_absence_or_hand_is_refused_and_changes_nothing(cast, as_user):
    from datetime import timedelta

    absence = _absent_today(cast)
    yesterday = Absence.objects.filter(pk=absence.pk)
    url = gradebook_url(cast.class_5a, cast.math, cast.ana, "intarziere")
    client = as_user(cast.mihai)
    bogdan = _absent_today(cast, cast.bogdan, hour=3)
    for value in ("", "x", "0", str(2**63), str(bogdan.pk), "999999"):  # not Ana's absence at mathematics
        row = client.post(url, {"absence": value}, HTTP_HX_REQUEST="true")
        assert row.status_code == 200 and 'role="alert"' in row.content.decode(), value
    yesterday.update(on=absence.on - timedelta(days=1))
    row = client.post(url, {"absence": absence.pk}, HTTP_HX_REQUEST="true")
    assert "Întârzierea se motivează doar în aceeași zi" in row.content.decode()
    yesterday.update(on=absence.on)
    assert as_user(cast.elena).post(url, {"absence": absence.pk}).status_code == 403  # homeroom, not the subject's
    for stranger in (cast.radu, cast.admin, cast.parent):
        assert as_user(stranger).post(url, {"absence": absence.pk}).status_code == 404
    assert as_user(cast.mihai).get(url).status_code == 405
    assert not Absence.objects.filter(excusal__isnull=False).exists()


def test_the_gradebook_notes_a_medical_exemption_with_its_document_and_offers_no_grade_keys(cast, as_user):
    """Rule 7: the catalog notes "scutit medical" with the document's number and date; the
    teacher can still mark the student absent."""
    from catalog.structure import services as structure
    from catalog.structure.models import Exemption

    structure.exemption_set(
        actor=cast.admin, student=cast.ana, year=cast.year, subject=cast.pe, kind=Exemption.Kind.MEDICAL,
        document="45", document_date=cast.year.starts,
    )  # fmt: skip
    page = as_user(cast.dan).get(gradebook_url(cast.class_5a, cast.pe)).content.decode()
    row = page[page.index(f'id="elev-{cast.ana.pk}"') :]
    row = row[: row.index("</li>")]
    assert f"scutit medical (45/{cast.year.starts:%d.%m.%Y})" in row
    assert 'class="keys"' not in row and 'class="absent"' in row


def test_the_student_page_lists_subjects_in_curriculum_order_not_alphabetically(cast, as_user):
    """Rule 20: Romanian (1), mathematics (2), physical education (8), religion (9)."""
    page = as_user(cast.parent).get(f"/elevi/{cast.ana.pk}/").content.decode()
    subjects = re.findall(r'data-testid="subject">\s*<div class="subject-head">\s*<h2>([^<]+)</h2>', page)
    assert subjects == ["Limba și literatura română", "Matematică", "Educație fizică", "Religie"]
