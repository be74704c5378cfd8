"""Test set-up: the test database is migrated once, and two schools (A and B) are
created in it once per session, each with its own schema and host."""

import os
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import setup_databases, teardown_databases
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from catedra.database import owner_connection, owner_default_connection
from provisioning.services import school_provision
from tenants.models import School

# One registration for the whole run: fixtures imported into two conftests would be two
# fixtures, and a session-scoped seeded school would be made twice (same slug: refused).
pytest_plugins = ["tests.backup_fixtures"]

# Functional tests assert behaviour, never wall-clock time: on a slow, busy machine (CI's two
# cores run the benchmarks alongside) hypothesis must not fail an example for taking long.
# HYPOTHESIS_PROFILE=dev brings back its deadline and health check.
hypothesis_settings.register_profile("ci", deadline=None, suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.register_profile("dev")
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

SCHOOL_A = "school-a"
SCHOOL_B = "school-b"
TEST_SCHOOLS = {
    SCHOOL_A: {
        "name": "Școala Gimnazială nr. 1 Ștefănești",
        "siiir_code": "0361100001",
        "cui": "13548146",
        "county": "AG",
        "locality": "Ștefănești",
        "admin_name": "Elena Dumitrescu",
        "admin_email": "secretariat@scoala-a.test",
    },
    SCHOOL_B: {
        "name": "Liceul Teoretic „Mihai Eminescu” Bârlad",
        "siiir_code": "3761100002",
        "cui": "4505359",
        "county": "VS",
        "locality": "Bârlad",
        "admin_name": "Ion Vasilescu",
        "admin_email": "secretariat@liceul-b.test",
    },
}


@pytest.fixture(scope="session")
def django_db_setup(request, django_test_environment, django_db_blocker, django_db_modify_db_settings):
    """The test database, always. (pytest-django's own fixture sets up only the databases that
    marked tests ask for; a session of tests that reach the database through processes
    would then run against the live database.)"""
    verbosity = request.config.option.verbose
    with django_db_blocker.unblock():
        # Made and migrated by the owner, as in production; every test then runs as the
        # runtime role, so the tests prove what that role may and may not do.
        with owner_default_connection():
            db_cfg = setup_databases(verbosity=verbosity, interactive=False, aliases={"default"})
        test_name = connection.creation._get_test_db_name()
        if connection.settings_dict["NAME"] != test_name:
            pytest.exit(f"Refusing to create test schools outside the test database {test_name}.", returncode=3)
        for slug, fields in TEST_SCHOOLS.items():
            school_provision(slug=slug, requested_by="tests", **fields)
    yield
    with django_db_blocker.unblock(), owner_default_connection():
        teardown_databases(db_cfg, verbosity=verbosity)


@pytest.fixture
def owner_db(django_db_setup, django_db_blocker):
    """Django's connection logs in as the database owner for the test: list it before `db`
    (whose transaction then runs as the owner). For what only the owner may do: tamper with
    the audit trail, migrate a schema."""
    with django_db_blocker.unblock(), owner_default_connection():
        yield


# Schemas no school owns (its row rolled back with a test): not public, the template or the system's.
_ORPHAN_SCHEMAS = (
    "SELECT n.nspname FROM pg_namespace n WHERE n.nspname !~ '^(pg_|information_schema$|public$|_)'"
    " AND NOT EXISTS (SELECT 1 FROM public.tenants_school s WHERE s.schema_name = n.nspname)"
)


@pytest.fixture
def schemas_made_are_dropped(django_db_setup):
    """A `db` test that provisions a school leaves its schema behind: the owner makes it on a
    connection of its own and commits, so the test's rollback takes only the school's row.
    Drops, after the rollback, the schemas the test made that no school owns now. (Autouse in
    the provisioning and audit tests, so it is set up before `db` and torn down after it.)"""
    with owner_connection(autocommit=True) as conn:
        before = {name for (name,) in conn.execute(_ORPHAN_SCHEMAS).fetchall()}
    yield
    with owner_connection(autocommit=True) as conn:
        for (name,) in conn.execute(_ORPHAN_SCHEMAS).fetchall():
            if name not in before:
                conn.execute(f'DROP SCHEMA "{name}" CASCADE')


def pytest_collection_modifyitems(config, items):
    """Tests marked `last` run after every other test (a stable sort keeps the rest in order)."""
    items.sort(key=lambda item: item.get_closest_marker("last") is not None)


@pytest.fixture(autouse=True)
def _own_cache_namespace(settings):
    """Each test sees an empty cache: rate-limit counters (kept in Redis) never leak across tests."""
    default = {**settings.CACHES["default"], "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}
    settings.CACHES = {**settings.CACHES, "default": default}


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Argon2 is slow on purpose; tests hash many passwords and test no hasher."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def held_notifications(monkeypatch) -> list[int]:
    """Families' notifications go to a Celery worker a minute after their write commits; in
    tests they are held here (their ids), and the tests about them send them."""
    from catalog.notify import services

    held = []
    monkeypatch.setattr(services, "_queue", held.extend)
    return held


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
