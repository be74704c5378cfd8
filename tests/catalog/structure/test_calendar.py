"""A year's holidays (no class hours: no grade or absence dated in them) and the levels whose
periods end on another day (the services; the page: tests/catalog/web/test_calendar_page.py)."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.services import NotAllowed
from audit.actions import Action
from audit.models import AuditEvent
from catalog.attendance import services as attendance
from catalog.grades import services as grades
from catalog.structure import services as structure
from catalog.structure.models import Holiday, Level, PeriodEnd


def state():
    return Holiday.objects.count(), PeriodEnd.objects.count(), AuditEvent.objects.count()


def test_a_holiday_refuses_grades_and_absences_dated_in_it(cast):
    day = cast.day
    holiday = structure.holiday_add(actor=cast.admin, year=cast.year, name="Vacanța de toamnă", starts=day, ends=day)
    with pytest.raises(ValidationError, match="este vacanță \\(Vacanța de toamnă\\): nu sunt ore"):
        grades.grade_add(
            teacher=cast.mihai, student=cast.ana, school_class=cast.class_5a, subject=cast.math, on=day, value=9
        )
    with pytest.raises(ValidationError, match="este vacanță"):
        attendance.absence_record(
            teacher=cast.mihai, student=cast.ana, school_class=cast.class_5a, subject=cast.math, on=day, hour=1
        )
    before = day - timedelta(days=1)
    grade = grades.grade_add(
        teacher=cast.mihai, student=cast.ana, school_class=cast.class_5a, subject=cast.math, on=before, value=9
    )
    with pytest.raises(ValidationError, match="este vacanță"):  # nor moved into it
        grades.grade_change(teacher=cast.mihai, grade=grade, reason="data greșită", value=9, on=day)
    event = AuditEvent.objects.filter(action=Action.HOLIDAY_ADDED).latest("seq")
    assert event.new_values == {"name": "Vacanța de toamnă", "starts": day.isoformat(), "ends": day.isoformat()}
    structure.holiday_remove(actor=cast.director, holiday=holiday)
    assert grades.grade_add(
        teacher=cast.mihai, student=cast.ana, school_class=cast.class_5a, subject=cast.math, on=day, value=9
    )
    assert AuditEvent.objects.filter(action=Action.HOLIDAY_REMOVED).latest("seq").old_values["name"] == holiday.name


@pytest.mark.parametrize(
    ("name", "starts", "ends", "message"),
    [
        ("", 5, 6, "Scrieți numele vacanței"),
        ("x" * 81, 5, 6, "Scrieți numele vacanței"),
        ("Vacanță", -3, 2, "Vacanța trebuie să fie în anul școlar"),
        ("Vacanță", 10, 5, "Vacanța trebuie să fie în anul școlar"),
        ("Vacanță", 360, 400, "Vacanța trebuie să fie în anul școlar"),
        ("Suprapusă", 21, 40, "Se suprapune cu Vacanța de iarnă"),
    ],
)
def test_a_bad_holiday_is_refused_and_changes_nothing(cast, name, starts, ends, message):
    first = cast.year.starts
    structure.holiday_add(
        actor=cast.admin, year=cast.year, name="Vacanța de iarnă", starts=first + timedelta(days=30),
        ends=first + timedelta(days=45),
    )  # fmt: skip
    before = state()
    with pytest.raises(ValidationError, match=message):
        structure.holiday_add(
            actor=cast.admin, year=cast.year, name=name, starts=first + timedelta(days=starts),
            ends=first + timedelta(days=ends),
        )  # fmt: skip
    assert state() == before


@pytest.mark.parametrize("who", ["mihai", "elena", "parent", "stats"])
def test_only_configurers_set_the_calendar(cast, who):
    person = getattr(cast, who)
    day = cast.day
    with pytest.raises(NotAllowed):
        structure.holiday_add(actor=person, year=cast.year, name="Vacanță", starts=day, ends=day)
    variation = structure.period_end_set(
        actor=cast.admin, period=cast.year.periods.last(), level=Level.VIII, ends=cast.year.ends - timedelta(days=20)
    )
    with pytest.raises(NotAllowed):
        structure.period_end_remove(actor=person, variation=variation)


def test_a_closed_year_keeps_its_calendar(cast):
    day = cast.day
    holiday = structure.holiday_add(actor=cast.admin, year=cast.year, name="Vacanță", starts=day, ends=day)
    cast.year.closed_at = timezone.now()
    cast.year.save()
    before = state()
    with pytest.raises(ValidationError, match="este încheiat"):
        structure.holiday_add(actor=cast.admin, year=cast.year, name="Alta", starts=day, ends=day)
    with pytest.raises(ValidationError, match="este încheiat"):
        structure.holiday_remove(actor=cast.admin, holiday=holiday)
    assert state() == before


def test_removing_a_levels_own_end_gives_it_the_common_one_again(cast):
    period = cast.year.periods.last()
    variation = structure.period_end_set(
        actor=cast.admin, period=period, level=Level.VIII, ends=period.ends - timedelta(days=10)
    )
    structure.period_end_remove(actor=cast.director, variation=variation)
    assert not PeriodEnd.objects.exists()
    event = AuditEvent.objects.filter(action=Action.YEAR_PERIOD_END_REMOVED).latest("seq")
    assert event.old_values["level"] == Level.VIII and event.actor_id == cast.director.pk
