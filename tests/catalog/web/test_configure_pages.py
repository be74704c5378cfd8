"""The school's configuration pages: years and rules, subjects, classes, curriculum,
assignments, students. The admin (secretary) configures through them; nobody else sees
them; bad input shows a Romanian message and changes nothing; a closed year is read-only."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from audit.actions import Action
from audit.models import AuditEvent, Source
from catalog.rights.models import RightsRequest
from catalog.structure import services as structure
from catalog.structure.models import (
    CurriculumEntry,
    Enrolment,
    Exemption,
    LearningPeriod,
    Level,
    RuleSet,
    SchoolClass,
    SchoolYear,
    Student,
    Subject,
    TeachingAssignment,
)
from tests.accounts.conftest import SCHOOL_A_HOST, make_user
from tests.catalog.conftest import cnp_for, cnp_with_check
from tests.catalog.web.conftest import SchoolClient

BASE = "/configurare/"


def audited(action: str, actor: User, obj=None) -> bool:
    """An audit event of `action` by `actor` through a page (about `obj`, when given)."""
    events = AuditEvent.objects.filter(action=action, actor_id=actor.pk, source=Source.PAGE)
    if obj is not None:
        events = events.filter(object_id=str(obj.pk))
    return events.exists()


def page_of(response) -> str:
    """The page's own content (the header's menu has its sign-out forms on every page)."""
    return response.content.decode().split("<main", 1)[-1]


def refused(response, message: str) -> None:
    """The page came back (400) with `message` and no redirect."""
    assert response.status_code == 400, response.status_code
    assert message in page_of(response), page_of(response)[-3000:]


def urls(cast) -> list[str]:
    """Every configuration page, with ids of the standing cast."""
    c = cast.class_5a
    assignment = TeachingAssignment.objects.get(school_class=c, subject=cast.math)
    return [
        BASE, f"{BASE}ani/", f"{BASE}ani/{cast.year.pk}/", f"{BASE}ani/{cast.year.pk}/clase/", f"{BASE}discipline/",
        f"{BASE}clase/{c.pk}/", f"{BASE}clase/{c.pk}/plan/", f"{BASE}clase/{c.pk}/incadrari/",
        f"{BASE}clase/{c.pk}/incadrari/{assignment.pk}/stergere/", f"{BASE}clase/{c.pk}/elevi/",
        f"{BASE}clase/{c.pk}/elevi/{cast.ana.pk}/plecare/", f"{BASE}clase/{c.pk}/elevi/{cast.ana.pk}/scutiri/",
    ]  # fmt: skip


def students_url(school_class, student=None, action="") -> str:
    url = f"{BASE}clase/{school_class.pk}/elevi/"
    return f"{url}{student.pk}/{action}/" if student else url


@pytest.fixture
def admin(cast, as_user):
    return as_user(cast.admin)


# -- who sees the pages --------------------------------------------------------------------


def test_the_admin_and_the_director_open_every_configuration_page(cast, as_user):
    for user in (cast.admin, cast.director):
        client = as_user(user)
        for url in urls(cast):
            assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("who", ["mihai", "elena", "parent", "ana", "stats"])
def test_teachers_parents_students_and_viewers_get_404_on_every_page_and_change_nothing(cast, as_user, who):
    person = getattr(cast, who)
    client = as_user(person.user if isinstance(person, Student) else person)
    before = AuditEvent.objects.count()
    for url in urls(cast):
        assert client.get(url).status_code == 404, url
        post = {"name": "Desen", "kind": "regular", "position": "3", "reason": "x", "level": "05", "letter": "Z"}
        assert client.post(url, post).status_code == 404, url
    assert AuditEvent.objects.count() == before
    assert not Subject.objects.filter(name="Desen").exists()
    assert TeachingAssignment.objects.filter(school_class=cast.class_5a, subject=cast.math).exists()


def test_the_home_page_links_to_the_configuration_for_configurers_only(cast, as_user):
    assert f'href="{BASE}"' in page_of(as_user(cast.admin).get("/"))
    assert f'href="{BASE}"' not in page_of(as_user(cast.mihai).get("/"))


def test_a_deactivated_admin_is_signed_out_of_the_pages(cast, as_user):
    client = as_user(cast.admin)
    User.objects.filter(pk=cast.admin.pk).update(is_active=False)
    response = client.get(BASE)
    assert response.status_code == 302 and "/cont/login/" in response["Location"]


def test_a_visitor_who_is_not_signed_in_is_sent_to_sign_in(cast, in_school_a):
    client = SchoolClient(HTTP_HOST=SCHOOL_A_HOST)
    client.schema = in_school_a.schema_name
    response = client.get(f"{BASE}discipline/")
    assert response.status_code == 302 and "/cont/login/" in response["Location"]


@pytest.mark.parametrize(
    "url",
    [
        "ani/999999/", "ani/999999/clase/", "clase/999999/", "clase/999999/plan/", "clase/999999/elevi/",
        "clase/{c}/incadrari/999999/stergere/", "clase/{c}/elevi/999999/plecare/", "clase/{c}/elevi/999999/scutiri/",
    ],
)  # fmt: skip
def test_ids_that_do_not_exist_are_404(cast, admin, url):
    assert admin.get(BASE + url.format(c=cast.class_5a.pk)).status_code == 404
    assert admin.post(BASE + url.format(c=cast.class_5a.pk), {"reason": "x"}).status_code == 404


GARBAGE = ["", "-1", "0", "9" * 30, "abc", "\x00", "\u202e", "<script>", "2031-02-30", "9999-12-31", "0001-01-01"]
FIELD_NAMES = [
    "name", "starts", "ends", "structure", "periods-TOTAL_FORMS", "periods-INITIAL_FORMS", "periods-0-name",
    "periods-0-starts", "periods-0-ends", "note", "conduct_absence_step", "notify_at", "general_average_truncate",
    "kind", "position", "short_name", "level", "letter", "homeroom", "technological", "subject", "weekly_hours",
    "weeks", "teacher", "reason", "last_name", "first_name", "cnp", "email", "entry", "register_number", "exit",
    "document", "document_date", "create", "propose",
]  # fmt: skip


@pytest.mark.parametrize("value", GARBAGE)
def test_any_value_in_every_field_of_every_page_is_answered_without_an_error_page(cast, admin, value):
    """Some values are valid somewhere (an empty homeroom, a reason "abc"): only crashes are wrong
    here (the test client re-raises a view's exception); the refusals are tested page by page."""
    for url in urls(cast):
        response = admin.post(url, dict.fromkeys(FIELD_NAMES, value))
        assert response.status_code in (302, 400, 404, 405), (url, response.status_code)


def test_control_characters_are_refused_in_names(cast, admin):
    data = {"name": "Desen\u202e", "kind": "regular", "position": "5"}
    refused(admin.post(f"{BASE}discipline/", data), "Textul are caractere nepermise.")
    assert not Subject.objects.filter(name__startswith="Desen").exists()


# -- school years and periods --------------------------------------------------------------


def year_fields(name="2031-2032", starts="2031-09-08", ends="2032-06-20", structure="semesters") -> dict:
    return {"name": name, "starts": starts, "ends": ends, "structure": structure}


def periods_fields(rows: list[tuple[str, str, str]], initial: int | None = None) -> dict:
    initial = len(rows) if initial is None else initial
    data = {"periods-TOTAL_FORMS": str(len(rows)), "periods-INITIAL_FORMS": str(initial)}
    for n, (name, starts, ends) in enumerate(rows):
        data |= {f"periods-{n}-name": name, f"periods-{n}-starts": starts, f"periods-{n}-ends": ends}
    return data


def test_the_year_form_proposes_even_periods_to_edit(admin):
    response = admin.post(f"{BASE}ani/", {**year_fields(structure="trimesters"), "propose": ""})
    page = page_of(response)
    assert response.status_code == 200
    expected = structure.periods_even(structure="trimesters", starts=date(2031, 9, 8), ends=date(2032, 6, 20))
    for n, period in enumerate(expected):
        assert f'name="periods-{n}-starts" value="{period.starts.isoformat()}"' in page
        assert f'name="periods-{n}-ends" value="{period.ends.isoformat()}"' in page
    assert 'name="periods-3-starts"' not in page
    assert not SchoolYear.objects.filter(name="2031-2032").exists()


def test_the_admin_creates_a_year_with_edited_periods(cast, admin):
    rows = [("", "2031-09-08", "2032-01-23"), ("Semestrul de primăvară", "2032-02-03", "2032-06-20")]
    response = admin.post(f"{BASE}ani/", {**year_fields(), **periods_fields(rows), "create": ""})
    year = SchoolYear.objects.get(name="2031-2032")
    assert response.status_code == 302 and response["Location"] == f"{BASE}ani/{year.pk}/"
    periods = list(year.periods.values_list("name", "starts", "ends"))
    assert periods == [
        ("Semestrul 1", date(2031, 9, 8), date(2032, 1, 23)),
        ("Semestrul de primăvară", date(2032, 2, 3), date(2032, 6, 20)),
    ]
    assert year.structure == "semesters" and year.rule_set == RuleSet.objects.order_by("-version").first()
    assert audited(Action.YEAR_CREATED, cast.admin, year)
    assert "Anul școlar 2031-2032 a fost creat." in page_of(admin.get(response["Location"]))


def test_a_custom_year_takes_the_filled_rows_and_leaves_the_blank_ones(admin):
    rows = [("Toamna", "2031-09-08", "2031-12-19"), ("", "", ""), ("Iarna", "2032-01-08", "2032-06-20"), ("", "", "")]
    data = {**year_fields(structure="custom"), **periods_fields(rows, initial=1), "create": ""}
    assert admin.post(f"{BASE}ani/", data).status_code == 302
    year = SchoolYear.objects.get(name="2031-2032")
    assert list(year.periods.values_list("number", "name")) == [(1, "Toamna"), (2, "Iarna")]


@pytest.mark.parametrize(
    ("fields", "rows", "message"),
    [
        ({"name": ""}, [], "Acest câmp este obligatoriu."),
        ({"name": "2031"}, [], "Scrieți anul școlar ca 2026-2027"),
        ({"name": "2031-2035"}, [], "Scrieți anul școlar ca 2026-2027"),
        ({"name": "9998-9999"}, [], "Scrieți anul școlar ca 2026-2027"),
        ({"starts": "2032-07-01"}, [], "Anul școlar 2031-2032 începe în 2031 și se termină în 2032."),
        ({"ends": "9999-12-31"}, [], "Anul școlar 2031-2032 începe în 2031 și se termină în 2032."),
        ({"starts": "31.02.2031"}, [], "Scrieți o dată validă"),
        ({"structure": "quarters"}, [], "Alegerea nu este validă."),
        ({}, [("", "2031-09-08", "2032-02-01"), ("", "2032-01-20", "2032-06-20")],
         "Perioada 2 se suprapune cu cea dinainte."),
        ({}, [("", "2031-09-01", "2032-01-23"), ("", "2032-02-03", "2032-06-20")], "Perioada 1 iese din anul școlar."),
        ({}, [("", "2032-01-23", "2031-09-08")], "Perioada 1 se termină înainte să înceapă."),
        ({}, [("", "", ""), ("", "", "")], "Anul școlar are nevoie de cel puțin o perioadă de cursuri."),
        ({}, [("", "2031-09-08", "ieri")], "Scrieți o dată validă"),
    ],
)  # fmt: skip
def test_a_bad_year_is_refused_with_a_message_and_nothing_is_created(cast, admin, fields, rows, message):
    rows = rows or [("", "2031-09-08", "2032-01-23"), ("", "2032-02-03", "2032-06-20")]
    before = (SchoolYear.objects.count(), LearningPeriod.objects.count(), AuditEvent.objects.count())
    data = {**year_fields(), **fields, **periods_fields(rows, initial=0), "create": ""}
    refused(admin.post(f"{BASE}ani/", data), message)
    assert (SchoolYear.objects.count(), LearningPeriod.objects.count(), AuditEvent.objects.count()) == before


def test_a_year_that_exists_is_refused(cast, admin):
    rows = [("", cast.year.starts.isoformat(), cast.year.ends.isoformat())]
    fields = year_fields(cast.year.name, cast.year.starts.isoformat(), cast.year.ends.isoformat())
    response = admin.post(f"{BASE}ani/", {**fields, **periods_fields(rows), "create": ""})
    refused(response, f"Anul școlar {cast.year.name} există deja.")
    assert SchoolYear.objects.count() == 1


def test_a_tampered_period_management_form_is_refused(admin):
    data = {**year_fields(), "periods-TOTAL_FORMS": "x", "create": ""}
    assert admin.post(f"{BASE}ani/", data).status_code == 400
    assert not SchoolYear.objects.filter(name="2031-2032").exists()


# -- rules ---------------------------------------------------------------------------------


def rules_fields(rule_set: RuleSet, **changes) -> dict:
    data = {}
    for name in structure.RULE_FIELDS:
        value = changes.get(name, getattr(rule_set, name))
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif isinstance(value, list):
            data[name] = ", ".join(str(n) for n in value)
        else:
            data[name] = str(value)
    return data | {"note": changes.get("note", "Decizia CA nr. 12")}


def test_the_year_page_shows_the_rules_in_use_with_romanian_labels(cast, admin):
    page = page_of(admin.get(f"{BASE}ani/{cast.year.pk}/"))
    assert f"versiunea {cast.year.rule_set.version}" in page
    assert "Absențe nemotivate pentru 1 punct la purtare: <strong>20</strong>" in page
    assert "Media generală prin trunchiere: <strong>nu</strong>" in page
    for period in cast.year.periods.all():
        assert period.name in page


def test_the_admin_revises_the_rules_into_a_new_version(cast, admin):
    old = cast.year.rule_set
    data = rules_fields(old, conduct_absence_step=10, general_average_truncate=True, notify_at=[20, 10])
    response = admin.post(f"{BASE}ani/{cast.year.pk}/", data)
    assert response.status_code == 302
    cast.year.refresh_from_db()
    new = cast.year.rule_set
    assert new.version == old.version + 1 and new.note == "Decizia CA nr. 12"
    assert (new.conduct_absence_step, new.general_average_truncate, new.notify_at) == (10, True, [10, 20])
    assert new.document_days == old.document_days
    old.refresh_from_db()
    assert old.conduct_absence_step == 20  # the earlier version is kept as it was
    assert audited(Action.YEAR_RULES_REVISED, cast.admin, cast.year)
    assert f"versiunea {new.version}" in page_of(admin.get(response["Location"]))


def test_the_conduct_deduction_for_several_subjects_is_shown_and_revised_on_the_year_page(cast, admin):
    """Rule 10: a point per subject over the share by default; a school that counts them once
    revises its rules (a new version, the old one kept)."""
    label = "Scăderea când absențele ating procentul la mai multe discipline"
    url = f"{BASE}ani/{cast.year.pk}/"
    old = cast.year.rule_set
    page = page_of(admin.get(url))
    assert f"{label}: <strong>câte un punct pentru fiecare disciplină</strong>" in page
    assert 'type="radio" name="conduct_subject_deduction" value="once"' in page

    response = admin.post(url, rules_fields(old, conduct_subject_deduction="once", note="Decizia CA nr. 13"))

    assert response.status_code == 302
    cast.year.refresh_from_db()
    assert cast.year.rule_set.version == old.version + 1
    assert cast.year.rule_set.conduct_subject_deduction == RuleSet.SubjectDeduction.ONCE
    old.refresh_from_db()
    assert old.conduct_subject_deduction == RuleSet.SubjectDeduction.PER_SUBJECT
    assert f"{label}: <strong>un singur punct, oricâte discipline</strong>" in page_of(admin.get(url))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"note": ""}, "Scrieți motivul."),
        ({}, "Nu ați schimbat nicio regulă."),
        ({"conduct_absence_step": 0}, "Cel puțin 1."),
        ({"conduct_subject_percent": 101}, "Cel mult 100."),
        ({"document_days": "șapte"}, "Scrieți un număr întreg."),
        ({"notify_at": "10, zece"}, "Scrieți pragurile ca numere întregi de la 1 la 1000"),
        ({"notify_at": "0"}, "Scrieți pragurile ca numere întregi de la 1 la 1000"),
        ({"conduct_subject_deduction": "twice"}, "Alegerea nu este validă."),
        ({"conduct_subject_deduction": ""}, "Alegeți o opțiune."),
    ],
)
def test_a_bad_revision_is_refused_and_the_rules_stay(cast, admin, changes, message):
    rule_set = cast.year.rule_set
    before = RuleSet.objects.count()
    refused(admin.post(f"{BASE}ani/{cast.year.pk}/", rules_fields(rule_set, **changes)), message)
    cast.year.refresh_from_db()
    assert cast.year.rule_set == rule_set and RuleSet.objects.count() == before


