"""The school API's doors: keys, scopes, filters, paging and errors."""

from datetime import timedelta

import pytest

from catalog.api import clients
from catalog.api.models import ApiClient, Scope
from catalog.grades import services as grades
from tests.catalog.api.conftest import api_for
from tests.catalog.conftest import past_day
from tests.catalog.web.conftest import SchoolClient


def _grades(cast, count: int):
    day = past_day(cast.year)
    return [
        grades.grade_add(teacher=cast.mihai, student=cast.ana, school_class=cast.class_5a, subject=cast.math,
                         on=day - timedelta(days=n % 5), value=5 + n % 5)
        for n in range(count)
    ]  # fmt: skip


def test_grades_are_listed_with_their_fields(cast, api):
    made = _grades(cast, 3)
    response = api("grades")
    assert response.status_code == 200, response.content
    body = response.json()
    assert [item["id"] for item in body["items"]] == sorted(grade.pk for grade in made)
    first = body["items"][0]
    assert first["student_id"] == cast.ana.pk and first["class_id"] == cast.class_5a.pk
    assert first["value"] == made[0].value and first["calificativ"] is None
    assert body["deleted"] == [] and body["next"] is None and body["watermark"]


def test_pages_walk_every_grade_once(cast, api):
    made = _grades(cast, 7)
    seen, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        body = api("grades", **params).json()
        seen += [item["id"] for item in body["items"]]
        cursor = body["next"]
        if cursor is None:
            break
    assert seen == sorted(grade.pk for grade in made)


def test_a_missing_or_wrong_key_is_401_json(cast, in_school_a):
    response = api_for(in_school_a.schema_name, "cat_0000_nothing")("grades")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    assert response["WWW-Authenticate"] == "Bearer"


def test_a_key_without_read_grades_is_403_on_grades(cast, in_school_a):
    key = clients.client_create(actor=cast.admin, name="LMS", scopes=[Scope.STRUCTURE]).key
    response = api_for(in_school_a.schema_name, key)("grades")
    assert response.status_code == 403
    assert response.json()["code"] == "scope_missing"


def test_the_cnp_is_absent_without_read_personal(cast, in_school_a):
    key = clients.client_create(actor=cast.admin, name="LMS", scopes=[Scope.STUDENTS]).key
    items = api_for(in_school_a.schema_name, key)("students").json()["items"]
    assert items and all("cnp" not in item and "birth_date" not in item for item in items)


def test_the_cnp_is_there_with_read_personal(cast, api):
    items = api("students").json()["items"]
    assert {item["cnp"] for item in items} >= {cast.ana.cnp, cast.bogdan.cnp}


@pytest.mark.parametrize(
    "params, code",
    [
        ({"limit": 100000}, "invalid_parameter"),
        ({"limit": 0}, "invalid_parameter"),
        ({"limit": "many"}, "invalid_parameter"),
        ({"year": "x"}, "invalid_parameter"),
        ({"year": 2**70}, "invalid_parameter"),
        ({"year": 999999}, "not_found"),
        ({"colour": "red"}, "unknown_parameter"),
        ({"cursor": "not-a-cursor"}, "invalid_token"),
        ({"updated_since": "2025-01-01"}, "invalid_token"),
    ],
)
def test_bad_input_is_a_4xx_json_error(cast, api, params, code):
    response = api("grades", **params)
    assert 400 <= response.status_code < 500
    assert response.json()["code"] == code
    assert response.json()["detail"]


def test_a_cursor_of_another_listing_is_refused(cast, api):
    _grades(cast, 3)
    cursor = api("grades", limit=1).json()["next"]
    assert api("absences", cursor=cursor).json()["code"] == "invalid_token"
    assert api("grades", cursor=cursor, student=cast.bogdan.pk).json()["code"] == "invalid_token"


