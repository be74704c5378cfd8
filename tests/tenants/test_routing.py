"""Requests reach exactly one school's schema, chosen by host name; nothing else."""

import pytest
from django.db import DatabaseError, connection, transaction
from django_tenants.utils import schema_context

from accounts.models import User
from catedra.postgresql.base import SchemaSwitchFailed
from tenants.models import School
from tests.conftest import SCHOOL_A, SCHOOL_B, TEST_SCHOOLS, host_client

PROBE = "tests.tenants.probe_urls"
SCHOOL_NAMES = [fields["name"] for fields in TEST_SCHOOLS.values()]


@pytest.fixture
def probe_urls(settings):
    settings.ROOT_URLCONF = PROBE
    settings.PUBLIC_SCHEMA_URLCONF = PROBE


@pytest.fixture
def ana_in_school_a(db):
    with schema_context("school_a"):
        return User.objects.create(username="ana.popescu")


def probe(host: str) -> dict:
    response = host_client(host).get("/probe/users")
    assert response.status_code == 200
    return response.json()


def test_a_school_host_shows_that_schools_page(client_a):
    response = client_a.get("/")
    assert response.status_code == 200
    assert TEST_SCHOOLS[SCHOOL_A]["name"] in response.content.decode()
    assert TEST_SCHOOLS[SCHOOL_B]["name"] not in response.content.decode()


def test_the_control_plane_host_shows_the_provider_console(control_plane_client):
    response = control_plane_client.get("/")
    assert response.status_code == 200
    assert "Consola furnizorului" in response.content.decode()


def test_a_row_in_school_a_is_visible_only_through_school_as_host(probe_urls, ana_in_school_a):
    assert "ana.popescu" in probe(f"{SCHOOL_A}.localhost")["users"]
    assert "ana.popescu" not in probe(f"{SCHOOL_B}.localhost")["users"]
    assert "ana.popescu" not in probe("localhost")["users"]


def test_alternating_hosts_on_one_connection_always_reach_the_right_schema(probe_urls, ana_in_school_a):
    expected = {
        f"{SCHOOL_A}.localhost": ("school_a", ["ana.popescu", "elena.dumitrescu"]),
        f"{SCHOOL_B}.localhost": ("school_b", ["ion.vasilescu"]),
        "localhost": ("public", []),
    }
    sequence = [f"{SCHOOL_A}.localhost", f"{SCHOOL_B}.localhost", f"{SCHOOL_A}.localhost", "localhost"] * 3
    connection_id = id(connection.connection)
    for host in sequence:
        schema, users = expected[host]
        answer = probe(host)
        assert (answer["schema"], answer["users"]) == (schema, users), host
        assert answer["search_path"].split(",")[0].strip('" ') == schema
        # Between requests the connection is back on public: nothing carries over.
        assert connection.schema_name == "public"
    assert id(connection.connection) == connection_id


@pytest.mark.parametrize(
    ("host", "statuses"),
    [
        ("nope.localhost", {404}),
        ("school-a.localhost.evil.example", {400}),
        ("evil.example", {400}),
        ("x" * 300 + ".localhost", {404}),
        ("a" * 64 + "." + "b" * 64 + ".localhost", {404}),
        ("school-a.localhost<script>", {400}),
        ("school_a.localhost", {400}),
        ("school-a.localhost:abc", {400}),
        ("..localhost", {400, 404}),
        ("school-a..localhost", {400, 404}),
        ("", {400}),
        ("[::1]:8000", {400}),
        ("school-a.localhost\r\nX-Injected: 1", {400}),
        ("%73chool-a.localhost", {400}),
        ("public.localhost", {404}),
    ],
)
def test_unknown_or_malformed_hosts_get_404_or_400_never_a_school(db, host, statuses):
    response = host_client(host).get("/")
    assert response.status_code in statuses
    body = response.content.decode()
    assert not any(name in body for name in SCHOOL_NAMES)


def test_the_404_page_is_plain_and_in_romanian(db):
    response = host_client("nope.localhost").get("/")
    assert response.status_code == 404
    assert "Pagina nu există" in response.content.decode()


@pytest.mark.parametrize(
    "host",
    [
        "SCHOOL-A.LOCALHOST",
        "School-A.localhost:8000",
        "school-a.localhost.",
        "school-a.localhost:8000",
        "school-a.localhost:99999999999999999999",
    ],
)
def test_case_ports_and_a_trailing_dot_reach_the_same_school(db, host):
    response = host_client(host).get("/")
    assert response.status_code == 200
    assert TEST_SCHOOLS[SCHOOL_A]["name"] in response.content.decode()


@pytest.mark.parametrize("status", [School.Status.PROVISIONING, School.Status.FAILED, School.Status.ARCHIVED])
def test_a_school_without_a_ready_schema_does_not_answer(client_b, school_b, status):
    school_b.status = status
    school_b.save(update_fields=["status"])
    assert client_b.get("/").status_code == 404


def test_session_cookies_are_host_only(settings):
    assert settings.SESSION_COOKIE_DOMAIN is None
    assert settings.CSRF_COOKIE_DOMAIN is None


@pytest.mark.parametrize("path", ["/administrare/conturi/", "/invitatie/MQ/abc/", "/cont/copii/1/parola/"])
def test_school_only_account_pages_do_not_exist_on_the_control_plane(control_plane_client, path):
    assert control_plane_client.get(path).status_code == 404


def _refuse_set_search_path(execute, sql, params, many, context):
    if sql.lstrip().upper().startswith("SET SEARCH_PATH"):
        raise DatabaseError("forced: the switch fails")
    return execute(sql, params, many, context)


def test_a_failed_schema_switch_runs_nothing_in_the_schema_set_before(ana_in_school_a, school_b):
    connection.set_schema("school_a")
    assert User.objects.filter(username="ana.popescu").exists()  # the connection stands in school A

    connection.set_tenant(school_b)
    with connection.execute_wrapper(_refuse_set_search_path):
        with pytest.raises(SchemaSwitchFailed, match="school_b"):
            User.objects.filter(username="ana.popescu").exists()  # would read school A's Ana
        with pytest.raises(SchemaSwitchFailed), transaction.atomic():
            User.objects.create(username="intrus")

    # The next switch that succeeds lets queries run again, in the right school.
    assert not User.objects.filter(username="ana.popescu").exists()
    with connection.cursor() as cursor:
        cursor.execute("SHOW search_path")
        assert cursor.fetchone()[0].split(",")[0].strip('" ') == "school_b"
    connection.set_schema_to_public()


def test_a_failed_schema_switch_fails_the_request(ana_in_school_a):
    with connection.execute_wrapper(_refuse_set_search_path), pytest.raises(SchemaSwitchFailed):
        host_client(f"{SCHOOL_B}.localhost").get("/")


def test_a_rolled_back_switch_is_set_again_before_the_next_query(ana_in_school_a, school_b):
    connection.set_schema("school_a")
    User.objects.count()
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        connection.set_tenant(school_b)
        User.objects.count()  # SET search_path to school_b, inside the savepoint
        raise ZeroDivisionError  # the savepoint's rollback takes the SET back with it
    assert not User.objects.filter(username="ana.popescu").exists()  # still school B, not A
    connection.set_schema_to_public()
