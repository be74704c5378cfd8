from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.roles import Role
from audit.actions import Action
from audit.models import AuditEvent
from catalog.attendance import services as attendance
from catalog.attendance.models import Absence, Excusal, Notice
from catalog.structure import services as structure
from catalog.structure.guards import ADMIN_MAY_NOT_WRITE, NOT_ASSIGNED, NOT_ENROLLED, ONLY_HOMEROOM
from tests.accounts.conftest import make_user
from tests.catalog.conftest import past_day

MEDICAL, PARENT, OTHER, LATE = Excusal.Reason.MEDICAL, Excusal.Reason.PARENT, Excusal.Reason.OTHER, Excusal.Reason.LATE


def record(cast, day=10, hour=1, **overrides):
    fields = {
        "teacher": cast.mihai, "student": cast.ana, "school_class": cast.class_5a, "subject": cast.math,
        "on": past_day(cast.year, day), "hour": hour,
    }  # fmt: skip
    return attendance.absence_record(**(fields | overrides))


def excuse(cast, first=10, last=10, **overrides):
    """Excuse Ana's absences on days `first`..`last` of the year; the document is brought the day she returns."""
    starts, ends = past_day(cast.year, first), past_day(cast.year, last)
    fields = {
        "homeroom": cast.elena, "student": cast.ana, "school_class": cast.class_5a, "starts": starts, "ends": ends,
        "reason": MEDICAL, "document": "123/2026", "document_date": ends, "today": ends + timedelta(days=1),
    }  # fmt: skip
    return attendance.absences_excuse(**(fields | overrides))


def counts():
    return Absence.objects.count(), Excusal.objects.count(), Notice.objects.count(), AuditEvent.objects.count()


# Rule 13: recording


def test_the_subject_teacher_records_an_absence_at_a_class_hour_and_it_is_audited(cast):
    absence = record(cast, hour=3)
    assert (absence.on, absence.hour, absence.teacher, absence.excused) == (cast.day, 3, cast.mihai, False)
    event = AuditEvent.objects.get(action=Action.ABSENCE_RECORDED)
    assert (event.actor_id, event.person_id, event.object_id) == (cast.mihai.pk, cast.ana.user.pk, str(absence.pk))
    assert event.new_values["hour"] == 3 and event.new_values["subject"] == "Matematică"


def test_a_medically_exempt_student_still_gets_absences_and_they_count(cast):
    """Rule 7: no grades at physical education for an exempt student, but absences are recorded
    (and lower conduct like any other, rule 10)."""
    from catalog.grades.selectors import class_unexcused
    from catalog.structure.models import Exemption

    structure.exemption_set(
        actor=cast.admin, student=cast.ana, year=cast.year, subject=cast.pe, kind=Exemption.Kind.MEDICAL,
        document="45", document_date=cast.year.starts,
    )  # fmt: skip
    absence = record(cast, teacher=cast.dan, subject=cast.pe, hour=4)
    assert (absence.subject, absence.excused) == (cast.pe, False)
    assert class_unexcused(school_class=cast.class_5a) == {cast.ana.pk: (1, 0)}


def test_a_second_absence_at_the_same_day_and_hour_is_refused_and_changes_nothing(cast):
    record(cast, hour=2)
    before = counts()
    with pytest.raises(ValidationError) as refused:
        record(cast, hour=2, teacher=cast.elena, subject=cast.romanian)  # another subject does not make it another hour
    assert refused.value.messages == [str(attendance.ALREADY_ABSENT).format(hour=2)]
    assert counts() == before
    record(cast, hour=3)  # the next hour is another absence
    record(cast, hour=2, student=cast.bogdan)  # and so is a classmate's


@pytest.mark.parametrize("hour", [0, 15, -1, True, "3", 2.0, None])
def test_an_hour_outside_1_to_14_is_refused(cast, hour):
    before = counts()
    with pytest.raises(ValidationError) as refused:
        record(cast, hour=hour)
    assert refused.value.messages == [str(attendance.HOUR_INVALID)]
    assert counts() == before


def test_hours_1_and_14_are_class_hours(cast):
    assert [record(cast, hour=hour).hour for hour in (1, 14)] == [1, 14]


