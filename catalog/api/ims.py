"""OneRoster 1.2 REST doors at /ims/oneroster/ on the school's host: the rostering service
(orgs, academicSessions, courses, classes, users, enrollments) and the gradebook service's
categories, lineItems and results, read-only, behind the school's API keys and scopes.

Collections take limit/offset (X-Total-Count and a Link header tell the rest), `sort` and
`orderBy`, `fields`, and `filter` in the binding's grammar for one field or several joined by
a single kind of logical operator (`dateLastModified>'2026-09-01'`, `role='student' AND
status='active'`). Errors carry the binding's imsx status fields and our `code`/`detail`."""

import re
from typing import Any, Literal

from django.http import HttpResponse, JsonResponse
from ninja import NinjaAPI, Query, Schema
from ninja import Path as PathParam
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as NinjaValidationError
from pydantic import ConfigDict, Field, create_model

from audit.actions import Action
from audit.services import audit_record
from catalog.api import listing
from catalog.api.auth import SchoolKey
from catalog.api.errors import MESSAGES, ApiRefusal, refusal
from catalog.api.models import Scope
from catalog.api.oneroster import GRADEBOOK, ROSTERING, Roster
from catalog.structure.identity import SchoolIdentity

api = NinjaAPI(
    title="Catedra — OneRoster 1.2",
    version="1.2",
    description="OneRoster 1.2 (1EdTech), doar citire: serviciul de rostering și rezultatele (mediile încheiate).",
    urls_namespace="oneroster",
    auth=SchoolKey(),
    docs_url="/docs",
)


class GUIDRef(Schema):
    href: str
    sourcedId: str
    type: str


class Base(Schema):
    model_config = ConfigDict(populate_by_name=True)

    sourcedId: str
    status: Literal["active", "tobedeleted"]
    dateLastModified: str


class Org(Base):
    name: str
    type: str
    identifier: str


class AcademicSession(Base):
    title: str
    type: Literal["schoolYear", "semester", "term", "gradingPeriod"]
    startDate: str
    endDate: str
    schoolYear: str
    parent: GUIDRef | None = None
    children: list[GUIDRef] | None = None


class Course(Base):
    title: str
    courseCode: str
    schoolYear: GUIDRef | None = None
    subjects: list[str] | None = None
    org: GUIDRef | None = None


class Class(Base):
    title: str
    classCode: str | None = None
    classType: Literal["homeroom", "scheduled"] | None = None
    grades: list[str] | None = None
    subjects: list[str] | None = None
    course: GUIDRef
    school: GUIDRef
    terms: list[GUIDRef]


class Role(Schema):
    roleType: Literal["primary", "secondary"]
    role: str
    org: GUIDRef


class User(Base):
    enabledUser: Literal["true", "false"]
    username: str | None = None
    givenName: str
    familyName: str
    identifier: str | None = None
    email: str | None = None
    grades: list[str] | None = None
    roles: list[Role]
    primaryOrg: GUIDRef | None = None


class Enrollment(Base):
    user: GUIDRef
    class_: GUIDRef = Field(alias="class")
    school: GUIDRef
    role: Literal["student", "teacher", "administrator", "proctor"]
    primary: Literal["true", "false"] | None = None
    beginDate: str | None = None
    endDate: str | None = None


class Category(Base):
    title: str


class LineItem(Base):
    title: str
    assignDate: str
    dueDate: str
    class_: GUIDRef = Field(alias="class")
    school: GUIDRef
    category: GUIDRef
    academicSession: GUIDRef | None = None
    resultValueMin: float | None = None
    resultValueMax: float | None = None


class Result(Base):
    lineItem: GUIDRef
    student: GUIDRef
    class_: GUIDRef | None = Field(None, alias="class")
    scoreStatus: str
    score: float | None = None
    textScore: str | None = None
    scoreDate: str


GUID = r"^[0-9A-Za-z._/@-]+$"  # the binding's GUID characters
PRINTABLE = r"^[^\x00-\x1f\x7f-\x9f]*$"


def selected_schema(schema: type[Schema]) -> type[Schema]:
    """The object as `fields` selects it: sourcedId and only the fields named."""
    optional = {
        name: (field.annotation | None, Field(None, alias=field.alias))
        for name, field in schema.model_fields.items()
        if name != "sourcedId"
    }
    return create_model(f"{schema.__name__}Selected", __base__=Schema, sourcedId=(str, ...), **optional)