def test_years_are_listed_newest_first_and_a_year_s_classes_by_level(cast, admin):
    # The index and the classes page count rows with GROUP BY, which ignores Meta.ordering.
    starts, ends = cast.year.starts, cast.year.ends
    for shift in (1, -1, 2):
        structure.year_create(
            actor=cast.admin, name=f"{starts.year + shift}-{ends.year + shift}",
            starts=starts.replace(year=starts.year + shift), ends=ends.replace(year=ends.year + shift),
            structure=SchoolYear.Structure.MODULES,
        )  # fmt: skip
    page = page_of(admin.get(BASE))
    names = [year.name for year in SchoolYear.objects.order_by("-starts")]
    assert [page.index(f"<strong>{name}</strong>") for name in names] == sorted(
        page.index(f"<strong>{name}</strong>") for name in names
    )
    page = page_of(admin.get(f"{BASE}ani/{cast.year.pk}/clase/"))
    shown = [
        page.index(f"<strong>{school_class}</strong>") for school_class in (cast.class_3a, cast.class_5a, cast.class_6b)
    ]
    assert shown == sorted(shown)


# -- subjects ------------------------------------------------------------------------------


def test_subjects_are_listed_in_curriculum_order(cast, admin):
    page = page_of(admin.get(f"{BASE}discipline/"))
    names = ["Limba și literatura română", "Matematică", "Educație fizică", "Religie"]
    assert [page.index(name) for name in names] == sorted(page.index(name) for name in names)


