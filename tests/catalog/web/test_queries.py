"""Catalog pages keep a constant number of queries whatever the class size."""

from datetime import date

from catalog.attendance.models import Absence
from catalog.grades import transcriptions
from catalog.grades.models import Grade
from catalog.grades.transcriptions import TranscribedAbsence, TranscribedConduct
from catalog.structure import services as structure
from catalog.structure.models import Enrolment
from tests.catalog.conftest import cnp_for
from tests.catalog.structure.test_modules import vocational
from tests.catalog.web.conftest import gradebook_url


def fill_class(cast, students: int) -> None:
    """`students` more students in 5A, each with 15 mathematics grades and 3 absences."""
    made = [
        structure.student_create(
            actor=cast.admin, first_name=f"Elev{n}", last_name="Test", cnp=cnp_for(date(2015, 1, 1), 200 + n),
            school_class=cast.class_5a, starts=cast.year.starts,
        )
        for n in range(students)
    ]  # fmt: skip
    day = cast.year.starts
    Grade.objects.bulk_create(
        Grade(student=s, school_class=cast.class_5a, subject=cast.math, teacher=cast.mihai, value=8, on=day)
        for s in made for _k in range(15)
    )  # fmt: skip
    Absence.objects.bulk_create(
        Absence(student=s, school_class=cast.class_5a, subject=cast.math, teacher=cast.mihai, on=day, hour=h)
        for s in made for h in (1, 2, 3)
    )  # fmt: skip


def queries_of(django_assert_max_num_queries, client, url, limit):
    with django_assert_max_num_queries(limit) as captured:
        assert client.get(url).status_code == 200
    assert len(captured) > 3  # the page was measured
    return len(captured)


def test_the_gradebook_costs_the_same_queries_for_2_or_35_students(cast, as_user, django_assert_max_num_queries):
    client = as_user(cast.mihai)
    url = gradebook_url(cast.class_5a, cast.math)
    small = queries_of(django_assert_max_num_queries, client, url, 20)
    fill_class(cast, 33)
    assert queries_of(django_assert_max_num_queries, client, url, small) == small


def test_the_student_page_costs_the_same_queries_however_many_grades(cast, as_user, django_assert_max_num_queries):
    client = as_user(cast.parent)
    url = f"/elevi/{cast.ana.pk}/"
    # A parent without a second factor costs one query per kind of factor (passkeys made it five);
    # the family's overview adds the year's standing by the year-end code and the visit (11).
    few = queries_of(django_assert_max_num_queries, client, url, 37)
    day = cast.year.starts
    Grade.objects.bulk_create(
        Grade(student=cast.ana, school_class=cast.class_5a, subject=subject, teacher=cast.mihai, value=9, on=day)
        for subject in (cast.math, cast.romanian) for _n in range(20)
    )  # fmt: skip
    assert queries_of(django_assert_max_num_queries, client, url, few) == few


def test_the_end_of_year_pages_cost_the_same_queries_for_2_or_35_students(cast, as_user, django_assert_max_num_queries):
    pages = [
        (as_user(cast.mihai), f"/clase/{cast.class_5a.pk}/discipline/{cast.math.pk}/medii/"),
        (as_user(cast.elena), f"/clase/{cast.class_5a.pk}/purtare/"),
        (as_user(cast.elena), f"/clase/{cast.class_5a.pk}/"),
        (as_user(cast.director), "/sfarsit-de-an/"),
    ]
    small = [queries_of(django_assert_max_num_queries, client, url, 25) for client, url in pages]
    fill_class(cast, 33)
    large = [
        queries_of(django_assert_max_num_queries, client, url, n) for (client, url), n in zip(pages, small, strict=True)
    ]
    assert large == small


def test_the_siiir_export_costs_the_same_queries_for_2_or_35_students(cast, as_user, django_assert_max_num_queries):
    client = as_user(cast.admin)

    def download_queries(limit: int) -> int:
        with django_assert_max_num_queries(limit) as captured:
            assert client.post("/raportare/siiir/", {"year": cast.year.pk, "code": "csv"}).status_code == 200
        return len(captured)

    small = download_queries(30)
    fill_class(cast, 33)
    assert download_queries(small) == small


