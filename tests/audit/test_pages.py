"""The audit pages: directors and deputies in a school, provider superusers on the
control plane; nobody else. Filters, pages, CSV export (itself audited, so only by POST)."""

import csv
import io

import pytest
from django_tenants.utils import schema_context

from accounts.roles import Role
from audit.actions import Action
from audit.models import AuditEvent
from audit.services import audit_record
from tests.accounts.conftest import make_user, sign_in_with_2fa
from tests.conftest import SCHOOL_A, SCHOOL_B, host_client


def signed_in(schema: str, host: str, username: str, roles: list[str]):
    user = make_user(schema, username, roles, first_name=username.split(".")[0].title(), last_name="Test")
    client = host_client(host)
    sign_in_with_2fa(client, user, schema=schema)
    return client, user


@pytest.fixture
def director(school_a):
    return signed_in("school_a", f"{SCHOOL_A}.localhost", "directoarea.a", [Role.DIRECTOR])[0]


@pytest.fixture
def noted(school_a):
    """A few events about two people of school A."""
    with schema_context("school_a"):
        ana = make_user("school_a", "ana.eleva.audit", [Role.STUDENT], first_name="Ana", last_name="Popa")
        dan = make_user("school_a", "dan.elev.audit", [Role.STUDENT], first_name="Dan", last_name="Radu")
        audit_record(action=Action.PASSWORD_SET_BY_PARENT, person=ana, actor="job:test", reason="=HYPERLINK(1)")
        audit_record(action=Action.USER_DEACTIVATED, person=dan, actor="job:test")
    return ana, dan


@pytest.mark.parametrize("roles", [[Role.DIRECTOR], [Role.DEPUTY]])
def test_the_leadership_sees_the_schools_audit_trail(school_a, noted, roles):
    client, _user = signed_in("school_a", f"{SCHOOL_A}.localhost", "sef.audit", roles)
    page = client.get("/audit/").content.decode()
    assert "Ana Popa (ana.eleva.audit)" in page
    assert "Parolă schimbată de părinte" in page


@pytest.mark.parametrize("roles", [[Role.SCHOOL_ADMIN], [Role.TEACHER, Role.HOMEROOM], [Role.STATS_VIEWER]])
def test_nobody_else_in_the_school_sees_it(school_a, roles):
    client, _user = signed_in("school_a", f"{SCHOOL_A}.localhost", "altcineva.audit", roles)
    assert client.get("/audit/").status_code == 404
    assert client.post("/audit/export.csv").status_code == 404


def test_parents_and_students_and_strangers_do_not_see_it(school_a, client_a):
    student = make_user("school_a", "elev.curios", [Role.STUDENT])
    assert client_a.get("/audit/").status_code == 302  # to sign-in
    client_a.post("/cont/login/", {"login": student.username, "password": "Tabla-Verde-2026!"})
    assert client_a.get("/audit/").status_code == 404


def test_filters_by_person_action_and_date(director, noted):
    ana, _dan = noted
    by_person = director.get("/audit/", {"persoana": "Radu"}).content.decode()
    assert "Dan Radu" in by_person and "Ana Popa" not in by_person
    by_id = director.get("/audit/", {"persoana": str(ana.pk)}).content.decode()
    assert "Ana Popa" in by_id and "Dan Radu" not in by_id
    by_action = director.get("/audit/", {"actiune": Action.USER_DEACTIVATED}).content.decode()
    assert "Dan Radu" in by_action and "Ana Popa" not in by_action
    assert (
        "Niciun eveniment" in director.get("/audit/", {"de_la": "2001-01-01", "pana_la": "2001-01-02"}).content.decode()
    )


def test_filters_by_actor_name_or_id_and_the_export_follows(director, noted):
    ana, _dan = noted
    with schema_context("school_a"):
        mihai = make_user("school_a", "mihai.diriginte", [Role.TEACHER], first_name="Mihai", last_name="Ionescu")
        audit_record(action=Action.USER_CHANGED, actor=mihai, person=ana, new={"email": "ana@scoala-a.test"})
    by_name = director.get("/audit/", {"autor": "ionescu"}).content.decode()
    assert "Ana Popa" in by_name and "Dan Radu" not in by_name  # the job's events are not Mihai's
    by_id = director.get("/audit/", {"autor": str(mihai.pk)}).content.decode()
    assert "Ana Popa" in by_id and "Dan Radu" not in by_id
    by_job = director.get("/audit/", {"autor": "job:test"}).content.decode()
    assert "Dan Radu" in by_job and "mihai.diriginte" not in by_job
    export = director.post("/audit/export.csv", {"autor": "Ionescu"})
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert [row[2] for row in rows[1:]] == ["Mihai Ionescu (mihai.diriginte)"]
    assert "Niciun eveniment" in director.get("/audit/", {"autor": "nimeni.de.acest.fel"}).content.decode()