def test_the_admin_adds_a_subject(cast, admin):
    data = {"name": " Educație plastică ", "short_name": "Ed. pl.", "kind": "regular", "position": "5"}
    response = admin.post(f"{BASE}discipline/", data)
    assert response.status_code == 302
    subject = Subject.objects.get(name="Educație plastică")
    assert (subject.short_name, subject.kind, subject.position) == ("Ed. pl.", "regular", 5)
    assert audited(Action.SUBJECT_CREATED, cast.admin, subject)
    assert "Disciplina Educație plastică a fost adăugată." in page_of(admin.get(response["Location"]))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": ""}, "Acest câmp este obligatoriu."),
        ({"name": "Matematică"}, "Disciplina Matematică există deja."),
        ({"name": "MATEMATICĂ"}, "Disciplina MATEMATICĂ există deja."),
        ({"kind": "sport"}, "Alegerea nu este validă."),
        ({"position": "0"}, "Cel puțin 1."),
        ({"name": "x" * 121}, "cel mult 120 de caractere"),
    ],
)
def test_a_bad_subject_is_refused(cast, admin, data, message):
    before = Subject.objects.count()
    refused(admin.post(f"{BASE}discipline/", {"name": "Desen", "kind": "regular", "position": "5"} | data), message)
    assert Subject.objects.count() == before


