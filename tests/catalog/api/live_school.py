"""A school whose writes really commit (functional tests run inside one transaction, where
every write shares one transaction id and a sync window could never open): provisioned for
a module's tests, with a year, a class, a subject, a teacher, students and an API key, and
dropped afterwards."""

import threading
from dataclasses import dataclass
from datetime import date

from django.db import connection
from django_tenants.utils import schema_context

from accounts.models import User
from accounts.roles import Role
from catalog.api import clients
from catalog.grades import services as grades
from catalog.structure import services as structure
from catalog.structure.models import Level, SchoolClass, SchoolYear, Student, Subject
from provisioning.services import school_provision
from tenants.models import School
from tenants.schemas import schema_drop
from tests.accounts.conftest import make_user
from tests.catalog.api.conftest import EVERY_SCOPE, api_for
from tests.catalog.conftest import cnp_for, past_day, school_year_bounds
from tests.provisioning.test_console import NEW_SCHOOL


@dataclass
class LiveSchool:
    school: School
    year: SchoolYear
    school_class: SchoolClass
    subject: Subject
    teacher: User
    students: list[Student]
    key: str

    @property
    def host(self) -> str:
        return f"{self.school.slug}.localhost"

    def api(self):
        return api_for(self.school.schema_name, self.key, host=self.host)

    def grade(self, n: int):
        return grades.grade_add(
            teacher=self.teacher, student=self.students[n % len(self.students)], school_class=self.school_class,
            subject=self.subject, on=past_day(self.year, 1 + n % 20), value=1 + n % 10,
        )  # fmt: skip


def live_school_make(slug: str, students: int = 5) -> LiveSchool:
    school = school_provision(
        requested_by="tests", **{**NEW_SCHOOL, "slug": slug, "siiir_code": "1761100088", "cui": "4267125"}
    )
    try:
        return _world(school, students)
    except BaseException:
        live_school_drop(LiveSchool(school, *[None] * 6))
        raise


def _world(school: School, students: int) -> LiveSchool:
    schema = school.schema_name
    with schema_context(schema):
        admin = make_user(schema, "secretara.sync", [Role.SCHOOL_ADMIN])
        teacher = make_user(schema, "prof.sync", [Role.TEACHER], first_name="Radu", last_name="Sincron")
        starts, ends = school_year_bounds()
        name, modules = f"{starts.year}-{ends.year}", SchoolYear.Structure.MODULES
        year = structure.year_create(actor=admin, name=name, starts=starts, ends=ends, structure=modules)
        subject = structure.subject_create(actor=admin, name="Matematică")
        school_class = structure.class_create(actor=admin, year=year, level=Level.VII, letter="A")
        structure.curriculum_set(actor=admin, school_class=school_class, subject=subject, weekly_hours=4)
        structure.assignment_create(actor=admin, teacher=teacher, school_class=school_class, subject=subject)
        made = [
            structure.student_create(
                actor=admin,
                first_name=f"Elev{n}",
                last_name="Sincron",
                cnp=cnp_for(date(2013, 2, 1), 300 + n),
                school_class=school_class,
                starts=year.starts,
            )
            for n in range(students)
        ]
        key = clients.client_create(actor=admin, name="SIIIR", scopes=EVERY_SCOPE, rate_per_minute=100000).key
    return LiveSchool(school, year, school_class, subject, teacher, made, key)


def live_school_drop(live: LiveSchool) -> None:
    connection.set_schema_to_public()
    schema_drop(live.school.schema_name)
    live.school.transitions.all().delete()
    School.objects.filter(pk=live.school.pk).delete()


class Writer(threading.Thread):
    """Adds, changes and deletes grades in its own transactions until stopped."""

    def __init__(self, live: LiveSchool):
        super().__init__(daemon=True)
        self.live, self.stop, self.errors, self.done = live, threading.Event(), [], 0

    def run(self):
        try:
            with schema_context(self.live.school.schema_name):
                n = 0
                while not self.stop.is_set():
                    grade = self.live.grade(n)
                    if n % 3 == 1:
                        grades.grade_change(teacher=self.live.teacher, grade=grade, value=10, reason="corectură")
                    if n % 4 == 2:
                        grades.grade_delete(teacher=self.live.teacher, grade=grade, reason="greșit")
                    n += 1
                    self.done = n
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.errors.append(exc)
        finally:
            connection.close()
