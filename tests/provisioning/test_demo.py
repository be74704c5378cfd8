"""The demo school's documented logins work, with the documented 2FA secret."""

import pyotp
import pytest
from django.core.exceptions import ImproperlyConfigured

from provisioning import demo
from tests.conftest import host_client


@pytest.fixture
def demo_school(db):
    school, created = demo.demo_school_ensure()
    assert created
    return school


@pytest.mark.parametrize(("username", "_name", "roles"), demo.DEMO_PEOPLE)
def test_every_demo_login_signs_in_and_staff_pass_2fa_with_the_documented_secret(demo_school, username, _name, roles):
    client = host_client("demo.localhost")
    assert client.post("/cont/login/", {"login": username, "password": demo.DEMO_PASSWORD}).status_code == 302
    home = client.get("/")
    if home.status_code == 302:  # staff: 2FA first
        assert home["Location"].startswith("/cont/2fa/verificare/")
        code = pyotp.TOTP(demo.DEMO_TOTP_SECRET).now()
        assert client.post("/cont/2fa/verificare/", {"token": code}).status_code == 302
    assert client.get("/").status_code == 200


def test_the_demo_operator_signs_in_on_the_control_plane(demo_school):
    client = host_client("localhost")
    assert client.post("/cont/login/", {"login": "operator.demo", "password": demo.DEMO_PASSWORD}).status_code == 302


def test_ensuring_the_demo_twice_changes_nothing(demo_school):
    school, created = demo.demo_school_ensure()
    assert (school.pk, created) == (demo_school.pk, False)


def test_there_is_no_demo_in_production(db, settings):
    settings.PRODUCTION = True
    with pytest.raises(ImproperlyConfigured):
        demo.demo_school_ensure()