@pytest.mark.parametrize(
    "query",
    [{"de_la": "ieri"}, {"actiune": "grade.hack"}, {"inainte": "-3"}, {"de_la": "2026-05-01", "pana_la": "2026-01-01"},
     {"persoana": "x" * 500}, {"inainte": "99999999999999999999999"}],
)  # fmt: skip
def test_bad_filters_get_a_message_not_an_error(director, query):
    response = director.get("/audit/", query)
    assert response.status_code == 200
    assert 'class="errorlist' in response.content.decode()
    assert director.post("/audit/export.csv", query).status_code == 400


def test_pages_go_back_in_time_with_a_constant_number_of_queries(director, django_assert_max_num_queries):
    with schema_context("school_a"):
        for n in range(120):
            audit_record(action=Action.LOGIN, actor=f"job:n{n}")
        newest = AuditEvent.objects.latest("seq").seq
    with django_assert_max_num_queries(8):
        first = director.get("/audit/").content.decode()
    assert f"#{newest} " in first and f"#{newest - 50} " not in first
    second = director.get("/audit/", {"inainte": newest - 49}).content.decode()
    assert f"#{newest - 50} " in second and f"#{newest - 49} " not in second


def test_the_csv_export_holds_the_filtered_events_and_is_itself_audited(director, noted):
    response = director.post("/audit/export.csv", {"persoana": "Popa"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:5] == ["seq", "moment", "autor", "roluri autor", "acțiune"]
    assert [row[7] for row in rows[1:]] == ["Ana Popa (ana.eleva.audit)"]
    assert rows[1][10] == "'=HYPERLINK(1)"  # a spreadsheet shows it, never runs it
    with schema_context("school_a"):
        export = AuditEvent.objects.filter(action=Action.AUDIT_EXPORTED).latest("seq")
    assert export.new_values == {"person": "Popa"}
    assert export.actor_name == "Directoarea Test (directoarea.a)"


def test_the_export_is_a_post_form_with_the_filters_and_a_get_is_refused_recording_nothing(director, noted):
    page = director.get("/audit/", {"persoana": "Popa", "actiune": Action.USER_DEACTIVATED}).content.decode()
    export_form = page[page.index('action="/audit/export.csv"') - 20 :].split("</form>")[0]
    assert 'method="post"' in export_form and 'name="csrfmiddlewaretoken"' in export_form
    assert 'name="persoana" value="Popa"' in export_form and 'name="actiune" value="user.deactivated"' in export_form
    with schema_context("school_a"):
        before = AuditEvent.objects.count()
    assert director.get("/audit/export.csv", {"persoana": "Popa"}).status_code == 405
    with schema_context("school_a"):
        assert AuditEvent.objects.count() == before


def test_school_bs_director_sees_nothing_of_school_a(school_b, noted):
    client, _user = signed_in("school_b", f"{SCHOOL_B}.localhost", "director.b", [Role.DIRECTOR])
    page = client.get("/audit/", {"persoana": "Popa"}).content.decode()
    assert "Ana Popa" not in page
    export = b"".join(client.post("/audit/export.csv").streaming_content).decode("utf-8-sig")
    assert "Ana Popa" not in export and "director.b" in export  # its own sign-in, nothing of A's


def test_provider_superusers_see_the_control_planes_trail_and_operators_do_not(db):
    superuser, _u = signed_in("public", "localhost", "sef.furnizor", [Role.SUPERUSER])
    operator, _o = signed_in("public", "localhost", "operator.furnizor", [Role.OPERATOR])
    with schema_context("public"):
        audit_record(action=Action.SCHOOL_TRANSITION, actor="api:crm", object_type="tenants.school", object_id="9")
    page = superuser.get("/audit/").content.decode()
    assert "Starea școlii schimbată" in page and "api:crm" in page
    assert operator.get("/audit/").status_code == 404


def test_the_trail_reads_in_words_not_codes_or_python_dicts(school_a, director):
    from datetime import date

    from audit.templatetags.audit_words import audit_values, role_names

    with schema_context("school_a"):
        teacher = make_user("school_a", "prof.audit", [Role.TEACHER, Role.HOMEROOM], first_name="Ion", last_name="Ene")
        audit_record(action=Action.GRADE_ADDED, actor=teacher, obj=teacher,
                     old={"value": 7, "excused": False}, reason="corectare",
                     new={"value": 9, "on": date(2026, 10, 14), "subject": "Matematică", "roles": ["teacher"],
                          "new_key": None})  # fmt: skip
    page = director.get("/audit/").content.decode()
    after = page[page.index("După: ") :].split("</div>", 1)[0]  # the stored JSON keeps its own key order
    for pair in ("nota: 9", "data: 14.10.2026", "disciplina: Matematică", "rolurile: Profesor", "new key: —"):
        assert pair in after, after
    assert "Înainte: nota: 7 · motivată: nu" in page
    assert "Diriginte / învățător, Profesor" in page  # the actor's roles
    assert "{&#x27;" not in page and "{'" not in page
    assert role_names("teacher,unknown_code") == "Profesor, unknown_code"
    assert audit_values("just text") == [("", "just text")] and audit_values({}) == []