def query_schemas(kind_name: str, fields: set[str]) -> tuple[type[Schema], type[Schema]]:
    """A collection's and a single object's query: `sort` one of the object's fields, `fields`
    a comma list of them (an unknown name is the binding's 400 invalid_selection_field)."""
    names = "|".join(sorted(fields))
    selection = rf"^ *({names}) *(, *({names}) *)*$"
    collection = create_model(
        f"{kind_name}Query", __base__=Schema,
        limit=(int, Field(100, ge=1, le=10000)),
        offset=(int, Field(0, ge=0, le=10**9)),
        sort=(Literal[tuple(sorted(fields))] | None, None),
        orderBy=(Literal["asc", "desc"] | None, None),
        filter=(str | None, Field(None, max_length=1000, pattern=PRINTABLE)),
        fields=(str | None, Field(None, max_length=1000, pattern=selection)),
    )  # fmt: skip
    single = create_model(f"{kind_name}SingleQuery", __base__=Schema,
                          fields=(str | None, Field(None, max_length=1000, pattern=selection)))  # fmt: skip
    return collection, single


class ImsError(Schema):
    """The binding's imsx status, with our code and Romanian detail. (Text refused before the
    API reads it, e.g. control characters, comes with code, detail and errors only.)"""

    code: str
    detail: str
    imsx_codeMajor: str | None = None
    imsx_severity: str | None = None
    imsx_description: str | None = None
    imsx_CodeMinor: dict[str, Any] | None = None
    errors: dict[str, list[str]] | None = None


ERRORS = dict.fromkeys((400, 401, 403, 404, 422, 429), ImsError)
MINOR = {400: "invaliddata", 401: "unauthorisedrequest", 403: "forbidden", 404: "unknownobject", 422: "invaliddata",
         429: "server_busy"}  # fmt: skip
BAD_FILTER = "Filtrul nu poate fi citit: câmp='valoare', legate doar prin AND sau doar prin OR."
BAD_FIELD = "Câmpul „{name}” nu există la această resursă."


class Kind:
    """One OneRoster collection: where it is, what it holds, which scopes read it."""

    def __init__(self, service, path, plural, singular, attribute, schema, scopes):
        self.service, self.path, self.plural, self.singular = service, path, plural, singular
        self.attribute, self.schema, self.scopes = attribute, schema, scopes
        self.fields = {field.alias or name for name, field in schema.model_fields.items()}


STRUCTURE, STUDENTS, GRADES = [Scope.STRUCTURE], [Scope.STRUCTURE, Scope.STUDENTS], [Scope.GRADES]
KINDS = [
    Kind(ROSTERING, "orgs", "orgs", "org", "orgs", Org, STRUCTURE),
    Kind(ROSTERING, "academicSessions", "academicSessions", "academicSession", "academic_sessions", AcademicSession,
         STRUCTURE),
    Kind(ROSTERING, "courses", "courses", "course", "courses", Course, STRUCTURE),
    Kind(ROSTERING, "classes", "classes", "class", "classes", Class, STRUCTURE),
    Kind(ROSTERING, "users", "users", "user", "users", User, STUDENTS),
    Kind(ROSTERING, "enrollments", "enrollments", "enrollment", "enrollments", Enrollment, STUDENTS),
    Kind(GRADEBOOK, "categories", "categories", "category", "categories", Category, GRADES),
    Kind(GRADEBOOK, "lineItems", "lineItems", "lineItem", "line_items", LineItem, GRADES),
    Kind(GRADEBOOK, "results", "results", "result", "results", Result, GRADES),
]  # fmt: skip

_CLAUSE = re.compile(r"^\s*([A-Za-z]+)\s*(!=|>=|<=|=|>|<|~)\s*'([^']*)'\s*$")
_TESTS = {
    "=": lambda a, b: a == b, "!=": lambda a, b: a != b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b, "<=": lambda a, b: a <= b, "~": lambda a, b: b.lower() in a.lower(),
}  # fmt: skip


def _text(value) -> str:
    if isinstance(value, dict):
        return value.get("sourcedId", "")
    if isinstance(value, list):
        return ",".join(_text(v) for v in value)
    return "" if value is None else str(value)


def _filtered(kind: Kind, objects: list[dict], text: str) -> list[dict]:
    if " AND " in text and " OR " in text:
        raise ApiRefusal(400, "invalid_filter_field", BAD_FILTER)
    joiner = " OR " if " OR " in text else " AND "
    clauses = []
    for part in text.split(joiner):
        match = _CLAUSE.match(part)
        if match is None:
            raise ApiRefusal(400, "invalid_filter_field", BAD_FILTER)
        if match[1] not in kind.fields:
            raise ApiRefusal(400, "invalid_filter_field", BAD_FIELD.format(name=match[1][:40]))
        clauses.append((match[1], _TESTS[match[2]], match[3]))
    combine = any if joiner == " OR " else all
    return [o for o in objects if combine(test(_text(o.get(name)), value) for name, test, value in clauses)]


