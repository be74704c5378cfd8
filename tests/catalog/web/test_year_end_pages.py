"""End-of-year pages: closing averages, conduct, closing and reopening a class, exams and
closing the year; who may open each door, and bad input never changes anything."""

import pytest
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice

from catalog.grades import closing
from catalog.grades import services as grades
from catalog.grades.models import Average, ClassClosing, ConductGrade, Exam, YearResult
from catalog.reports.models import YearArchive
from catalog.structure.models import SchoolYear
from tests.catalog.grades.test_closing import close_3a_and_6b
from tests.catalog.grades.test_standings import conduct_everywhere, exempt_from_pe_and_religion


def add_grades(cast, student, teacher, subject, values):
    for value in values:
        grades.grade_add(
            teacher=teacher, student=student, school_class=cast.class_5a, subject=subject, on=cast.day, value=value
        )


def averages_url(cast, subject):
    return f"/clase/{cast.class_5a.pk}/discipline/{subject.pk}/medii/"


def messages_of(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def test_a_teacher_closes_the_chosen_averages_and_hears_about_the_refused_ones(cast, as_user):
    add_grades(cast, cast.ana, cast.mihai, cast.math, [10, 9, 9])  # Bogdan has no grades
    client = as_user(cast.mihai)
    page = client.get(averages_url(cast, cast.math)).content.decode()
    assert "Marin Ana" in page and "<strong>9</strong>" in page
    response = client.post(averages_url(cast, cast.math), {"student": [cast.ana.pk, cast.bogdan.pk]}, follow=True)
    text = messages_of(response)
    assert "Medii încheiate: 1." in text
    assert "Elevul nu are note la această disciplină" in text
    assert "Sunt 3 note; pentru încheierea mediei sunt necesare cel puțin 7." in text  # rule 5 warns
    assert Average.objects.get(student=cast.ana).value == 9
    assert not Average.objects.filter(student=cast.bogdan).exists()


def test_a_primary_teacher_closes_a_calificativ_and_may_override_the_suggestion(cast, as_user):
    for calificativ in ("FB", "FB", "B"):
        grades.grade_add(
            teacher=cast.maria, student=cast.ioana, school_class=cast.class_3a, subject=cast.math, on=cast.day,
            calificativ=calificativ,
        )  # fmt: skip
    client = as_user(cast.maria)
    url = f"/clase/{cast.class_3a.pk}/discipline/{cast.math.pk}/medii/"
    assert '<option value="FB" selected>' in client.get(url).content.decode()
    client.post(url, {"student": [cast.ioana.pk], f"calificativ-{cast.ioana.pk}": "B"})
    average = Average.objects.get(student=cast.ioana)
    assert (average.calificativ, average.suggested) == ("B", "FB")  # rule 9: the override is recorded


@pytest.mark.parametrize("who", ["elena", "radu", "admin", "director", "parent"])
def test_only_the_subjects_teacher_opens_its_averages_page(cast, as_user, who):
    client = as_user(getattr(cast, who))
    assert client.get(averages_url(cast, cast.math)).status_code == 404
    assert client.post(averages_url(cast, cast.math), {"student": [cast.ana.pk]}).status_code == 404


def test_tampered_choices_on_the_averages_page_change_nothing(cast, as_user):
    add_grades(cast, cast.ana, cast.mihai, cast.math, [9])
    client = as_user(cast.mihai)
    for data in ({"student": ["x", "9999999"]}, {}, {"student": [cast.victor.pk]}):
        response = client.post(averages_url(cast, cast.math), data, follow=True)
        assert response.status_code == 200 and "Alegeți cel puțin un elev" in messages_of(response)
    assert not Average.objects.exists()


def test_the_homeroom_teacher_sets_conduct_for_a_period_and_a_change_needs_a_reason(cast, as_user):
    client = as_user(cast.elena)
    period = cast.year.periods.order_by("number").first()
    url = f"/clase/{cast.class_5a.pk}/purtare/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"period": period.pk, f"c-{cast.ana.pk}": "10", f"c-{cast.bogdan.pk}": "9"})
    assert response.status_code == 302
    assert ConductGrade.objects.get(student=cast.bogdan, period=period).value == 9
    refused = client.post(url, {"period": period.pk, f"c-{cast.ana.pk}": "8", f"c-{cast.bogdan.pk}": "7"})
    assert refused.status_code == 400 and "motivul" in refused.content.decode()
    assert ConductGrade.objects.get(student=cast.ana, period=period).value == 10  # all or nothing
    client.post(url, {"period": period.pk, f"c-{cast.ana.pk}": "8", "reason": "abateri repetate"})
    assert ConductGrade.objects.get(student=cast.ana, period=period).value == 8


@pytest.mark.parametrize("value", ["11", "0", "FB", "<b>", "9.5"])
def test_a_tampered_conduct_value_changes_nothing(cast, as_user, value):
    period = cast.year.periods.first()
    response = as_user(cast.elena).post(
        f"/clase/{cast.class_5a.pk}/purtare/", {"period": period.pk, f"c-{cast.ana.pk}": value}
    )
    assert response.status_code == 400 and "nu este validă" in response.content.decode()
    assert not ConductGrade.objects.exists()


@pytest.mark.parametrize("who", ["mihai", "admin", "director", "maria", "parent"])
def test_only_the_homeroom_teacher_opens_the_conduct_page_and_closes_the_class(cast, as_user, who):
    client = as_user(getattr(cast, who))
    assert client.get(f"/clase/{cast.class_5a.pk}/purtare/").status_code == 404
    assert client.post(f"/clase/{cast.class_5a.pk}/incheiere/").status_code == 404
    assert not ClassClosing.objects.exists()


def ready_5a(cast):
    for student, math in [(cast.ana, [10, 9, 9]), (cast.bogdan, [4, 4, 5])]:
        exempt_from_pe_and_religion(cast, student)
        add_grades(cast, student, cast.mihai, cast.math, math)
        grades.average_close(teacher=cast.mihai, student=student, school_class=cast.class_5a, subject=cast.math)
        add_grades(cast, student, cast.elena, cast.romanian, [8])
        grades.average_close(teacher=cast.elena, student=student, school_class=cast.class_5a, subject=cast.romanian)
        conduct_everywhere(cast, student, 10)


def test_the_homeroom_teacher_closes_the_class_from_its_page_after_being_told_what_is_missing(cast, as_user):
    client = as_user(cast.elena)
    overview = f"/clase/{cast.class_5a.pk}/"
    response = client.post(f"/clase/{cast.class_5a.pk}/incheiere/", follow=True)
    assert "Situația școlară nu se poate încheia încă" in messages_of(response)
    assert "Ana Marin: media la Matematică nu este încheiată." in messages_of(response)
    ready_5a(cast)
    response = client.post(f"/clase/{cast.class_5a.pk}/incheiere/", follow=True)
    assert "Situația școlară a clasei este încheiată (2 elevi)." in messages_of(response)
    page = client.get(overview).content.decode()
    assert "Situația școlară a fost încheiată" in page and "corigent la Matematică" in page
    assert "Încheie situația școlară" not in page


def test_the_director_reopens_a_class_with_a_reason(cast, as_user):
    ready_5a(cast)
    closing.class_results_close(actor=cast.elena, school_class=cast.class_5a)
    url = f"/clase/{cast.class_5a.pk}/redeschidere/"
    assert as_user(cast.elena).post(url, {"reason": "x"}).status_code == 404
    client = as_user(cast.director)
    response = client.post(url, {"reason": ""}, follow=True)
    assert "Scrieți motivul redeschiderii." in messages_of(response)
    assert ClassClosing.objects.exists()
    client.post(url, {"reason": "contestație"})
    assert not ClassClosing.objects.exists()


def test_the_leadership_records_exams_and_the_director_closes_the_year(cast, as_user):
    ready_5a(cast)
    closing.class_results_close(actor=cast.elena, school_class=cast.class_5a)
    close_3a_and_6b(cast)
    client = as_user(cast.director)
    page = client.get("/sfarsit-de-an/").content.decode()
    assert "Avram Bogdan" in page or "Bogdan Avram" in page
    assert "corigență" in page
    assert "Promovat: 1 · Corigent: 1" in page  # 5A's stored results, counted per status
    response = client.post("/sfarsit-de-an/incheiere/", follow=True)
    assert "1 elevi așteaptă examene" in messages_of(response)
    result = YearResult.objects.get(student=cast.bogdan)
    exam = {"result": result.pk, "subject": cast.math.pk, "kind": "resit", "on": timezone.localdate().isoformat()}
    response = client.post("/sfarsit-de-an/examen/", {**exam, "grade": ""}, follow=True)
    assert "Scrieți nota sau bifați „Absent”." in messages_of(response)
    response = client.post("/sfarsit-de-an/examen/", {**exam, "grade": "12"}, follow=True)
    assert "de la 1 la 10" in messages_of(response)
    assert not Exam.objects.exists()
    response = client.post("/sfarsit-de-an/examen/", {**exam, "grade": "7"}, follow=True)
    assert "Promovat" in messages_of(response)
    response = client.post("/sfarsit-de-an/incheiere/", {"token": "999999"}, follow=True)
    assert "nu este corect" in messages_of(response) and not SchoolYear.objects.get(pk=cast.year.pk).is_closed
    StaticDevice.objects.get(user=cast.director).token_set.create(token="semnatura1")
    response = client.post("/sfarsit-de-an/incheiere/", {"token": "semnatura1"}, follow=True)
    assert "este încheiat" in messages_of(response)
    assert YearArchive.objects.get(year=cast.year).signed_off_with == "StaticDevice"
    cast.year.refresh_from_db()
    assert cast.year.is_closed
    assert "nimic nu se mai schimbă" in client.get("/sfarsit-de-an/").content.decode()


@pytest.mark.parametrize("who", ["mihai", "elena", "admin", "parent"])
def test_the_year_end_pages_are_the_leaderships_only(cast, as_user, who):
    client = as_user(getattr(cast, who))
    assert client.get("/sfarsit-de-an/").status_code == 404
    assert client.post("/sfarsit-de-an/examen/", {"result": 1}).status_code == 404
    assert client.post("/sfarsit-de-an/incheiere/").status_code == 404


@pytest.mark.parametrize(
    "data",
    [{}, {"result": "abc"}, {"result": "999999", "subject": "1", "kind": "resit", "on": "2026-01-01", "grade": "7"},
     {"result": "1", "subject": "1", "kind": "oral", "on": "ieri", "grade": "7"}],
)  # fmt: skip
def test_a_tampered_exam_form_never_fails_with_a_500(cast, as_user, data):
    response = as_user(cast.director).post("/sfarsit-de-an/examen/", data)
    assert response.status_code in (302, 404)
    assert not Exam.objects.exists()


def test_the_preparatory_teacher_writes_the_report_and_the_parent_reads_it(cast, as_user):
    from datetime import date

    from accounts.models import ParentLink
    from catalog.grades.models import DescriptiveReport
    from catalog.structure import services as structure
    from catalog.structure.models import Level
    from tests.catalog.conftest import cnp_for

    prep = structure.class_create(
        actor=cast.director, year=cast.year, level=Level.PREP, letter="C", homeroom=cast.maria
    )
    cast.maria.refresh_from_db()
    child = structure.student_create(
        actor=cast.admin, first_name="Luca", last_name="Rusu", cnp=cnp_for(date(2020, 2, 2), 161), school_class=prep,
        starts=cast.year.starts,
    )  # fmt: skip
    ParentLink.objects.create(parent=cast.parent, student=child.user)
    url = f"/clase/{prep.pk}/elevi/{child.pk}/raport/"
    assert as_user(cast.elena).get(url).status_code == 404
    assert as_user(cast.maria).get(f"/clase/{cast.class_3a.pk}/elevi/{cast.ioana.pk}/raport/").status_code == 404
    client = as_user(cast.maria)
    assert client.post(url, {"social": "x" * 2001}).status_code == 400
    assert not DescriptiveReport.objects.exists()
    assert client.post(url, {"social": "Se joacă frumos cu colegii."}).status_code == 302
    page = as_user(cast.parent).get(f"/elevi/{child.pk}/").content.decode()
    assert "Dezvoltarea socio-emoțională" in page and "Se joacă frumos cu colegii." in page
