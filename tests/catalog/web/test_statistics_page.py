"""Order art. 20: the statistics viewer (and the management) sees aggregates only — no name, no
CNP, no figure of a single student; everybody else gets a 404."""

from datetime import date, timedelta

import pytest

from catalog.attendance import services as attendance
from catalog.attendance.models import Excusal
from catalog.grades import services as grades
from catalog.grades.models import YearResult
from catalog.grades.statistics import shown_count, year_statistics
from catalog.structure import services as structure
from tests.catalog.conftest import cnp_for

URL = "/statistici/"


@pytest.fixture
def school_year(cast):
    """5A with five students (Ana, Bogdan and three more), grades, absences and results."""
    more = [
        structure.student_create(
            actor=cast.admin, first_name="Elev", last_name=f"Statistic{n}", cnp=cnp_for(date(2015, 2, 2), 500 + n),
            school_class=cast.class_5a, starts=cast.year.starts,
        )
        for n in range(3)
    ]  # fmt: skip
    day = cast.day
    for student, value in [(cast.ana, 10), (cast.bogdan, 5), (more[0], 8), (more[1], 8), (more[2], 4)]:
        grades.grade_add(
            teacher=cast.mihai, student=student, school_class=cast.class_5a, subject=cast.math, on=day, value=value
        )
    grades.grade_add(
        teacher=cast.maria, student=cast.ioana, school_class=cast.class_3a, subject=cast.math, on=day, calificativ="B"
    )
    for hour, student in [(1, cast.ana), (2, cast.ana), (1, cast.bogdan)]:
        attendance.absence_record(
            teacher=cast.mihai, student=student, school_class=cast.class_5a, subject=cast.math, on=day, hour=hour
        )
    attendance.absences_excuse(
        homeroom=cast.elena, student=cast.ana, school_class=cast.class_5a, starts=day, ends=day,
        reason=Excusal.Reason.MEDICAL, document="1", document_date=day, today=day,
    )  # fmt: skip
    statuses = [YearResult.Status.PROMOVAT] * 3 + [YearResult.Status.CORIGENT] * 2
    averages = ["9.50", "8.00", "7.25", None, None]
    for student, status, general in zip([cast.ana, *more, cast.bogdan], statuses, averages, strict=True):
        YearResult.objects.create(
            student=student, school_class=cast.class_5a, status=status, general_average=general, decided_by=cast.elena
        )
    YearResult.objects.create(
        student=cast.victor, school_class=cast.class_6b, status=YearResult.Status.REPETENT, decided_by=cast.director
    )
    return cast


def test_counts_of_one_or_two_people_are_not_shown():
    assert [shown_count(n) for n in (0, 1, 2, 3, 40)] == ["0", "< 3", "< 3", "3", "40"]


def test_the_years_aggregates(school_year):
    cast = school_year
    figures = year_statistics(cast.year)
    by_class = {row.school_class: row for row in figures.classes}
    assert list(by_class) == [cast.class_3a, cast.class_5a, cast.class_6b]  # level order
    five_a = by_class[cast.class_5a]
    assert (five_a.students, five_a.grades, five_a.excused, five_a.unexcused) == (5, 5, 2, 1)
    assert str(five_a.mean_shown) == "7.00"  # (10 + 5 + 8 + 8 + 4) / 5
    assert str(five_a.absences_per_student) == "0.60"
    assert five_a.results_shown == [("Promovat", "3"), ("Corigent", "< 3"), ("Repetent", "0"),
                                    ("Situație neîncheiată (amânat)", "0")]  # fmt: skip
    assert str(five_a.general_average_mean) == "8.25"  # (9.50 + 8.00 + 7.25) / 3
    # Fewer than three students: neither the mean nor absences per student nor the class mean.
    three_a, six_b = by_class[cast.class_3a], by_class[cast.class_6b]
    assert three_a.students_shown == "< 3" and three_a.mean_shown is None and three_a.absences_per_student is None
    assert six_b.results_shown[2] == ("Repetent", "< 3") and six_b.general_average_mean is None
    assert figures.grade_distribution == [("1", 0), ("2", 0), ("3", 0), ("4", 1), ("5", 1), ("6", 0), ("7", 0),
                                          ("8", 2), ("9", 0), ("10", 1)]  # fmt: skip
    assert figures.calificative_distribution == [("FB", 0), ("B", 1), ("S", 0), ("I", 0)]
    month = cast.day.replace(day=1)
    assert figures.absences_by_month == [(month, 2, 1)]
    assert (figures.students, figures.excused, figures.unexcused) == (7, 2, 1)
    assert figures.results_shown[0] == ("Promovat", "3")


@pytest.mark.parametrize("who", ["stats", "director"])
def test_the_page_shows_aggregates_and_no_person(school_year, as_user, who):
    cast = school_year
    response = as_user(getattr(cast, who)).get(URL)
    assert response.status_code == 200
    text = response.content.decode()
    assert "Statistici" in text and "media notelor 7,00" in text and "Corigent: &lt; 3" in text
    for student in (cast.ana, cast.bogdan, cast.ioana, cast.victor):
        assert student.cnp not in text
        assert student.user.last_name not in text
    assert cast.elena.last_name not in text  # nor the teachers


@pytest.mark.parametrize("who", ["admin", "mihai", "elena", "parent"])
def test_nobody_else_sees_the_page(cast, as_user, who):
    assert as_user(getattr(cast, who)).get(URL).status_code == 404


def test_a_student_does_not_see_it_and_signed_out_people_sign_in(cast, as_user, client_a):
    assert as_user(cast.ana.user).get(URL).status_code == 404
    response = client_a.get(URL)
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize("year", ["999999", "abc", "", "1 OR 1=1"])
def test_an_unknown_year_is_a_404(cast, as_user, year):
    assert as_user(cast.stats).get(URL, {"an": year}).status_code == 404


def test_another_year_is_chosen_by_its_id(cast, as_user):
    earlier = structure.year_create(
        actor=cast.admin, name=f"{cast.year.starts.year - 1}-{cast.year.starts.year}",
        starts=cast.year.starts - timedelta(days=365), ends=cast.year.starts - timedelta(days=1),
        structure="semesters",
    )  # fmt: skip
    response = as_user(cast.stats).get(URL, {"an": earlier.pk})
    assert response.status_code == 200 and f"· {earlier.name}" in response.content.decode()


def test_the_page_costs_the_same_queries_for_few_or_many_students(school_year, as_user, django_assert_max_num_queries):
    from tests.catalog.web.test_queries import fill_class, queries_of

    client = as_user(school_year.stats)
    few = queries_of(django_assert_max_num_queries, client, URL, 25)
    fill_class(school_year, 30)
    assert queries_of(django_assert_max_num_queries, client, URL, few) == few


def test_the_home_page_links_it_for_its_readers_only(cast, as_user):
    assert URL in as_user(cast.stats).get("/").content.decode()
    assert URL not in as_user(cast.mihai).get("/").content.decode()
