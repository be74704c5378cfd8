"""Onboarding schools: one service behind the console, the API and the CLI.

`school_provision_request` validates everything and reserves the school (its slug and
SIIIR code) in one transaction; `provisioning_job_run` then makes it, step by step,
recording each step. A failed step undoes the attempt (schema dropped, host removed,
school marked failed with the error) and `provisioning_job_retry` starts a new one.
"""

import logging
from collections.abc import Callable
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context, schema_exists

from accounts.models import User
from accounts.roles import Role
from accounts.services import password_link, username_for
from audit.actions import Action
from audit.services import audit_record
from catedra.text import has_control_characters
from provisioning import lifecycle, tasks
from provisioning.models import ProvisioningJob, ProvisioningStep
from provisioning.validators import cui_normalize, cui_validate, siiir_validate
from tenants.counties import County
from tenants.models import Domain, School
from tenants.schemas import schema_create_from_template, schema_drop, schema_name_for, slug_validate, template_version

logger = logging.getLogger(__name__)

MAX_NAME = 200
MAX_LOCALITY = 120
JOB_ACTOR = ProvisioningJob.ACTOR


def school_provision_request(
    *,
    name: str,
    slug: str,
    siiir_code: str,
    cui: str,
    county: str,
    locality: str,
    admin_name: str,
    admin_email: str,
    requested_by: str,
    contract_start: date | None = None,
    contract_end: date | None = None,
    queue: bool = True,
) -> ProvisioningJob:
    """Validate an onboarding request and reserve the school; the job that will make it,
    queued once the request commits (`queue=False`: the caller runs it, as the CLI does).

    Raises ValidationError (a message per field) and changes nothing on any bad input,
    including a slug or SIIIR code taken meanwhile by a concurrent request.
    """
    fields = {
        "name": (name or "").strip(), "slug": (slug or "").strip(), "siiir_code": (siiir_code or "").strip(),
        "cui": cui_normalize(cui), "county": (county or "").strip().upper(), "locality": (locality or "").strip(),
        "admin_name": (admin_name or "").strip(), "admin_email": (admin_email or "").strip().lower(),
    }  # fmt: skip
    _validate_request(fields, contract_start, contract_end)
    try:
        with transaction.atomic():
            school = School.objects.create(
                name=fields["name"], slug=fields["slug"], schema_name=schema_name_for(fields["slug"]),
                siiir_code=fields["siiir_code"], cui=fields["cui"], county=fields["county"],
                locality=fields["locality"], contract_start=contract_start, contract_end=contract_end,
                status=School.Status.PROVISIONING,
            )  # fmt: skip
            job = ProvisioningJob.objects.create(
                school=school, requested_by=requested_by, admin_name=fields["admin_name"],
                admin_email=fields["admin_email"],
            )  # fmt: skip
            audit_record(
                action=Action.SCHOOL_REQUESTED, actor=requested_by, obj=school,
                new={name: fields[name] for name in ("name", "slug", "siiir_code", "cui", "county", "locality")},
            )  # fmt: skip
    except IntegrityError as exc:
        # The unique constraints decide races between concurrent requests.
        raise ValidationError(_("Identificatorul sau codul SIIIR tocmai a fost folosit pentru altă școală.")) from exc
    if queue:
        _job_queue(job)
    return job


def _job_queue(job: ProvisioningJob) -> None:
    """The background job runs the steps once the transaction that made `job` commits."""
    transaction.on_commit(lambda: tasks.provision_school.delay(job.pk))


def school_provision(*, requested_by: str, **fields) -> School:
    """Request and make a school at once (CLI, demo, tests); raise if any step fails."""
    job = provisioning_job_run(job_id=school_provision_request(requested_by=requested_by, queue=False, **fields).pk)
    if job.state != ProvisioningJob.State.SUCCEEDED:
        raise ValidationError(_("Crearea școlii a eșuat: %(error)s") % {"error": job.error})
    return job.school


