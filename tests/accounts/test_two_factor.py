"""Two-factor authentication: enrolment by QR secret, verification, replay, throttling,
and enforcement on every page of a school for the roles that must use it."""

import re
import time

import pyotp
import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import schema_context

from accounts import two_factor
from tests.accounts.conftest import login

# RFC 6238 appendix B, SHA-1: (Unix time, 8-digit code) for the ASCII key "12345678901234567890".
RFC6238_VECTORS = [(59, 94287082), (1111111109, 7081804), (1111111111, 14050471), (1234567890, 89005924),
                   (2000000000, 69279037), (20000000000, 65353130)]  # fmt: skip
OPEN_PATHS = ("/cont/2fa/", "/cont/logout/")


@pytest.mark.parametrize(("moment", "code"), RFC6238_VECTORS)
def test_the_totp_implementation_meets_the_rfc_6238_vectors(moment, code):
    totp = TOTP(b"12345678901234567890", step=30, t0=0, digits=8)
    totp.time = moment
    assert totp.token() == code


def enrol(client) -> str:
    """Enrol through the page as a person would; the base32 secret the page showed."""
    page = client.get("/cont/2fa/inrolare/").content.decode()
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    response = client.post("/cont/2fa/inrolare/", {"token": pyotp.TOTP(secret).now(), "next": "/"})
    assert "Coduri de rezervă" in response.content.decode()
    return secret


def test_a_teacher_is_sent_to_enrolment_until_2fa_is_set_up(teacher_client):
    response = teacher_client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/cont/2fa/inrolare/?next=")


def test_a_secret_enrolled_through_the_page_works_in_an_independent_app(teacher_client, teacher):
    session_before = teacher_client.session.session_key
    secret = enrol(teacher_client)
    assert teacher_client.session.session_key != session_before  # rotated at verification
    assert teacher_client.get("/").status_code == 200
    with schema_context("school_a"):
        device = TOTPDevice.objects.get(user=teacher)
        assert device.confirmed
        assert pyotp.TOTP(secret).verify(pyotp.TOTP(secret).now())


def test_a_used_code_cannot_be_replayed_but_the_next_one_works(teacher_client, teacher, client_a):
    secret = enrol(teacher_client)
    used = pyotp.TOTP(secret).now()
    teacher_client.post("/cont/logout/")
    login(client_a, teacher.username)
    refused = client_a.post("/cont/2fa/verificare/", {"token": used, "next": "/"})
    assert refused.status_code == 200
    assert "nu este corect" in refused.content.decode()
    with schema_context("school_a"):
        two_factor.otp_lockout_lift(user=teacher)  # the refusal above counted as a failure
    following = pyotp.TOTP(secret).at(time.time() + 30)
    accepted = client_a.post("/cont/2fa/verificare/", {"token": following, "next": "/"})
    assert accepted.status_code == 302


def test_after_failed_codes_even_the_right_one_waits_until_an_admin_lifts_it(teacher_client, teacher, client_a):
    secret = enrol(teacher_client)
    teacher_client.post("/cont/logout/")
    login(client_a, teacher.username)
    for wrong in ("000000", "111111", "222222"):
        client_a.post("/cont/2fa/verificare/", {"token": wrong})
    right = pyotp.TOTP(secret).at(time.time() + 30)
    locked = client_a.post("/cont/2fa/verificare/", {"token": right})
    assert "Prea multe coduri greșite" in locked.content.decode()
    with schema_context("school_a"):
        two_factor.otp_lockout_lift(user=teacher)
    assert client_a.post("/cont/2fa/verificare/", {"token": right}).status_code == 302


def test_a_backup_code_works_once(teacher_client, teacher, client_a):
    enrol(teacher_client)
    with schema_context("school_a"):
        code = two_factor.backup_codes_generate(user=teacher)[0]
    teacher_client.post("/cont/logout/")
    login(client_a, teacher.username)
    assert client_a.post("/cont/2fa/verificare/", {"token": code}).status_code == 302
    client_a.post("/cont/logout/")
    login(client_a, teacher.username)
    assert client_a.post("/cont/2fa/verificare/", {"token": code}).status_code == 200


def test_a_student_without_2fa_is_not_forced_to_enrol(client_a, student):
    login(client_a, student.username)
    assert client_a.get("/").status_code == 200


def school_paths() -> list[str]:
    """One concrete path for every pattern of the school URL map."""
    paths = []

    def walk(patterns, prefix):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                route = prefix + str(pattern.pattern)
                route = re.sub(r"\(\?P<\w+>[^)]*\)", "1", route).replace("^", "").replace("$", "")  # regex groups
                route = re.sub(r"<(?:\w+:)?\w+>", "1", route)  # path converters
                paths.append("/" + route.replace("\\", ""))

    walk(get_resolver("catedra.urls_school").url_patterns, "")
    return sorted(set(paths))


def test_a_password_only_session_of_a_teacher_reaches_no_school_page_or_api(teacher_client):
    paths = [path for path in school_paths() if not path.startswith(OPEN_PATHS)] + ["/api/v1/students"]
    assert len(paths) > 10
    for path in paths:
        for method in ("get", "post"):
            response = getattr(teacher_client, method)(path)
            if path.startswith("/api/"):
                assert response.status_code == 401, (method, path)
            else:
                assert response.status_code == 302, (method, path, response.status_code)
                assert response["Location"].startswith("/cont/2fa/"), (method, path)
