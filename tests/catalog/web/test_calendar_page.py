"""The configuration page of a year's holidays and per-level period ends."""

from datetime import timedelta

import pytest

from catalog.structure import services as structure
from catalog.structure.models import Holiday, Level, PeriodEnd
from tests.catalog.structure.test_calendar import state


def calendar_url(year) -> str:
    return f"/configurare/ani/{year.pk}/calendar/"


def test_the_page_adds_and_removes_holidays_and_period_ends(cast, as_user):
    client = as_user(cast.admin)
    url = calendar_url(cast.year)
    assert client.get(url).status_code == 200
    first = cast.year.starts
    response = client.post(url, {"form": "holiday", "holiday-name": "Vacanța de toamnă",
                                 "holiday-starts": (first + timedelta(days=50)).strftime("%d.%m.%Y"),
                                 "holiday-ends": (first + timedelta(days=58)).isoformat()})  # fmt: skip
    assert response.status_code == 302
    holiday = Holiday.objects.get()
    assert (holiday.starts, holiday.ends) == (first + timedelta(days=50), first + timedelta(days=58))
    period = cast.year.periods.last()
    response = client.post(url, {"form": "period_end", "end-period": period.pk, "end-level": Level.XII,
                                 "end-ends": (period.ends - timedelta(days=14)).isoformat()})  # fmt: skip
    assert response.status_code == 302
    variation = PeriodEnd.objects.get()
    page = client.get(url).content.decode()
    assert "Vacanța de toamnă" in page and "a XII-a" in page
    assert client.post(f"/configurare/ani/{cast.year.pk}/vacante/{holiday.pk}/stergere/").status_code == 302
    assert client.post(f"/configurare/ani/{cast.year.pk}/sfarsituri/{variation.pk}/stergere/").status_code == 302
    assert state()[:2] == (0, 0)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"form": "holiday", "holiday-name": "", "holiday-starts": "x", "holiday-ends": ""}, "Scrieți numele vacanței"),
        ({"form": "holiday", "holiday-name": "V", "holiday-starts": "31.02.2026", "holiday-ends": "01.03.2026"},
         "Scrieți o dată validă"),
        ({"form": "holiday", "holiday-name": "V", "holiday-starts": "01.01.1990", "holiday-ends": "02.01.1990"},
         "Vacanța trebuie să fie în anul școlar"),
        ({"form": "period_end", "end-period": "999999", "end-level": "08", "end-ends": "01.06.2027"},
         "Alegerea nu este validă."),
        ({"form": "period_end", "end-period": "@period", "end-level": "99", "end-ends": "01.06.2027"},
         "Alegerea nu este validă."),
        ({"form": "period_end", "end-period": "@period", "end-level": "08", "end-ends": "01.01.1990"},
         "Sfârșitul trebuie să fie după începutul perioadei"),
    ],
)  # fmt: skip
def test_bad_input_on_the_page_is_refused_in_romanian(cast, as_user, data, message):
    client = as_user(cast.admin)
    period = cast.year.periods.last()
    posted = {key: str(period.pk) if value == "@period" else value for key, value in data.items()}
    before = state()
    response = client.post(calendar_url(cast.year), posted)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert state() == before


@pytest.mark.parametrize("who", ["mihai", "elena", "parent", "stats"])
def test_only_configurers_see_the_page(cast, as_user, who):
    client = as_user(getattr(cast, who))
    assert client.get(calendar_url(cast.year)).status_code == 404
    day = cast.day
    holiday = structure.holiday_add(actor=cast.admin, year=cast.year, name="Vacanță", starts=day, ends=day)
    assert client.post(f"/configurare/ani/{cast.year.pk}/vacante/{holiday.pk}/stergere/").status_code == 404
    assert Holiday.objects.filter(pk=holiday.pk).exists()


def test_ids_of_another_year_or_unknown_ids_are_404(cast, as_user):
    client = as_user(cast.admin)
    other = structure.year_create(
        actor=cast.admin, name=f"{cast.year.ends.year}-{cast.year.ends.year + 1}",
        starts=cast.year.ends + timedelta(days=1), ends=cast.year.ends + timedelta(days=365), structure="semesters",
    )  # fmt: skip
    day = cast.day
    holiday = structure.holiday_add(actor=cast.admin, year=cast.year, name="Vacanță", starts=day, ends=day)
    assert client.post(f"/configurare/ani/{other.pk}/vacante/{holiday.pk}/stergere/").status_code == 404
    assert client.post(f"/configurare/ani/{cast.year.pk}/vacante/999999/stergere/").status_code == 404
    assert client.get("/configurare/ani/999999/calendar/").status_code == 404
    assert client.get(f"/configurare/ani/{cast.year.pk}/vacante/{holiday.pk}/stergere/").status_code == 405
    assert Holiday.objects.filter(pk=holiday.pk).exists()
