"""Where signing in leads (issue 22, item 8): `next=` may only name a page of the same host,
never another school, the control plane or any other host under the base domain."""

import pytest

from accounts.roles import Role
from tests.accounts.conftest import PASSWORD, make_user
from tests.conftest import SCHOOL_A


@pytest.fixture
def parent(school_a):
    return make_user(school_a.schema_name, "tata.next", [Role.PARENT])  # no second factor to pass


def sign_in(client, username: str, next_url: str):
    return client.post(f"/cont/login/?next={next_url}", {"login": username, "password": PASSWORD})


@pytest.mark.parametrize(
    "next_url",
    [
        "http://school-b.localhost/",
        "//school-b.localhost/cont/login/",
        "http://localhost/consola/",
        "https://oricare.localhost/",
        "http://evil.example/",
        "/\\school-b.localhost/",
    ],
)
def test_next_naming_another_host_leads_home(client_a, parent, next_url):
    response = sign_in(client_a, parent.username, next_url)
    assert response.status_code == 302
    assert response["Location"] == "/"


@pytest.mark.parametrize("next_url", ["/cont/securitate/", f"http://{SCHOOL_A}.localhost/cont/securitate/"])
def test_next_naming_a_page_of_the_same_host_is_followed(client_a, parent, next_url):
    response = sign_in(client_a, parent.username, next_url)
    assert response.status_code == 302
    assert response["Location"] == next_url