# -- classes -------------------------------------------------------------------------------


def approved(cast, as_user) -> None:
    """The director approves, on the queue's page, the request the secretary's change made."""
    request = RightsRequest.objects.get(status="pending")
    response = as_user(cast.director).post("/drepturi/decizie/", {"cerere": request.pk, "decizie": "aprob"})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == "approved"


def test_the_admin_adds_a_class_with_its_homeroom_teacher(cast, admin, as_user):
    data = {"level": Level.VII, "letter": " b ", "technological": "on", "homeroom": cast.radu.pk}
    response = admin.post(f"{BASE}ani/{cast.year.pk}/clase/", data)
    assert response.status_code == 302
    school_class = SchoolClass.objects.get(year=cast.year, level=Level.VII, letter="B")
    assert school_class.technological and school_class.homeroom is None  # the homeroom waits for the director
    assert "intră în vigoare după aprobare" in page_of(admin.get(response["Location"]))
    approved(cast, as_user)
    school_class.refresh_from_db()
    assert school_class.homeroom == cast.radu
    cast.radu.refresh_from_db()
    assert cast.radu.has_role(Role.HOMEROOM)
    assert audited(Action.CLASS_CREATED, cast.admin, school_class)
    page = page_of(admin.get(response["Location"]))
    assert "Clasa a VII-a B" in page and "Ene Radu" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"letter": "a"}, "Clasa a V-a A există deja în anul școlar"),
        ({"letter": ""}, "Acest câmp este obligatoriu."),
        ({"level": "14"}, "Alegerea nu este validă."),
        ({"homeroom": "999999"}, "Alegerea nu este validă."),
        ({"homeroom": "parent"}, "Alegerea nu este validă."),
    ],
)
def test_a_bad_class_is_refused(cast, admin, data, message):
    if data.get("homeroom") == "parent":
        data = {"homeroom": str(cast.parent.pk)}
    before = SchoolClass.objects.count()
    refused(admin.post(f"{BASE}ani/{cast.year.pk}/clase/", {"level": Level.V, "letter": "C"} | data), message)
    assert SchoolClass.objects.count() == before