def provisioning_job_run(*, job_id: int) -> ProvisioningJob:
    """Run a pending job's steps in order; on failure undo the attempt. Returns the job."""
    started = ProvisioningJob.objects.filter(pk=job_id, state=ProvisioningJob.State.PENDING).update(
        state=ProvisioningJob.State.RUNNING, started_at=timezone.now()
    )
    job = ProvisioningJob.objects.select_related("school").get(pk=job_id)
    if not started:  # already run, or running in another worker
        return job
    for name, step in STEPS:
        began = timezone.now()
        try:
            with transaction.atomic():
                detail = step(job) or ""
        except Exception as exc:  # noqa: BLE001 - any failure undoes the attempt and is recorded
            logger.warning("provisioning of school %s failed at step %s: %s", job.school.slug, name, type(exc).__name__)
            _record_step(job, name, ProvisioningStep.State.FAILED, began, f"{type(exc).__name__}: {exc}")
            _undo(job, f"{name}: {type(exc).__name__}: {exc}")
            audit_record(
                action=Action.SCHOOL_PROVISIONING_FAILED, actor=JOB_ACTOR, obj=job.school,
                new={"attempt": job.attempt, "step": name, "error": type(exc).__name__},
            )  # fmt: skip
            return job
        _record_step(job, name, ProvisioningStep.State.SUCCEEDED, began, detail)
    with transaction.atomic():
        ProvisioningJob.objects.filter(pk=job.pk).update(
            state=ProvisioningJob.State.SUCCEEDED, finished_at=timezone.now()
        )
        audit_record(action=Action.SCHOOL_PROVISIONED, actor=JOB_ACTOR, obj=job.school, new={"attempt": job.attempt})
    job.refresh_from_db()
    return job


def provisioning_job_retry(*, school: School, requested_by: str, queue: bool = True) -> ProvisioningJob:
    """A new attempt at making a school whose provisioning failed, queued as a request's is."""
    with transaction.atomic():
        last = school.provisioning_jobs.order_by("-attempt").first()
        lifecycle.school_transition(
            school=school, to=School.Status.PROVISIONING, actor=requested_by, reason=_("o nouă încercare")
        )
        job = ProvisioningJob.objects.create(
            school=school, attempt=(last.attempt + 1) if last else 1, requested_by=requested_by,
            admin_name=last.admin_name if last else "", admin_email=last.admin_email if last else "",
        )  # fmt: skip
        if queue:
            _job_queue(job)
    return job


# -- the steps: each is idempotent and runs in its own transaction ----------------------


def step_schema(job: ProvisioningJob) -> str:
    schema = job.school.schema_name
    if schema_exists(schema):
        if _schema_complete(schema):
            return _("schema %(schema)s exista deja, completă") % {"schema": schema}
        schema_drop(schema)  # left by an interrupted attempt
    schema_create_from_template(schema)
    return _("schema %(schema)s, copiată din șablon") % {"schema": schema}


def step_domain(job: ProvisioningJob) -> str:
    host = f"{job.school.slug}.{settings.CATEDRA_BASE_DOMAIN}"
    Domain.objects.get_or_create(domain=host, defaults={"tenant": job.school, "is_primary": True})
    return host


def step_admin(job: ProvisioningJob) -> str:
    with schema_context(job.school.schema_name):
        admin = User.objects.filter(email=job.admin_email).first()
        if admin is None:
            first, _space, last = job.admin_name.partition(" ")
            admin = User(
                username=username_for(job.admin_name), email=job.admin_email, first_name=first, last_name=last,
                roles=[Role.SCHOOL_ADMIN],
            )  # fmt: skip
            admin.set_unusable_password()
            admin.save()
            audit_record(
                action=Action.USER_CREATED, actor=JOB_ACTOR, obj=admin, person=admin,
                new={"username": admin.username, "roles": admin.roles, "email": admin.email},
            )  # fmt: skip
    return _("utilizatorul %(username)s") % {"username": admin.username}


