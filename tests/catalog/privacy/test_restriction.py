"""GDPR art. 18 (Order 3896/2023 art. 12(2)): the director restricts the processing of a
student's data with a reason; it stays stored and shown, marked, to the staff, but leaves the
statistics and the families' notifications; lifting it is audited as well."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from audit.models import AuditEvent
from catalog.grades import services as grades
from catalog.grades.statistics import year_statistics
from catalog.notify.models import Notification
from catalog.structure import services as structure
from tests.catalog.conftest import past_day
from tests.catalog.web.conftest import gradebook_url


def grade(cast, student, value=9):
    return grades.grade_add(teacher=cast.mihai, student=student, school_class=cast.class_5a, subject=cast.math,
                            on=past_day(cast.year), value=value)  # fmt: skip


def test_only_the_director_restricts_with_a_reason_and_both_ways_are_audited(cast):
    for who in (cast.admin, cast.mihai, cast.elena, cast.parent):
        with pytest.raises(PermissionDenied):
            structure.student_restrict(actor=who, student=cast.ana, reason="Cererea mamei")
    with pytest.raises(ValidationError, match="motivul"):
        structure.student_restrict(actor=cast.director, student=cast.ana, reason="  ")
    student = structure.student_restrict(actor=cast.director, student=cast.ana, reason="Cererea mamei din 3.12")
    assert student.restricted and student.restricted_by == cast.director
    with pytest.raises(ValidationError, match="deja restricționate"):
        structure.student_restrict(actor=cast.director, student=cast.ana, reason="din nou")
    event = AuditEvent.objects.get(action="privacy.restricted")
    assert (event.person_id, event.reason, event.actor_id) == (
        cast.ana.user_id,
        "Cererea mamei din 3.12",
        cast.director.pk,
    )
    structure.student_restriction_lift(actor=cast.director, student=cast.ana, reason="Cererea a fost soluționată")
    cast.ana.refresh_from_db()
    assert not cast.ana.restricted and cast.ana.restriction_reason == ""
    assert AuditEvent.objects.filter(action="privacy.restriction_lifted").exists()


def test_a_restricted_student_gets_no_notifications_and_counts_in_no_statistics(cast):
    before = year_statistics(cast.year)
    grade(cast, cast.ana, 10)
    grade(cast, cast.bogdan, 4)
    assert Notification.objects.count() == 1  # Ana's mother
    structure.student_restrict(actor=cast.director, student=cast.ana, reason="Cererea mamei")
    cast.ana.refresh_from_db()
    grade(cast, cast.ana, 8)
    assert Notification.objects.count() == 1  # nothing more about Ana
    after = year_statistics(cast.year)
    five_a = next(f for f in after.classes if f.school_class == cast.class_5a)
    five_a_before = next(f for f in before.classes if f.school_class == cast.class_5a)
    assert five_a.students == five_a_before.students - 1
    assert five_a.grades == 1  # Bogdan's only
    assert dict(after.grade_distribution)["10"] == 0 and dict(after.grade_distribution)["4"] == 1


def test_staff_pages_show_the_restriction_and_the_director_sets_it_on_the_students_page(cast, as_user):
    director = as_user(cast.director)
    page = director.get(f"/elevi/{cast.ana.pk}/").content.decode()
    assert 'data-testid="restriction-form"' in page and 'data-testid="restricted"' not in page
    refused = director.post(f"/elevi/{cast.ana.pk}/restrictionare/", {"reason": ""}, follow=True)
    assert "Scrieți motivul." in refused.content.decode()
    director.post(f"/elevi/{cast.ana.pk}/restrictionare/", {"reason": "Cererea mamei"})
    cast.ana.refresh_from_db()
    assert cast.ana.restricted
    for who, url in [(cast.director, f"/elevi/{cast.ana.pk}/"), (cast.elena, f"/clase/{cast.class_5a.pk}/"),
                     (cast.mihai, gradebook_url(cast.class_5a, cast.math))]:  # fmt: skip
        assert 'data-testid="restricted"' in as_user(who).get(url).content.decode(), url
    assert "Cererea mamei" in director.get(f"/elevi/{cast.ana.pk}/").content.decode()
    assert 'data-testid="restricted"' not in as_user(cast.parent).get(f"/elevi/{cast.ana.pk}/").content.decode()
    assert as_user(cast.elena).post(f"/elevi/{cast.ana.pk}/restrictionare/", {"reason": "x"}).status_code == 404
    director.post(f"/elevi/{cast.ana.pk}/restrictionare/", {"reason": "Soluționată"})
    cast.ana.refresh_from_db()
    assert not cast.ana.restricted


def test_notifications_waiting_when_the_data_is_restricted_are_never_sent(cast, mailoutbox):
    from catalog.notify import sending
    from catalog.notify.models import Kind, Preference, Rhythm

    Preference.objects.create(user=cast.parent, rhythm=Rhythm.DAILY, kinds=list(Kind.values))
    grade(cast, cast.ana, 7)
    instant = grade(cast, cast.ana, 6)
    Preference.objects.filter(user=cast.parent).update(rhythm=Rhythm.INSTANT)
    grade(cast, cast.ana, 5)
    assert Notification.objects.count() == 3 and instant
    structure.student_restrict(actor=cast.director, student=cast.ana, reason="Cererea mamei")
    assert sending.digest_send(recipient_id=cast.parent.pk, last=False) == []
    waiting = Notification.objects.filter(rhythm=Rhythm.INSTANT).values_list("pk", flat=True)
    assert all(sending.notification_send(notification_id=pk, last=False) is None for pk in waiting)
    assert not Notification.objects.exists() and not mailoutbox
