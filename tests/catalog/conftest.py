"""The catalog's standing cast, in school A (built through the services, so they are exercised too):

- the director, the secretary (admin), and a statistics viewer;
- 5A (grades, 2025-26 rules): Ana and Bogdan; Ana's mother; Mihai teaches mathematics (4 h/week),
  Elena is the homeroom teacher and teaches Romanian; Dan teaches physical education;
- 3A (calificative): Ioana, taught by Maria (the învățătoare, also homeroom);
- 6B: Radu teaches mathematics there only — a stranger to 5A.
"""

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import ParentLink, User
from accounts.roles import Role
from catalog.attendance.tasks import notice_deliver_job
from catalog.structure import services as structure
from catalog.structure.cnp import cnp_check_digit
from catalog.structure.models import Enrolment, LearningPeriod, Level, SchoolClass, SchoolYear, Student, Subject
from tests.accounts.conftest import make_user
from tests.helpers import free_port


def cnp_with_check(first12: str) -> str:
    return f"{first12}{cnp_check_digit(first12)}"


def cnp_for(birth: date, serial: int, sex: int = 6) -> str:
    """A valid CNP for a child born on `birth` (2000s: S = 5/6), county 40 (Bucharest)."""
    return cnp_with_check(f"{sex}{birth:%y%m%d}40{serial:03d}")


def school_year_bounds(today: date | None = None) -> tuple[date, date]:
    """The school year (1 Sep – 31 Aug) that holds `today`."""
    today = today or timezone.localdate()
    first = today.year if today.month >= 9 else today.year - 1
    return date(first, 9, 1), date(first + 1, 8, 31)


def past_day(year: SchoolYear, days: int = 10) -> date:
    """A day `days` into the year, but never in the future."""
    return min(year.starts + timedelta(days=days), timezone.localdate())


@dataclass
class Cast:
    year: SchoolYear
    director: User
    admin: User
    stats: User
    mihai: User  # mathematics in 5A
    elena: User  # homeroom of 5A, Romanian in 5A
    dan: User  # physical education in 5A
    maria: User  # 3A's învățătoare
    radu: User  # mathematics in 6B only
    parent: User  # Ana's mother
    class_5a: SchoolClass
    class_3a: SchoolClass
    class_6b: SchoolClass
    math: Subject
    romanian: Subject
    pe: Subject
    religion: Subject
    ana: Student
    bogdan: Student
    ioana: Student
    victor: Student  # 6B

    @property
    def day(self) -> date:
        return past_day(self.year)


@pytest.fixture(autouse=True)
def notices_sent_at_once(monkeypatch):
    """Parents' notices go to a Celery worker once their write commits; here the job runs at
    once, in the test's transaction (Celery's eager mode), when the commit callbacks run."""
    monkeypatch.setattr(notice_deliver_job, "delay", lambda *args: notice_deliver_job.apply(args))


class MailServer:
    """A real SMTP server on loopback (aiosmtpd), down until the test starts it; it may refuse
    every recipient, as a server refuses an unknown mailbox."""

    def __init__(self):
        self.port, self.messages, self.refuses, self._controller = free_port(), [], False, None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # aiosmtpd's hook names
        if self.refuses:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"

    def start(self) -> None:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def mail_server(settings):
    """Mail goes through SMTP to a MailServer (not started: a mail server that is down)."""
    server = MailServer()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", server.port, 5
    settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = "", ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    yield server
    server.stop()


@pytest.fixture
def in_school_a(school_a):
    with schema_context(school_a.schema_name):
        yield school_a


