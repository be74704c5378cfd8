"""Rule 16 through the pages: the parent asks, the director decides, the homeroom teacher excuses."""

import pytest

from catalog.attendance.models import Absence, ParentRequest
from tests.catalog.attendance.test_attendance_services import record
from tests.catalog.conftest import past_day
from tests.catalog.web.test_year_end_pages import messages_of


def ask(client, cast, first=10, last=12, **extra):
    data = {"starts": past_day(cast.year, first).isoformat(), "ends": past_day(cast.year, last).isoformat(), **extra}
    return client.post(f"/elevi/{cast.ana.pk}/cerere-motivare/", data, follow=True)


def test_a_request_goes_from_the_parent_to_the_director_to_the_homeroom_teacher(cast, as_user):
    record(cast, day=11, hour=2)
    parent = as_user(cast.parent)
    assert "Cerere de motivare a absențelor" in parent.get(f"/elevi/{cast.ana.pk}/").content.decode()
    response = ask(parent, cast, note="Nuntă în familie")
    assert "trimisă directorului" in messages_of(response)
    request = ParentRequest.objects.get()
    director = as_user(cast.director)
    assert "Nuntă în familie" in director.get("/cereri-motivare/").content.decode()
    response = director.post(f"/cereri-motivare/{request.pk}/decizie/", {"decision": "approve"}, follow=True)
    assert "aprobată" in messages_of(response)
    homeroom = as_user(cast.elena)
    assert "Motivează cu cererea" in homeroom.get(f"/clase/{cast.class_5a.pk}/").content.decode()
    response = homeroom.post(f"/cereri-motivare/{request.pk}/motivare/", follow=True)
    assert "1 absențe motivate." in messages_of(response)
    assert Absence.objects.get().excusal.request == request
    assert "absențe motivate" in parent.get(f"/elevi/{cast.ana.pk}/").content.decode()  # the request's status


@pytest.mark.parametrize(
    "data", [{"starts": "ieri"}, {"starts": "2020-01-01", "ends": "2020-01-02"}, {"ends": "31.02.2026"}]
)
def test_a_bad_request_is_refused_with_a_message_and_saves_nothing(cast, as_user, data):
    response = ask(as_user(cast.parent), cast, **data)
    assert response.status_code == 200 and response.context["messages"]
    assert "trimisă" not in messages_of(response)
    assert not ParentRequest.objects.exists()


def test_strangers_cannot_reach_the_request_doors(cast, as_user):
    record(cast, day=11)
    request = ParentRequest.objects.create(
        student=cast.ana, school_class=cast.class_5a, starts=past_day(cast.year, 10), ends=past_day(cast.year, 12),
        submitted_by=cast.parent,
    )  # fmt: skip
    assert as_user(cast.mihai).post(f"/elevi/{cast.ana.pk}/cerere-motivare/").status_code == 404
    # A parent asks only for their own child: another child's id is a 404, and nothing is saved.
    other = as_user(cast.parent).post(
        f"/elevi/{cast.bogdan.pk}/cerere-motivare/",
        {"starts": past_day(cast.year, 10), "ends": past_day(cast.year, 12), "note": "x"},
    )  # fmt: skip
    assert other.status_code == 404 and ParentRequest.objects.count() == 1
    for who in ("elena", "admin", "parent", "mihai"):
        client = as_user(getattr(cast, who))
        assert client.get("/cereri-motivare/").status_code == 404
        assert client.post(f"/cereri-motivare/{request.pk}/decizie/", {"decision": "approve"}).status_code == 404
    assert as_user(cast.director).post(f"/cereri-motivare/{request.pk}/motivare/").status_code == 404
    director = as_user(cast.director)
    response = director.post(f"/cereri-motivare/{request.pk}/decizie/", {"decision": "maybe"}, follow=True)
    assert "Alegeți „Aprob” sau „Resping”." in messages_of(response)
    request.refresh_from_db()
    assert request.status == ParentRequest.Status.PENDING
