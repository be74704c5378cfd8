"""Curricular modules' pages (DOMAIN rule 4): the secretariat and the leadership set up a
technological class's modules (nobody else sees the pages); the subject's teacher grades into a
module from the gradebook and closes the module's averages once it has ended; the student and
the parents see them. Bad input shows a Romanian message and changes nothing."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.roles import Role
from audit.actions import Action
from audit.models import AuditEvent, Source
from catalog.grades import modules as grade_modules
from catalog.grades import services as grades
from catalog.grades.models import Average, Grade
from catalog.structure import modules
from catalog.structure.models import CurricularModule, RuleSet, SchoolYear, Student
from tests.accounts.conftest import make_user
from tests.catalog.structure.test_modules import grade, vocational, vocational_elsewhere
from tests.catalog.web.conftest import gradebook_url


@pytest.fixture
def voc(cast):
    return vocational(cast)


def list_url(voc) -> str:
    return f"/clase/{voc.school_class.pk}/module/"


def module_url(voc, module, action="") -> str:
    return f"/clase/{voc.school_class.pk}/module/{module.pk}/{action + '/' if action else ''}"


def page_of(response) -> str:
    """The page's own content (the header's menu has its sign-out forms on every page)."""
    return response.content.decode().split("<main", 1)[-1]


def refused(response, message: str) -> None:
    assert response.status_code == 400, response.status_code
    assert str(message) in page_of(response), page_of(response)[-3000:]


def messages_of(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def module_fields(voc, **changes) -> dict:
    return {
        "subject": voc.subject.pk, "name": "Aparate de măsură", "total_hours": "30",
        "starts": voc.first.starts.isoformat(), "ends": voc.first.ends.isoformat(),
    } | changes  # fmt: skip


def snapshot() -> tuple:
    return (
        list(CurricularModule.objects.order_by("pk").values_list("name", "subject", "total_hours", "starts", "ends")),
        AuditEvent.objects.count(),
    )


@pytest.fixture
def admin(cast, as_user):
    return as_user(cast.admin)


# -- who sees the configuration pages -------------------------------------------------------


def test_the_class_page_links_to_the_modules_of_a_technological_class_only(cast, voc, admin):
    assert f'href="{list_url(voc)}"' in page_of(admin.get(f"/configurare/clase/{voc.school_class.pk}/"))
    assert "/module/" not in page_of(admin.get(f"/configurare/clase/{cast.class_5a.pk}/"))


def test_the_admin_the_director_and_the_deputy_open_the_module_pages(cast, voc, as_user):
    deputy = make_user(connection.schema_name, "adjunct.scolii", [Role.DEPUTY])
    for user in (cast.admin, cast.director, deputy):
        client = as_user(user)
        for url in (list_url(voc), module_url(voc, voc.first), module_url(voc, voc.second, "stergere")):
            assert client.get(url).status_code == 200, url
    page = page_of(as_user(cast.admin).get(list_url(voc)))
    assert "Măsurări electrice" in page and "Circuite electrice" in page and 'name="total_hours"' in page


@pytest.mark.parametrize("who", ["ion", "mihai", "elena", "parent", "ana", "stats"])
def test_teachers_parents_students_and_viewers_get_404_and_change_nothing(cast, voc, as_user, who):
    person = getattr(voc, who, None) or getattr(cast, who)
    client = as_user(person.user if isinstance(person, Student) else person)
    before = snapshot()
    for url in (list_url(voc), module_url(voc, voc.first), module_url(voc, voc.second, "stergere")):
        assert client.get(url).status_code == 404, url
        assert client.post(url, module_fields(voc, name="Intrus")).status_code == 404, url
    assert snapshot() == before


@pytest.mark.parametrize(
    "url",
    ["/clase/999999/module/", "/clase/{c}/module/999999/", "/clase/{c}/module/999999/stergere/",
     "/clase/{other}/module/{m}/", "/clase/{other}/module/{m}/stergere/", "/clase/{c}/module/{elsewhere}/"],
)  # fmt: skip
def test_ids_that_do_not_exist_or_belong_to_another_class_are_404(cast, voc, admin, url):
    elsewhere = vocational_elsewhere(cast, voc)
    url = url.format(c=voc.school_class.pk, other=cast.class_5a.pk, m=voc.first.pk, elsewhere=elsewhere.pk)
    before = snapshot()
    assert admin.get(url).status_code == 404
    assert admin.post(url, module_fields(voc)).status_code == 404
    assert snapshot() == before


# -- adding, changing and deleting ----------------------------------------------------------


def test_the_admin_adds_a_module_through_the_page(cast, voc, admin):
    response = admin.post(list_url(voc), module_fields(voc))
    assert response.status_code == 302 and response["Location"] == list_url(voc)
    module = CurricularModule.objects.get(name="Aparate de măsură")
    assert (module.school_class, module.subject, module.total_hours) == (voc.school_class, voc.subject, 30)
    assert AuditEvent.objects.filter(
        action=Action.MODULE_CREATED, actor_id=cast.admin.pk, source=Source.PAGE, object_id=str(module.pk)
    ).exists()
    assert "Modulul Aparate de măsură a fost adăugat." in messages_of(admin.get(list_url(voc)))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"total_hours": "0"}, "Cel puțin 1."),
        ({"total_hours": "2001"}, "Cel mult 2000."),
        ({"total_hours": "7.5"}, "Scrieți un număr întreg."),
        ({"name": "Modul\u202e"}, "Textul are caractere nepermise."),
        ({"name": "Măsurări electrice"}, "Disciplina are deja un modul numit „Măsurări electrice” la această clasă."),
        ({"starts": "2001-01-01"}, "Modulul trebuie să înceapă și să se termine în anul școlar"),
        ({"ends": "2001-01-01"}, "Modulul trebuie să înceapă și să se termine în anul școlar"),
        ({"starts": "31.02.2027"}, "Scrieți o dată validă (zz.ll.aaaa)."),
        ({"subject": "999999"}, "Alegerea nu este validă."),
    ],
)  # fmt: skip
def test_a_bad_module_is_refused_with_a_romanian_message_and_nothing_changes(cast, voc, admin, changes, message):
    before = snapshot()
    refused(admin.post(list_url(voc), module_fields(voc, **changes)), message)
    assert snapshot() == before


def test_a_subject_outside_the_classs_curriculum_is_not_offered_nor_taken(cast, voc, admin):
    page = page_of(admin.get(list_url(voc)))
    assert f'value="{voc.subject.pk}"' in page and f'value="{cast.romanian.pk}"' not in page
    refused(admin.post(list_url(voc), module_fields(voc, subject=cast.romanian.pk)), "Alegerea nu este validă.")
    assert not CurricularModule.objects.filter(name="Aparate de măsură").exists()


def test_a_class_that_is_not_technological_has_no_modules_to_set_up(cast, voc, admin):
    url = f"/clase/{cast.class_5a.pk}/module/"
    page = page_of(admin.get(url))
    assert str(modules.NOT_TECHNOLOGICAL) in page and 'type="submit"' not in page
    refused(admin.post(url, module_fields(voc, subject=cast.math.pk)), modules.NOT_TECHNOLOGICAL)
    assert not CurricularModule.objects.filter(school_class=cast.class_5a).exists()


def test_the_admin_changes_a_module(cast, voc, admin):
    page = page_of(admin.get(module_url(voc, voc.second)))
    assert 'value="Circuite electrice"' in page and 'value="60"' in page
    data = module_fields(voc, name="Circuite de curent alternativ", total_hours="75",
                         starts=voc.second.starts.isoformat(), ends=voc.second.ends.isoformat())  # fmt: skip
    assert admin.post(module_url(voc, voc.second), data).status_code == 302
    module = CurricularModule.objects.get(pk=voc.second.pk)
    assert (module.name, module.total_hours) == ("Circuite de curent alternativ", 75)
    assert AuditEvent.objects.filter(action=Action.MODULE_CHANGED, source=Source.PAGE).exists()


def test_a_change_that_would_leave_grades_outside_the_module_is_refused(cast, voc, admin):
    grade(voc, voc.paul, 8, voc.first, on=voc.first.ends)
    before = snapshot()
    data = module_fields(voc, name=voc.first.name, ends=(voc.first.ends - timedelta(days=1)).isoformat())
    refused(admin.post(module_url(voc, voc.first), data), "Modulul are note între")
    assert snapshot() == before


def test_the_admin_deletes_a_module_without_grades_only(cast, voc, admin):
    grade(voc, voc.paul, 8, voc.first)
    before = snapshot()
    refused(admin.post(module_url(voc, voc.first, "stergere")), grade_modules.HAS_GRADES)
    assert snapshot() == before
    response = admin.post(module_url(voc, voc.second, "stergere"))
    assert response.status_code == 302
    assert not CurricularModule.objects.filter(name="Circuite electrice").exists()
    assert AuditEvent.objects.filter(action=Action.MODULE_DELETED, source=Source.PAGE).exists()


def test_a_closed_year_shows_the_module_pages_without_forms_and_refuses_writes(cast, voc, admin):
    SchoolYear.objects.filter(pk=cast.year.pk).update(closed_at=timezone.now())
    message = f"Anul școlar {cast.year.name} este încheiat: nu se mai pot face modificări."
    for url in (list_url(voc), module_url(voc, voc.second), module_url(voc, voc.second, "stergere")):
        page = page_of(admin.get(url))
        assert "este încheiat" in page and 'type="submit"' not in page, url
    before = snapshot()
    refused(admin.post(list_url(voc), module_fields(voc)), message)
    refused(admin.post(module_url(voc, voc.second), module_fields(voc, name="Altul")), message)
    refused(admin.post(module_url(voc, voc.second, "stergere")), message)
    assert snapshot() == before


GARBAGE = ["", "-1", "0", "9" * 30, "abc", "\x00", "\u202e", "<script>", "2031-02-30", "9999-12-31", "0001-01-01"]


@pytest.mark.parametrize("value", GARBAGE)
def test_any_value_in_every_field_is_answered_without_an_error_page(cast, voc, admin, value):
    fields = dict.fromkeys(["subject", "name", "total_hours", "starts", "ends"], value)
    for url in (list_url(voc), module_url(voc, voc.second), module_url(voc, voc.second, "stergere")):
        assert admin.post(url, fields).status_code in (302, 400), url


# -- grading into a module ------------------------------------------------------------------


def gradebook(voc):
    return gradebook_url(voc.school_class, voc.subject)


def grade_url(voc, student):
    return gradebook_url(voc.school_class, voc.subject, student, "nota")


def test_the_gradebook_of_a_modular_subject_chooses_the_module_running_on_the_day(voc, as_user):
    client = as_user(voc.ion)
    page = page_of(client.get(gradebook(voc), {"zi": voc.first_day.isoformat()}))
    assert f'<option value="{voc.first.pk}" selected>' in page
    assert f'<input type="hidden" name="module" value="{voc.first.pk}">' in page
    assert f"/clase/{voc.school_class.pk}/module/{voc.first.pk}/medii/" in page  # the module's averages
    page = page_of(client.get(gradebook(voc), {"zi": voc.first_day.isoformat(), "modul": "0"}))
    assert '<input type="hidden" name="module" value="">' in page  # "no module", chosen
    # A module chosen for a day it does not run on gives way to the one running then.
    page = page_of(client.get(gradebook(voc), {"zi": voc.first_day.isoformat(), "modul": str(voc.second.pk)}))
    assert f'<input type="hidden" name="module" value="{voc.first.pk}">' in page


def test_a_teacher_grades_into_the_chosen_module_and_the_list_shows_it(voc, as_user):
    client = as_user(voc.ion)
    data = {"value": "9", "on": voc.first_day.isoformat(), "hour": "2", "module": str(voc.first.pk)}
    row = client.post(grade_url(voc, voc.paul), data, HTTP_HX_REQUEST="true")
    assert row.status_code == 200 and "la modulul Măsurări electrice" in page_of(row)
    assert f'<input type="hidden" name="module" value="{voc.first.pk}">' in page_of(row)  # the next tap too
    assert Grade.objects.get(student=voc.paul).module == voc.first
    assert '<small class="meta">M1</small>' in page_of(row)
    response = client.post(grade_url(voc, voc.sorin), {**data, "value": "7"})
    assert response.status_code == 302 and f"modul={voc.first.pk}" in response["Location"]
    assert '<small class="meta">M1</small>' in page_of(client.get(response["Location"]))


def test_a_grade_without_a_module_stays_outside_the_modules(voc, as_user):
    client = as_user(voc.ion)
    client.post(grade_url(voc, voc.paul), {"value": "9", "on": voc.first_day.isoformat(), "module": ""})
    assert Grade.objects.get(student=voc.paul).module is None


@pytest.mark.parametrize("tampered", ["elsewhere", "math", "second", "999999", "abc", "-3", "9" * 30])
def test_a_tampered_module_is_refused_and_no_grade_is_written(cast, voc, as_user, tampered):
    elsewhere = vocational_elsewhere(cast, voc)
    math_module = CurricularModule.objects.create(
        school_class=voc.school_class, subject=cast.math, name="Algebră aplicată", total_hours=30,
        starts=voc.first.starts, ends=voc.first.ends,
    )  # fmt: skip
    module_id = {
        "elsewhere": elsewhere.pk, "math": math_module.pk, "second": voc.second.pk,  # another class, subject, time
    }.get(tampered, tampered)  # fmt: skip
    before = AuditEvent.objects.filter(action=Action.GRADE_ADDED).count()
    row = as_user(voc.ion).post(
        grade_url(voc, voc.paul), {"value": "9", "on": voc.first_day.isoformat(), "module": str(module_id)},
        HTTP_HX_REQUEST="true",
    )  # fmt: skip
    assert row.status_code == 200 and 'role="alert"' in page_of(row)
    assert str(grades.MODULE_MISMATCH) in page_of(row) or "Modulul ales nu este valid." in page_of(row)
    assert not Grade.objects.exists()
    assert AuditEvent.objects.filter(action=Action.GRADE_ADDED).count() == before


def test_a_gradebook_without_modules_looks_as_before(cast, as_user):
    page = page_of(as_user(cast.mihai).get(gradebook_url(cast.class_5a, cast.math)))
    assert 'name="module"' not in page and 'name="modul"' not in page and "Module" not in page


def test_a_closed_module_average_refuses_more_grades_in_that_module(voc, as_user):
    for value in (8, 9):
        grade(voc, voc.paul, value, voc.first)
    grade_modules.module_average_close(teacher=voc.ion, student=voc.paul, module=voc.first)
    row = as_user(voc.ion).post(
        grade_url(voc, voc.paul), {"value": "10", "on": voc.first_day.isoformat(), "module": str(voc.first.pk)},
        HTTP_HX_REQUEST="true",
    )  # fmt: skip
    assert str(grades.AVERAGE_CLOSED) in page_of(row)
    assert Grade.objects.filter(student=voc.paul).count() == 2


# -- closing a module's averages ------------------------------------------------------------


def averages_url(voc, module):
    return module_url(voc, module, "medii")


def test_the_subjects_teacher_closes_the_module_averages_once_it_has_ended(voc, as_user):
    for value in (10, 7):
        grade(voc, voc.paul, value, voc.first)
    grade(voc, voc.paul, 3, None)  # not the module's: left out of its average
    client = as_user(voc.ion)
    page = page_of(client.get(averages_url(voc, voc.first)))
    assert "Nistor Paul" in page and "<strong>9</strong>" in page  # 8.5 rounds up (rule 3)
    assert f'value="{voc.paul.pk}" id="s{voc.paul.pk}" checked' in page
    assert f'value="{voc.sorin.pk}"' not in page  # no grades: nothing to close
    response = client.post(averages_url(voc, voc.first), {"student": [voc.paul.pk, voc.sorin.pk]}, follow=True)
    text = messages_of(response)
    assert "Medii încheiate la modulul Măsurări electrice: 1." in text
    assert "Sorin Ilie: Elevul nu are note la această disciplină" in text  # the refusal, listed
    average = Average.objects.get(student=voc.paul)
    assert (average.module, average.value, average.closed) == (voc.first, 9, True)
    assert "🔒" in page_of(response)


def test_too_few_grades_warn_and_the_row_is_left_unticked(voc, as_user):
    grade(voc, voc.paul, 8, voc.first)  # 1 of the 2 grades a 50-hour module needs
    client = as_user(voc.ion)
    page = page_of(client.get(averages_url(voc, voc.first)))
    assert "Prea puține note (1 din 2)" in page
    assert f'value="{voc.paul.pk}" id="s{voc.paul.pk}">' in page  # offered, not ticked
    response = client.post(averages_url(voc, voc.first), {"student": [voc.paul.pk]}, follow=True)
    assert "Sunt 1 note; pentru încheierea mediei sunt necesare cel puțin 2." in messages_of(response)
    assert Average.objects.get(student=voc.paul).value == 8


def test_too_few_grades_block_when_the_rule_set_says_so(cast, voc, as_user):
    RuleSet.objects.filter(pk=cast.year.rule_set_id).update(min_grades_block=True)
    grade(voc, voc.paul, 8, voc.first)
    client = as_user(voc.ion)
    page = page_of(client.get(averages_url(voc, voc.first)))
    assert "media nu se poate încheia" in page and f'value="{voc.paul.pk}"' not in page
    response = client.post(averages_url(voc, voc.first), {"student": [voc.paul.pk]}, follow=True)
    assert "Paul Nistor: Sunt 1 note" in messages_of(response)
    assert not Average.objects.exists()


def test_a_module_that_has_not_ended_shows_its_averages_but_keeps_them_open(voc, as_user):
    client = as_user(voc.ion)
    page = page_of(client.get(averages_url(voc, voc.second)))
    assert f"Modulul se termină pe {voc.second.ends:%d.%m.%Y}" in page and 'type="submit"' not in page
    response = client.post(averages_url(voc, voc.second), {"student": [voc.paul.pk]}, follow=True)
    assert "Modulul se termină pe" in messages_of(response)
    assert not Average.objects.exists()


@pytest.mark.parametrize("who", ["mihai", "elena", "radu", "admin", "director", "parent"])
def test_only_the_subjects_teacher_opens_the_module_averages_page(cast, voc, as_user, who):
    grade(voc, voc.paul, 8, voc.first)
    client = as_user(getattr(cast, who))
    assert client.get(averages_url(voc, voc.first)).status_code == 404
    assert client.post(averages_url(voc, voc.first), {"student": [voc.paul.pk]}).status_code == 404
    assert not Average.objects.exists()


def test_a_module_average_page_of_another_class_or_no_module_is_404(cast, voc, as_user):
    elsewhere = vocational_elsewhere(cast, voc)
    client = as_user(voc.ion)
    for url in (f"/clase/{voc.school_class.pk}/module/{elsewhere.pk}/medii/",
                f"/clase/{voc.school_class.pk}/module/999999/medii/",
                f"/clase/{cast.class_5a.pk}/module/{voc.first.pk}/medii/"):  # fmt: skip
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"student": [voc.paul.pk]}).status_code == 404, url


def test_tampered_choices_on_the_module_averages_page_change_nothing(cast, voc, as_user):
    grade(voc, voc.paul, 8, voc.first)
    client = as_user(voc.ion)
    for data in ({"student": ["x", "9999999", "9" * 30]}, {}, {"student": [cast.ana.pk]}):
        response = client.post(averages_url(voc, voc.first), data, follow=True)
        assert response.status_code == 200 and "Alegeți cel puțin un elev" in messages_of(response)
    assert not Average.objects.exists()


def test_the_student_sees_the_module_averages_of_their_year(voc, as_user):
    for value in (10, 9):
        grade(voc, voc.paul, value, voc.first)
    grade_modules.module_average_close(teacher=voc.ion, student=voc.paul, module=voc.first)
    page = page_of(as_user(voc.paul.user).get(f"/elevi/{voc.paul.pk}/"))
    first = page.index("Modulul Măsurări electrice")
    assert 'media <strong class="num">10</strong>' in page[first : first + 400]
    second = page.index("Modulul Circuite electrice")
    assert "fără medie încă" in page[second : second + 400]  # no grades there yet


# -- the year's end of a subject taught in modules ------------------------------------------


def test_a_subject_in_modules_has_no_annual_average_page(voc, as_user):
    """Rule 4: its averages are the modules'; the subject's own page sends the teacher back."""
    for value in (9, 8):
        grade(voc, voc.paul, value, voc.first)
    client = as_user(voc.ion)
    assert "Mediile se încheie pe module" in page_of(client.get(gradebook(voc)))
    url = f"/clase/{voc.school_class.pk}/discipline/{voc.subject.pk}/medii/"
    for response in (client.get(url, follow=True), client.post(url, {"student": [voc.paul.pk]}, follow=True)):
        assert response.redirect_chain[-1][0] == gradebook(voc)
        assert "La Bazele electrotehnicii mediile se încheie pe module" in messages_of(response)
    assert not Average.objects.exists()


def test_the_leadership_records_a_resit_at_a_module(cast, voc, as_user):
    from catalog.grades import closing
    from catalog.grades.models import Exam, YearResult
    from tests.catalog.structure.test_modules import FIRST, close_modules, module_grades, vocational_ended

    voc = vocational_ended(cast, voc)
    module_grades(voc, voc.paul, [10, 9], [8, 8])
    module_grades(voc, voc.sorin, [3, 4], [8, 8])
    for student in (voc.paul, voc.sorin):
        close_modules(voc, student)
    closing.class_results_close(actor=voc.ion, school_class=voc.school_class)
    client = as_user(cast.director)
    page = page_of(client.get("/sfarsit-de-an/"))
    assert FIRST in page and f'<input type="hidden" name="module" value="{voc.first.pk}">' in page
    result = YearResult.objects.get(student=voc.sorin)
    exam = {"result": result.pk, "subject": voc.subject.pk, "kind": "resit", "on": timezone.localdate().isoformat()}
    # A module of another class is not this exam's; another module of the subject has no resit.
    other = vocational_elsewhere(cast, voc)
    for module in (other.pk, 10**30, -1):
        assert client.post("/sfarsit-de-an/examen/", {**exam, "grade": "7", "module": module}).status_code == 404
    response = client.post("/sfarsit-de-an/examen/", {**exam, "grade": "7", "module": voc.second.pk}, follow=True)
    assert "nu este corigent la" in messages_of(response) and not Exam.objects.exists()
    response = client.post("/sfarsit-de-an/examen/", {**exam, "grade": "7", "module": voc.first.pk}, follow=True)
    assert "Promovat" in messages_of(response)
    assert Exam.objects.get().module == voc.first
