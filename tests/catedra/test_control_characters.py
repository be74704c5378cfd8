"""Control characters in a request (issue 22, item 7) are refused before any view reads them:
a Romanian 400 page for people, the provider API's JSON error under /api/."""

import json

import pytest
from django_tenants.utils import schema_context

from accounts.models import User
from accounts.roles import Role
from provisioning.models import ApiToken
from tests.accounts.conftest import make_user, sign_in_with_2fa
from tests.conftest import SCHOOL_A, SCHOOL_B, host_client

REFUSED = "caractere de control nepermise"


@pytest.fixture
def api(db):
    token = ApiToken.issue(name="control")[1]
    client = host_client("localhost")
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


@pytest.mark.parametrize(
    "path",
    ["/cont/login/?next=%00", "/cont/login/?q=a%1Bb", "/cont/login/?x%00=1", "/cont/login/?q=a%0Ab", "/cont/%00/",
     "/invitatie/a%7Fb/c/", "/cont/login/?q=%C2%85"],
)  # fmt: skip
def test_a_page_asked_with_a_control_character_is_a_romanian_400(client_a, path):
    response = client_a.get(path)
    assert response.status_code == 400
    assert REFUSED in response.content.decode()
    assert "Content-Security-Policy" in response


def test_a_form_field_with_a_control_character_is_refused_and_line_breaks_and_tabs_are_not(client_a):
    refused = client_a.post("/cont/login/", {"login": "ana\x1b[31m", "password": "x"})
    assert refused.status_code == 400
    assert REFUSED in refused.content.decode()
    allowed = client_a.post("/cont/login/", {"login": "ana\r\nmaria\tpop", "password": "x"})
    assert allowed.status_code == 200  # the form's own answer: a wrong sign-in


def test_a_cookie_with_a_control_character_is_ignored_not_an_error(client_a):
    client_a.cookies["sessionid"] = "abc\x01def"
    response = client_a.get("/cont/login/")
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("post", f"/schools/{SCHOOL_B}/transitions", {"to": "suspended", "reason": "neplată\x00"}, "reason"),
        ("post", "/schools", {"name": "Școala", "slug": "a", "extra": {"deep": ["x\x07"]}}, "extra"),
        ("get", "/schools/a%00b", None, "path"),
        ("get", "/schools?q=a%00b", None, "q"),
        ("get", "/schools?status=%00", None, "status"),
    ],
)
def test_the_provider_api_answers_its_own_json_error(api, school_b, method, path, body, field):
    data = json.dumps(body) if body is not None else None
    response = getattr(api, method)(f"/api/v1{path}", data=data, content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    error = response.json()
    assert REFUSED in error["detail"]
    assert list(error["errors"]) == [field]


def test_a_json_body_too_deep_to_read_is_refused_not_an_error(api):
    body = "[" * 100_000 + "]" * 100_000
    response = api.post("/api/v1/schools", data=body, content_type="application/json")
    assert 400 <= response.status_code < 500


def test_a_form_refused_for_a_control_character_changes_nothing(school_a):
    secretary = make_user("school_a", "secretara.control", [Role.SCHOOL_ADMIN])
    client = host_client(f"{SCHOOL_A}.localhost")
    sign_in_with_2fa(client, secretary)
    fields = {"first_name": "Ana\x00", "last_name": "Pop", "roles": Role.STUDENT}
    assert client.post("/administrare/conturi/nou/", fields).status_code == 400
    with schema_context("school_a"):
        assert not User.objects.filter(last_name="Pop").exists()
