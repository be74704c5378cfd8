"""The provider API: tokens only, JSON errors, the same rules as every other door."""

import base64
import json

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django_tenants.utils import schema_context

from accounts.models import User
from provisioning.models import ApiToken, ProvisioningJob
from provisioning.services import provisioning_job_run
from tenants.models import School
from tests.conftest import SCHOOL_A, host_client

BODY = {
    "name": "Școala Gimnazială nr. 7 Brașov",
    "slug": "scoala-7-brasov",
    "siiir_code": "0861100007",
    "cui": "4505359",
    "county": "BV",
    "locality": "Brașov",
    "admin_name": "Radu Pătrașcu",
    "admin_email": "secretariat@scoala7.test",
}


@pytest.fixture
def token(db) -> str:
    return ApiToken.issue(name="crm")[1]


def call(method: str, path: str, token: str | None = None, body=None, host: str = "localhost", **headers):
    if token:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    client = host_client(host)
    data = json.dumps(body) if isinstance(body, dict) else body
    return getattr(client, method)(f"/api/v1{path}", data=data, content_type="application/json", **headers)


def test_onboarding_through_the_api_makes_the_school_in_the_background(token, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as enqueued:
        response = call("post", "/schools", token, BODY)
    assert response.status_code == 202
    assert response.json()["status"] == "provisioning"
    assert response.json()["last_job"]["requested_by"] == "api:crm"
    assert len(enqueued) == 1  # the job goes to a worker after commit

    provisioning_job_run(job_id=ProvisioningJob.objects.get(school__slug=BODY["slug"]).pk)
    school = call("get", f"/schools/{BODY['slug']}", token).json()
    assert school["status"] == "active"
    assert school["url"] == "http://scoala-7-brasov.localhost:8000/"
    assert [step["name"] for step in school["last_job"]["steps"]] == [
        "schema", "domain", "admin", "invitation", "activate"
    ]  # fmt: skip


@pytest.mark.parametrize(
    "credentials",
    [
        {},
        {"HTTP_AUTHORIZATION": "Bearer ctk_0000000000000000_nope"},
        {"HTTP_AUTHORIZATION": "Bearer garbage"},
        {"HTTP_AUTHORIZATION": "Token abc"},
        {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(b"elena.dumitrescu:Parola-Scolii-1").decode()},
    ],
)
def test_no_token_a_wrong_token_or_a_school_users_credentials_get_401(db, credentials):
    response = call("post", "/schools", body=BODY, **credentials)
    assert response.status_code == 401
    assert response.json()["detail"]
    assert not School.objects.filter(slug=BODY["slug"]).exists()


def test_a_school_users_session_does_not_open_the_provider_api(school_a):
    with schema_context(school_a.schema_name):
        user = User.objects.get(username="elena.dumitrescu")
        session = SessionStore()
        session[SESSION_KEY], session[BACKEND_SESSION_KEY] = str(user.pk), "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
    client = host_client("localhost")
    client.cookies["sessionid"] = session.session_key
    assert client.get("/api/v1/schools").status_code == 401


def test_a_revoked_token_is_refused(token):
    ApiToken.objects.update(revoked_at="2026-01-01T00:00:00Z")
    assert call("get", "/schools", token).status_code == 401


def test_the_provider_api_does_not_exist_on_a_school_host(token):
    assert call("get", "/schools", token, host=f"{SCHOOL_A}.localhost").status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [({"cui": "4505358"}, "cui"), ({"slug": "admin"}, "slug"), ({"admin_email": "x"}, "admin_email")],
)
def test_bad_input_is_a_422_naming_the_field_and_nothing_is_made(token, change, field):
    response = call("post", "/schools", token, {**BODY, **change})
    assert response.status_code == 422
    assert field in response.json()["errors"]
    assert not School.objects.filter(slug=BODY["slug"]).exists()


@pytest.mark.parametrize("body", ["{not json", "[]", "null", json.dumps({"name": "x"}), "\x00", "9" * 10000])
def test_malformed_bodies_are_4xx_json_never_500(token, body):
    response = call("post", "/schools", token, body)
    assert 400 <= response.status_code < 500
    assert response["Content-Type"].startswith("application/json")


def test_lifecycle_through_the_api_with_reasons_and_refusals(token, school_a):
    path = f"/schools/{SCHOOL_A}/transitions"
    assert call("post", path, token, {"to": "suspended"}).status_code == 409  # no reason
    suspended = call("post", path, token, {"to": "suspended", "reason": "factură neplătită"})
    assert suspended.status_code == 200
    assert suspended.json()["status"] == "suspended"
    refused = call("post", path, token, {"to": "purged", "reason": "x"})
    assert refused.status_code == 409
    assert "nu poate trece" in refused.json()["detail"]
    assert call("post", "/schools/nu-exista/transitions", token, {"to": "active"}).status_code == 404
    assert call("post", f"/schools/{SCHOOL_A}/retry", token).status_code == 409


def count_queries(function) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        function()
    return len(captured.captured_queries)


def test_listing_takes_the_same_number_of_queries_for_any_number_of_schools(token):
    few = count_queries(lambda: call("get", "/schools", token))
    for n in range(3):
        school = School.objects.create(name=f"Școala {n}", slug=f"extra-{n}", schema_name=f"extra_{n}")
        job = ProvisioningJob.objects.create(
            school=school, requested_by="tests", admin_name="A B", admin_email="a@b.ro"
        )
        job.steps.create(name="schema", state="failed", started_at=job.created_at, finished_at=job.created_at)
    many = count_queries(lambda: call("get", "/schools", token))
    assert many == few <= 10


def test_listing_filters_and_pages(token):
    everything = call("get", "/schools", token).json()
    assert {school["slug"] for school in everything["items"]} >= {"school-a", "school-b"}
    assert "public" not in {school["slug"] for school in everything["items"]}
    found = call("get", "/schools?q=Bârlad", token).json()["items"]
    assert [school["slug"] for school in found] == ["school-b"]
    assert call("get", "/schools?status=suspended", token).json()["items"] == []
    assert call("get", "/schools?limit=1", token).json()["count"] >= 2
