"""Moving a student to a parallel class from the leave page of the configuration."""

import pytest

from catalog.structure import services as structure
from catalog.structure.models import Enrolment, Level
from tests.catalog.structure.test_moves_and_years import enrolments


@pytest.fixture
def class_5b(cast):
    return structure.class_create(actor=cast.admin, year=cast.year, level=Level.V, letter="B")


def test_the_leave_page_moves_a_student_to_a_parallel_class(cast, class_5b, as_user):
    client = as_user(cast.admin)
    url = f"/configurare/clase/{cast.class_5a.pk}/elevi/{cast.ana.pk}/plecare/"
    page = client.get(url).content.decode()
    assert "Mutare în altă clasă" in page and str(class_5b) in page and str(cast.class_6b) not in page
    response = client.post(url, {"form": "move", "move-to_class": class_5b.pk, "move-on": cast.day.isoformat()})
    assert response.status_code == 302
    assert Enrolment.objects.get(student=cast.ana, school_class=class_5b).entry == Enrolment.Entry.MOVED


@pytest.mark.parametrize(
    ("to_class", "on", "message"),
    [("@6b", "@day", "Alegerea nu este validă."), ("abc", "@day", "Alegerea nu este validă."),
     ("@5b", "31.02.2026", "Scrieți o dată validă"), ("@5b", "@start", "Prima zi în clasa nouă")],
)  # fmt: skip
def test_a_bad_move_on_the_page_is_refused_in_romanian(cast, class_5b, as_user, to_class, on, message):
    client = as_user(cast.admin)
    values = {"@6b": cast.class_6b.pk, "@5b": class_5b.pk, "@day": cast.day.isoformat(),
              "@start": cast.year.starts.isoformat()}  # fmt: skip
    before = enrolments()
    response = client.post(
        f"/configurare/clase/{cast.class_5a.pk}/elevi/{cast.ana.pk}/plecare/",
        {"form": "move", "move-to_class": values.get(to_class, to_class), "move-on": values.get(on, on)},
    )
    assert response.status_code == 400 and message in response.content.decode()
    assert enrolments() == before
