"""The school API, version 1, at /api/v1/ on the school's host: a ministry, county or school
system reads the school's catalog with a key the school gave it (`Authorization: Bearer`).

Handlers are thin: they resolve filters, check the scope, and hand the listing to
`catalog.api.listing` (paging, sync windows, ETag, audit). See docs/api.md."""

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI, Query, Schema
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as NinjaValidationError
from pydantic import Field

from catalog.api import listing, resources, schemas
from catalog.api.auth import SchoolKey
from catalog.api.errors import COMMON_RESPONSES, ApiRefusal, ErrorOut, refusal
from catalog.api.models import Scope
from catalog.api.resources import Filters
from catalog.api.school import school_out, siiir_out, structure_classes, structure_curriculum, structure_teachers
from catalog.structure.models import LearningPeriod, SchoolClass, SchoolYear, Subject

MAX_ID = 2**63 - 1
NOT_FOUND = _("Filtrul numește un obiect care nu există în această școală.")
MAX_LIMIT = 1000
TOKEN = r"^[A-Za-z0-9_:.\-]*$"  # noqa: S105 - the shape of a signed token (django.core.signing)


api = NinjaAPI(
    title="Catedra — API-ul școlii",
    version="1",
    description=(
        "Citirea catalogului unei școli de către sistemele ministerului, ale inspectoratului și ale școlii. "
        "Autentificare: `Authorization: Bearer <cheie>` (cheia o dă școala). Sincronizare: vezi docs/api.md."
    ),
    urls_namespace="school-api",
    auth=SchoolKey(),
    docs_url="/docs",
)


class PagingQuery(Schema):
    limit: int = Field(100, ge=1, le=MAX_LIMIT, description="elemente pe pagină (1–1000)")
    cursor: str | None = Field(None, max_length=4000, pattern=TOKEN, description="din `next` al paginii anterioare")


class SyncQuery(PagingQuery):
    updated_since: str | None = Field(
        None, max_length=4000, pattern=TOKEN, description="`watermark` din ultimul răspuns: ce s-a schimbat de atunci"
    )


class YearClassFilters(Schema):
    year: int | None = Field(None, ge=1, le=MAX_ID, description="id-ul anului școlar")
    class_: int | None = Field(None, ge=1, le=MAX_ID, alias="class", description="id-ul clasei")


class ClassFilters(YearClassFilters):
    student: int | None = Field(None, ge=1, le=MAX_ID, description="id-ul elevului")


class DatedFilters(ClassFilters):
    period: int | None = Field(None, ge=1, le=MAX_ID, description="id-ul perioadei (modul, semestru)")
    subject: int | None = Field(None, ge=1, le=MAX_ID, description="id-ul disciplinei")


class SubjectFilters(ClassFilters):
    subject: int | None = Field(None, ge=1, le=MAX_ID, description="id-ul disciplinei")


class PeriodFilters(ClassFilters):
    period: int | None = Field(None, ge=1, le=MAX_ID, description="id-ul perioadei (modul, semestru)")


class YearQuery(Schema):
    year: int | None = Field(None, ge=1, le=MAX_ID, description="id-ul anului școlar")


def _filters(values: dict) -> Filters:
    """The filters, their ids resolved; an id that names nothing is refused (422)."""

    def found(model, pk, name):
        if pk is None:
            return None
        obj = model.objects.filter(pk=pk).first()
        if obj is None:  # well formed, names nothing: like a path to nothing, a 404
            raise ApiRefusal(404, "not_found", NOT_FOUND, errors=[{"parameter": name, "message": str(NOT_FOUND)}])
        return obj

    subject = found(Subject, values.get("subject"), "subject")
    return Filters(
        year=found(SchoolYear, values.get("year"), "year"),
        period=found(LearningPeriod, values.get("period"), "period"),
        school_class=found(SchoolClass, values.get("class_"), "class"),
        student=values.get("student"),
        subject=subject.pk if subject else None,
    )


def _synced(resource, page_schema, filter_schema):
    """One synced listing's endpoint: GET /<resource> with its filters, paging and updated_since."""
    known = {field.alias or name for name, field in filter_schema.model_fields.items()} | {
        "limit", "cursor", "updated_since",
    }  # fmt: skip

    def endpoint(request, filters: Query[filter_schema], paging: Query[SyncQuery]):
        listing.only_known(request, known)
        listing.scope_require(request.auth, resource.scope)
        chosen = _filters(filters.model_dump())
        return listing.synced_listing(
            request, resource, chosen, listing.Paging(paging.limit, paging.cursor, paging.updated_since), page_schema
        )

    endpoint.__name__ = resource.name.replace("-", "_") + "_list"
    return endpoint


SYNCED_ENDPOINTS = [
    (resources.STUDENTS, schemas.StudentOut, ClassFilters, "Elevii (cu CNP și data nașterii doar cu read:personal)."),
    (resources.ENROLMENTS, schemas.EnrolmentOut, ClassFilters, "Înscrierile elevilor în clase (din, până la)."),
    (resources.GRADES, schemas.GradeOut, DatedFilters, "Note și calificative."),
    (resources.ABSENCES, schemas.AbsenceOut, DatedFilters, "Absențe, cu starea lor (motivate sau nu)."),
    (resources.AVERAGES, schemas.AverageOut, SubjectFilters, "Medii încheiate: anuale și pe module de pregătire."),
    (resources.CONDUCT, schemas.ConductOut, PeriodFilters, "Notele la purtare pe perioade."),
    (resources.EXAMS, schemas.ExamOut, SubjectFilters, "Examene de corigență și de încheiere a situației."),
    (resources.YEAR_RESULTS, schemas.YearResultOut, ClassFilters,
     "Situația de la sfârșitul anului: statut, media generală, purtarea."),
]  # fmt: skip

