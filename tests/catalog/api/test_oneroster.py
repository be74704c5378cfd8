"""OneRoster 1.2: the demo school's roster and closed averages, as JSON and as the CSV bundle."""

import csv
import io
import zipfile

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from accounts.models import User
from accounts.roles import Role
from catalog.api import clients
from catalog.api.models import ApiClient, Scope
from catalog.api.oneroster import CSV_FILES, Roster, csv_bundle
from catalog.grades.models import Average
from catalog.structure.identity import SchoolIdentity
from catalog.structure.models import Enrolment, Level, TeachingAssignment
from tests.catalog.web.conftest import SchoolClient

pytestmark = pytest.mark.slow

BASE = "/ims/oneroster"
# What the 1.2 binding requires of each object (besides sourcedId, status, dateLastModified).
REQUIRED = {
    "rostering/v1p2/orgs": ("orgs", "org", {"name", "type", "identifier"}),
    "rostering/v1p2/academicSessions": (
        "academicSessions",
        "academicSession",
        {"title", "type", "startDate", "endDate", "schoolYear"},
    ),
    "rostering/v1p2/courses": ("courses", "course", {"title", "courseCode"}),
    "rostering/v1p2/classes": ("classes", "class", {"title", "course", "school", "terms"}),
    "rostering/v1p2/users": ("users", "user", {"enabledUser", "givenName", "familyName", "roles"}),
    "rostering/v1p2/enrollments": ("enrollments", "enrollment", {"user", "class", "school", "role"}),
    "gradebook/v1p2/categories": ("categories", "category", {"title"}),
    "gradebook/v1p2/lineItems": (
        "lineItems",
        "lineItem",
        {"title", "assignDate", "dueDate", "class", "school", "category"},
    ),
    "gradebook/v1p2/results": ("results", "result", {"lineItem", "student", "scoreStatus", "scoreDate"}),
}
GUID_REF = {"href", "sourcedId", "type"}


@pytest.fixture(scope="module")
def roster_key(seeded_school, django_db_blocker, closed_averages):
    with django_db_blocker.unblock(), schema_context(seeded_school.schema_name):
        admin = User.objects.filter(roles__contains=[Role.SCHOOL_ADMIN]).first()
        issued = clients.client_create(actor=admin, name="SDS", scopes=[Scope.STRUCTURE, Scope.STUDENTS, Scope.GRADES])
        try:
            yield issued.key
        finally:
            with schema_context(seeded_school.schema_name):
                ApiClient.objects.filter(pk=issued.client.pk).delete()


@pytest.fixture(scope="module")
def closed_averages(seeded_school, django_db_blocker):
    """A few closed annual averages (the demo's year is under way in the tests' December)."""
    with django_db_blocker.unblock(), schema_context(seeded_school.schema_name):
        assignment = TeachingAssignment.objects.filter(school_class__level=Level.VI).select_related("teacher").first()
        enrolments = Enrolment.objects.filter(school_class_id=assignment.school_class_id)[:3]
        made = Average.objects.bulk_create(
            Average(student_id=e.student_id, school_class_id=e.school_class_id, subject_id=assignment.subject_id,
                    value=9, closed_by=assignment.teacher)
            for e in enrolments
        )  # fmt: skip
    try:
        yield made
    finally:
        with django_db_blocker.unblock(), schema_context(seeded_school.schema_name):
            Average.objects.filter(pk__in=[a.pk for a in made]).delete()


@pytest.fixture
def ims(seeded_school, roster_key, django_db_blocker):
    client = SchoolClient(HTTP_HOST=f"{seeded_school.slug}.localhost")
    client.schema = seeded_school.schema_name
    with django_db_blocker.unblock():

        def get(path: str, key: str = roster_key, **params):
            return client.get(f"{BASE}/{path}", params, HTTP_AUTHORIZATION=f"Bearer {key}")

        yield get
        connection.set_schema_to_public()


@pytest.mark.parametrize("path", sorted(REQUIRED))
def test_every_object_carries_the_fields_the_binding_requires(ims, path):
    envelope, singular, required = REQUIRED[path]
    response = ims(path, limit=10000)
    assert response.status_code == 200, response.content
    objects = response.json()[envelope]
    assert objects, f"{path} is empty in the demo school"
    assert int(response["X-Total-Count"]) == len(objects)
    for obj in objects:
        assert {"sourcedId", "status", "dateLastModified"} | required <= set(obj), (path, obj)
        assert obj["status"] == "active" and obj["dateLastModified"].endswith("Z")
        for value in obj.values():
            if isinstance(value, dict) and "sourcedId" in value:
                assert set(value) == GUID_REF
    first = objects[0]["sourcedId"]
    single = ims(f"{path}/{first}")
    assert single.status_code == 200 and single.json()[singular]["sourcedId"] == first


