"""Failed sign-ins are limited per client address and per account. Behind the TLS proxy
every request connects from the proxy: the limit counts the real client (the hop the proxy
added to X-Forwarded-For), so one client hammering never locks out the rest of a school;
without the proxy setting, X-Forwarded-For is anybody's to write and is ignored."""

import pytest
from django_tenants.utils import schema_context

from accounts.roles import Role
from audit.actions import Action
from audit.models import AuditEvent
from tests.accounts.conftest import PASSWORD, make_user
from tests.conftest import SCHOOL_A, host_client
from tests.helpers import clean_env, run_catedra

PROXY = ("HTTP_X_FORWARDED_PROTO", "https")
ATTACKER, COLLEAGUE = "203.0.113.5", "198.51.100.7"
PER_IP = 20  # the default CATEDRA_LOGIN_RATE_LIMIT: 20/m/ip,5/5m/key


@pytest.fixture
def parent(school_a):
    return make_user(school_a.schema_name, "tata.limite", [Role.PARENT])  # signs in without a second factor


@pytest.fixture
def behind_proxy(settings):
    settings.SECURE_PROXY_SSL_HEADER = PROXY  # CATEDRA_BEHIND_TLS_PROXY, on in production


def through_proxy(client_address: str) -> dict:
    """What the ingress sends on: the client's address appended to X-Forwarded-For."""
    return {"HTTP_X_FORWARDED_FOR": client_address, "HTTP_X_FORWARDED_PROTO": "https"}


def sign_in(client, login: str, password: str = PASSWORD, **headers) -> bool:
    response = client.post("/cont/login/", {"login": login, "password": password}, **headers)
    return response.status_code == 302 and not response["Location"].startswith("/cont/login/")


def spray(client, attempts: int, headers_of) -> None:
    """Wrong passwords for made-up names (no account's own limit is reached)."""
    for n in range(attempts):
        assert not sign_in(client, f"nimeni.{n}", "gresit", **headers_of(n))


def test_behind_the_proxy_one_client_hammering_does_not_lock_out_another(behind_proxy, parent):
    attacker, colleague = host_client(f"{SCHOOL_A}.localhost"), host_client(f"{SCHOOL_A}.localhost")
    spray(attacker, PER_IP, lambda n: through_proxy(ATTACKER))
    assert not sign_in(attacker, parent.username, **through_proxy(ATTACKER))  # the attacker is limited
    assert sign_in(colleague, parent.username, **through_proxy(COLLEAGUE))  # nobody else is
    with schema_context("school_a"):
        failed = AuditEvent.objects.filter(action=Action.LOGIN_FAILED).latest("seq")
    assert failed.ip == ATTACKER  # the limit and the audit trail see the same client


def test_behind_the_proxy_addresses_written_before_the_proxys_hop_change_nothing(behind_proxy, parent):
    attacker = host_client(f"{SCHOOL_A}.localhost")
    spray(attacker, PER_IP, lambda n: through_proxy(f"10.0.{n}.1, {ATTACKER}"))
    assert not sign_in(attacker, parent.username, **through_proxy(f"10.9.9.9, {ATTACKER}"))


def test_without_the_proxy_setting_a_forwarded_for_header_is_not_trusted(parent):
    attacker, other = host_client(f"{SCHOOL_A}.localhost"), host_client(f"{SCHOOL_A}.localhost")
    spray(attacker, PER_IP, lambda n: {"HTTP_X_FORWARDED_FOR": f"192.0.2.{n}"})
    assert not sign_in(attacker, parent.username, HTTP_X_FORWARDED_FOR="192.0.2.200")  # still the same client
    assert sign_in(other, parent.username, REMOTE_ADDR="192.0.2.99")  # another connecting address


def test_an_account_hammered_from_many_addresses_waits_but_its_neighbours_do_not(behind_proxy, parent, teacher):
    attacker = host_client(f"{SCHOOL_A}.localhost")
    for n in range(6):
        assert not sign_in(attacker, teacher.username, "gresit", **through_proxy(f"203.0.113.{n + 10}"))
    assert not sign_in(host_client(f"{SCHOOL_A}.localhost"), teacher.username, **through_proxy(COLLEAGUE))
    assert sign_in(host_client(f"{SCHOOL_A}.localhost"), parent.username, **through_proxy(f"203.0.113.{10}"))


@pytest.mark.parametrize("proxy", ["1", "0"])
def test_allauths_own_reading_of_the_address_agrees_with_ours(settings, rf, proxy):
    """CATEDRA_BEHIND_TLS_PROXY makes allauth trust the one hop the proxy added, as we do, and
    nothing without it (the settings read from a `catedra` process started that way)."""
    from allauth.core.internal.httpkit import get_client_ip

    from accounts.adapter import AccountAdapter

    script = (
        "from django.conf import settings as s; "
        "print(s.ALLAUTH_TRUSTED_PROXY_COUNT, bool(getattr(s, 'SECURE_PROXY_SSL_HEADER', None)))"
    )
    servers = {"DATABASE_URL": settings.DATABASE_URL, "REDIS_URL": settings.REDIS_URL}
    result = run_catedra("shell", "-c", script, env=clean_env(CATEDRA_BEHIND_TLS_PROXY=proxy, **servers))
    assert result.returncode == 0, result.stderr
    count, behind = result.stdout.split()[-2:]
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = int(count)
    settings.SECURE_PROXY_SSL_HEADER = PROXY if behind == "True" else None
    request = rf.post("/cont/login/", HTTP_X_FORWARDED_FOR=f"10.1.2.3, {ATTACKER}", REMOTE_ADDR="192.0.2.1")
    assert (
        get_client_ip(request) == AccountAdapter().get_client_ip(request) == (ATTACKER if proxy == "1" else "192.0.2.1")
    )