@pytest.fixture
def cast(in_school_a) -> Cast:
    schema = in_school_a.schema_name
    people = {
        "director": make_user(schema, "gheorghe.director", [Role.DIRECTOR]),
        "admin": make_user(schema, "secretara.scolii", [Role.SCHOOL_ADMIN]),
        "stats": make_user(schema, "dan.statistici", [Role.STATS_VIEWER]),
        "mihai": make_user(schema, "mihai.mate", [Role.TEACHER], first_name="Mihai", last_name="Popescu"),
        "elena": make_user(schema, "elena.diriginta", [Role.TEACHER], first_name="Elena", last_name="Stoica"),
        "dan": make_user(schema, "dan.sport", [Role.TEACHER], first_name="Dan", last_name="Sport"),
        "maria": make_user(schema, "maria.invatatoare", [Role.TEACHER], first_name="Maria", last_name="Pop"),
        "radu": make_user(schema, "radu.mate", [Role.TEACHER], first_name="Radu", last_name="Ene"),
        "parent": make_user(
            schema, "mama.anei", [Role.PARENT], first_name="Ioana", last_name="Marin", email="mama.anei@example.test"
        ),
    }
    admin = people["admin"]
    starts, ends = school_year_bounds()
    year = structure.year_create(
        actor=admin, name=f"{starts.year}-{ends.year}", starts=starts, ends=ends, structure=SchoolYear.Structure.MODULES
    )
    subject = {
        "math": structure.subject_create(actor=admin, name="Matematică", position=2),
        "romanian": structure.subject_create(actor=admin, name="Limba și literatura română", position=1),
        "pe": structure.subject_create(
            actor=admin, name="Educație fizică", position=8, kind=Subject.Kind.PHYSICAL_EDUCATION
        ),
        "religion": structure.subject_create(actor=admin, name="Religie", position=9, kind=Subject.Kind.RELIGION),
    }  # fmt: skip
    director = people["director"]  # rights to write are the director's to give (art. 15)
    c5a = structure.class_create(actor=director, year=year, level=Level.V, letter="A", homeroom=people["elena"])
    c3a = structure.class_create(actor=director, year=year, level=Level.III, letter="A", homeroom=people["maria"])
    c6b = structure.class_create(actor=admin, year=year, level=Level.VI, letter="B")
    for school_class, plan in [
        (c5a, [("math", 4), ("romanian", 4), ("pe", 2), ("religion", 1)]),
        (c3a, [("math", 4), ("romanian", 7)]),
        (c6b, [("math", 4)]),
    ]:
        for name, hours in plan:
            structure.curriculum_set(actor=admin, school_class=school_class, subject=subject[name], weekly_hours=hours)
    for teacher, school_class, name in [
        ("mihai", c5a, "math"), ("elena", c5a, "romanian"), ("dan", c5a, "pe"), ("elena", c5a, "religion"),
        ("maria", c3a, "math"), ("maria", c3a, "romanian"), ("radu", c6b, "math"),
    ]:  # fmt: skip
        structure.assignment_create(
            actor=director, teacher=people[teacher], school_class=school_class, subject=subject[name]
        )
    people["elena"].refresh_from_db()
    people["maria"].refresh_from_db()

    def student(first: str, last: str, school_class: SchoolClass, birth: date, serial: int) -> Student:
        return structure.student_create(
            actor=admin, first_name=first, last_name=last, cnp=cnp_for(birth, serial), school_class=school_class,
            starts=year.starts,
        )  # fmt: skip

    ana = student("Ana", "Marin", c5a, date(2015, 3, 14), 101)
    bogdan = student("Bogdan", "Avram", c5a, date(2015, 7, 2), 102)
    ioana = student("Ioana", "Dinu", c3a, date(2017, 5, 20), 103)
    victor = student("Victor", "Zamfir", c6b, date(2014, 1, 9), 104)
    ParentLink.objects.create(parent=people["parent"], student=ana.user)
    return Cast(
        year=year, class_5a=c5a, class_3a=c3a, class_6b=c6b, ana=ana, bogdan=bogdan, ioana=ioana, victor=victor,
        **people, **subject,
    )  # fmt: skip


@pytest.fixture
def next_year(cast) -> SchoolYear:
    """The school year after the cast's, in semesters, empty."""
    starts = cast.year.ends + timedelta(days=1)
    return structure.year_create(
        actor=cast.admin, name=f"{starts.year}-{starts.year + 1}", starts=starts,
        ends=date(starts.year + 1, 8, 31), structure=SchoolYear.Structure.SEMESTERS,
    )  # fmt: skip