def test_only_a_teacher_with_the_assignment_records_absences(cast):
    before = counts()
    with pytest.raises(PermissionDenied) as refused:
        record(cast, teacher=cast.radu)  # mathematics, but in 6B
    assert str(refused.value) == str(NOT_ASSIGNED)
    for teacher, subject in [(cast.mihai, cast.romanian), (cast.director, cast.math), (cast.elena, cast.math)]:
        with pytest.raises(PermissionDenied):
            record(cast, teacher=teacher, subject=subject)
    cast.mihai.is_active = False
    cast.mihai.save()
    with pytest.raises(PermissionDenied):
        record(cast)
    assert counts() == before


def test_an_admin_account_never_records_an_absence_even_with_an_assignment(cast):
    cast.mihai.roles = [*cast.mihai.roles, Role.SCHOOL_ADMIN]
    cast.mihai.save()
    before = counts()
    with pytest.raises(PermissionDenied) as refused:
        record(cast)
    assert str(refused.value) == str(ADMIN_MAY_NOT_WRITE)
    assert counts() == before


def test_a_day_outside_the_year_in_the_future_or_a_student_not_in_the_class_is_refused(cast):
    before = counts()
    for on in (cast.year.starts - timedelta(days=1), cast.year.ends + timedelta(days=1)):
        with pytest.raises(ValidationError, match="anul școlar"):
            record(cast, on=on)
    with pytest.raises(ValidationError, match="viitor"):
        record(cast, on=timezone.localdate() + timedelta(days=1))
    with pytest.raises(ValidationError) as refused:
        record(cast, student=cast.victor)
    assert refused.value.messages == [str(NOT_ENROLLED)]
    assert counts() == before


def test_nothing_is_recorded_deleted_or_excused_in_a_closed_year(cast):
    absence = record(cast)
    cast.year.closed_at = timezone.now()
    cast.year.save()
    before = counts()
    with pytest.raises(ValidationError, match="încheiat"):
        record(cast, hour=2)
    with pytest.raises(ValidationError, match="încheiat"):
        excuse(cast)
    with pytest.raises(ValidationError, match="încheiat"):
        attendance.absence_excuse_late(teacher=cast.mihai, absence=absence, today=absence.on)
    with pytest.raises(ValidationError, match="încheiat"):
        attendance.absence_delete(teacher=cast.mihai, absence=absence, reason="Elevul era în clasă")
    assert counts() == before


def test_an_absence_recorded_by_mistake_is_deleted_with_a_reason(cast):
    absence = record(cast)
    before = counts()
    with pytest.raises(ValidationError):
        attendance.absence_delete(teacher=cast.mihai, absence=absence, reason="  ")
    with pytest.raises(PermissionDenied):
        attendance.absence_delete(teacher=cast.radu, absence=absence, reason="Elevul era în clasă")
    assert counts() == before
    attendance.absence_delete(teacher=cast.mihai, absence=absence, reason="Elevul era în clasă")
    assert not Absence.objects.exists()
    event = AuditEvent.objects.get(action=Action.ABSENCE_DELETED)
    assert (event.reason, event.old_values["hour"]) == ("Elevul era în clasă", 1)


# Rule 14: the homeroom teacher excuses, for an interval, with the document


def test_the_homeroom_teacher_excuses_an_interval_with_a_medical_certificate(cast):
    inside = [record(cast, day=10, hour=1), record(cast, day=11, hour=2, teacher=cast.elena, subject=cast.romanian)]
    outside = record(cast, day=12)
    classmate = record(cast, day=10, student=cast.bogdan)
    result = excuse(cast, 10, 11, document="CM 45", document_date=past_day(cast.year, 11))
    assert (result.count, result.warnings) == (2, [])
    excusal = result.excusal
    assert (excusal.reason, excusal.document, excusal.document_date) == (MEDICAL, "CM 45", past_day(cast.year, 11))
    assert (excusal.excused_by, excusal.approved_by) == (cast.elena, None)
    assert {a.pk for a in excusal.absences.all()} == {a.pk for a in inside}
    for absence in (outside, classmate):
        absence.refresh_from_db()
        assert not absence.excused
    event = AuditEvent.objects.get(action=Action.ABSENCES_EXCUSED)
    assert (event.actor_id, event.person_id, event.new_values["absences"]) == (cast.elena.pk, cast.ana.user.pk, 2)
    assert event.new_values["document"] == "CM 45"
    with pytest.raises(ValidationError) as refused:
        excuse(cast, 10, 11)  # already excused: nothing left there
    assert refused.value.messages == [str(attendance.NOTHING_TO_EXCUSE)]


