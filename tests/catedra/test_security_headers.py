"""The security headers and cookie flags a browser gets from each host (issue 22, item 13), with
the settings the settings module itself gives under CATEDRA_ENV=production (read from a
`catedra` process started that way), on pages, error pages and refusals alike."""

import json

import pytest
from django.test import Client

from accounts.roles import Role
from tests.accounts.conftest import PASSWORD, make_user
from tests.conftest import SCHOOL_A
from tests.helpers import run_catedra

# What the production settings decide about headers and cookies.
HEADER_SETTINGS = [
    "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD",
    "SECURE_PROXY_SSL_HEADER", "SECURE_CONTENT_TYPE_NOSNIFF", "SECURE_REFERRER_POLICY",
    "SECURE_CROSS_ORIGIN_OPENER_POLICY", "X_FRAME_OPTIONS", "CATEDRA_CONTENT_SECURITY_POLICY", "MIDDLEWARE",
    "SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE", "SESSION_COOKIE_DOMAIN",
    "CSRF_COOKIE_SECURE", "CSRF_COOKIE_HTTPONLY", "CSRF_COOKIE_SAMESITE",
]  # fmt: skip
HOSTS = {"control plane": "localhost", "school": f"{SCHOOL_A}.localhost"}


@pytest.fixture(scope="module")
def production_settings(production_env) -> dict:
    script = (
        "import json; from django.conf import settings; "
        f"print(json.dumps({{name: getattr(settings, name) for name in {HEADER_SETTINGS!r}}}))"
    )
    result = run_catedra("shell", "-c", script, env=production_env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture
def in_production(settings, production_settings):
    """This process answers with the production settings' headers and cookies."""
    for name, value in production_settings.items():
        setattr(settings, name, tuple(value) if isinstance(value, list) and name != "MIDDLEWARE" else value)
    return production_settings


def through_the_ingress(host: str) -> Client:
    """A browser's requests as the TLS ingress forwards them."""
    return Client(HTTP_HOST=host, HTTP_X_FORWARDED_PROTO="https")


def assert_security_headers(response) -> None:
    csp = response["Content-Security-Policy"]
    for directive in ("default-src 'self'", "script-src 'self'", "object-src 'none'", "frame-ancestors 'none'",
                      "base-uri 'self'", "form-action 'self'"):  # fmt: skip
        assert directive in csp, csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


def test_production_settings_ask_for_every_protection(in_production):
    assert in_production["SECURE_SSL_REDIRECT"] is True
    assert in_production["SECURE_HSTS_SECONDS"] >= 31536000
    assert in_production["SESSION_COOKIE_DOMAIN"] is None  # host-only: a school's cookie stays at its school
    assert in_production["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


@pytest.mark.parametrize("host", HOSTS.values(), ids=HOSTS.keys())
def test_a_page_of_each_host_sends_the_security_headers(in_production, school_a, host):
    response = through_the_ingress(host).get("/cont/login/")
    assert response.status_code == 200
    assert_security_headers(response)


@pytest.mark.parametrize("host", HOSTS.values(), ids=HOSTS.keys())
def test_plain_http_is_sent_to_https(in_production, school_a, host):
    response = Client(HTTP_HOST=host, HTTP_X_FORWARDED_PROTO="http").get("/cont/login/")
    assert response.status_code == 301
    assert response["Location"] == f"https://{host}/cont/login/"


@pytest.mark.parametrize(
    ("host", "path", "status"),
    [
        ("nicio-scoala.localhost", "/", 404),  # the routing's own page, before any view
        (f"{SCHOOL_A}.localhost", "/cont/login/?next=%00", 400),  # refused before any view reads it
        ("localhost", "/nu-exista/", 404),
    ],
)
def test_error_pages_and_refusals_send_them_too(in_production, school_a, host, path, status):
    response = through_the_ingress(host).get(path)
    assert response.status_code == status
    assert_security_headers(response)


def test_the_schools_session_and_csrf_cookies_are_secure_http_only_and_same_site(in_production, school_a):
    parent = make_user(school_a.schema_name, "tata.cookie", [Role.PARENT])
    client = through_the_ingress(HOSTS["school"])
    client.get("/cont/login/")
    assert client.post("/cont/login/", {"login": parent.username, "password": PASSWORD}).status_code == 302
    for name in ("sessionid", "csrftoken"):
        cookie = client.cookies[name]
        assert cookie["secure"] is True, name
        assert cookie["httponly"] is True, name
        assert cookie["samesite"] == "Lax", name
        assert not cookie["domain"], name


def test_the_control_planes_session_and_csrf_cookies_are_secure_http_only_and_same_site(in_production, db):
    operator = make_user("public", "operator.cookie", [Role.OPERATOR])
    client = through_the_ingress(HOSTS["control plane"])
    client.get("/cont/login/")
    assert client.post("/cont/login/", {"login": operator.username, "password": PASSWORD}).status_code == 302
    for name in ("sessionid", "csrftoken"):
        cookie = client.cookies[name]
        assert (cookie["secure"], cookie["httponly"], cookie["samesite"]) == (True, True, "Lax"), name
