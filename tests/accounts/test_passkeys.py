"""Passkeys (WebAuthn) as a second factor: enrolled and used through JSON doors that refuse a
password-only session of an enrolled account, answer bad input in JSON (never a 500), and are
bound to the host they were made at. A software authenticator stands in for the browser."""

import hashlib
import json
import os
import struct
from base64 import urlsafe_b64encode

import cbor2
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from django_otp.plugins.otp_static.models import StaticToken
from django_otp_webauthn.models import WebAuthnCredential
from django_tenants.utils import schema_context

from accounts import two_factor
from accounts.roles import Role
from audit.actions import Action
from audit.models import AuditEvent
from tests.accounts.conftest import login, make_user, sign_in_with_2fa
from tests.conftest import SCHOOL_A, SCHOOL_B, host_client

HOST_A = f"{SCHOOL_A}.localhost"
REGISTER_BEGIN, REGISTER_COMPLETE = "/cont/2fa/cheie-acces/inceput/", "/cont/2fa/cheie-acces/final/"
VERIFY_BEGIN, VERIFY_COMPLETE = "/cont/2fa/verificare/cheie-acces/inceput/", "/cont/2fa/verificare/cheie-acces/final/"


def b64(data: bytes) -> str:
    return urlsafe_b64encode(data).rstrip(b"=").decode()


class SoftAuthenticator:
    """One passkey on a software authenticator: a P-256 key, "none" attestation."""

    def __init__(self):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(32)
        self.sign_count = 0

    def _auth_data(self, rp_id: str, flags: int, attested: bytes = b"") -> bytes:
        self.sign_count += 1
        return hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + struct.pack(">I", self.sign_count) + attested

    @staticmethod
    def _client_data(kind: str, challenge: str, origin: str) -> bytes:
        return json.dumps({"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": False}).encode()

    def create(self, options: dict, origin: str) -> dict:
        numbers = self.key.public_key().public_numbers()
        cose = cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})
        attested = bytes(16) + struct.pack(">H", len(self.credential_id)) + self.credential_id + cose
        auth_data = self._auth_data(options["rp"]["id"], 0x45, attested)  # user present, verified, attested
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = self._client_data("webauthn.create", options["challenge"], origin)
        response = {
            "clientDataJSON": b64(client_data),
            "attestationObject": b64(attestation),
            "transports": ["internal"],
        }
        return {
            "id": b64(self.credential_id),
            "rawId": b64(self.credential_id),
            "type": "public-key",
            "response": response,
            "clientExtensionResults": {"credProps": {"rk": True}},
        }

    def sign(self, options: dict, origin: str, rp_id: str | None = None) -> dict:
        auth_data = self._auth_data(rp_id or options["rpId"], 0x05)
        client_data = self._client_data("webauthn.get", options["challenge"], origin)
        signature = self.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        response = {
            "clientDataJSON": b64(client_data),
            "authenticatorData": b64(auth_data),
            "signature": b64(signature),
            "userHandle": None,
        }
        return {
            "id": b64(self.credential_id),
            "rawId": b64(self.credential_id),
            "type": "public-key",
            "response": response,
            "clientExtensionResults": {},
        }


def post_json(client, path: str, body=None):
    return client.post(path, data=json.dumps(body or {}), content_type="application/json")


def enrol_passkey(client, host: str) -> SoftAuthenticator:
    authenticator = SoftAuthenticator()
    options = post_json(client, REGISTER_BEGIN).json()
    response = post_json(client, REGISTER_COMPLETE, authenticator.create(options, f"http://{host}"))
    assert response.status_code == 200, response.content
    return authenticator


def verify_with(client, authenticator: SoftAuthenticator, host: str, **sign):
    options = post_json(client, VERIFY_BEGIN)
    assert options.status_code == 200, options.content
    return post_json(client, VERIFY_COMPLETE, authenticator.sign(options.json(), f"http://{host}", **sign))


def session_of(client, schema: str = "school_a") -> dict:
    with schema_context(schema):  # every school keeps its sessions in its own schema
        return dict(client.session.items())


def events(schema: str, action: str) -> list[AuditEvent]:
    with schema_context(schema):
        return list(AuditEvent.objects.filter(action=action).order_by("seq"))


def test_the_relying_party_is_the_requests_own_host(rf):
    assert two_factor.passkey_relying_party_id(rf.get("/", HTTP_HOST="demo.localhost:8000")) == "demo.localhost"
    assert two_factor.passkey_relying_party_id(rf.get("/", HTTP_HOST=HOST_A)) == HOST_A


