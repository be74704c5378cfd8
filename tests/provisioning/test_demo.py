"""The demo school's documented logins work, with the documented 2FA secret, and its
catalog is a living school with last year closed. The demo takes seconds to make: each
test here makes it once (the last one twice)."""

from datetime import date

import pyotp
import pytest
from django.core.exceptions import ImproperlyConfigured
from django_tenants.utils import schema_context

from accounts.models import User
from accounts.roles import Role
from catalog import demo as demo_catalog
from catalog.attendance.models import Absence
from catalog.demo import DemoPeople, catalog_demo_ensure
from catalog.grades.models import Average, ConductGrade, Exam, Grade, Transcription, YearResult
from catalog.structure.models import CurriculumEntry, Enrolment, Level, SchoolClass, SchoolYear, Student
from provisioning import demo
from tests.conftest import host_client


def sign_in(client, username: str) -> None:
    assert client.post("/cont/login/", {"login": username, "password": demo.DEMO_PASSWORD}).status_code == 302
    home = client.get("/")
    if home.status_code == 302:  # staff: 2FA first
        assert home["Location"].startswith("/cont/2fa/verificare/")
        code = pyotp.TOTP(demo.DEMO_TOTP_SECRET).now()
        assert client.post("/cont/2fa/verificare/", {"token": code}).status_code == 302


def test_the_demo_school_is_alive_and_every_documented_login_works(db):
    school, created = demo.demo_school_ensure()
    assert created
    with schema_context(school.schema_name):
        assert 250 <= Student.objects.count() <= 350
        assert SchoolClass.objects.filter(year=SchoolYear.objects.order_by("-starts").first()).count() == 13
        ana = Student.objects.get(user__username="elev.demo")
        has_grades = Grade.objects.filter(student=ana).exists()
    clients = {}
    for username, _name, _roles in demo.DEMO_PEOPLE:
        clients[username] = host_client("demo.localhost")
        sign_in(clients[username], username)  # a TOTP code is accepted once: one sign-in each
        assert clients[username].get("/").status_code == 200
    page = clients["parinte.demo"].get(f"/elevi/{ana.pk}/").content.decode()
    assert "Matematică" in page and (not has_grades or "/" in page)
    queue = clients["director.demo"].get("/drepturi/").content.decode()  # one request waits for approval
    assert queue.count('name="cerere"') == 1 and "Suplinire pe durata concediului medical" in queue
    assert "Matematică" in clients["profesor.demo"].get("/").content.decode()

    operator = host_client("localhost")
    assert operator.post("/cont/login/", {"login": "operator.demo", "password": demo.DEMO_PASSWORD}).status_code == 302

    again, created = demo.demo_school_ensure()  # ensuring twice changes nothing
    assert (again.pk, created) == (school.pk, False)
    with schema_context(school.schema_name):
        assert Student.objects.count() == 1 + Student.objects.exclude(user__username="elev.demo").count()


def test_there_is_no_demo_in_production(db, settings):
    settings.PRODUCTION = True
    with pytest.raises(ImproperlyConfigured):
        demo.demo_school_ensure()


def _years() -> tuple[SchoolYear, SchoolYear]:
    last, current = SchoolYear.objects.order_by("starts")
    return last, current


def test_the_demo_has_last_year_closed_with_every_class_s_results(db):
    school, _created = demo.demo_school_ensure()
    with schema_context(school.schema_name):
        last, current = _years()
        assert last.name == f"{current.starts.year - 1}-{current.starts.year}"
        assert last.is_closed and last.closed_by.username == "director.demo"
        assert not current.is_closed
        assert last.periods.count() == 5
        classes = list(last.classes.order_by("level", "letter"))
        assert len(classes) == 12  # today's classes but pregătitoare, a level lower (last year's VIII left)
        for school_class in classes:
            assert school_class.closing is not None
            enrolled = Enrolment.objects.filter(school_class=school_class).count()
            assert enrolled > 0 and YearResult.objects.filter(school_class=school_class).count() == enrolled
        results = YearResult.objects.filter(school_class__year=last)
        # They all moved up a level: the corigenți passed their resits, nobody is repetent.
        assert set(results.values_list("status", flat=True)) == {YearResult.Status.PROMOVAT}
        resits = Exam.objects.filter(school_class__year=last, kind=Exam.Kind.RESIT)
        assert resits.exists()
        for exam in resits:  # each one replaced a failed average, and the result was computed again
            failed = Average.objects.get(student=exam.student, school_class=exam.school_class, subject=exam.subject)
            assert failed.value < 5 if failed.value is not None else failed.calificativ == "I"
            passed = exam.value if exam.value is not None else exam.calificativ
            assert results.get(student=exam.student).averages[exam.subject.name] == passed
        graded = results.filter(school_class__level__gte=Level.V)
        assert graded.exists() and not graded.filter(general_average__isnull=True).exists()
        assert not Average.objects.filter(school_class__year=last, closed=False).exists()
        assert (
            ConductGrade.objects.filter(school_class__year=last).count()
            == 5 * results.exclude(school_class__level=Level.PREP).count()
        )