def test_the_admin_changes_the_homeroom_teacher(cast, admin, as_user):
    url = f"{BASE}clase/{cast.class_6b.pk}/"
    assert admin.post(url, {"homeroom": cast.radu.pk, "why": "Diriginte nou"}).status_code == 302
    cast.class_6b.refresh_from_db()
    assert cast.class_6b.homeroom is None
    assert "Radu Ene: diriginte la a VI-a B" in page_of(admin.get(url))  # waiting, shown
    approved(cast, as_user)
    cast.class_6b.refresh_from_db()
    assert cast.class_6b.homeroom == cast.radu
    assert audited(Action.CLASS_CHANGED, cast.director, cast.class_6b)
    refused(admin.post(url, {"homeroom": cast.parent.pk}), "Alegerea nu este validă.")
    cast.class_6b.refresh_from_db()
    assert cast.class_6b.homeroom == cast.radu


# -- curriculum ----------------------------------------------------------------------------


def test_the_admin_sets_a_subject_in_the_curriculum(cast, admin):
    url = f"{BASE}clase/{cast.class_6b.pk}/plan/"
    assert admin.post(url, {"subject": cast.romanian.pk, "weekly_hours": "4", "weeks": "35"}).status_code == 302
    entry = CurriculumEntry.objects.get(school_class=cast.class_6b, subject=cast.romanian)
    assert (entry.weekly_hours, entry.yearly_hours) == (4, 140)
    assert audited(Action.CURRICULUM_SET, cast.admin, entry)
    assert admin.post(url, {"subject": cast.romanian.pk, "weekly_hours": "5", "weeks": "34"}).status_code == 302
    entry.refresh_from_db()
    assert (entry.weekly_hours, entry.yearly_hours) == (5, 170)
    page = page_of(admin.get(url))
    assert "5 ore/săptămână · 170 ore/an" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"weekly_hours": "0"}, "Cel puțin 1."),
        ({"weekly_hours": "41"}, "Cel mult 40."),
        ({"weekly_hours": ""}, "Acest câmp este obligatoriu."),
        ({"subject": "999999"}, "Alegerea nu este validă."),
        ({"subject": "abc"}, "Alegerea nu este validă."),
        ({"weeks": "53"}, "Cel mult 52."),
    ],
)
def test_a_bad_curriculum_entry_is_refused(cast, admin, data, message):
    fields = {"subject": cast.romanian.pk, "weekly_hours": "4", "weeks": "34"} | data
    refused(admin.post(f"{BASE}clase/{cast.class_6b.pk}/plan/", fields), message)
    assert not CurriculumEntry.objects.filter(school_class=cast.class_6b, subject=cast.romanian).exists()


# -- teaching assignments ------------------------------------------------------------------


def test_the_admin_adds_an_assignment(cast, admin, as_user):
    url = f"{BASE}clase/{cast.class_6b.pk}/incadrari/"
    structure.curriculum_set(actor=cast.admin, school_class=cast.class_6b, subject=cast.romanian, weekly_hours=4)
    assert "Limba și literatura română" in page_of(admin.get(url)).split("Fără profesor")[1]
    assert admin.post(url, {"teacher": cast.elena.pk, "subject": cast.romanian.pk}).status_code == 302
    assert not TeachingAssignment.objects.filter(teacher=cast.elena, school_class=cast.class_6b).exists()
    assert "Elena Stoica: Limba și literatura română la a VI-a B" in page_of(admin.get(url))
    approved(cast, as_user)
    assignment = TeachingAssignment.objects.get(teacher=cast.elena, school_class=cast.class_6b)
    assert assignment.subject == cast.romanian
    assert audited(Action.ASSIGNMENT_CREATED, cast.director, assignment)
    assert "Fără profesor" not in page_of(admin.get(url))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"subject": "romanian"}, "Alegerea nu este validă."),  # not in 6B's curriculum
        ({"teacher": "parent"}, "Alegerea nu este validă."),
        ({"teacher": "999999"}, "Alegerea nu este validă."),
        ({"teacher": ""}, "Alegeți o opțiune."),
    ],
)
def test_a_bad_assignment_is_refused(cast, admin, data, message):
    ids = {"romanian": cast.romanian.pk, "parent": cast.parent.pk}
    fields = {"teacher": cast.elena.pk, "subject": cast.math.pk} | {k: ids.get(v, v) for k, v in data.items()}
    refused(admin.post(f"{BASE}clase/{cast.class_6b.pk}/incadrari/", fields), message)
    assert not TeachingAssignment.objects.filter(teacher=cast.elena, school_class=cast.class_6b).exists()