def test_a_teacher_enrols_a_passkey_first_and_gets_backup_codes(client_a, teacher):
    login(client_a, teacher.username)
    page = client_a.get("/cont/2fa/inrolare/").content.decode()
    assert page.index('data-testid="passkey-register"') < page.index('data-testid="totp-secret"')
    assert "/static/accounts/passkey.js" in page
    options = post_json(client_a, REGISTER_BEGIN).json()
    assert options["rp"] == {"id": HOST_A, "name": "Catedra"}
    response = post_json(client_a, REGISTER_COMPLETE, SoftAuthenticator().create(options, f"http://{HOST_A}"))
    assert response.json() == {"registered": True}
    assert session_of(client_a)["otp_device_id"].startswith("django_otp_webauthn.webauthncredential/")
    shown = client_a.get("/cont/2fa/cheie-acces/adaugata/?next=/").content.decode()
    assert shown.count("<li><code>") == 10
    assert client_a.get("/cont/2fa/cheie-acces/adaugata/").status_code == 302  # shown once
    with schema_context("school_a"):
        device = WebAuthnCredential.objects.get(user=teacher)
        assert (device.name, device.confirmed) == (two_factor.PASSKEY_NAME, True)
        assert StaticToken.objects.filter(device__user=teacher).count() == 10
    assert [e.new_values["method"] for e in events("school_a", Action.TWO_FACTOR_ENROLLED)] == ["WebAuthnCredential"]
    assert client_a.get("/").status_code == 200


def test_a_passkey_verifies_a_password_only_session(client_a, teacher):
    login(client_a, teacher.username)
    authenticator = enrol_passkey(client_a, HOST_A)
    client_a.post("/cont/logout/")
    login(client_a, teacher.username)
    assert client_a.get("/").status_code == 302
    assert 'data-testid="passkey-verify"' in client_a.get("/cont/2fa/verificare/").content.decode()
    key_before = client_a.cookies["sessionid"].value
    response = verify_with(client_a, authenticator, HOST_A)
    assert response.json() == {"verified": True}
    assert client_a.cookies["sessionid"].value != key_before
    assert client_a.get("/").status_code == 200
    assert events("school_a", Action.TWO_FACTOR_VERIFIED)[-1].new_values["method"] == "WebAuthnCredential"


def test_a_challenge_is_answered_once(client_a, teacher):
    login(client_a, teacher.username)
    authenticator = enrol_passkey(client_a, HOST_A)
    client_a.post("/cont/logout/")
    login(client_a, teacher.username)
    options = post_json(client_a, VERIFY_BEGIN).json()
    answer = authenticator.sign(options, f"http://{HOST_A}")
    assert post_json(client_a, VERIFY_COMPLETE, {"id": "wrong"}).status_code == 400
    assert post_json(client_a, VERIFY_COMPLETE, answer).status_code == 400  # the state went with the wrong answer
    assert "otp_device_id" not in session_of(client_a)
    assert len(events("school_a", Action.TWO_FACTOR_FAILED)) == 2


def test_a_password_only_session_cannot_register_a_passkey_for_an_account_with_a_factor(client_a, teacher, settings):
    with schema_context("school_a"):
        two_factor.backup_codes_generate(user=teacher)
    login(client_a, teacher.username)
    response = post_json(client_a, REGISTER_BEGIN)
    assert response.status_code == 302 and response["Location"].startswith("/cont/2fa/verificare/")
    # The door refuses by itself too, without the enforcement middleware in front of it.
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.endswith("TwoFactorEnforcementMiddleware")]
    cookies, client_a = client_a.cookies, host_client(HOST_A)  # a client that loads the new middleware
    client_a.cookies = cookies
    for path in (REGISTER_BEGIN, REGISTER_COMPLETE):
        response = post_json(client_a, path, SoftAuthenticator().create({"rp": {"id": HOST_A}, "challenge": "AA"}, ""))
        assert response.status_code == 403, path
        assert "Verificați-vă" in response.json()["detail"]
    response = client_a.post(REGISTER_BEGIN, {"form": "data"})
    assert response.status_code == 403
    with schema_context("school_a"):
        assert not WebAuthnCredential.objects.exists()
    assert "otp_device_id" not in session_of(client_a)


BAD_BODIES = [
    b"",
    b"not json",
    b"[]",
    b'"text"',
    b"null",
    b"{}",
    b'{"id": 1}',
    b'{"response": "x"}',
    json.dumps({"id": "AA", "rawId": "!!", "type": "public-key", "response": {}}).encode(),
    json.dumps(
        {
            "id": "AA",
            "rawId": "AA",
            "type": "public-key",
            "response": {
                "clientDataJSON": "AA",
                "attestationObject": "AA",
                "authenticatorData": "AA",
                "signature": "AA",
            },
        }
    ).encode(),
]