def test_today_s_students_above_pregatitoare_were_a_level_lower_last_year(db):
    school, _created = demo.demo_school_ensure()
    with schema_context(school.schema_name):
        last, current = _years()
        now = Enrolment.objects.filter(school_class__year=current).select_related("school_class")
        assert now.count() > 250
        for enrolment in now:
            earlier = Enrolment.objects.filter(student=enrolment.student, school_class__year=last).first()
            if enrolment.school_class.level == Level.PREP or enrolment.entry == Enrolment.Entry.TRANSFER_IN:
                assert earlier is None
                continue
            level = int(enrolment.school_class.level) - 1
            assert (int(earlier.school_class.level), earlier.school_class.letter) == (
                level,
                enrolment.school_class.letter,
            )
        ana = Student.objects.get(user__username="elev.demo")
        assert str(Enrolment.objects.get(student=ana, school_class__year=last).school_class.level) == Level.IV
        # The bulk loads keep the row history: one insert event per grade and per absence.
        for model in (Grade, Absence, Average, ConductGrade):
            events = model._meta.get_field("history").related_model.objects.filter(pgh_label="insert")
            assert events.count() == model.objects.count() > 0
            assert not events.filter(pgh_context__isnull=True).exists()


def _cast() -> DemoPeople:
    def user(username: str, roles: list[str]) -> User:
        return User.objects.create(username=username, first_name=username.title(), last_name="Demo", roles=roles)

    return DemoPeople(
        admin=user("secretara", [Role.SCHOOL_ADMIN]), teacher=user("profesor", [Role.TEACHER]),
        homeroom=user("diriginta", [Role.TEACHER]), student=user("eleva", [Role.STUDENT]),
        parent=user("mama", [Role.PARENT]), director=user("directorul", [Role.DIRECTOR]),
    )  # fmt: skip


def _catalog_seen() -> tuple[list, ...]:
    """The catalog's people, grades, absences, results and exams, by CNP rather than by row ids."""
    return (
        sorted(Student.objects.values_list("cnp", "user__first_name", "user__last_name", "register_number")),
        sorted(Enrolment.objects.values_list("student__cnp", "school_class__year__name", "school_class__level",
                                             "school_class__letter")),
        sorted(Grade.objects.values_list("student__cnp", "school_class__year__name", "subject__name", "on", "value",
                                         "calificativ")),
        sorted(Absence.objects.values_list("student__cnp", "subject__name", "on", "hour")),
        sorted(YearResult.objects.values_list("student__cnp", "status", "general_average", "conduct", "averages")),
        sorted(Exam.objects.values_list("student__cnp", "subject__name", "on", "value", "calificativ")),
    )  # fmt: skip


def test_two_students_came_to_v_a_by_transfer_and_the_first_one_s_record_is_transcribed(db, school_a):
    with schema_context(school_a.schema_name):
        assert catalog_demo_ensure(_cast(), today=date(2025, 12, 10))
        came = Enrolment.objects.filter(entry=Enrolment.Entry.TRANSFER_IN).select_related(
            "student__user", "school_class"
        )
        assert sorted((e.student.user.last_name, e.school_class.short, e.starts) for e in came) == [
            ("Dobre", "a V-a A", date(2025, 11, 2)), ("Ene", "a V-a A", date(2025, 11, 2)),
        ]  # fmt: skip
        transcription = Transcription.objects.select_related("enrolment__student__user").get()
        assert transcription.enrolment.student.user.last_name == "Ene"
        assert (transcription.origin, transcription.recorded_by.username) == (demo_catalog.TRANSFER_ORIGIN, "diriginta")
        subjects = CurriculumEntry.objects.filter(school_class=transcription.enrolment.school_class).count()
        transcribed = transcription.grades.all()
        assert transcribed.count() == 2 * subjects and {g.on < date(2025, 11, 2) for g in transcribed} == {True}
        assert [c.period.number for c in transcription.conduct_grades.all()] == [1]  # the first module, spent there
        brought = transcription.absences.order_by("subject__position", "subject__name")
        assert [(a.subject.name, a.excused, a.unexcused) for a in brought] == [
            ("Limba și literatura română", 2, 1), ("Matematică", 0, 2)
        ]  # fmt: skip
        for enrolment in came:  # here: a grade or two at every subject since they came, none before
            theirs = Grade.objects.filter(student=enrolment.student, transcription__isnull=True)
            assert theirs.values("subject").distinct().count() == subjects
            assert not theirs.filter(on__lt=enrolment.starts).exists()


def test_the_demo_has_no_transfers_in_the_school_year_s_first_days():
    periods = demo_catalog.modules(2026)  # from 8 September and 2 November
    assert demo_catalog.transfer_day(periods, date(2026, 9, 20)) is None
    assert demo_catalog.transfer_day(periods, date(2026, 9, 21)) == date(2026, 9, 18)
    assert demo_catalog.transfer_day(periods, date(2026, 12, 1)) == date(2026, 11, 2)


def test_the_demo_catalog_is_the_same_on_every_run(db, school_a, school_b):
    seen = []
    for school in (school_a, school_b):
        with schema_context(school.schema_name):
            assert catalog_demo_ensure(_cast())
            seen.append(_catalog_seen())
    assert all(seen[0]) and seen[0] == seen[1]
