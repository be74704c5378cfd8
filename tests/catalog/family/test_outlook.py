"""The family's overview: the average now is the year-end arithmetic itself, the thresholds
show as gauges and plain words, what is new since the last visit is marked."""

from datetime import timedelta

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog.attendance.models import Absence
from catalog.family import outlook
from catalog.family.models import Visit
from catalog.grades import services as grades
from catalog.grades.models import Grade
from catalog.structure.models import Subject
from tests.catalog.conftest import past_day


def _grades(cast, student, subject: Subject, values: list[int], teacher=None) -> None:
    Grade.objects.bulk_create(
        Grade(student=student, school_class=cast.class_5a, subject=subject, teacher=teacher or cast.mihai, value=value,
              on=past_day(cast.year, 1 + index % 20))
        for index, value in enumerate(values)
    )  # fmt: skip


def _subject(view, subject: Subject):
    return next(item for item in view.subjects if item.item.subject == subject)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(st.integers(min_value=1, max_value=10), min_size=1, max_size=14))
def test_the_average_now_is_what_the_year_end_closes(cast, values):
    with transaction.atomic():
        _grades(cast, cast.bogdan, cast.math, values)
        now = _subject(outlook.outlook(student=cast.bogdan, school_class=cast.class_5a), cast.math)
        closed = grades.average_close(teacher=cast.mihai, student=cast.bogdan, school_class=cast.class_5a,
                                      subject=cast.math)  # fmt: skip
        after = _subject(outlook.outlook(student=cast.bogdan, school_class=cast.class_5a), cast.math)
        assert (now.average, now.closed) == (closed.value, False)
        assert (after.average, after.closed) == (closed.value, True)
        transaction.set_rollback(True)


def test_a_child_at_5_and_4_with_18_unexcused_absences_gets_the_signs_in_words(cast):
    _grades(cast, cast.ana, cast.math, [5, 4, 4, 4])  # 4.25 -> 4
    _grades(cast, cast.ana, cast.romanian, [5, 5, 4], teacher=cast.elena)  # 4.67 -> 5
    day = past_day(cast.year, 1)
    Absence.objects.bulk_create(
        Absence(student=cast.ana, school_class=cast.class_5a, subject=cast.romanian, teacher=cast.elena,
                on=day + timedelta(days=index // 6), hour=1 + index % 6)
        for index in range(18)
    )  # fmt: skip
    today = cast.year.ends - timedelta(days=30)  # the last weeks: grades still needed are a sign too

    view = outlook.outlook(student=cast.ana, school_class=cast.class_5a, today=today)

    math, romanian = _subject(view, cast.math), _subject(view, cast.romanian)
    assert (math.average, romanian.average) == (4, 5)
    assert any("sub 5" in sign and "corigent" in sign for sign in math.signs)
    assert not any("sub 5" in sign for sign in romanian.signs)
    assert (view.unexcused_total, view.to_next_point) == (18, 2)
    assert "Încă 2 absențe nemotivate și nota la purtare mai scade cu un punct." in view.signs
    assert math.needed == 3 and any("Mai are nevoie de 3 note" in sign for sign in math.signs)  # 4 h/week: 7
    # Romanian: 4 h a week; 18 unexcused of its yearly hours reach the 20% of the rule set.
    assert romanian.unexcused_limit == -(-romanian.yearly_hours * 20 // 100)
    assert romanian.half == -(-romanian.yearly_hours // 2)
    assert math.trend.count(",") == 4 and romanian.trend.startswith("0.0,")


def test_no_sign_outside_the_running_year_or_for_a_closed_result(cast):
    _grades(cast, cast.ana, cast.math, [3, 4])
    view = outlook.outlook(student=cast.ana, school_class=cast.class_5a, today=cast.year.ends + timedelta(days=1))
    assert _subject(view, cast.math).average == 4 and not _subject(view, cast.math).signs and not view.signs


def test_what_is_new_since_the_last_visit_is_marked_for_the_family_only(cast, as_user):
    _grades(cast, cast.ana, cast.math, [9])
    parent = as_user(cast.parent)
    first = parent.get(f"/elevi/{cast.ana.pk}/").content.decode()
    assert 'class="new"' not in first  # a first visit marks nothing
    seen = Visit.objects.get(user=cast.parent, student=cast.ana).seen_at
    Grade.objects.update(created_at=seen - timedelta(minutes=10))  # the 9 was there at that visit
    Visit.objects.filter(pk__isnull=False).update(seen_at=seen - timedelta(minutes=5))
    grades.grade_add(teacher=cast.mihai, student=cast.ana, school_class=cast.class_5a, subject=cast.math,
                     on=past_day(cast.year), value=7)  # fmt: skip

    as_user(cast.mihai).get(f"/elevi/{cast.ana.pk}/")  # a teacher reading moves nothing
    assert not Visit.objects.filter(user=cast.mihai).exists()
    page = parent.get(f"/elevi/{cast.ana.pk}/").content.decode()

    assert page.count('<span class="new">') == 2  # the summary's note and the new grade
    assert "1 înregistrare nouă de la vizita din" in page
    again = parent.get(f"/elevi/{cast.ana.pk}/").content.decode()
    assert '<span class="new">' not in again


def test_the_overview_page_for_a_parent_on_a_phone(cast, as_user):
    _grades(cast, cast.ana, cast.math, [5, 4, 4, 4])
    page = as_user(cast.parent).get(f"/elevi/{cast.ana.pk}/").content.decode()
    assert 'data-testid="outlook-summary"' in page and "media de acum" in page
    assert "<polyline points=" in page and "<meter" in page
    assert "corigent" in page  # the risk, in words
    assert "style=" not in page.split("<main", 1)[1]  # the CSP allows no inline style


def test_the_shell_shows_the_persons_name_roles_and_a_plain_sign_out(cast, as_user, school_a):
    from tests.catalog.reports.test_documents import _anonymous

    page = as_user(cast.parent).get(f"/elevi/{cast.ana.pk}/").content.decode()
    assert "Ioana Marin" in page and "Părinte" in page
    assert 'data-testid="sign-out"' in page and 'data-testid="sign-out-everywhere"' in page
    assert "Configurarea școlii" not in page
    director = as_user(cast.director).get("/statistici/").content.decode()
    assert "Configurarea școlii" in director and "Arhivele anilor școlari" in director
    public = _anonymous(school_a).get("/").content.decode()
    assert "Conectează-te" in public and 'data-testid="sign-out"' not in public
    signed_out = as_user(cast.parent)
    signed_out.post("/cont/logout/")
    assert signed_out.get(f"/elevi/{cast.ana.pk}/").status_code == 302
