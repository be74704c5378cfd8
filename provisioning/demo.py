"""The demo school that `make run` shows, with one documented login per role.

Every demo login uses DEMO_PASSWORD; demo staff (who must use 2FA) share one TOTP
secret, DEMO_TOTP_SECRET, so a person adds it once to an authenticator app and a
script can compute codes. None of this exists in production: the demo is refused there.
The school's catalog (about 300 students, the year's grades and absences, last year
closed) comes from `catalog.demo`.
"""

import base64

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import schema_context

from accounts.models import User
from accounts.roles import Role
from catalog.demo import DemoPeople, catalog_demo_ensure
from provisioning.models import ProvisioningJob
from provisioning.services import provisioning_job_retry, provisioning_job_run, school_provision
from tenants.models import School

DEMO_SLUG = "demo"
DEMO_ACTOR = "demo"
DEMO_PASSWORD = "Catedra-Demo-2026!"  # noqa: S105 - documented demo credential, refused in production
_DEMO_TOTP_KEY = b"CatedraDemoTotpKey20"
DEMO_TOTP_SECRET = base64.b32encode(_DEMO_TOTP_KEY).decode()  # INQXIZLEOJQUIZLNN5KG65DQJNSXSMRQ
# (username, full name, roles) of the demo school's people.
DEMO_PEOPLE = [
    ("director.demo", "Gheorghe Popa", [Role.DIRECTOR]),
    ("maria.ionescu", "Maria Ionescu", [Role.SCHOOL_ADMIN]),
    ("profesor.demo", "Andrei Munteanu", [Role.TEACHER]),
    ("diriginte.demo", "Elena Stoica", [Role.TEACHER, Role.HOMEROOM]),
    ("parinte.demo", "Cristina Lungu", [Role.PARENT]),
    ("elev.demo", "Ioana Lungu", [Role.STUDENT]),
    ("statistici.demo", "Dan Rusu", [Role.STATS_VIEWER]),
]
DEMO_PROVIDER = ("operator.demo", "Operator Demo", [Role.OPERATOR, Role.SUPERUSER])
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
        demo_people_ensure(existing)
        return existing, False
    if existing is not None:  # an interrupted or failed earlier attempt: try again
        if existing.status == School.Status.FAILED:
            provisioning_job_retry(school=existing, requested_by=DEMO_ACTOR, queue=False)
        pending = existing.provisioning_jobs.filter(state=ProvisioningJob.State.PENDING).first()
        if pending is not None:
            provisioning_job_run(job_id=pending.pk)
        existing.refresh_from_db()
        demo_people_ensure(existing)
        return existing, True
    school = school_provision(requested_by=DEMO_ACTOR, **DEMO_SCHOOL)
    demo_people_ensure(school)
    return school, True


def demo_people_ensure(school: School) -> None:
    """The demo logins (in the demo school, and the operator in public) and the school's
    catalog (classes, students, the year's grades and absences, last year closed); idempotent."""
    with transaction.atomic():
        with schema_context(school.schema_name):
            users = {username: _demo_user(username, name, roles) for username, name, roles in DEMO_PEOPLE}
            catalog_demo_ensure(
                DemoPeople(
                    admin=users["maria.ionescu"],
                    teacher=users["profesor.demo"],
                    homeroom=users["diriginte.demo"],
                    student=users["elev.demo"],
                    parent=users["parinte.demo"],
                    director=users["director.demo"],
                )
            )
        with schema_context("public"):
            _demo_user(*DEMO_PROVIDER)


def _demo_user(username: str, name: str, roles: list[str]) -> User:
    first, _space, last = name.partition(" ")
    user = User.objects.filter(username=username).first() or User(username=username)
    user.first_name, user.last_name, user.roles = first, last, roles
    if not user.has_usable_password() or not user.check_password(DEMO_PASSWORD):
        user.set_password(DEMO_PASSWORD)
    user.save()
    if user.must_use_two_factor and not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        TOTPDevice.objects.create(user=user, name="Demo", key=_DEMO_TOTP_KEY.hex(), confirmed=True)
    return user
