import pytest
from django_tenants.utils import schema_context

from accounts.models import User
from accounts.roles import Role
from tests.conftest import SCHOOL_A

PASSWORD = "Tabla-Verde-2026!"


def make_user(schema: str, username: str, roles: list[str], **fields) -> User:
    with schema_context(schema):
        user = User(username=username, roles=roles, **fields)
        user.set_password(PASSWORD)
        user.save()
        return user


@pytest.fixture
def teacher(school_a) -> User:
    return make_user(school_a.schema_name, "mihai.profesor", [Role.TEACHER], email="mihai@scoala-a.test")


@pytest.fixture
def student(school_a) -> User:
    return make_user(school_a.schema_name, "ana.eleva", [Role.STUDENT])


def login(client, username: str, password: str = PASSWORD):
    return client.post("/cont/login/", {"login": username, "password": password})


@pytest.fixture
def teacher_client(client_a, teacher):
    response = login(client_a, teacher.username)
    assert response.status_code == 302, response.content.decode()[:500]
    return client_a


SCHOOL_A_HOST = f"{SCHOOL_A}.localhost"


def sign_in_with_2fa(client, user, backup_code: str = "testcode1", schema: str = "school_a"):
    """Sign in and pass 2FA with a backup code made for the test."""
    from django_otp.plugins.otp_static.models import StaticDevice

    with schema_context(schema):
        device, _created = StaticDevice.objects.get_or_create(user=user, name="test", defaults={"confirmed": True})
        device.token_set.create(token=backup_code)
    assert login(client, user.username).status_code == 302
    assert client.post("/cont/2fa/verificare/", {"token": backup_code}).status_code == 302
