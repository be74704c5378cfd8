"""A session that passed only the password cannot change the second factors of an account
that already has one: no enrolment, no new backup codes, no removal, no verified session.
Checked at every door of /cont/2fa/ (passkeys' JSON doors too) and the security page, on the control plane (a provider
superuser) and on a school."""

import re

import pyotp
import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django_otp import devices_for_user
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import schema_context

from accounts import two_factor
from accounts.roles import Role
from audit.actions import Action
from audit.models import AuditEvent
from tests.accounts.conftest import PASSWORD, login, make_user
from tests.conftest import SCHOOL_A, host_client

ATTACKER_PHONE = "0722 999 888"
NEW = "Alta-Parola-Aleasa-2026!"


class Side:
    def __init__(self, host: str, schema: str, user, protected: list[str], urlconf: str):
        self.host, self.schema, self.user, self.protected, self.urlconf = host, schema, user, protected, urlconf

    def client(self):
        return host_client(self.host)


@pytest.fixture(params=["control plane", "school"])
def side(request, db) -> Side:
    """An account that has enrolled an authenticator app and holds its backup codes."""
    if request.param == "control plane":
        user = make_user("public", "sef.platforma", [Role.SUPERUSER], email="sef@furnizor.test")
        side = Side("localhost", "public", user, ["/consola/", "/audit/"], "catedra.urls_public")
    else:
        user = make_user("school_a", "mihai.profesor", [Role.TEACHER], email="mihai@scoala-a.test")
        side = Side(f"{SCHOOL_A}.localhost", "school_a", user, ["/"], "catedra.urls_school")
    with schema_context(side.schema):
        TOTPDevice.objects.create(user=user, name=two_factor.TOTP_NAME, confirmed=True)
        two_factor.backup_codes_generate(user=user)
    return side


def factors(side: Side) -> dict:
    """Everything the account's second factors and sessions consist of, to compare."""
    with schema_context(side.schema):
        user = type(side.user).objects.get(pk=side.user.pk)
        devices = devices_for_user(user, confirmed=None)
        return {
            "devices": sorted((d.persistent_id, d.confirmed, getattr(d, "number", "")) for d in devices),
            "codes": sorted(StaticToken.objects.filter(device__user=user).values_list("token", flat=True)),
            "session_epoch": user.session_epoch,
            "password": user.password,
        }


def password_only(side: Side):
    client = side.client()
    assert login(client, side.user.username).status_code == 302
    return client


def assert_not_verified(client, side: Side) -> None:
    with schema_context(side.schema):  # a school's sessions are in its own schema
        assert "otp_device_id" not in client.session
    for path in side.protected:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/cont/2fa/verificare/"), path


def sent_to_verification(response) -> bool:
    """Sent to verification, or refused outright (403, 404, or 405 for a POST-only door)."""
    if response.status_code in (403, 404, 405):
        return True
    return response.status_code == 302 and response["Location"].startswith("/cont/2fa/verificare/")


def two_factor_paths(urlconf: str) -> list[str]:
    """Every pattern under /cont/2fa/ of a URL map, made concrete."""
    paths = []

    def walk(patterns, prefix):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                paths.append("/" + re.sub(r"<(?:\w+:)?\w+>", "sms", prefix + str(pattern.pattern)))

    walk(get_resolver(urlconf).url_patterns, "")
    return sorted({path for path in paths if path.startswith("/cont/2fa/")})


def doors(side: Side) -> list[tuple[str, str, dict]]:
    with schema_context(side.schema):
        totp = TOTPDevice.objects.get(user=side.user).persistent_id
        backup = StaticDevice.objects.get(user=side.user).persistent_id
    explicit = [
        ("post", "/cont/2fa/inrolare/", {"token": "123456"}),
        ("post", "/cont/2fa/inrolare/email/", {"token": "123456"}),
        ("post", "/cont/2fa/inrolare/sms/", {"number": ATTACKER_PHONE}),
        ("post", "/cont/2fa/inrolare/sms/", {"number": ATTACKER_PHONE, "token": "123456"}),
        ("post", "/cont/2fa/cheie-acces/inceput/", {}),
        ("post", "/cont/2fa/cheie-acces/final/", {"id": "AA", "rawId": "AA", "type": "public-key"}),
        ("get", "/cont/2fa/cheie-acces/adaugata/", {}),
        ("get", "/cont/securitate/", {}),
        ("post", "/cont/securitate/", {"device": totp}),
        ("post", "/cont/securitate/", {"device": backup}),
        ("post", "/cont/logout/peste-tot/", {}),
        ("get", "/cont/password/change/", {}),
        ("post", "/cont/password/change/", {"oldpassword": PASSWORD, "password1": NEW, "password2": NEW}),
    ]
    every = [(method, path, {}) for path in two_factor_paths(side.urlconf) for method in ("get", "post")]
    return explicit + every