def test_an_inactive_teacher_is_not_offered_and_is_refused(cast, admin):
    User.objects.filter(pk=cast.elena.pk).update(is_active=False)
    fields = {"teacher": cast.elena.pk, "subject": cast.math.pk}
    refused(admin.post(f"{BASE}clase/{cast.class_6b.pk}/incadrari/", fields), "Alegerea nu este validă.")


def test_the_admin_removes_an_assignment_with_a_reason(cast, admin):
    assignment = TeachingAssignment.objects.get(school_class=cast.class_5a, subject=cast.math)
    url = f"{BASE}clase/{cast.class_5a.pk}/incadrari/{assignment.pk}/stergere/"
    refused(admin.post(url, {"reason": "  "}), "Scrieți motivul.")
    assert TeachingAssignment.objects.filter(pk=assignment.pk).exists()
    response = admin.post(url, {"reason": "Profesorul s-a transferat"})
    assert response.status_code == 302 and response["Location"] == f"{BASE}clase/{cast.class_5a.pk}/incadrari/"
    assert not TeachingAssignment.objects.filter(pk=assignment.pk).exists()
    event = AuditEvent.objects.get(action=Action.ASSIGNMENT_REMOVED, object_id=str(assignment.pk))
    assert event.reason == "Profesorul s-a transferat" and event.actor_id == cast.admin.pk


def test_an_assignment_of_another_class_is_404(cast, admin):
    other = TeachingAssignment.objects.get(school_class=cast.class_6b)
    url = f"{BASE}clase/{cast.class_5a.pk}/incadrari/{other.pk}/stergere/"
    assert admin.get(url).status_code == 404
    assert admin.post(url, {"reason": "x"}).status_code == 404
    assert TeachingAssignment.objects.filter(pk=other.pk).exists()


# -- students ------------------------------------------------------------------------------


def test_students_are_listed_alphabetically_with_their_register_numbers(cast, admin):
    page = page_of(admin.get(students_url(cast.class_5a)))
    assert page.index("Avram Bogdan") < page.index("Marin Ana")
    assert f"nr. matricol {cast.ana.register_number}" in page
    assert "Ioana" not in page.split("<h1>")[1]  # 3A's student is not listed


def student_fields(**changes) -> dict:
    cnp = cnp_for(date(2015, 4, 3), 301, sex=5)
    return {"last_name": "Cazacu", "first_name": "Luca", "cnp": cnp, "entry": "start", "email": ""} | changes


def test_the_admin_adds_a_student(cast, admin):
    response = admin.post(students_url(cast.class_5a), student_fields(starts=cast.day.isoformat()))
    assert response.status_code == 302
    student = Student.objects.get(user__last_name="Cazacu")
    assert student.cnp == student_fields()["cnp"] and student.user.birth_date == date(2015, 4, 3)
    assert student.cycle == "gimnazial" and student.register_number > cast.ana.register_number
    assert Enrolment.objects.get(student=student).school_class == cast.class_5a
    assert audited(Action.STUDENT_CREATED, cast.admin, student)
    page = page_of(admin.get(response["Location"]))
    assert "Elevul Cazacu Luca a fost înscris." in page and f"nr. matricol {student.register_number}" in page


def test_the_admin_adds_a_student_whose_cnp_carries_the_single_county_code_70(cast, admin):
    # Every CNP issued since May 2024 has 70 where the county was.
    cnp = cnp_with_check("5150403" + "70" + "301")
    assert admin.post(students_url(cast.class_5a), student_fields(cnp=cnp)).status_code == 302
    assert Student.objects.get(user__last_name="Cazacu").cnp == cnp