def test_only_the_homeroom_teacher_of_the_class_excuses(cast):
    record(cast)
    before = counts()
    for someone in (cast.mihai, cast.maria, cast.director):  # subject teacher, another class's homeroom, leadership
        with pytest.raises(PermissionDenied) as refused:
            excuse(cast, homeroom=someone)
        assert str(refused.value) == str(ONLY_HOMEROOM)
    with pytest.raises(PermissionDenied) as refused:
        excuse(cast, homeroom=cast.admin)
    assert str(refused.value) == str(ADMIN_MAY_NOT_WRITE)
    cast.elena.is_active = False
    cast.elena.save()
    with pytest.raises(PermissionDenied):
        excuse(cast)
    assert counts() == before


@pytest.mark.parametrize("reason", [MEDICAL, OTHER])
def test_a_document_needs_its_number_and_date(cast, reason):
    record(cast)
    before = counts()
    for document, document_date in [("", cast.day), ("   ", cast.day), ("123", None)]:
        with pytest.raises(ValidationError) as refused:
            excuse(cast, reason=reason, document=document, document_date=document_date)
        assert refused.value.messages == [str(attendance.DOCUMENT_REQUIRED)]
    assert counts() == before
    assert excuse(cast, reason=reason).excusal.reason == reason


def test_a_bad_interval_a_bad_reason_or_nothing_to_excuse_is_refused(cast):
    record(cast)
    before = counts()
    wrong_way_round = {"starts": past_day(cast.year, 11), "ends": past_day(cast.year, 10)}
    before_the_year = {"starts": cast.year.starts - timedelta(days=1)}
    after_the_year = {"ends": cast.year.ends + timedelta(days=1)}
    for interval in (wrong_way_round, before_the_year, after_the_year, {"starts": None}):
        with pytest.raises(ValidationError) as refused:
            excuse(cast, **interval)
        assert refused.value.messages == [str(attendance.INTERVAL_INVALID)]
    for reason in (LATE, "bolnav", ""):  # a late arrival is the subject teacher's, the same day
        with pytest.raises(ValidationError) as refused:
            excuse(cast, reason=reason)
        assert refused.value.messages == [str(attendance.REASON_INVALID)]
    with pytest.raises(ValidationError) as refused:
        excuse(cast, 20, 21)
    assert refused.value.messages == [str(attendance.NOTHING_TO_EXCUSE)]
    assert counts() == before


def test_the_subject_teacher_excuses_a_late_arrival_at_their_own_hour_the_same_day_only(cast):
    late = record(cast, hour=2)
    other_day = record(cast, day=11, hour=2)
    before = counts()
    with pytest.raises(ValidationError) as refused:
        attendance.absence_excuse_late(teacher=cast.mihai, absence=late, today=late.on + timedelta(days=1))
    assert refused.value.messages == [str(attendance.LATE_ONLY_SAME_DAY)]
    with pytest.raises(PermissionDenied):  # the homeroom teacher, at another teacher's hour
        attendance.absence_excuse_late(teacher=cast.elena, absence=late, today=late.on)
    with pytest.raises(PermissionDenied):
        attendance.absence_excuse_late(teacher=cast.radu, absence=late, today=late.on)
    assert counts() == before
    excusal = attendance.absence_excuse_late(teacher=cast.mihai, absence=late, today=late.on)
    late.refresh_from_db()
    other_day.refresh_from_db()
    assert late.excusal == excusal and not other_day.excused
    assert (excusal.reason, excusal.starts, excusal.ends, excusal.excused_by) == (LATE, late.on, late.on, cast.mihai)
    event = AuditEvent.objects.get(action=Action.ABSENCES_EXCUSED)
    assert (event.actor_id, event.new_values["reason"], event.new_values["hour"]) == (cast.mihai.pk, LATE, 2)
    with pytest.raises(ValidationError):  # once is enough
        attendance.absence_excuse_late(teacher=cast.mihai, absence=late, today=late.on)


# Rule 15: documents are due within `document_days` of the student's return


def test_a_document_brought_after_the_deadline_is_accepted_with_a_warning(cast):
    record(cast, day=10)
    record(cast, day=20)
    ends = past_day(cast.year, 10)
    on_time = excuse(cast, 10, 10, today=ends + timedelta(days=8))  # she returns the next day; 7 days from then
    assert on_time.warnings == []
    late = excuse(cast, 20, 20, today=past_day(cast.year, 20) + timedelta(days=9))
    assert late.count == 1 and late.warnings == [str(attendance.DOCUMENT_LATE).format(days=7)]