def test_an_unchanged_page_is_a_304(cast, api):
    _grades(cast, 2)
    first = api("grades")
    again = api("grades", headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304 and again["ETag"] == first["ETag"]
    _grades(cast, 1)
    assert api("grades", headers={"If-None-Match": first["ETag"]}).status_code == 200


def test_structure_resources(cast, api):
    school = api("school").json()
    assert school["name"] and [year["id"] for year in school["years"]] == [cast.year.pk]
    assert len(school["years"][0]["periods"]) == 5
    classes = api("classes", year=cast.year.pk).json()["items"]
    assert {c["id"] for c in classes} == {cast.class_5a.pk, cast.class_3a.pk, cast.class_6b.pk}
    curriculum = api("curriculum", **{"class": cast.class_5a.pk}).json()["items"]
    assert {entry["subject_id"] for entry in curriculum} == {cast.math.pk, cast.romanian.pk, cast.pe.pk,
                                                           cast.religion.pk}  # fmt: skip
    teachers = {t["id"]: t for t in api("teachers").json()["items"]}
    assert {"class_id": cast.class_5a.pk, "subject_id": cast.math.pk} in teachers[cast.mihai.pk]["assignments"]
    assert teachers[cast.elena.pk]["homeroom_class_ids"] == [cast.class_5a.pk]
    assert "email" not in teachers[cast.mihai.pk]
    assert api("subjects").status_code == 200


def test_every_call_is_audited_with_its_client_and_count(cast, api):
    from audit.models import AuditEvent

    _grades(cast, 2)
    api("grades")
    event = AuditEvent.objects.filter(action="api.read").latest("seq")
    assert event.actor_kind == "api" and event.actor_name == "api:ISJ Argeș"
    assert event.object_id == "/api/v1/grades" and event.new_values["records"] == 2


def test_a_revoked_client_is_401(cast, in_school_a, api):
    client = ApiClient.objects.get(name="ISJ Argeș")
    clients.client_revoke(actor=cast.admin, client=client)
    assert api("grades").status_code == 401


def test_a_key_of_school_a_is_unknown_at_school_b(cast, api_key, school_b):
    response = api_for(school_b.schema_name, api_key, host=f"{school_b.slug}.localhost")("grades")
    assert response.status_code == 401


def test_an_expired_client_is_401(cast, api):
    ApiClient.objects.filter(name="ISJ Argeș").update(expires_on=cast.year.starts - timedelta(days=400))
    assert api("grades").status_code == 401


def test_a_call_from_outside_the_clients_networks_is_403(cast, in_school_a):
    key = clients.client_create(actor=cast.admin, name="ISJ", scopes=[Scope.GRADES], networks=["10.1.0.0/16"]).key
    response = api_for(in_school_a.schema_name, key)("grades")
    assert response.status_code == 403 and response.json()["code"] == "network_refused"
    ApiClient.objects.filter(name="ISJ").update(networks=["127.0.0.0/8"])
    assert api_for(in_school_a.schema_name, key)("grades").status_code == 200


def test_a_client_over_its_rate_gets_429_with_retry_after(cast, in_school_a):
    key = clients.client_create(actor=cast.admin, name="Grăbit", scopes=[Scope.GRADES], rate_per_minute=3).key
    get = api_for(in_school_a.schema_name, key)
    assert [get("grades").status_code for _ in range(3)] == [200, 200, 200]
    refused = get("grades")
    assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"
    assert 1 <= int(refused["Retry-After"]) <= 60


def test_plain_http_is_refused_with_json_where_https_is_required(cast, api, settings):
    settings.CATEDRA_API_HTTPS_ONLY = True
    settings.SECURE_SSL_REDIRECT = True
    refused = api("grades")
    assert refused.status_code == 403 and refused.json()["code"] == "https_required"
    assert api("grades", secure=True).status_code == 200


def test_a_suspended_school_answers_403_json_on_both_apis(cast, api, school_a):
    from provisioning import lifecycle
    from tenants.models import School

    lifecycle.school_transition(school=school_a, to=School.Status.SUSPENDED, actor="tests", reason="neplată")
    client = SchoolClient(HTTP_HOST=f"{school_a.slug}.localhost")
    client.schema = school_a.schema_name
    for path in ("/api/v1/grades", "/ims/oneroster/rostering/v1p2/users"):
        answer = client.get(path)
        assert answer.status_code == 403 and answer.json()["code"] == "school_unavailable"


def test_the_openapi_document_and_its_docs_are_served_without_a_cdn(cast, in_school_a):
    client = SchoolClient(HTTP_HOST=f"{in_school_a.slug}.localhost")
    client.schema = in_school_a.schema_name
    document = client.get("/api/v1/openapi.json").json()
    assert {"/api/v1/grades", "/api/v1/students", "/api/v1/siiir-export"} <= set(document["paths"])
    assert "401" in document["paths"]["/api/v1/grades"]["get"]["responses"]
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    page = docs.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in page and "cdn" not in page.lower()
    assert client.get("/ims/oneroster/openapi.json").status_code == 200


def test_the_siiir_export_as_json_needs_every_reading_scope(cast, api, in_school_a):
    body = api("siiir-export", year=cast.year.pk).json()
    sheets = {sheet["name"]: sheet for sheet in body["sheets"]}
    assert body["year"] == cast.year.name and "elevi" in sheets
    assert {row[0] for row in sheets["elevi"]["rows"]} >= {cast.ana.cnp}
    key = clients.client_create(actor=cast.admin, name="Fără CNP", scopes=[Scope.STUDENTS, Scope.GRADES,
                                                                          Scope.ABSENCES]).key  # fmt: skip
    assert api_for(in_school_a.schema_name, key)("siiir-export").status_code == 403


def test_a_watermark_from_another_database_asks_for_a_full_sync(cast, api):
    from catalog.api import sync

    elsewhere = sync.watermark_make(sync.Snapshot("9000000000000:9000000000001:"))
    response = api("grades", updated_since=elsewhere)
    assert response.status_code == 409 and response.json()["code"] == "sync_reset"
