"""Rule 16: parents' requests are approved by the director before the homeroom teacher
excuses absences with them, within the yearly caps."""

from datetime import datetime, time, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from audit.models import AuditEvent
from catalog.attendance import requests
from catalog.attendance.models import Absence, Excusal, ParentRequest
from tests.accounts.conftest import make_user
from tests.catalog.attendance.test_attendance_services import record
from tests.catalog.conftest import past_day

Status = ParentRequest.Status


def submit(cast, actor=None, first=10, last=12, **extra):
    return requests.parent_request_submit(
        actor=actor or cast.parent, student=cast.ana, school_class=cast.class_5a,
        starts=past_day(cast.year, first), ends=past_day(cast.year, last), note="La bunici", **extra,
    )  # fmt: skip


def delivered(request, days_after: int = 1):
    """The request reached the school `days_after` the absences ended (rule 15's clock)."""
    day = request.ends + timedelta(days=days_after)
    ParentRequest.objects.filter(pk=request.pk).update(submitted_at=timezone.make_aware(datetime.combine(day, time(8))))


def test_a_parents_request_approved_by_the_director_excuses_the_interval(cast):
    for day, hour in [(10, 1), (11, 2), (12, 3)]:
        record(cast, day=day, hour=hour)
    request = submit(cast)
    assert request.status == Status.PENDING
    delivered(request)
    requests.parent_request_decide(actor=cast.director, request=request, approve=True)
    result = requests.parent_request_apply(homeroom=cast.elena, request=request)
    assert (result.count, result.warnings) == (3, [])
    excusal = Excusal.objects.get()
    assert (excusal.reason, excusal.approved_by) == ("parent", cast.director)
    assert excusal.document == f"cererea nr. {request.pk}"
    request.refresh_from_db()
    assert (request.status, request.excusal) == (Status.USED, excusal)
    assert not Absence.objects.filter(excusal__isnull=True).exists()
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"absence.request_submitted", "absence.request_decided", "absence.excused"} <= actions
    with pytest.raises(ValidationError, match="aprobată de director"):
        requests.parent_request_apply(homeroom=cast.elena, request=request)


def test_a_request_brought_late_still_excuses_with_a_warning(cast):
    record(cast, day=10)
    request = submit(cast, first=10, last=10)
    delivered(request, days_after=9)  # 7 days after the return, and one more: late
    requests.parent_request_decide(actor=cast.director, request=request, approve=True)
    result = requests.parent_request_apply(homeroom=cast.elena, request=request)
    assert result.count == 1
    assert result.warnings == ["Documentul a fost adus după 7 zile de la revenirea elevului."]


def test_only_the_students_parents_or_homeroom_teacher_submit(cast, in_school_a):
    stranger = make_user(in_school_a.schema_name, "alt.parinte", ["parent"])
    for actor in (stranger, cast.mihai, cast.admin):
        with pytest.raises(PermissionDenied):
            submit(cast, actor=actor)
    assert submit(cast, actor=cast.elena).submitted_by == cast.elena  # a request on paper
    assert ParentRequest.objects.count() == 1


def test_a_backwards_interval_or_one_outside_the_year_is_refused(cast):
    with pytest.raises(ValidationError, match="Intervalul nu este valid"):
        submit(cast, first=12, last=10)
    with pytest.raises(ValidationError, match="Intervalul nu este valid"):
        requests.parent_request_submit(
            actor=cast.parent, student=cast.ana, school_class=cast.class_5a,
            starts=cast.year.starts - timedelta(days=3), ends=cast.year.starts,
        )  # fmt: skip
    assert not ParentRequest.objects.exists()


def test_only_the_director_decides_once_and_a_refusal_needs_a_reason(cast):
    request = submit(cast)
    for actor in (cast.elena, cast.admin, cast.parent):
        with pytest.raises(PermissionDenied):
            requests.parent_request_decide(actor=actor, request=request, approve=True)
    with pytest.raises(ValidationError, match="motivul respingerii"):
        requests.parent_request_decide(actor=cast.director, request=request, approve=False)
    requests.parent_request_decide(actor=cast.director, request=request, approve=False, note="Peste plafon")
    with pytest.raises(ValidationError, match="deja soluționată"):
        requests.parent_request_decide(actor=cast.director, request=request, approve=True)
    with pytest.raises(ValidationError, match="aprobată de director"):
        requests.parent_request_apply(homeroom=cast.elena, request=request)
    assert not Excusal.objects.exists()


def test_an_approved_request_over_the_yearly_cap_excuses_nothing_and_stays_approved(cast):
    for day in range(10, 17):
        for hour in range(1, 7):
            record(cast, day=day, hour=hour)  # 42 hours > 40
    request = submit(cast, first=10, last=16)
    delivered(request)
    requests.parent_request_decide(actor=cast.director, request=request, approve=True)
    with pytest.raises(ValidationError, match="cel mult 40 ore"):
        requests.parent_request_apply(homeroom=cast.elena, request=request)
    request.refresh_from_db()
    assert request.status == Status.APPROVED and not Excusal.objects.exists()


def test_the_raised_cap_is_asked_about_only_for_a_child_old_enough(cast, as_user):
    from datetime import date

    from accounts.models import ParentLink
    from catalog.structure import services as structure
    from tests.catalog.conftest import cnp_for

    with pytest.raises(ValidationError, match="nu se aplică la vârsta elevului"):
        submit(cast, special_case=True)  # Ana is 11
    assert not ParentRequest.objects.exists()
    page = as_user(cast.parent).get(f"/elevi/{cast.ana.pk}/").content.decode()
    assert "Cerere de motivare a absențelor" in page and 'name="special_case"' not in page
    teen = structure.student_create(actor=cast.admin, first_name="Irina", last_name="Marin",
                                    cnp=cnp_for(date(2010, 5, 1), 150), school_class=cast.class_5a,
                                    starts=cast.year.starts)  # fmt: skip
    ParentLink.objects.create(parent=cast.parent, student=teen.user)
    assert requests.special_case_possible(teen) and not requests.special_case_possible(cast.ana)
    assert 'name="special_case"' in as_user(cast.parent).get(f"/elevi/{teen.pk}/").content.decode()
    request = requests.parent_request_submit(actor=cast.parent, student=teen, school_class=cast.class_5a,
                                             starts=past_day(cast.year, 10), ends=past_day(cast.year, 10),
                                             special_case=True)  # fmt: skip
    assert request.special_case