def test_a_late_document_is_refused_when_the_rules_say_so(cast):
    structure.rules_revise(actor=cast.director, year=cast.year, late_documents_refused=True, document_days=3)
    cast.year.refresh_from_db()
    record(cast)
    before = counts()
    with pytest.raises(ValidationError) as refused:
        excuse(cast, today=cast.day + timedelta(days=5))
    assert refused.value.messages == [str(attendance.DOCUMENT_LATE_REFUSED).format(days=3)]
    assert counts() == before
    assert excuse(cast, today=cast.day + timedelta(days=4)).warnings == []


# Rule 16: parents' requests


def test_a_parents_request_needs_the_prior_approval_of_an_active_director(cast, school_a):
    record(cast)
    deputy = make_user(school_a.schema_name, "director.adjunct", [Role.DEPUTY])
    before = counts()
    for approver in (None, cast.mihai, cast.admin, deputy):
        with pytest.raises(PermissionDenied) as refused:
            excuse(cast, reason=PARENT, approved_by=approver)
        assert str(refused.value) == str(attendance.NEEDS_DIRECTOR)
    cast.director.is_active = False
    cast.director.save()
    with pytest.raises(PermissionDenied):
        excuse(cast, reason=PARENT, approved_by=cast.director)
    assert counts() == before
    cast.director.is_active = True
    cast.director.save()
    result = excuse(cast, reason=PARENT, approved_by=cast.director, document="Cerere 17")
    assert (result.count, result.excusal.approved_by) == (1, cast.director)
    event = AuditEvent.objects.get(action=Action.ABSENCES_EXCUSED)
    assert event.new_values["approved_by"] == cast.director.get_full_name()


def test_parents_requests_excuse_at_most_40_hours_a_year_and_100_for_special_cases(cast):
    structure.curriculum_set(actor=cast.admin, school_class=cast.class_5a, subject=cast.math, weekly_hours=40)
    for day in range(1, 7):
        for hour in range(1, 8):
            record(cast, day=day, hour=hour)  # 6 days x 7 hours = 42 hours
    request = {"reason": PARENT, "approved_by": cast.director, "document": "Cerere 1"}
    assert excuse(cast, 1, 5, **request).count == 35
    before = counts()
    with pytest.raises(ValidationError) as refused:
        excuse(cast, 6, 6, **request)  # 35 + 7 > 40
    assert refused.value.messages == [str(attendance.PARENT_CAP_YEAR).format(cap=40, left=5)]
    assert counts() == before
    assert excuse(cast, 6, 6, special_case=True, **request).count == 7  # a student-parent: up to 100


def test_the_yearly_cap_of_parents_requests_is_the_rule_sets(cast):
    """Rule 16, configurable: a school that allows 30 hours a year refuses the 35th."""
    structure.rules_revise(actor=cast.director, year=cast.year, parent_request_hours=30)
    cast.year.refresh_from_db()
    structure.curriculum_set(actor=cast.admin, school_class=cast.class_5a, subject=cast.math, weekly_hours=40)
    for day in range(1, 6):
        for hour in range(1, 8):
            record(cast, day=day, hour=hour)  # 5 days x 7 hours = 35 hours
    request = {"reason": PARENT, "approved_by": cast.director, "document": "Cerere 1"}
    before = counts()
    with pytest.raises(ValidationError) as refused:
        excuse(cast, 1, 5, **request)
    assert refused.value.messages == [str(attendance.PARENT_CAP_YEAR).format(cap=30, left=30)]
    assert counts() == before
    assert excuse(cast, 1, 4, **request).count == 28


def test_parents_requests_excuse_at_most_a_fifth_of_a_subjects_yearly_hours(cast):
    structure.curriculum_set(
        actor=cast.admin, school_class=cast.class_5a, subject=cast.religion, weekly_hours=1, weeks=10
    )
    for hour in (1, 2, 3):
        record(cast, day=hour, hour=hour, teacher=cast.elena, subject=cast.religion)
    request = {"reason": PARENT, "approved_by": cast.director, "document": "Cerere 2"}
    assert excuse(cast, 1, 2, **request).count == 2  # 20% of 10 hours
    before = counts()
    with pytest.raises(ValidationError) as refused:
        excuse(cast, 3, 3, **request)
    assert refused.value.messages == [str(attendance.PARENT_CAP_SUBJECT).format(subject="Religie", cap=2, percent=20)]
    assert counts() == before
    assert excuse(cast, 3, 3, special_case=True, **request).count == 1  # 40% of 10 hours for special cases
    # a medical certificate is not a parent's request: no cap
    record(cast, day=4, hour=4, teacher=cast.elena, subject=cast.religion)
    assert excuse(cast, 4, 4).count == 1


