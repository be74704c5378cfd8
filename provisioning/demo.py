"""The demo school that `make run` shows. Later issues extend its seed with people,
classes, grades and absences."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from provisioning.services import school_create
from tenants.models import School

DEMO_SLUG = "demo"


def demo_school_ensure() -> tuple[School, bool]:
    """The demo school, created (schema and all) if absent; (school, created)."""
    if settings.PRODUCTION:
        raise ImproperlyConfigured("The demo school is never created in production.")
    existing = School.objects.filter(slug=DEMO_SLUG).first()
    if existing is not None and existing.status == School.Status.ACTIVE:
        return existing, False
    if existing is not None:  # a half-made demo from an interrupted run: start over
        existing.delete(force_drop=True)
    school = school_create(
        name="Școala Gimnazială „Ion Creangă” (demo)",
        slug=DEMO_SLUG,
        siiir_code="1761100001",
        county="IS",
        locality="Târgu Frumos",
    )
    return school, True