def _selected(kind: Kind, text: str | None) -> set[str] | None:
    if not text:
        return None
    names = {name.strip() for name in text.split(",") if name.strip()}
    for name in names:
        if name not in kind.fields:
            raise ApiRefusal(400, "invalid_selection_field", BAD_FIELD.format(name=name[:40]))
    return names | {"sourcedId"}


def _roster(request, kind: Kind) -> list[dict]:
    client = request.auth
    listing.scope_require(client, *kind.scopes)
    roster = Roster(SchoolIdentity.of(request.tenant), request.build_absolute_uri("/ims/oneroster"),
                    personal=Scope.PERSONAL in client.scopes)  # fmt: skip
    with listing.one_snapshot():
        return getattr(roster, kind.attribute)


def _dump(kind: Kind, obj: dict, fields: set[str] | None) -> dict:
    dumped = kind.schema.model_validate(obj).model_dump(by_alias=True, exclude_unset=True)
    return {name: value for name, value in dumped.items() if fields is None or name in fields}


def _audited(request, count: int) -> None:
    audit_record(
        action=Action.API_READ, actor=f"api:{request.auth.name}", object_type="api", object_id=request.path[:64],
        new={"client": request.auth.pk, "records": count},
    )  # fmt: skip


def _collection_door(kind: Kind, collection: type[Schema]):
    def door(request, query: Query[collection]):
        listing.only_known(request, set(collection.model_fields))
        objects = _roster(request, kind)
        if query.filter:
            objects = _filtered(kind, objects, query.filter)
        if query.sort:
            objects = sorted(objects, key=lambda o: _text(o.get(query.sort)), reverse=query.orderBy == "desc")
        fields = _selected(kind, query.fields)
        page = objects[query.offset : query.offset + query.limit]
        _audited(request, len(page))
        response = JsonResponse({kind.plural: [_dump(kind, obj, fields) for obj in page]})
        response["X-Total-Count"] = str(len(objects))
        if query.offset + query.limit < len(objects):
            url = request.build_absolute_uri(request.path)
            response["Link"] = f'<{url}?limit={query.limit}&offset={query.offset + query.limit}>; rel="next"'
        return response

    door.__name__ = f"{kind.path}_list"
    return door


def _single_door(kind: Kind, single: type[Schema]):
    def door(request, query: Query[single], sourced_id: str = PathParam(..., max_length=255, pattern=GUID)):
        listing.only_known(request, {"fields"})
        found = next((obj for obj in _roster(request, kind) if obj["sourcedId"] == sourced_id), None)
        if found is None:
            raise refusal(404, "not_found")
        _audited(request, 1)
        return JsonResponse({kind.singular: _dump(kind, found, _selected(kind, query.fields))})

    door.__name__ = f"{kind.path}_get"
    return door


for _kind in KINDS:
    _shown = _kind.schema | selected_schema(_kind.schema)
    _set = create_model(f"{_kind.schema.__name__}Set", __base__=Schema, **{_kind.plural: (list[_shown], ...)})
    _one = create_model(f"Single{_kind.schema.__name__}", __base__=Schema, **{_kind.singular: (_shown, ...)})
    tags = ["rostering" if _kind.service == ROSTERING else "gradebook"]
    _collection, _single = query_schemas(_kind.schema.__name__, _kind.fields)
    _name = f"{_kind.service.split('/')[0]}_{_kind.path}"
    api.get(f"/{_kind.service}/{_kind.path}", response={200: _set, **ERRORS}, tags=tags,
            operation_id=f"{_name}_list")(_collection_door(_kind, _collection))  # fmt: skip
    api.get(f"/{_kind.service}/{_kind.path}/{{sourced_id}}", response={200: _one, **ERRORS}, tags=tags,
            operation_id=f"{_name}_get")(_single_door(_kind, _single))  # fmt: skip


def ims_error(request, status: int, code: str, detail) -> HttpResponse:
    body = {
        "code": code, "detail": str(detail), "imsx_codeMajor": "failure", "imsx_severity": "error",
        "imsx_description": str(detail),
        "imsx_CodeMinor": {"imsx_codeMinorField": [
            {"imsx_codeMinorFieldName": "TargetEndSystemReferenceID",
             "imsx_codeMinorFieldValue": code if code.startswith("invalid_") else MINOR.get(status, "invaliddata")},
        ]},
    }  # fmt: skip
    return JsonResponse(body, status=status)


@api.exception_handler(ApiRefusal)
def _refused(request, exc: ApiRefusal):
    response = ims_error(request, exc.status, exc.code, exc.detail)
    for name, value in exc.headers.items():
        response[name] = value
    return response


@api.exception_handler(NinjaValidationError)
def _invalid(request, exc):
    return ims_error(request, 422, "invalid_parameter", MESSAGES["invalid_parameter"])


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    response = ims_error(request, 401, "unauthorized", MESSAGES["unauthorized"])
    response["WWW-Authenticate"] = "Bearer"
    return response