def test_a_modular_gradebook_and_its_module_pages_cost_the_same_queries_for_2_or_35_students(
    cast, as_user, django_assert_max_num_queries
):
    """Rule 4: a technological class's subject taught in modules (the gradebook with its module
    picker and labels, a module's averages, a student's year with module averages)."""
    voc = vocational(cast)
    Grade.objects.bulk_create(
        Grade(student=s, school_class=voc.school_class, subject=voc.subject, teacher=voc.ion, value=8, on=day,
              module=module)
        for s in (voc.paul, voc.sorin) for module, day in ((voc.first, voc.first.starts), (None, voc.first.starts))
    )  # fmt: skip
    teacher, student = as_user(voc.ion), as_user(voc.paul.user)
    pages = [
        (teacher, gradebook_url(voc.school_class, voc.subject)),
        (teacher, f"/clase/{voc.school_class.pk}/module/{voc.first.pk}/medii/"),
        (student, f"/elevi/{voc.paul.pk}/"),
    ]
    # The student's year: the family's overview adds the standing and the visit (11).
    small = [queries_of(django_assert_max_num_queries, client, url, limit)
             for (client, url), limit in zip(pages, (25, 25, 36), strict=True)]  # fmt: skip
    made = [
        structure.student_create(
            actor=cast.admin, first_name=f"Elev{n}", last_name="Test", cnp=cnp_for(date(2011, 1, 1), 400 + n),
            school_class=voc.school_class, starts=cast.year.starts,
        )
        for n in range(33)
    ]  # fmt: skip
    Grade.objects.bulk_create(
        Grade(student=s, school_class=voc.school_class, subject=voc.subject, teacher=voc.ion, value=9,
              on=voc.first.starts, module=voc.first)
        for s in [*made, voc.paul] for _k in range(6)
    )  # fmt: skip
    large = [
        queries_of(django_assert_max_num_queries, client, url, n) for (client, url), n in zip(pages, small, strict=True)
    ]
    assert large == small


def test_a_class_with_students_from_other_schools_costs_the_same_queries_for_1_or_6(
    cast, transfer, as_user, django_assert_max_num_queries
):
    """The absences brought cost one query for the whole class, however many bring some."""

    def bring(enrolment) -> None:
        transcriptions.transcription_record(
            homeroom=cast.elena, enrolment=enrolment, origin="Școala Gimnazială nr. 5 Cluj-Napoca", document="1234",
            document_date=enrolment.starts, grades=[], conduct=[TranscribedConduct(transfer.periods[0], 10)],
            absences=[TranscribedAbsence(cast.math, excused=1, unexcused=2)],
        )  # fmt: skip

    bring(transfer.enrolment)
    pages = [
        (as_user(cast.mihai), gradebook_url(transfer.target, cast.math)),
        (as_user(cast.elena), f"/clase/{transfer.target.pk}/"),
        (as_user(cast.elena), f"/clase/{transfer.target.pk}/purtare/"),
    ]
    one = [queries_of(django_assert_max_num_queries, client, url, 40) for client, url in pages]
    for n in range(5):
        student = structure.student_create(
            actor=cast.admin, first_name=f"Venit{n}", last_name="Transfer", cnp=cnp_for(date(2013, 6, 2), 420 + n),
            school_class=transfer.target, starts=transfer.enrolment.starts, entry=Enrolment.Entry.TRANSFER_IN,
        )  # fmt: skip
        bring(Enrolment.objects.get(student=student))
    six = [
        queries_of(django_assert_max_num_queries, client, url, limit)
        for (client, url), limit in zip(pages, one, strict=True)
    ]
    assert six == one
    gradebook = pages[0][0].get(pages[0][1]).content.decode()
    assert "Venit4" in gradebook and gradebook.count("De la școala de proveniență") == 6