def test_users_have_1p2_roles_and_references_resolve(ims):
    users = ims("rostering/v1p2/users", limit=10000).json()["users"]
    roles = {user["roles"][0]["role"] for user in users}
    assert roles == {"student", "teacher"}
    known = {user["sourcedId"] for user in users}
    enrollments = ims("rostering/v1p2/enrollments", limit=100000 // 10).json()["enrollments"]
    assert all(e["user"]["sourcedId"] in known for e in enrollments)
    classes = {c["sourcedId"] for c in ims("rostering/v1p2/classes", limit=10000).json()["classes"]}
    assert all(e["class"]["sourcedId"] in classes for e in enrollments)
    assert {e["role"] for e in enrollments} == {"student", "teacher"}


def test_paging_filter_sort_and_fields(ims):
    total = int(ims("rostering/v1p2/users", limit=1)["X-Total-Count"])
    page = ims("rostering/v1p2/users", limit=5, offset=5)
    assert len(page.json()["users"]) == 5 and 'rel="next"' in page["Link"]
    teachers = ims("rostering/v1p2/users", filter="familyName~'a' AND enabledUser='true'", limit=10000).json()["users"]
    assert 0 < len(teachers) < total
    ordered = ims("rostering/v1p2/users", sort="familyName", orderBy="desc", fields="familyName", limit=10000)
    names = [user["familyName"] for user in ordered.json()["users"]]
    assert names == sorted(names, reverse=True)
    assert set(ordered.json()["users"][0]) == {"sourcedId", "familyName"}


@pytest.mark.parametrize(
    "params, status, code",
    [
        ({"filter": "nope"}, 400, "invalid_filter_field"),
        ({"filter": "colour='red'"}, 400, "invalid_filter_field"),
        ({"fields": "colour"}, 422, "invalid_parameter"),
        ({"sort": "colour"}, 422, "invalid_parameter"),
        ({"limit": 0}, 422, "invalid_parameter"),
        ({"offset": -1}, 422, "invalid_parameter"),
        ({"orderBy": "up"}, 422, "invalid_parameter"),
        ({"page": 2}, 400, "unknown_parameter"),
    ],
)
def test_bad_queries_are_imsx_errors(ims, params, status, code):
    response = ims("rostering/v1p2/users", **params)
    assert response.status_code == status
    body = response.json()
    assert body["code"] == code and body["imsx_codeMajor"] == "failure" and body["detail"]


def test_unknown_object_and_missing_scope(ims, seeded_school, django_db_blocker):
    assert ims("rostering/v1p2/users/no-such-id").status_code == 404
    with django_db_blocker.unblock(), schema_context(seeded_school.schema_name):
        admin = User.objects.filter(roles__contains=[Role.SCHOOL_ADMIN]).first()
        issued = clients.client_create(actor=admin, name="Doar structură", scopes=[Scope.STRUCTURE])
    try:
        assert ims("gradebook/v1p2/results", key=issued.key).status_code == 403
        assert ims("rostering/v1p2/users", key=issued.key).status_code == 403
        assert ims("rostering/v1p2/classes", key=issued.key).status_code == 200
        assert ims("rostering/v1p2/classes", key="cat_x_y").status_code == 401
    finally:
        with django_db_blocker.unblock(), schema_context(seeded_school.schema_name):
            ApiClient.objects.filter(pk=issued.client.pk).delete()


def _bundle(school) -> dict[str, list[list[str]]]:
    with schema_context(school.schema_name):
        data = csv_bundle(Roster(SchoolIdentity.of(school), "https://x.test/ims/oneroster"))
    with zipfile.ZipFile(io.BytesIO(data)) as bundle:
        return {name: list(csv.reader(io.StringIO(bundle.read(name).decode()))) for name in bundle.namelist()}


def test_the_csv_bundle_has_every_file_with_its_header_and_stable_ids(
    seeded_school, closed_averages, django_db_blocker
):
    with django_db_blocker.unblock():
        first, second = _bundle(seeded_school), _bundle(seeded_school)
    manifest = dict(first["manifest.csv"][1:])
    assert first["manifest.csv"][0] == ["propertyName", "value"]
    assert manifest["manifest.version"] == "1.0" and manifest["oneroster.version"] == "1.2"
    for name in ("orgs", "academicSessions", "courses", "classes", "users", "roles", "enrollments", "categories",
                 "lineItems", "results"):  # fmt: skip
        rows = first[f"{name}.csv"]
        assert manifest[f"file.{name}"] == "bulk"
        assert rows[0] == CSV_FILES[name][0], name
        assert len(rows) > 1 and all(len(row) == len(rows[0]) for row in rows)
        assert all(row[1] == row[2] == "" for row in rows[1:])  # bulk: no status, no dateLastModified
    assert manifest["file.demographics"] == "absent" and "demographics.csv" not in first
    assert first == second  # the same students have the same sourcedIds in two exports
    users = {row[0] for row in first["users.csv"][1:]}
    assert {row[3] for row in first["roles.csv"][1:]} == users
    assert {row[5] for row in first["enrollments.csv"][1:]} <= users