def test_a_student_from_an_imported_register_keeps_their_number(cast, admin):
    assert admin.post(students_url(cast.class_5a), student_fields(register_number="900")).status_code == 302
    assert Student.objects.get(user__last_name="Cazacu").register_number == 900


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"cnp": "123"}, "CNP-ul trebuie să aibă exact 13 cifre."),
        ({"cnp": "5150403403019"}, "Cifra de control a CNP-ului nu este corectă."),
        ({"cnp": "５１５０４０３４０３０１１"}, "CNP-ul are cifre din alt alfabet: scrieți-l numai cu cifrele 0–9."),
        ({"cnp": "existing"}, "Există deja un elev cu acest CNP."),
        ({"last_name": ""}, "Acest câmp este obligatoriu."),
        ({"email": "nu-e-email"}, "adresă de email validă"),
        ({"entry": "moved"}, "Alegerea nu este validă."),
        ({"starts": "2001-01-01"}, "Data înscrierii trebuie să fie în anul școlar."),
        ({"starts": "32.13.2025"}, "Scrieți o dată validă"),
        ({"register_number": "existing"}, "este deja folosit"),
        ({"register_number": "-3"}, "Cel puțin 1."),
    ],
)
def test_a_bad_student_is_refused_and_nobody_is_created(cast, admin, changes, message):
    existing = {"cnp": cast.ana.cnp, "register_number": str(cast.ana.register_number)}
    changes = {k: existing[k] if v == "existing" else v for k, v in changes.items()}
    before = (Student.objects.count(), User.objects.count(), Enrolment.objects.count())
    refused(admin.post(students_url(cast.class_5a), student_fields(**changes)), message)
    assert (Student.objects.count(), User.objects.count(), Enrolment.objects.count()) == before


def test_the_admin_records_a_transfer_out(cast, admin):
    url = students_url(cast.class_5a, cast.bogdan, "plecare")
    response = admin.post(url, {"ends": cast.day.isoformat(), "exit": "transfer_out", "note": "Școala nr. 5"})
    assert response.status_code == 302
    enrolment = Enrolment.objects.get(student=cast.bogdan)
    assert (enrolment.ends, enrolment.exit, enrolment.note) == (cast.day, "transfer_out", "Școala nr. 5")
    assert audited(Action.STUDENT_LEFT, cast.admin, enrolment)
    assert "a plecat la" in page_of(admin.get(response["Location"]))
    refused(admin.post(url, {"ends": cast.day.isoformat(), "exit": "withdrawn"}), "Elevul a plecat deja din clasă.")
    assert Enrolment.objects.get(student=cast.bogdan).exit == "transfer_out"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"ends": "2001-01-01"}, "Data plecării trebuie să fie după înscriere și în anul școlar."),
        ({"ends": ""}, "Data este obligatorie."),
        ({"exit": "escaped"}, "Alegerea nu este validă."),
        ({"exit": "moved"}, "Alegerea nu este validă."),
    ],
)
def test_a_bad_leaving_is_refused(cast, admin, data, message):
    fields = {"ends": cast.day.isoformat(), "exit": "withdrawn"} | data
    refused(admin.post(students_url(cast.class_5a, cast.bogdan, "plecare"), fields), message)
    assert Enrolment.objects.get(student=cast.bogdan).ends is None


def test_a_student_of_another_class_is_404(cast, admin):
    for action in ("plecare", "scutiri"):
        url = students_url(cast.class_5a, cast.victor, action)
        assert admin.get(url).status_code == 404
        assert (
            admin.post(url, {"ends": cast.day.isoformat(), "exit": "withdrawn", "kind": "deferred"}).status_code == 404
        )
    assert Enrolment.objects.get(student=cast.victor).ends is None and not Exemption.objects.exists()


def test_the_admin_sets_a_medical_exemption_from_pe(cast, admin):
    url = students_url(cast.class_5a, cast.ana, "scutiri")
    data = {"subject": cast.pe.pk, "kind": "medical", "document": "123/2025", "document_date": cast.day.isoformat()}
    response = admin.post(url, data)
    assert response.status_code == 302 and response["Location"] == url
    exemption = Exemption.objects.get(student=cast.ana, year=cast.year, subject=cast.pe)
    assert (exemption.kind, exemption.document, exemption.document_date) == ("medical", "123/2025", cast.day)
    assert audited(Action.EXEMPTION_SET, cast.admin, exemption)
    assert "Educație fizică: scutit medical" in page_of(admin.get(students_url(cast.class_5a)))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"document": ""}, "Scutirea medicală are nevoie de numărul și data documentului."),
        ({"subject": "math"}, "Scutirea medicală se dă doar la educație fizică."),
        ({"kind": "no_religion"}, "Opțiunea privește doar ora de religie."),
        ({"kind": "cured"}, "Alegerea nu este validă."),
        ({"subject": "foreign"}, "Alegerea nu este validă."),  # a subject not in 5A's curriculum
        ({"document_date": "ieri"}, "Scrieți o dată validă"),
    ],
)
def test_a_bad_exemption_is_refused(cast, admin, data, message):
    foreign = Subject.objects.create(name="Informatică", position=20)
    ids = {"math": cast.math.pk, "foreign": foreign.pk}
    fields = {"subject": cast.pe.pk, "kind": "medical", "document": "12/2025", "document_date": cast.day.isoformat()}
    fields |= {k: ids.get(v, v) for k, v in data.items()}
    refused(admin.post(students_url(cast.class_5a, cast.ana, "scutiri"), fields), message)
    assert not Exemption.objects.exists()


# -- a closed year -------------------------------------------------------------------------


@pytest.fixture
def closed(cast):
    SchoolYear.objects.filter(pk=cast.year.pk).update(closed_at=timezone.now())
    cast.year.refresh_from_db()
    return cast


