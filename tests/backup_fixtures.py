"""Fixtures of the backup tests and benchmarks, registered once for the whole run by the
root conftest (`pytest_plugins`), so the seeded school is made once per session.

Backups are tested on real parts: the test database (with real commits: pg_dump
reads only committed rows), a real S3-compatible server (moto's server mode on
127.0.0.1), a local folder, and a backup database of their own."""

import uuid
from io import StringIO

import boto3
import pytest
from django.core.management import call_command
from django.db import connection
from django_tenants.utils import schema_context
from moto.server import ThreadedMotoServer

from accounts.models import User
from accounts.roles import Role
from audit.actions import Action
from audit.services import audit_record
from catalog.demo import DemoPeople, catalog_demo_ensure
from catalog.grades.models import Grade
from ops.backups import pg
from ops.models import Backup, DeletionCertificate, IncrementalOptOut, RestoreDrill
from provisioning.services import school_provision
from tenants.models import School
from tenants.schemas import schema_drop
from tests.helpers import free_port

SEEDED = {
    "name": "Școala Gimnazială „Copia de Siguranță”",
    "slug": "scoala-copiata",
    "siiir_code": "1661100011",
    "cui": "4267117",
    "county": "DJ",
    "locality": "Craiova",
    "admin_name": "Irina Bălan",
    "admin_email": "secretariat@scoala-copiata.test",
}
# A name that is in the seeded school's rows: it must never be readable in storage.
KNOWN_PLAINTEXT = b"Copia de Siguran"


def school_remove(school: School) -> None:
    """Drop a school made by a test, with everything public holds about it."""
    connection.set_schema_to_public()
    schema_drop(school.schema_name)
    RestoreDrill.objects.filter(backup__school=school).delete()
    IncrementalOptOut.objects.filter(school=school).delete()
    Backup.objects.filter(school=school).delete()
    DeletionCertificate.objects.filter(school=school).delete()
    school.domains.all().delete()
    school.transitions.all().delete()
    school.delete()


def _user(username: str, roles: list[str]) -> User:
    first, _dot, last = username.partition(".")
    user = User(username=username, roles=roles, first_name=first.title(), last_name=last.title())
    user.set_unusable_password()
    user.save()
    return user


@pytest.fixture(scope="session")
def seeded_school(django_db_setup, django_db_blocker):
    """A school with a living catalog (the demo's: 13 classes, ~290 students, a year of
    grades and absences, their audit events and row history), committed."""
    with django_db_blocker.unblock():
        school = school_provision(requested_by="tests", **SEEDED)
        try:
            with schema_context(school.schema_name):
                people = DemoPeople(
                    admin=_user("maria.secretara", [Role.SCHOOL_ADMIN]),
                    teacher=_user("profesor.mate", [Role.TEACHER]),
                    homeroom=_user("dirig.romana", [Role.TEACHER]),
                    student=_user("elev.copiat", [Role.STUDENT]),
                    parent=_user("parinte.copiat", [Role.PARENT]),
                )
                catalog_demo_ensure(people)
            connection.set_schema_to_public()
            yield school
        finally:
            school_remove(school)


@pytest.fixture
def real_db(django_db_setup, django_db_blocker):
    """Database access with real commits (no test transaction); backup records of the
    test are removed after it."""
    with django_db_blocker.unblock():
        yield
        connection.set_schema_to_public()
        RestoreDrill.objects.all().delete()
        IncrementalOptOut.objects.all().delete()
        Backup.objects.all().delete()
        DeletionCertificate.objects.all().delete()


@pytest.fixture(scope="session")
def s3_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3(settings, s3_endpoint):
    """Backups go to a fresh bucket on the S3-compatible server; a boto3 client to look."""
    settings.BACKUP_S3_ENDPOINT = s3_endpoint
    settings.BACKUP_S3_BUCKET = f"catedra-{uuid.uuid4().hex[:12]}"
    settings.BACKUP_S3_ACCESS_KEY_ID = "catedra-test"
    settings.BACKUP_S3_SECRET_ACCESS_KEY = "catedra-test-secret"
    settings.BACKUP_S3_REGION = "eu-central-1"
    client = boto3.client(
        "s3", endpoint_url=s3_endpoint, region_name="eu-central-1",
        aws_access_key_id="catedra-test", aws_secret_access_key="catedra-test-secret",
    )  # fmt: skip
    client.create_bucket(
        Bucket=settings.BACKUP_S3_BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"}
    )
    return client


