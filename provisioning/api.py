"""The provider API on the control-plane host: onboard schools and move them through
their lifecycle. Authenticated with a provider API token (`Authorization: Bearer ...`)."""

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q
from django.http import Http404
from ninja import NinjaAPI, Schema, Status
from ninja.errors import AuthenticationError
from ninja.pagination import LimitOffsetPagination, paginate
from ninja.security import HttpBearer

from audit.models import ActorKind
from audit.services import context_update
from provisioning import lifecycle, services
from provisioning.models import ApiToken, ProvisioningJob
from tenants.models import School


class ProviderToken(HttpBearer):
    def authenticate(self, request, token):
        client = ApiToken.authenticate(token)
        if client is not None:
            context_update(actor_kind=ActorKind.API, actor_label=f"api:{client.name}")
        return client


api = NinjaAPI(
    title="Catedra — provider API",
    version="1",
    urls_namespace="provider-api",
    auth=ProviderToken(),
    docs_url="/docs",
)


class SchoolIn(Schema):
    name: str
    slug: str
    siiir_code: str
    cui: str
    county: str
    locality: str
    admin_name: str
    admin_email: str
    contract_start: date | None = None
    contract_end: date | None = None


class StepOut(Schema):
    name: str
    state: str
    detail: str
    finished_at: datetime


class JobOut(Schema):
    attempt: int
    state: str
    error: str
    requested_by: str
    created_at: datetime
    steps: list[StepOut]


class SchoolOut(Schema):
    slug: str
    name: str
    status: str
    url: str
    siiir_code: str | None
    county: str
    locality: str
    contract_start: date | None
    contract_end: date | None
    last_job: JobOut | None

    @staticmethod
    def resolve_url(school: School) -> str:
        return school.public_url

    @staticmethod
    def resolve_last_job(school: School) -> ProvisioningJob | None:
        jobs = school.provisioning_jobs.all()  # prefetched newest first by _schools()
        return jobs[0] if jobs else None

    @staticmethod
    def resolve_steps(job: ProvisioningJob):
        return job.steps.all()


class TransitionIn(Schema):
    to: str
    reason: str = ""


class ErrorOut(Schema):
    detail: str
    errors: dict[str, list[str]] | None = None


def _schools():
    """Schools (never the control plane) with their jobs and steps in three queries."""
    jobs = ProvisioningJob.objects.order_by("-attempt").prefetch_related("steps")
    return (
        School.objects.exclude(schema_name="public")
        .prefetch_related(Prefetch("provisioning_jobs", queryset=jobs))
        .order_by("slug")
    )


def _school(slug: str) -> School:
    school = _schools().filter(slug=slug).first()
    if school is None:
        raise Http404("No such school")
    return school


def _actor(request) -> str:
    return f"api:{request.auth.name}"


@api.post("/schools", response={202: SchoolOut, 422: ErrorOut})
def school_create(request, payload: SchoolIn):
    """Onboard a school: validated at once, made by a background job (poll GET /schools/{slug})."""
    job = services.school_provision_request(**payload.dict(), requested_by=_actor(request))
    return Status(202, _school(job.school.slug))


@api.get("/schools", response=list[SchoolOut])
@paginate(LimitOffsetPagination)
def school_list(request, status: str | None = None, q: str | None = None):
    schools = _schools()
    if status:
        schools = schools.filter(status=status)
    if q:
        schools = schools.filter(Q(name__icontains=q[:200]) | Q(slug__icontains=q[:40]))
    return schools


@api.get("/schools/{slug}", response={200: SchoolOut, 404: ErrorOut})
def school_detail(request, slug: str):
    return _school(slug)


@api.post("/schools/{slug}/transitions", response={200: SchoolOut, 404: ErrorOut, 409: ErrorOut})
def school_transition(request, slug: str, payload: TransitionIn):
    school = _school(slug)
    lifecycle.school_transition(school=school, to=payload.to, actor=_actor(request), reason=payload.reason)
    return _school(slug)


@api.post("/schools/{slug}/retry", response={202: SchoolOut, 404: ErrorOut, 409: ErrorOut})
def school_retry(request, slug: str):
    """Try again to make a school whose provisioning failed."""
    school = _school(slug)
    services.provisioning_job_retry(school=school, requested_by=_actor(request))
    return Status(202, _school(slug))


@api.exception_handler(lifecycle.LifecycleError)
def _lifecycle_refused(request, exc):
    return api.create_response(request, {"detail": " ".join(exc.messages)}, status=409)


@api.exception_handler(ValidationError)
def _invalid(request, exc):
    errors = exc.message_dict if hasattr(exc, "error_dict") else None
    return api.create_response(request, {"detail": " ".join(exc.messages), "errors": errors}, status=422)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return api.create_response(request, {"detail": "Școala nu există."}, status=404)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    response = api.create_response(request, {"detail": "Token de acces lipsă sau nevalid."}, status=401)
    response["WWW-Authenticate"] = "Bearer"
    return response
