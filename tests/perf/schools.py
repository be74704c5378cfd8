"""Big schools for the benchmarks: the demo's catalog with more classes, committed."""

from contextlib import contextmanager
from datetime import date

from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.roles import Role
from catalog.demo import PRIMARY, SECONDARY, DemoPeople, catalog_demo_ensure
from provisioning.services import school_provision
from tests.backup_fixtures import SEEDED, _user, school_remove

# Five classes per primary level of 20, six per secondary level of 24: 1,076 students.
LARGE = [(level, letter) for level in PRIMARY for letter in "ABCDE"]
LARGE += [(level, letter) for level in SECONDARY for letter in "ABCDEF"]


@contextmanager
def demo_school(*, slug: str, name: str, siiir_code: str, classes: list, people: str):
    """A school with `classes`, their students and last school year's grades and absences from
    September to the end of June (a whole year); its people are `<role>.<people>`. Removed
    when the block ends."""
    school = school_provision(requested_by="bench", **{**SEEDED, "name": name, "slug": slug, "siiir_code": siiir_code})
    try:
        with schema_context(school.schema_name):
            staff = DemoPeople(
                admin=_user(f"secretara.{people}", [Role.SCHOOL_ADMIN]),
                teacher=_user(f"profesor.{people}", [Role.TEACHER]),
                homeroom=_user(f"dirig.{people}", [Role.TEACHER]),
                student=_user(f"elev.{people}", [Role.STUDENT]),
                parent=_user(f"parinte.{people}", [Role.PARENT]),
            )
            today = timezone.localdate()
            june = date(today.year if today.month >= 9 else today.year - 1, 6, 30)
            catalog_demo_ensure(staff, today=june, classes=classes)
        connection.set_schema_to_public()
        yield school
    finally:
        school_remove(school)