for _resource, _item, _filter_schema, _summary in SYNCED_ENDPOINTS:
    _page = schemas.page_of(_item, _item.__name__.removesuffix("Out") + "Page")
    api.get(
        f"/{_resource.name}",
        response={200: _page, 304: None, 409: ErrorOut, **COMMON_RESPONSES},
        summary=_summary,
        description=f"Dreptul necesar: `{_resource.scope}`. Filtre, paginare cu cursor, `updated_since`.",
        operation_id=f"{_resource.name.replace('-', '_')}_list",
        tags=["sincronizare"],
    )(_synced(_resource, _page, _filter_schema))


def _items(data: dict) -> int:
    return len(data["items"])


def _structure(request, known: set[str], build, schema, *, records=_items, scopes=(Scope.STRUCTURE,)):
    listing.only_known(request, known)
    listing.scope_require(request.auth, *scopes)
    with listing.one_snapshot():
        data = build()
        body = schema.model_validate(data)
    return listing.answer(request, body, records=records(data), client=request.auth)


STRUCTURE = {200: None, 304: None, **COMMON_RESPONSES}


@api.get("/school", response={**STRUCTURE, 200: schemas.SchoolOut}, tags=["structura"], operation_id="school")
def school(request):
    """Școala: identitatea ei și anii școlari cu structura lor (perioade, vacanțe)."""
    return _structure(request, set(), lambda: school_out(request.tenant), schemas.SchoolOut, records=lambda data: 1)


CLASS_LIST = schemas.list_of(schemas.ClassOut, "ClassList")
CURRICULUM_LIST = schemas.list_of(schemas.CurriculumOut, "CurriculumList")
SUBJECT_LIST = schemas.list_of(schemas.SubjectOut, "SubjectList")
TEACHER_LIST = schemas.list_of(schemas.TeacherOut, "TeacherList")


@api.get("/classes", response={**STRUCTURE, 200: CLASS_LIST}, tags=["structura"], operation_id="classes_list")
def classes(request, query: Query[YearQuery]):
    """Clasele (formațiunile de studiu), pe ani."""
    year = _filters({"year": query.year}).year
    return _structure(request, {"year"}, lambda: {"items": structure_classes(year)}, CLASS_LIST)


@api.get("/subjects", response={**STRUCTURE, 200: SUBJECT_LIST}, tags=["structura"], operation_id="subjects_list")
def subjects(request):
    """Disciplinele școlii, în ordinea planului-cadru."""
    rows = Subject.objects.order_by("position", "name").values("id", "name", "short_name", "kind", "position")
    return _structure(request, set(), lambda: {"items": list(rows)}, SUBJECT_LIST)


@api.get("/curriculum", response={**STRUCTURE, 200: CURRICULUM_LIST}, tags=["structura"],
         operation_id="curriculum_list")  # fmt: skip
def curriculum(request, query: Query[YearClassFilters]):
    """Planul-cadru al fiecărei clase: discipline, ore, module de pregătire."""
    chosen = _filters(query.model_dump())
    return _structure(request, {"year", "class"}, lambda: {"items": structure_curriculum(chosen)}, CURRICULUM_LIST)


@api.get("/teachers", response={**STRUCTURE, 200: TEACHER_LIST}, tags=["structura"], operation_id="teachers_list")
def teachers(request, query: Query[YearQuery]):
    """Profesorii: numele și încadrarea (clase și discipline), diriginții."""
    year = _filters({"year": query.year}).year
    return _structure(request, {"year"}, lambda: {"items": structure_teachers(year)}, TEACHER_LIST)


@api.get("/siiir-export", response={**STRUCTURE, 200: schemas.SiiirOut}, tags=["raportare"],
         operation_id="siiir_export")  # fmt: skip
def siiir_export(request, query: Query[YearQuery]):
    """Exportul SIIIR al unui an școlar (implicit anul curent), ca JSON: aceleași foi ca fișierele
    de pe pagina de export. Cere read:students, read:grades, read:absences și read:personal."""
    year = _filters({"year": query.year}).year
    scopes = (Scope.STUDENTS, Scope.GRADES, Scope.ABSENCES, Scope.PERSONAL)
    return _structure(request, {"year"}, lambda: siiir_out(request.tenant, year), schemas.SiiirOut,
                      records=_sheet_rows, scopes=scopes)  # fmt: skip


def _sheet_rows(data: dict) -> int:
    return sum(len(sheet["rows"]) for sheet in data["sheets"])


def error_response(request, status: int, code: str, detail, *, headers=None, errors=None):
    response = api.create_response(request, {"code": code, "detail": str(detail), "errors": errors}, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


@api.exception_handler(ApiRefusal)
def _refused(request, exc: ApiRefusal):
    return error_response(request, exc.status, exc.code, exc.detail, headers=exc.headers, errors=exc.errors)


@api.exception_handler(NinjaValidationError)
def _invalid(request, exc: NinjaValidationError):
    errors = [
        {"parameter": str(error.get("loc", ["", ""])[-1])[:60], "message": str(error.get("msg", ""))[:200]}
        for error in exc.errors
    ]
    return error_response(request, 422, "invalid_parameter", refusal(422, "invalid_parameter").detail, errors=errors)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return error_response(request, 401, "unauthorized", refusal(401, "unauthorized").detail,
                          headers={"WWW-Authenticate": "Bearer"})  # fmt: skip


@api.exception_handler(Http404)
def _not_found(request, exc):
    return error_response(request, 404, "not_found", refusal(404, "not_found").detail)
