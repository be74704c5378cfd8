"""The one-time invitation link a new school admin receives."""

from django_tenants.utils import schema_context

from accounts.models import User
from accounts.services import password_link
from tests.conftest import SCHOOL_A, SCHOOL_B, host_client

NEW_PASSWORD = "Catalog-Nou-2026!"


def admin_and_link(school):
    with schema_context(school.schema_name):
        admin = User.objects.get(email="secretariat@scoala-a.test")
        return admin, password_link(school=school, user=admin).split(":8000")[1]


def set_password(host, path):
    return host_client(host).post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})


def test_the_admin_chooses_a_password_once(school_a):
    admin, path = admin_and_link(school_a)
    page = host_client(f"{SCHOOL_A}.localhost").get(path)
    assert page.status_code == 200
    assert admin.username in page.content.decode()

    assert set_password(f"{SCHOOL_A}.localhost", path).status_code == 200
    with schema_context(school_a.schema_name):
        assert User.objects.get(pk=admin.pk).check_password(NEW_PASSWORD)
    assert set_password(f"{SCHOOL_A}.localhost", path).status_code == 400  # used up


def test_the_link_means_nothing_on_another_schools_host(school_a):
    _admin, path = admin_and_link(school_a)
    assert set_password(f"{SCHOOL_B}.localhost", path).status_code == 400


def test_weak_passwords_are_refused_in_romanian(school_a):
    _admin, path = admin_and_link(school_a)
    response = host_client(f"{SCHOOL_A}.localhost").post(path, {"new_password1": "123", "new_password2": "123"})
    assert response.status_code == 200
    assert "parol" in response.content.decode().lower()


def test_garbage_links_get_400(db):
    for path in [
        "/invitatie/xx/yy/",
        "/invitatie/MQ/set-password/",
        "/invitatie/%00/a/",
        "/invitatie/" + "A" * 500 + "/b/",
    ]:
        assert host_client(f"{SCHOOL_A}.localhost").get(path).status_code == 400
