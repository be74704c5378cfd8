"""The provider console: provider staff with 2FA only; billing reads, operators act."""

import re

import pytest
from dateutil.relativedelta import relativedelta
from django.utils.formats import date_format

from accounts.roles import Role
from ops.backups.retention import retention_ends
from provisioning.models import ProvisioningJob
from tenants.models import School
from tests.accounts.conftest import login, make_user, sign_in_with_2fa
from tests.conftest import SCHOOL_A, host_client

NEW_SCHOOL = {
    "name": "Colegiul Național „Vasile Alecsandri” Galați", "slug": "cn-alecsandri", "siiir_code": "1761100077",
    "cui": "4267117", "county": "GL", "locality": "Galați", "admin_name": "Sorin Neagu",
    "admin_email": "secretariat@cnva.test",
}  # fmt: skip


def provider(role: str):
    user = make_user("public", f"{role}.test", [role])
    client = host_client("localhost")
    sign_in_with_2fa(client, user, schema="public")
    return client


@pytest.fixture
def operator(db):
    return provider(Role.OPERATOR)


def test_the_console_lists_and_searches_schools(operator, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        page = operator.get("/consola/").content.decode()
    assert "Liceul Teoretic „Mihai Eminescu” Bârlad" in page
    found = operator.get("/consola/?q=Bârlad").content.decode()
    assert "Mihai Eminescu" in found
    assert "Ștefănești" not in found
    assert "Nicio școală" in operator.get("/consola/?stare=suspended").content.decode()


@pytest.mark.parametrize("query", ["%00", "B%C3%A2rlad%00", "%1B[31m"])
def test_a_search_with_control_characters_is_refused_with_a_message(operator, query):
    response = operator.get(f"/consola/?q={query}")
    assert response.status_code == 400
    assert "caractere de control nepermise" in response.content.decode()


def test_an_operator_onboards_a_school_from_the_console(operator, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as enqueued:
        response = operator.post("/consola/scoli/noua/", NEW_SCHOOL)
    assert response.status_code == 302
    assert len(enqueued) == 1
    job = ProvisioningJob.objects.get(school__slug="cn-alecsandri")
    assert job.requested_by == "provider:operator.test"


def test_bad_input_in_the_console_form_is_shown_and_nothing_is_made(operator):
    response = operator.post("/consola/scoli/noua/", {**NEW_SCHOOL, "cui": "4267118"})
    assert response.status_code == 200
    assert "cifra de control" in response.content.decode()
    assert not School.objects.filter(slug="cn-alecsandri").exists()


def test_lifecycle_actions_are_recorded_and_refusals_explained(operator, school_a):
    operator.post(f"/consola/scoli/{SCHOOL_A}/stare/", {"to": "suspended", "reason": "factură neplătită"})
    school_a.refresh_from_db()
    assert school_a.status == School.Status.SUSPENDED
    assert school_a.transitions.last().actor == "provider:operator.test"
    refused = operator.post(f"/consola/scoli/{SCHOOL_A}/stare/", {"to": "archived", "reason": "x"}, follow=True)
    assert "nu poate trece" in refused.content.decode()
    detail = operator.get(f"/consola/scoli/{SCHOOL_A}/").content.decode()
    assert "cât timp școala este pe platformă și încă 24 de luni" in detail
    assert "factură neplătită" in detail  # the history
    # The provisioning job's steps, and who made the school active, in words.
    assert "Schema școlii, copiată din șablon: Reușit" in detail and "Activarea școlii: Reușit — " in detail
    assert "școala este activă" in detail and "crearea automată a școlii" in detail
    assert not re.search(r"<li>(schema|domain|admin|invitation|activate):", detail)
    operator.post(f"/consola/scoli/{SCHOOL_A}/stare/", {"to": "ended", "reason": "contract încheiat"})
    school_a.refresh_from_db()
    ended = operator.get(f"/consola/scoli/{SCHOOL_A}/").content.decode()
    assert f"până la {date_format(retention_ends(school_a))}" in ended
    assert retention_ends(school_a) == school_a.ended_on + relativedelta(months=24)


def test_the_billing_role_reads_but_cannot_act(db, school_a):
    billing = provider(Role.BILLING)
    assert billing.get("/consola/").status_code == 200
    response = billing.post(f"/consola/scoli/{SCHOOL_A}/stare/", {"to": "suspended", "reason": "x"})
    assert response.status_code == 403
    school_a.refresh_from_db()
    assert school_a.status == School.Status.ACTIVE


def test_the_console_needs_a_provider_who_passed_2fa(db):
    assert host_client("localhost").get("/consola/")["Location"].startswith("/cont/login/")
    operator = make_user("public", "fara.2fa", [Role.OPERATOR])
    client = host_client("localhost")
    login(client, operator.username)
    assert client.get("/consola/")["Location"].startswith("/cont/2fa/")


def test_a_school_user_never_reaches_the_console(school_a):
    teacher = make_user(school_a.schema_name, "profesor.consola", [Role.TEACHER])
    client = host_client("localhost")
    assert login(client, teacher.username).status_code == 200  # not a user on this host
    assert client.get("/consola/")["Location"].startswith("/cont/login/")
    assert host_client(f"{SCHOOL_A}.localhost").get("/consola/").status_code == 404


def test_unknown_schools_are_404(operator):
    assert operator.get("/consola/scoli/nu-exista/").status_code == 404
    assert operator.get("/consola/scoli/" + "x" * 300 + "/").status_code == 404
