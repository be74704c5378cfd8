"""The demo school that `make run` shows. Later issues extend its seed with people,
classes, grades and absences."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from provisioning.models import ProvisioningJob
from provisioning.services import provisioning_job_retry, provisioning_job_run, school_provision
from tenants.models import School

DEMO_SLUG = "demo"
DEMO_ACTOR = "demo"
DEMO_SCHOOL = {
    "name": "Școala Gimnazială „Ion Creangă” (demo)",
    "slug": DEMO_SLUG,
    "siiir_code": "2461100001",
    "cui": "4267117",
    "county": "IS",
    "locality": "Târgu Frumos",
    "admin_name": "Maria Ionescu",
    "admin_email": "secretariat@demo.catedra.test",
}


def demo_school_ensure() -> tuple[School, bool]:
    """The demo school, created (schema and all) if absent; (school, created)."""
    if settings.PRODUCTION:
        raise ImproperlyConfigured("The demo school is never created in production.")
    existing = School.objects.filter(slug=DEMO_SLUG).first()
    if existing is not None and existing.status == School.Status.ACTIVE:
        return existing, False
    if existing is not None:  # an interrupted or failed earlier attempt: try again
        if existing.status == School.Status.FAILED:
            provisioning_job_retry(school=existing, requested_by=DEMO_ACTOR)
        pending = existing.provisioning_jobs.filter(state=ProvisioningJob.State.PENDING).first()
        if pending is not None:
            provisioning_job_run(job_id=pending.pk)
        existing.refresh_from_db()
        return existing, True
    return school_provision(requested_by=DEMO_ACTOR, **DEMO_SCHOOL), True