# Rule 17: notices to the parents


def test_parents_are_told_once_when_unexcused_absences_reach_a_threshold(
    cast, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for hour in range(1, 10):
            record(cast, day=10, hour=hour)
    assert (Notice.objects.count(), mailoutbox) == (0, [])
    with django_capture_on_commit_callbacks(execute=True):
        tenth = record(cast, day=11, hour=1)
    notice = Notice.objects.get()
    assert (notice.threshold, notice.subject, notice.student) == (10, None, cast.ana)
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["mama.anei@example.test"]
    assert "Ana Marin are 10 absențe nemotivate" in mailoutbox[0].body
    event = AuditEvent.objects.get(action=Action.ABSENCE_NOTICE)
    assert (event.person_id, event.new_values["threshold"]) == (cast.ana.user.pk, 10)
    with django_capture_on_commit_callbacks(execute=True):
        record(cast, day=11, hour=2)  # 11: nothing new
        attendance.absence_delete(teacher=cast.mihai, absence=tenth, reason="Era în clasă")  # back to 10
        record(cast, day=11, hour=3)  # 11 again
    assert Notice.objects.count() == 1 and len(mailoutbox) == 1


def test_by_default_parents_are_told_at_10_20_and_40_unexcused_absences(
    cast, mailoutbox, django_capture_on_commit_callbacks
):
    """Rule 17's default thresholds; mathematics' 50% (of 136 hours) is not reached by 40."""
    assert cast.year.rule_set.notify_at == [10, 20, 40]
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(40):
            record(cast, day=10 + n // 8, hour=1 + n % 8)
    assert list(Notice.objects.order_by("threshold").values_list("threshold", "subject")) == [
        (10, None), (20, None), (40, None)
    ]  # fmt: skip
    assert [message.body.split(" are ")[1][:2] for message in mailoutbox] == ["10", "20", "40"]


def test_excused_absences_do_not_count_towards_the_thresholds(cast, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for hour in range(1, 6):
            record(cast, day=10, hour=hour)
        excuse(cast, 10, 10)
        for hour in range(1, 6):
            record(cast, day=11, hour=hour)
    assert Absence.objects.count() == 10 and Notice.objects.count() == 0 and mailoutbox == []


def test_parents_are_told_when_a_subjects_unexcused_absences_reach_half_its_hours(
    cast, mailoutbox, django_capture_on_commit_callbacks
):
    structure.curriculum_set(
        actor=cast.admin, school_class=cast.class_5a, subject=cast.religion, weekly_hours=1, weeks=4
    )
    religion = {"teacher": cast.elena, "subject": cast.religion}
    with django_capture_on_commit_callbacks(execute=True):
        record(cast, day=10, **religion)
    assert mailoutbox == []
    with django_capture_on_commit_callbacks(execute=True):
        record(cast, day=11, **religion)  # 2 of 4 yearly hours
        record(cast, day=12, **religion)  # that notice is sent once
    notice = Notice.objects.get()
    assert (notice.subject, notice.threshold) == (cast.religion, 50)
    assert len(mailoutbox) == 1 and "2 absențe nemotivate la Religie" in mailoutbox[0].body


def test_a_notice_is_recorded_even_when_no_parent_has_an_e_mail(cast, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for hour in range(1, 11):
            record(cast, hour=hour, student=cast.bogdan)
    assert Notice.objects.get().student == cast.bogdan and mailoutbox == []


def test_the_thresholds_come_from_the_years_rules(cast, mailoutbox, django_capture_on_commit_callbacks):
    structure.rules_revise(actor=cast.director, year=cast.year, notify_at=[3, 2])
    cast.year.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        for hour in range(1, 4):
            record(cast, hour=hour)
    assert sorted(Notice.objects.values_list("threshold", flat=True)) == [2, 3]
    assert len(mailoutbox) == 2
