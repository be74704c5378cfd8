"""Moving a student to a parallel class in one step; the year and enrolment checks the
configuration pages used to make on their own (now the services'). The page: tests/catalog/web/test_move_page.py."""

from datetime import date, timedelta
from itertools import pairwise

import pytest
from django.core.exceptions import ValidationError

from audit.actions import Action
from audit.models import AuditEvent
from catalog.grades import services as grades
from catalog.structure import services as structure
from catalog.structure.models import Enrolment, Level, SchoolYear


@pytest.fixture
def class_5b(cast):
    return structure.class_create(actor=cast.admin, year=cast.year, level=Level.V, letter="B")


def enrolments():
    return list(Enrolment.objects.order_by("pk").values_list("student_id", "school_class_id", "starts", "ends"))


def test_a_move_ends_one_enrolment_the_day_before_and_starts_the_other(cast, class_5b):
    on = cast.day
    old = Enrolment.objects.get(student=cast.ana, school_class=cast.class_5a)
    new = structure.enrolment_move(actor=cast.admin, enrolment=old, to_class=class_5b, on=on, note="cererea părinților")
    old.refresh_from_db()
    assert (old.ends, old.exit, old.note) == (on - timedelta(days=1), Enrolment.Exit.MOVED, "cererea părinților")
    assert (new.school_class, new.starts, new.entry, new.ends) == (class_5b, on, Enrolment.Entry.MOVED, None)
    actions = list(AuditEvent.objects.order_by("-seq").values_list("action", flat=True)[:2])
    assert actions == [Action.STUDENT_ENROLLED, Action.STUDENT_LEFT]
    # From `on`, the student's grades go to the new class only.
    with pytest.raises(ValidationError, match="nu este în această clasă"):
        grades.grade_add(
            teacher=cast.mihai, student=cast.ana, school_class=cast.class_5a, subject=cast.math, on=on, value=9
        )


@pytest.mark.parametrize(
    ("target", "days", "message"),
    [
        ("5A", 10, "altă clasă de același nivel"),
        ("6B", 10, "altă clasă de același nivel"),
        ("5B", 0, "Prima zi în clasa nouă"),  # the day the student started in 5A
        ("5B", 400, "Prima zi în clasa nouă"),
    ],
)
def test_a_bad_move_is_refused_and_changes_nothing(cast, class_5b, target, days, message):
    to_class = {"5A": cast.class_5a, "5B": class_5b, "6B": cast.class_6b}[target]
    enrolment = Enrolment.objects.get(student=cast.ana, school_class=cast.class_5a)
    before = enrolments(), AuditEvent.objects.count()
    with pytest.raises(ValidationError, match=message):
        structure.enrolment_move(
            actor=cast.admin, enrolment=enrolment, to_class=to_class, on=cast.year.starts + timedelta(days=days)
        )
    assert (enrolments(), AuditEvent.objects.count()) == before


def test_a_move_to_another_years_class_is_refused(cast):
    later = structure.year_create(
        actor=cast.admin, name=f"{cast.year.ends.year}-{cast.year.ends.year + 1}",
        starts=cast.year.ends + timedelta(days=1), ends=cast.year.ends + timedelta(days=365), structure="semesters",
    )  # fmt: skip
    other = structure.class_create(actor=cast.admin, year=later, level=Level.V, letter="C")
    enrolment = Enrolment.objects.get(student=cast.ana, school_class=cast.class_5a)
    with pytest.raises(ValidationError, match="același an școlar"):
        structure.enrolment_move(actor=cast.admin, enrolment=enrolment, to_class=other, on=cast.day)


def test_an_enrolment_that_ended_is_not_ended_again_nor_moved(cast, class_5b):
    enrolment = Enrolment.objects.get(student=cast.ana, school_class=cast.class_5a)
    structure.enrolment_end(actor=cast.admin, enrolment=enrolment, ends=cast.day, exit=Enrolment.Exit.TRANSFER_OUT)
    before = enrolments(), AuditEvent.objects.count()
    with pytest.raises(ValidationError, match="Elevul a plecat deja din clasă"):
        structure.enrolment_end(
            actor=cast.admin, enrolment=enrolment, ends=cast.day + timedelta(days=1), exit=Enrolment.Exit.WITHDRAWN
        )
    with pytest.raises(ValidationError, match="Elevul a plecat deja din clasă"):
        structure.enrolment_move(actor=cast.admin, enrolment=enrolment, to_class=class_5b, on=cast.day)
    assert (enrolments(), AuditEvent.objects.count()) == before


@pytest.mark.parametrize(
    ("name", "starts", "ends"),
    [
        ("2040/2041", date(2040, 9, 1), date(2041, 8, 31)),
        ("2040-2042", date(2040, 9, 1), date(2041, 8, 31)),
        ("2041-2042", date(2040, 9, 1), date(2041, 8, 31)),
        ("2040-2041", date(2040, 9, 1), date(2042, 8, 31)),
        ("anul nou", date(2040, 9, 1), date(2041, 8, 31)),
        ("", date(2040, 9, 1), date(2041, 8, 31)),
    ],
)
def test_a_years_name_is_the_two_years_it_spans(cast, name, starts, ends):
    count = SchoolYear.objects.count()
    with pytest.raises(ValidationError, match="Anul școlar se scrie ca 2026-2027"):
        structure.year_create(actor=cast.admin, name=name, starts=starts, ends=ends, structure="semesters")
    assert SchoolYear.objects.count() == count


def test_an_empty_list_of_periods_is_refused_not_replaced(cast):
    with pytest.raises(ValidationError, match="cel puțin o perioadă"):
        structure.year_create(
            actor=cast.admin, name="2040-2041", starts=date(2040, 9, 1), ends=date(2041, 8, 31), structure="semesters",
            periods=[],
        )  # fmt: skip


@pytest.mark.parametrize("kind", ["modules", "semesters", "trimesters", "custom"])
def test_even_periods_end_on_the_last_day_even_at_the_end_of_the_calendar(kind):
    periods = structure.periods_even(structure=kind, starts=date(9998, 9, 1), ends=date(9999, 12, 31))
    assert periods[0].starts == date(9998, 9, 1) and periods[-1].ends == date(9999, 12, 31)
    assert all(a.ends + timedelta(days=1) == b.starts for a, b in pairwise(periods))