@dataclass
class OldYear:
    year: SchoolYear
    viii_a: SchoolClass
    viii_b: SchoolClass
    ii_a: SchoolClass
    luca: Student  # VIII A, then VIII B in the second semester
    sara: Student  # VIII A
    irina: Student  # II A


@pytest.fixture
def old(cast) -> OldYear:
    """2020-2021 in two semesters: VIII A (grades: Luca, Sara; Luca moves to VIII B in the
    second semester) and II A (calificative: Irina), with their students of then."""
    year = structure.year_create(
        actor=cast.admin, name="2020-2021", starts=date(2020, 9, 14), ends=date(2021, 6, 25),
        structure=SchoolYear.Structure.SEMESTERS,
    )  # fmt: skip
    viii_a = structure.class_create(actor=cast.admin, year=year, level=Level.VIII, letter="A")
    viii_b = structure.class_create(actor=cast.admin, year=year, level=Level.VIII, letter="B")
    ii_a = structure.class_create(actor=cast.admin, year=year, level=Level.II, letter="A")

    def student(first, school_class, birth, serial) -> Student:
        return structure.student_create(
            actor=cast.admin, first_name=first, last_name="Vechi", cnp=cnp_for(birth, serial),
            school_class=school_class, starts=year.starts,
        )  # fmt: skip

    luca = student("Luca", viii_a, date(2006, 4, 2), 301)
    sara = student("Sara", viii_a, date(2006, 8, 9), 302)
    irina = student("Irina", ii_a, date(2012, 2, 5), 303)
    second = year.periods.get(number=2)
    structure.enrolment_move(
        actor=cast.admin, enrolment=Enrolment.objects.get(student=luca), to_class=viii_b, on=second.starts
    )
    return OldYear(year=year, viii_a=viii_a, viii_b=viii_b, ii_a=ii_a, luca=luca, sara=sara, irina=irina)


def weekdays(start: date, count: int) -> list[date]:
    """`count` weekdays from `start` (holidays aside)."""
    days, day = [], start
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def past_year_with_5a(cast) -> tuple[SchoolYear, SchoolClass]:
    """A whole past year (2024-2025, in modules) with its V A: Elena its homeroom teacher,
    mathematics an hour a week taught by Mihai."""
    year = structure.year_create(
        actor=cast.admin, name="2024-2025", starts=date(2024, 9, 9), ends=date(2025, 6, 20),
        structure=SchoolYear.Structure.MODULES,
    )  # fmt: skip
    target = structure.class_create(actor=cast.director, year=year, level=Level.V, letter="A", homeroom=cast.elena)
    structure.curriculum_set(actor=cast.admin, school_class=target, subject=cast.math, weekly_hours=1)
    structure.assignment_create(actor=cast.director, teacher=cast.mihai, school_class=target, subject=cast.math)
    return year, target


@dataclass
class Transfer:
    year: SchoolYear
    target: SchoolClass  # V A: Mihai teaches mathematics, Elena is the homeroom teacher
    periods: list[LearningPeriod]
    dora: Student  # came from another school two weeks into the third module
    enrolment: Enrolment

    def school_days(self, period: int, count: int) -> list[date]:
        return weekdays(self.periods[period].starts, count)


@pytest.fixture
def transfer(cast) -> Transfer:
    year, target = past_year_with_5a(cast)
    structure.curriculum_set(actor=cast.admin, school_class=target, subject=cast.pe, weekly_hours=1)
    periods = list(year.periods.order_by("number"))
    dora = structure.student_create(
        actor=cast.admin, first_name="Dora", last_name="Nou", cnp=cnp_for(date(2013, 6, 2), 402),
        school_class=target, starts=periods[2].starts + timedelta(days=14), entry=Enrolment.Entry.TRANSFER_IN,
    )  # fmt: skip
    return Transfer(year, target, periods, dora, Enrolment.objects.get(student=dora))
