"""`catedra provision_school` in a real process against the test database."""

import pytest
from django.conf import settings

from catedra.database import owner_connection
from tenants.models import School
from tenants.schemas import schema_drop
from tests.helpers import clean_env, database_env, database_url_for_subprocess, run_catedra

pytestmark = pytest.mark.slow

ARGS = ["--name", "Liceul Tehnologic „Ștefan Odobleja” Craiova", "--slug", "liceul-odobleja", "--siiir", "1661100009",
        "--cui", "RO4267117", "--county", "DJ", "--locality", "Craiova", "--admin-name", "Irina Bălan",
        "--admin-email", "irina.balan@liceu.test"]  # fmt: skip


@pytest.fixture
def cli_env(django_db_setup, django_db_blocker):
    env = clean_env(**database_env(), REDIS_URL=settings.REDIS_URL, CATEDRA_PORT="8000")
    yield env
    with django_db_blocker.unblock():
        for school in School.objects.filter(slug="liceul-odobleja"):
            schema_drop(school.schema_name)
            school.domains.all().delete()
            school.transitions.all().delete()
            school.delete()


def test_provisioning_from_the_cli_prints_the_schools_url(cli_env, django_db_blocker):
    result = run_catedra("provision_school", *ARGS, env=cli_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "http://liceul-odobleja.localhost:8000/"
    with django_db_blocker.unblock():
        assert School.objects.get(slug="liceul-odobleja").status == School.Status.ACTIVE


@pytest.fixture
def empty_database(django_db_setup, django_db_blocker):
    """A database nobody has migrated yet, on the test server."""
    name = f"{settings.DATABASES['default']['NAME']}_empty"
    with django_db_blocker.unblock(), owner_connection(autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    yield database_url_for_subprocess().replace(f"/{settings.DATABASES['default']['NAME']}", f"/{name}", 1)
    with django_db_blocker.unblock(), owner_connection(autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_provisioning_before_the_first_migrate_says_what_to_run(empty_database):
    env = clean_env(DATABASE_URL=empty_database, REDIS_URL=settings.REDIS_URL, CATEDRA_PORT="8000")
    result = run_catedra("provision_school", *ARGS, env=env)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    [line] = [line for line in result.stderr.splitlines() if line.strip()]
    assert "rulați întâi `catedra migrate`" in line


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (("--cui", "4267118"), "cui:"),
        (("--slug", "api"), "slug:"),
        (("--admin-email", "nu-e-email"), "admin_email:"),
        (("--county", "ZZ"), "county:"),
    ],
)
def test_bad_input_exits_non_zero_with_one_line(cli_env, change, says):
    args = list(ARGS)
    args[args.index(change[0]) + 1] = change[1]
    result = run_catedra("provision_school", *args, env=cli_env)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1
    assert says in lines[0]
    assert "Traceback" not in result.stderr
