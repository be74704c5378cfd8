"""Safer one-thumb writes: a grade or absence just added is taken back by its author for a
minute (audited as a correction "anulat imediat", its notice never sent); after the minute it
is a correction with a reason; a double tap records once."""

import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from accounts.services import NotAllowed
from audit.models import AuditEvent
from catalog.attendance import services as attendance
from catalog.attendance.models import Absence
from catalog.grades import services as grades
from catalog.grades.models import Grade
from catalog.notify.models import Notification
from catalog.structure.guards import UNDO_REASON
from tests.catalog.web.conftest import gradebook_url


def _add(client, cast, value="9", **extra):
    fields = {"value": value, "on": cast.day.isoformat(), "hour": "2", **extra}
    return client.post(gradebook_url(cast.class_5a, cast.math, cast.ana, "nota"), fields, HTTP_HX_REQUEST="true")


def _undo_url(row) -> str:
    return re.search(r'class="quick undo" method="post" action="([^"]+)"', row.content.decode()).group(1)


def test_the_author_takes_a_grade_back_within_the_minute_and_no_one_is_told(cast, as_user):
    client = as_user(cast.mihai)
    row = _add(client, cast)
    grade = Grade.objects.get(student=cast.ana)
    assert _undo_url(row) == f"/note/{grade.pk}/anulare/"
    assert Notification.objects.filter(source=f"grade:{grade.pk}", status="pending").count() == 1

    undone = client.post(_undo_url(row), {"on": cast.day.isoformat(), "hour": "2"}, HTTP_HX_REQUEST="true")

    assert undone.status_code == 200 and "a fost anulată" in undone.content.decode()
    assert not Grade.objects.exists() and not Notification.objects.exists()
    event = AuditEvent.objects.filter(action="grade.deleted").latest("seq")
    assert event.reason == UNDO_REASON and event.actor_id == cast.mihai.pk


def test_after_the_minute_it_is_a_correction_with_a_reason(cast, as_user):
    client = as_user(cast.mihai)
    row = _add(client, cast)
    grade = Grade.objects.get(student=cast.ana)
    Grade.objects.filter(pk=grade.pk).update(created_at=grade.created_at - timedelta(seconds=61))
    late = client.post(_undo_url(row), {"on": cast.day.isoformat(), "hour": "2"}, HTTP_HX_REQUEST="true")
    assert "mai mult de un minut" in late.content.decode() and Grade.objects.filter(pk=grade.pk).exists()
    grade.refresh_from_db()
    with pytest.raises(ValidationError):
        grades.grade_delete(teacher=cast.mihai, grade=grade, reason="")
    grades.grade_delete(teacher=cast.mihai, grade=grade, reason="trecută la alt elev")
    assert not Grade.objects.exists()


def test_only_the_author_takes_it_back(cast, as_user):
    _add(as_user(cast.mihai), cast)
    grade = Grade.objects.get(student=cast.ana)
    with pytest.raises(NotAllowed):
        grades.grade_undo(teacher=cast.elena, grade=grade)
    assert as_user(cast.elena).post(f"/note/{grade.pk}/anulare/").status_code == 404  # the homeroom teacher reads
    assert as_user(cast.parent).post(f"/note/{grade.pk}/anulare/").status_code == 404
    assert as_user(cast.mihai).get(f"/note/{grade.pk}/anulare/").status_code == 405
    assert Grade.objects.filter(pk=grade.pk).exists()


def test_an_absence_just_recorded_is_taken_back_too(cast, as_user):
    client = as_user(cast.mihai)
    fields = {"on": cast.day.isoformat(), "hour": "3"}
    row = client.post(gradebook_url(cast.class_5a, cast.math, cast.ana, "absenta"), fields, HTTP_HX_REQUEST="true")
    absence = Absence.objects.get(student=cast.ana)
    assert _undo_url(row) == f"/absente/{absence.pk}/anulare/"
    client.post(_undo_url(row), fields, HTTP_HX_REQUEST="true")
    assert not Absence.objects.exists()
    assert AuditEvent.objects.filter(action="absence.deleted").latest("seq").reason == UNDO_REASON
    late = attendance.absence_record(teacher=cast.mihai, student=cast.ana, school_class=cast.class_5a,
                                     subject=cast.math, on=cast.day, hour=4)  # fmt: skip
    with pytest.raises(ValidationError):
        attendance.absence_undo(teacher=cast.mihai, absence=late, now=late.created_at + timedelta(minutes=2))


def test_a_double_tap_records_once(cast, as_user):
    client = as_user(cast.mihai)
    page = client.get(gradebook_url(cast.class_5a, cast.math)).content.decode()
    key = re.search(rf'name="cheie" value="([0-9a-f]{{32}}-{cast.ana.pk})"', page).group(1)
    first, second = _add(client, cast, cheie=key), _add(client, cast, "8", cheie=key)
    assert Grade.objects.filter(student=cast.ana).count() == 1
    assert "Înregistrat deja" in second.content.decode() and "a fost adăugată" in first.content.decode()
    new_key = re.search(r'name="cheie" value="([^"]+)"', first.content.decode()).group(1)
    assert new_key != key  # the row came back with a new key: the next tap is a new grade
    _add(client, cast, "7", cheie=new_key)
    assert Grade.objects.filter(student=cast.ana).count() == 2
    other = key.replace(f"-{cast.ana.pk}", f"-{cast.bogdan.pk}")  # a key of another row writes here
    _add(client, cast, "6", cheie=other)
    _add(client, cast, "6", cheie="<script>")  # a key that is not one is ignored, never refused
    assert Grade.objects.filter(student=cast.ana).count() == 4


def test_a_plain_form_offers_the_undo_on_the_page_it_returns_to(cast, as_user):
    client = as_user(cast.mihai)
    url = gradebook_url(cast.class_5a, cast.math, cast.ana, "nota")
    response = client.post(url, {"value": "9", "on": cast.day.isoformat(), "hour": "2"})
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="undo"' in page
    assert 'data-testid="undo"' not in client.get(response["Location"]).content.decode()  # offered once