def test_a_closed_year_shows_its_pages_without_forms(closed, admin):
    for url in urls(closed):
        response = admin.get(url)
        assert response.status_code == 200, url
        if url not in (BASE, f"{BASE}ani/", f"{BASE}discipline/"):
            assert "este încheiat" in page_of(response), url
            assert 'type="submit"' not in page_of(response), url


def test_a_closed_year_refuses_every_write_with_its_message(closed, admin):
    cast = closed
    c = cast.class_5a
    assignment = TeachingAssignment.objects.get(school_class=c, subject=cast.math)
    writes = [
        (f"{BASE}ani/{cast.year.pk}/", rules_fields(cast.year.rule_set, document_days=3)),
        (f"{BASE}ani/{cast.year.pk}/clase/", {"level": Level.V, "letter": "C"}),
        (f"{BASE}clase/{c.pk}/", {"homeroom": cast.radu.pk}),
        (f"{BASE}clase/{c.pk}/plan/", {"subject": cast.math.pk, "weekly_hours": "5", "weeks": "34"}),
        (f"{BASE}clase/{c.pk}/incadrari/", {"teacher": cast.radu.pk, "subject": cast.math.pk}),
        (f"{BASE}clase/{c.pk}/incadrari/{assignment.pk}/stergere/", {"reason": "greșit"}),
        (students_url(c), student_fields()),
        (students_url(c, cast.bogdan, "plecare"), {"ends": cast.day.isoformat(), "exit": "withdrawn"}),
        (students_url(c, cast.ana, "scutiri"), {"subject": cast.religion.pk, "kind": "no_religion"}),
    ]
    before = AuditEvent.objects.count()
    for url, data in writes:
        refused(admin.post(url, data), f"Anul școlar {cast.year.name} este încheiat: nu se mai pot face modificări.")
    assert AuditEvent.objects.count() == before
    assert SchoolClass.objects.count() == 3 and SchoolClass.objects.get(pk=c.pk).homeroom_id == cast.elena.pk
    assert SchoolYear.objects.get(pk=cast.year.pk).rule_set_id == cast.year.rule_set_id
    assert CurriculumEntry.objects.get(school_class=c, subject=cast.math).weekly_hours == 4
    assert TeachingAssignment.objects.filter(pk=assignment.pk).exists()
    assert not Student.objects.filter(user__last_name="Cazacu").exists() and not Exemption.objects.exists()
    assert Enrolment.objects.get(student=cast.bogdan).ends is None


# -- query counts --------------------------------------------------------------------------


def queries_of(django_assert_max_num_queries, client, url, limit=30) -> int:
    with django_assert_max_num_queries(limit) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def grow(cast, n: int) -> None:
    """`n` more of everything the list pages show: years, subjects, classes with homeroom teachers,
    curriculum entries, assignments, students with exemptions."""
    admin = cast.admin
    for k in range(n):
        starts = date(2040 + k, 9, 1)
        structure.year_create(
            actor=admin, name=f"{2040 + k}-{2041 + k}", starts=starts, ends=starts + timedelta(days=300),
            structure="trimesters",
        )  # fmt: skip
        subject = structure.subject_create(actor=admin, name=f"Opțional {k}", position=50 + k)
        teacher = make_user(
            connection.schema_name, f"profesor.{k}", [Role.TEACHER], first_name=f"P{k}", last_name="Nou"
        )
        school_class = structure.class_create(actor=cast.director, year=cast.year, level=Level.VIII, letter=f"X{k}",
                                              homeroom=teacher)  # fmt: skip
        structure.curriculum_set(actor=admin, school_class=cast.class_5a, subject=subject, weekly_hours=1)
        structure.assignment_create(actor=cast.director, teacher=teacher, school_class=cast.class_5a, subject=subject)
        student = structure.student_create(
            actor=admin, first_name=f"Elev{k}", last_name="Nou", cnp=cnp_for(date(2015, 2, 2), 400 + k),
            school_class=cast.class_5a, starts=cast.year.starts,
        )  # fmt: skip
        structure.exemption_set(actor=admin, student=student, year=cast.year, subject=cast.religion, kind="no_religion")
        structure.exemption_set(actor=admin, student=cast.ana, year=cast.year, subject=subject, kind="deferred")
        assert school_class.pk


def test_every_list_page_costs_the_same_queries_for_few_or_many_rows(cast, admin, django_assert_max_num_queries):
    c = cast.class_5a
    pages = [
        BASE, f"{BASE}ani/", f"{BASE}ani/{cast.year.pk}/", f"{BASE}ani/{cast.year.pk}/clase/", f"{BASE}discipline/",
        f"{BASE}clase/{c.pk}/", f"{BASE}clase/{c.pk}/plan/", f"{BASE}clase/{c.pk}/incadrari/", students_url(c),
        students_url(c, cast.ana, "scutiri"),
    ]  # fmt: skip
    few = {url: queries_of(django_assert_max_num_queries, admin, url) for url in pages}
    grow(cast, 12)
    page = page_of(admin.get(students_url(c)))
    assert "Nou Elev11" in page and page.count("Religie: nu urmează ora de religie") == 12
    for url in pages:
        assert queries_of(django_assert_max_num_queries, admin, url, few[url]) == few[url], url
