"""The demo school's documented logins work, with the documented 2FA secret, and its
catalog is a living school. The demo is made once here (it takes seconds)."""

import pyotp
import pytest
from django.core.exceptions import ImproperlyConfigured
from django_tenants.utils import schema_context

from catalog.grades.models import Grade
from catalog.structure.models import SchoolClass, Student
from provisioning import demo
from tests.conftest import host_client


def sign_in(client, username: str) -> None:
    assert client.post("/cont/login/", {"login": username, "password": demo.DEMO_PASSWORD}).status_code == 302
    home = client.get("/")
    if home.status_code == 302:  # staff: 2FA first
        assert home["Location"].startswith("/cont/2fa/verificare/")
        code = pyotp.TOTP(demo.DEMO_TOTP_SECRET).now()
        assert client.post("/cont/2fa/verificare/", {"token": code}).status_code == 302


def test_the_demo_school_is_alive_and_every_documented_login_works(db):
    school, created = demo.demo_school_ensure()
    assert created
    with schema_context(school.schema_name):
        assert 250 <= Student.objects.count() <= 350
        assert SchoolClass.objects.count() == 13
        ana = Student.objects.get(user__username="elev.demo")
        has_grades = Grade.objects.filter(student=ana).exists()
    clients = {}
    for username, _name, _roles in demo.DEMO_PEOPLE:
        clients[username] = host_client("demo.localhost")
        sign_in(clients[username], username)  # a TOTP code is accepted once: one sign-in each
        assert clients[username].get("/").status_code == 200
    page = clients["parinte.demo"].get(f"/elevi/{ana.pk}/").content.decode()
    assert "Matematică" in page and (not has_grades or "/" in page)
    assert "Matematică" in clients["profesor.demo"].get("/").content.decode()

    operator = host_client("localhost")
    assert operator.post("/cont/login/", {"login": "operator.demo", "password": demo.DEMO_PASSWORD}).status_code == 302

    again, created = demo.demo_school_ensure()  # ensuring twice changes nothing
    assert (again.pk, created) == (school.pk, False)
    with schema_context(school.schema_name):
        assert Student.objects.count() == 1 + Student.objects.exclude(user__username="elev.demo").count()


def test_there_is_no_demo_in_production(db, settings):
    settings.PRODUCTION = True
    with pytest.raises(ImproperlyConfigured):
        demo.demo_school_ensure()