def test_every_door_refuses_a_password_only_session_of_an_enrolled_account(side):
    before = factors(side)
    client = password_only(side)
    tried = doors(side)
    assert {"/cont/2fa/inrolare/sms/", "/cont/2fa/inrolare/email/", "/cont/2fa/cod/sms/"} <= {p for _m, p, _d in tried}
    assert {"/cont/2fa/cheie-acces/inceput/", "/cont/2fa/verificare/cheie-acces/final/"} <= {p for _m, p, _d in tried}
    for method, path, data in tried:
        response = getattr(client, method)(path, data)
        if path == "/cont/2fa/verificare/":
            assert response.status_code == 200, (method, path)  # the verification page itself
        elif path.startswith("/cont/2fa/verificare/"):
            # A passkey's verification ceremony: it may begin (there is none to verify with here),
            # answers in JSON, and verifies nothing without a passkey's signature.
            assert response.status_code in (400, 405) and response.json()["detail"], (method, path)
        else:
            assert sent_to_verification(response), (method, path, response.status_code, response.get("Location"))
        assert factors(side) == before, (method, path)
    assert_not_verified(client, side)


def test_a_stolen_password_cannot_enrol_the_attackers_phone(side, caplog):
    before = factors(side)
    client = password_only(side)
    client.post("/cont/2fa/inrolare/sms/", {"number": ATTACKER_PHONE})
    texted = re.findall(r"Codul Catedra: (\d{6})", caplog.text)
    response = client.post("/cont/2fa/inrolare/sms/", {"number": "+40722999888", "token": texted[-1] if texted else ""})
    assert not texted  # no code ever went to the attacker's phone
    assert "Coduri de rezervă" not in response.content.decode()
    assert factors(side) == before
    assert_not_verified(client, side)


def test_an_app_secret_shown_to_a_password_only_session_is_never_enrolled_later(client_a, school_a):
    """Before any factor exists, whoever has the password may enrol (the first enrolment), but a
    secret shown to one session and left unconfirmed is not offered to the owner's session."""
    user = make_user(school_a.schema_name, "nou.profesor", [Role.TEACHER])
    intruder = host_client(f"{SCHOOL_A}.localhost")
    login(intruder, user.username)
    seen = re.search(r'data-testid="totp-secret">([A-Z2-7 ]+)<', intruder.get("/cont/2fa/inrolare/").content.decode())
    login(client_a, user.username)
    page = client_a.get("/cont/2fa/inrolare/").content.decode()
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7 ]+)<', page).group(1)
    assert secret != seen.group(1)
    client_a.post("/cont/2fa/inrolare/", {"token": pyotp.TOTP(secret.replace(" ", "")).now()})
    with schema_context(school_a.schema_name):
        device = TOTPDevice.objects.get(user=user, confirmed=True)
    assert two_factor.totp_secret_for_humans(device) == secret
    # The intruder's pending secret cannot be confirmed any more either.
    code = pyotp.TOTP(seen.group(1).replace(" ", "")).now()
    assert sent_to_verification(intruder.post("/cont/2fa/inrolare/", {"token": code}))


def test_a_verified_session_adds_a_factor_and_gets_a_new_set_of_backup_codes(side):
    client = side.client()
    with schema_context(side.schema):
        old_codes = set(StaticToken.objects.filter(device__user=side.user).values_list("token", flat=True))
    assert login(client, side.user.username).status_code == 302
    assert client.post("/cont/2fa/verificare/", {"token": sorted(old_codes)[0]}).status_code == 302
    page = client.get("/cont/2fa/inrolare/").content.decode()
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    response = client.post("/cont/2fa/inrolare/", {"token": pyotp.TOTP(secret).now()})
    assert "Coduri de rezervă" in response.content.decode()
    with schema_context(side.schema):
        assert TOTPDevice.objects.filter(user=side.user, confirmed=True).count() == 2
        new_codes = set(StaticToken.objects.filter(device__user=side.user).values_list("token", flat=True))
    assert new_codes and not new_codes & old_codes


def test_removing_the_last_real_factor_removes_the_backup_codes_with_it(client_a, student):
    """A parent's or student's factor (optional) goes with its backup codes: codes minted at an
    enrolment never outlive the factors they back up."""
    with schema_context("school_a"):
        device = TOTPDevice.objects.create(user=student, name=two_factor.TOTP_NAME, confirmed=True)
        code = two_factor.backup_codes_generate(user=student)[0]
    login(client_a, student.username)
    assert client_a.post("/cont/2fa/verificare/", {"token": code}).status_code == 302
    assert client_a.post("/cont/securitate/", {"device": device.persistent_id}).status_code == 302
    with schema_context("school_a"):
        assert not StaticDevice.objects.filter(user=student).exists()
        assert not list(devices_for_user(student, confirmed=None))
        removed = AuditEvent.objects.filter(action=Action.TWO_FACTOR_REMOVED).order_by("seq")
        assert [e.old_values["method"] for e in removed][-2:] == ["TOTPDevice", "StaticDevice"]
    client_a.post("/cont/logout/")
    login(client_a, student.username)
    assert client_a.get("/").status_code == 200  # 2FA is off: no forgotten codes keep it half on