def step_invitation(job: ProvisioningJob) -> str:
    school = job.school
    with schema_context(school.schema_name):
        admin = User.objects.get(email=job.admin_email)
        link = password_link(school=school, user=admin)
    subject = _("Invitație în Catedra: %(school)s") % {"school": school.name}
    body = _(
        "Bună ziua, %(name)s,\n\nȘcoala „%(school)s” are acum catalogul electronic Catedra, iar dumneavoastră "
        "sunteți administratorul ei. Alegeți-vă parola folosind legătura de mai jos (se poate folosi o singură "
        "dată):\n\n%(link)s\n\nNumele de utilizator: %(username)s\n"
    ) % {"name": job.admin_name, "school": school.name, "link": link, "username": admin.username}
    transaction.on_commit(lambda: send_mail(subject, body, None, [job.admin_email]))
    return _("trimisă prin e-mail la %(email)s") % {"email": job.admin_email}


def step_activate(job: ProvisioningJob) -> str:
    lifecycle.school_transition(school=job.school, to=School.Status.ACTIVE, actor=JOB_ACTOR, reason=job.requested_by)
    return _("școala este activă")


STEPS: list[tuple[str, Callable[[ProvisioningJob], str]]] = [
    (ProvisioningStep.Name.SCHEMA, step_schema),
    (ProvisioningStep.Name.DOMAIN, step_domain),
    (ProvisioningStep.Name.ADMIN, step_admin),
    (ProvisioningStep.Name.INVITATION, step_invitation),
    (ProvisioningStep.Name.ACTIVATE, step_activate),
]


# -- helpers --------------------------------------------------------------------------


def _validate_request(fields: dict[str, str], contract_start: date | None, contract_end: date | None) -> None:
    errors: dict[str, list[str]] = {}

    def check(field: str, validator) -> None:
        try:
            validator(fields[field])
        except ValidationError as exc:
            errors.setdefault(field, []).extend(exc.messages)

    check("slug", slug_validate)
    check("siiir_code", siiir_validate)
    check("cui", cui_validate)
    check("admin_email", validate_email)
    for field, label, limit in (("name", _("Denumirea"), MAX_NAME), ("locality", _("Localitatea"), MAX_LOCALITY),
                                ("admin_name", _("Numele administratorului"), 150)):  # fmt: skip
        if not fields[field]:
            errors.setdefault(field, []).append(_("%(label)s este obligatorie.") % {"label": label})
        elif len(fields[field]) > limit or has_control_characters(fields[field]):
            errors.setdefault(field, []).append(
                _("%(label)s are cel mult %(limit)d caractere, fără caractere de control.")
                % {"label": label, "limit": limit}
            )
    if fields["county"] not in County.values:
        errors.setdefault("county", []).append(_("Județul nu este valid (folosiți codul auto, de ex. IS, CJ, B)."))
    if contract_start and contract_end and contract_end <= contract_start:
        errors.setdefault("contract_end", []).append(_("Sfârșitul contractului trebuie să fie după început."))
    if "slug" not in errors and School.objects.filter(slug=fields["slug"]).exists():
        errors.setdefault("slug", []).append(_("Identificatorul este deja folosit de altă școală."))
    if "siiir_code" not in errors and School.objects.filter(siiir_code=fields["siiir_code"]).exists():
        errors.setdefault("siiir_code", []).append(_("Codul SIIIR este deja înregistrat la altă școală."))
    if errors:
        raise ValidationError(errors)


def _schema_complete(schema: str) -> bool:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*), coalesce(max(id), 0) FROM {schema}.django_migrations")  # noqa: S608 - validated name
        return cursor.fetchone() == template_version()


def _record_step(job: ProvisioningJob, name: str, state: str, began, detail: str) -> None:
    ProvisioningStep.objects.create(
        job=job, name=name, state=state, detail=detail[:2000], started_at=began, finished_at=timezone.now()
    )


def _undo(job: ProvisioningJob, error: str) -> None:
    """Leave no half-made school: schema and host gone, school and job marked failed."""
    school = job.school
    schema_drop(school.schema_name)
    Domain.objects.filter(tenant=school).delete()
    school.refresh_from_db()
    if school.status == School.Status.PROVISIONING:
        lifecycle.school_transition(school=school, to=School.Status.FAILED, actor=JOB_ACTOR, reason=error[:2000])
    ProvisioningJob.objects.filter(pk=job.pk).update(
        state=ProvisioningJob.State.FAILED, error=error[:2000], finished_at=timezone.now()
    )
    job.refresh_from_db()