@pytest.fixture
def local_storage(settings, tmp_path):
    settings.BACKUP_S3_ENDPOINT = ""
    settings.BACKUP_LOCAL_DIR = tmp_path / "offsite"
    return settings.BACKUP_LOCAL_DIR


@pytest.fixture(scope="session")
def backup_database(django_db_setup, django_db_blocker):
    """A backup database of this test run (next to the test database), dropped after."""
    with django_db_blocker.unblock():
        live, owner = pg.live_params(), pg.owner_params()
    name = f"{live['dbname']}_backup"
    # Made by the owner; the runtime role (backups run in its jobs) makes its schemas in it.
    admin = {**owner, "dbname": "postgres"}
    with pg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
        conn.execute(f'GRANT CONNECT, CREATE ON DATABASE "{name}" TO "{live["user"]}"')
    yield {**live, "dbname": name}
    with pg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_url(params: dict[str, str]) -> str:
    host = params.get("host", "")
    if host.startswith("/"):
        return f"postgres://{params['user']}@/{params['dbname']}?host={host}"
    password = f":{params['password']}" if params.get("password") else ""
    port = f":{params['port']}" if params.get("port") else ""
    return f"postgres://{params['user']}{password}@{host}{port}/{params['dbname']}"


@pytest.fixture
def backup_db(settings, backup_database):
    """BACKUP_DATABASE_URL points at this run's backup database; its params to look inside."""
    settings.BACKUP_DATABASE_URL = database_url(backup_database)
    return backup_database


def backup_command(*args: str) -> str:
    """`catedra backup ...` in-process; what it printed."""
    return command_output("backup", *args)


def restore_school_command(*args: str) -> str:
    """`catedra restore_school ...` in-process; what it printed."""
    return command_output("restore_school", *args)


def command_output(name: str, *args: str) -> str:
    out = StringIO()
    call_command(name, *args, stdout=out)
    return out.getvalue()


def live_digests(schema: str) -> dict:
    """Rows and digest of every table of a live schema, read now."""
    with pg.connect(pg.live_params()) as conn:
        return pg.table_digests(conn, schema)


def grades_change(school: School, *, update=(), delete=(), label: str) -> dict[str, list[int]]:
    """Insert one grade, update and delete the given ones (the newest grades when none are
    given), and record audit events about it, committed; the ids touched."""
    with schema_context(school.schema_name):
        if not update and not delete:
            newest = list(Grade.objects.filter(value__isnull=False).order_by("-id").values_list("pk", flat=True)[:5])
            update, delete = newest[:3], newest[3:5]
        for grade in Grade.objects.filter(pk__in=update):
            Grade.objects.filter(pk=grade.pk).update(value=9 if grade.value == 10 else 10)
        Grade.objects.filter(pk__in=delete).delete()
        template = Grade.objects.filter(value__isnull=False).order_by("id").first()
        inserted = Grade.objects.create(
            student_id=template.student_id, school_class_id=template.school_class_id, subject_id=template.subject_id,
            teacher_id=template.teacher_id, value=7, on=template.on,
        )  # fmt: skip
        changed = [*update, inserted.pk]
        for grade_id in changed[:4]:
            audit_record(
                action=Action.GRADE_CHANGED, actor="tests", object_type="grades.grade", object_id=grade_id,
                new={"label": label},
            )  # fmt: skip
        audit_record(action=Action.GRADE_DELETED, actor="tests", object_type="grades.grade", new={"ids": list(delete)})
    connection.set_schema_to_public()
    return {"updated": list(update), "deleted": list(delete), "inserted": [inserted.pk]}