@pytest.mark.parametrize("body", BAD_BODIES)
def test_the_complete_doors_refuse_bad_json_with_a_json_error(client_a, teacher, body):
    login(client_a, teacher.username)
    post_json(client_a, REGISTER_BEGIN)
    response = client_a.post(REGISTER_COMPLETE, data=body, content_type="application/json")
    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    assert response.json()["detail"]
    authenticator = enrol_passkey(client_a, HOST_A)
    client_a.post("/cont/logout/")
    login(client_a, teacher.username)
    post_json(client_a, VERIFY_BEGIN)
    response = client_a.post(VERIFY_COMPLETE, data=body, content_type="application/json")
    assert response.status_code == 400 and response.json()["detail"]
    assert verify_with(client_a, authenticator, HOST_A).status_code == 200  # a new challenge still works


def test_a_form_posted_to_the_complete_doors_is_a_json_error(client_a, teacher):
    login(client_a, teacher.username)
    for path in (REGISTER_COMPLETE, VERIFY_COMPLETE):
        response = client_a.post(path, {"id": "AA"})
        assert response.status_code == 400 and response.json()["detail"], path


def test_the_doors_answer_in_json_to_strangers_and_wrong_methods(client_a, teacher):
    for path in (REGISTER_BEGIN, REGISTER_COMPLETE, VERIFY_BEGIN, VERIFY_COMPLETE):
        assert post_json(client_a, path).status_code == 401, path
    login(client_a, teacher.username)
    for path in (REGISTER_BEGIN, VERIFY_BEGIN):
        response = client_a.get(path)
        assert response.status_code == 405 and response.json()["detail"], path
    assert post_json(client_a, VERIFY_BEGIN).status_code == 400  # no passkey to verify with
    assert post_json(client_a, REGISTER_COMPLETE, {}).status_code == 400  # nothing begun


def test_a_passkey_made_at_school_a_is_refused_at_school_b_and_on_the_control_plane(client_a, teacher):
    login(client_a, teacher.username)
    stolen = enrol_passkey(client_a, HOST_A)
    for schema, host, roles in (
        ("school_b", f"{SCHOOL_B}.localhost", [Role.TEACHER]),
        ("public", "localhost", [Role.SUPERUSER]),
    ):
        twin = make_user(schema, teacher.username, roles)
        client = host_client(host)
        login(client, twin.username)
        enrol_passkey(client, host)  # the twin's own passkey there, so that a ceremony begins
        client.post("/cont/logout/")
        login(client, twin.username)
        for rp_id in (HOST_A, host):  # as made, or rewritten for this host by a forged client
            response = verify_with(client, stolen, host, rp_id=rp_id)
            assert response.status_code == 400, (host, rp_id)
        assert "otp_device_id" not in session_of(client, schema)
        assert client.get("/").status_code == 302
        with schema_context(schema):
            assert not WebAuthnCredential.objects.filter(
                credential_id_sha256=hashlib.sha256(stolen.credential_id).hexdigest()
            ).exists()
    # At school A, the same answer is refused when signed for another host's origin.
    client_a.post("/cont/logout/")
    login(client_a, teacher.username)
    options = post_json(client_a, VERIFY_BEGIN).json()
    forged = stolen.sign(options, f"http://{SCHOOL_B}.localhost")
    assert post_json(client_a, VERIFY_COMPLETE, forged).status_code == 400


def test_the_last_passkey_of_a_teacher_stays_until_another_factor_is_added(client_a, teacher):
    login(client_a, teacher.username)
    enrol_passkey(client_a, HOST_A)
    with schema_context("school_a"):
        device = WebAuthnCredential.objects.get(user=teacher)
    page = client_a.get("/cont/securitate/").content.decode()
    assert two_factor.PASSKEY_NAME in page and 'data-testid="passkey-register"' in page
    response = client_a.post("/cont/securitate/", {"device": device.persistent_id}, follow=True)
    assert "adăugați întâi altă metodă" in response.content.decode()
    enrol_passkey(client_a, HOST_A)  # a second one (a verified session may add)
    assert client_a.post("/cont/securitate/", {"device": device.persistent_id}).status_code == 302
    with schema_context("school_a"):
        assert WebAuthnCredential.objects.filter(user=teacher).count() == 1
    assert events("school_a", Action.TWO_FACTOR_REMOVED)[-1].old_values["method"] == "WebAuthnCredential"


def test_a_verified_session_adds_a_passkey_to_an_account_with_an_app(client_a, teacher):
    sign_in_with_2fa(client_a, teacher)
    enrol_passkey(client_a, HOST_A)
    with schema_context("school_a"):
        assert WebAuthnCredential.objects.filter(user=teacher, confirmed=True).count() == 1
