"""The bell schedule and the classes' timetables: set in configuration (audited, checked), they
open the gradebook at the hour being taught instead of always at the first."""

from datetime import date, datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.services import NotAllowed
from audit.models import AuditEvent
from catalog.structure import services as structure
from catalog.structure.models import BellHour, TimetableSlot
from catalog.structure.selectors import hour_taught
from tests.catalog.web.conftest import gradebook_url

BELL = {n: (time(7 + n, 0), time(7 + n, 50)) for n in range(1, 8)}  # 8:00, 9:00, ... 14:00


def _monday(cast) -> date:
    day = cast.year.starts + timedelta(days=14)
    return day - timedelta(days=day.weekday())


def _at(day: date, hour: int, minute: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def test_the_bell_is_set_in_order_and_audited(cast):
    structure.bell_set(actor=cast.admin, hours=BELL)
    assert [str(h) for h in BellHour.objects.all()][:2] == ["1: 08:00–08:50", "2: 09:00–09:50"]
    assert AuditEvent.objects.filter(action="bell.set").exists()
    for wrong in ({1: (time(9), time(8))}, {1: (time(8), time(9)), 2: (time(8, 30), time(9, 30))}):
        with pytest.raises(ValidationError):
            structure.bell_set(actor=cast.admin, hours=wrong)
    with pytest.raises(NotAllowed):
        structure.bell_set(actor=cast.mihai, hours=BELL)
    assert BellHour.objects.count() == 7


def test_the_gradebook_opens_at_the_hour_being_taught(cast):
    structure.bell_set(actor=cast.admin, hours=BELL)
    monday = _monday(cast)
    structure.timetable_set(actor=cast.admin, school_class=cast.class_5a,
                            slots={(1, 2): cast.math, (1, 5): cast.math, (1, 3): cast.romanian})  # fmt: skip
    assert hour_taught(cast.class_5a, cast.math, monday, now=_at(monday, 9)) == 2  # during the 2nd hour
    assert hour_taught(cast.class_5a, cast.math, monday, now=_at(monday, 13)) == 5  # the 5th began at 12:00
    assert hour_taught(cast.class_5a, cast.math, monday, now=_at(monday, 7)) == 2  # before school: the first
    assert hour_taught(cast.class_5a, cast.math, monday, now=_at(monday + timedelta(days=1), 9)) == 2  # another day
    tuesday = monday + timedelta(days=1)
    assert hour_taught(cast.class_5a, cast.math, tuesday, now=_at(tuesday, 10)) == 3  # no math: the bell's hour
    assert hour_taught(cast.class_5a, cast.math, tuesday, now=_at(tuesday, 18)) is None
    with pytest.raises(ValidationError):
        structure.timetable_set(actor=cast.admin, school_class=cast.class_5a, slots={(6, 1): cast.math})
    with pytest.raises(ValidationError):  # not in the class's curriculum
        structure.timetable_set(actor=cast.admin, school_class=cast.class_3a, slots={(1, 1): cast.pe})
    structure.timetable_set(actor=cast.admin, school_class=cast.class_5a, slots={(1, 5): None})
    assert list(TimetableSlot.objects.filter(subject=cast.math).values_list("hour", flat=True)) == [2]


def test_the_configuration_pages_set_the_bell_and_the_week(cast, as_user):
    page = as_user(cast.admin)
    response = page.post("/configurare/orar/", {"starts_1": "08:00", "ends_1": "08:50", "starts_2": "09:00",
                                                "ends_2": "09:50"})  # fmt: skip
    assert response.status_code == 302 and BellHour.objects.count() == 2
    refused = page.post("/configurare/orar/", {"starts_1": "08:00", "ends_1": "", "starts_2": "25:00"})
    assert refused.status_code == 400 and BellHour.objects.count() == 2
    url = f"/configurare/clase/{cast.class_5a.pk}/orar/"
    assert 'aria-label="luni, ora 1"' in page.get(url).content.decode()
    assert page.post(url, {"z1o2": str(cast.math.pk), "z3o1": str(cast.romanian.pk)}).status_code == 302
    assert set(TimetableSlot.objects.values_list("weekday", "hour")) == {(1, 2), (3, 1)}
    assert page.post(url, {"z1o2": "999999"}).status_code == 400
    assert page.post(url, {"z1o2": "<script>"}).status_code == 400
    assert set(TimetableSlot.objects.values_list("weekday", "hour")) == {(1, 2), (3, 1)}
    assert as_user(cast.mihai).get(url).status_code == 404


def test_the_gradebook_page_picks_the_hour_and_the_teacher_may_change_it(cast, as_user):
    monday = _monday(cast)
    structure.bell_set(actor=cast.admin, hours=BELL)
    structure.timetable_set(actor=cast.admin, school_class=cast.class_5a, slots={(1, 4): cast.math})
    client, url = as_user(cast.mihai), gradebook_url(cast.class_5a, cast.math)
    assert '<option value="4" selected' in client.get(url, {"zi": monday.isoformat()}).content.decode()
    chosen = client.get(url, {"zi": monday.isoformat(), "ora": "6"}).content.decode()
    assert '<option value="6" selected' in chosen
