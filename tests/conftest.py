"""Test set-up: the test database is migrated once, and two schools (A and B) are
created in it once per session, each with its own schema and host."""

import pytest
from django.test import Client

from provisioning.services import school_create
from tenants.models import School

SCHOOL_A = "school-a"
SCHOOL_B = "school-b"
TEST_SCHOOLS = {
    SCHOOL_A: {
        "name": "Școala Gimnazială nr. 1 Ștefănești",
        "siiir_code": "0361100001",
        "county": "AG",
        "locality": "Ștefănești",
    },
    SCHOOL_B: {
        "name": "Liceul Teoretic „Mihai Eminescu” Bârlad",
        "siiir_code": "3761100002",
        "county": "VS",
        "locality": "Bârlad",
    },
}


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        for slug, fields in TEST_SCHOOLS.items():
            school_create(slug=slug, **fields)


def host_client(host: str) -> Client:
    return Client(HTTP_HOST=host)


@pytest.fixture
def school_a(db) -> School:
    return School.objects.get(slug=SCHOOL_A)


@pytest.fixture
def school_b(db) -> School:
    return School.objects.get(slug=SCHOOL_B)


@pytest.fixture
def client_a(db) -> Client:
    return host_client(f"{SCHOOL_A}.localhost")


@pytest.fixture
def client_b(db) -> Client:
    return host_client(f"{SCHOOL_B}.localhost")


@pytest.fixture
def control_plane_client(db) -> Client:
    return host_client("localhost")
