"""Curricular modules (DOMAIN rule 4): set up by the secretariat and the leadership in a
technological class, each with its own average, closed from its grades once it has ended (rule 5:
at least 2 grades, one per 25 hours started)."""

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from audit.actions import Action
from audit.models import AuditEvent
from catalog.grades import selectors as grade_reads
from catalog.grades import services as grades
from catalog.grades.models import Average, Grade
from catalog.structure import modules
from catalog.structure import services as structure
from catalog.structure.models import CurricularModule, Level, RuleSet, SchoolClass, Student, Subject
from tests.accounts.conftest import make_user
from tests.catalog.conftest import cnp_for


@dataclass
class Vocational:
    """IX T (technological): electrical engineering taught by Ion in two modules, the first
    already ended (50 h: at least 2 grades), the second running until the year's end (60 h: 3);
    Paul and Sorin are its students."""

    school_class: SchoolClass
    subject: Subject
    ion: User
    first: CurricularModule
    second: CurricularModule
    paul: Student
    sorin: Student

    @property
    def first_day(self) -> date:
        return self.first.starts

    @property
    def second_day(self) -> date:
        """A day of the second module that is not in the future (today)."""
        return timezone.localdate()


def vocational(cast) -> Vocational:
    admin = cast.admin
    ion = make_user(connection.schema_name, "ion.maistru", [Role.TEACHER], first_name="Ion", last_name="Vlad")
    school_class = structure.class_create(actor=admin, year=cast.year, level=Level.IX, letter="T", technological=True)
    subject = structure.subject_create(actor=admin, name="Bazele electrotehnicii", position=20)
    structure.curriculum_set(actor=admin, school_class=school_class, subject=subject, weekly_hours=4)
    structure.curriculum_set(actor=admin, school_class=school_class, subject=cast.math, weekly_hours=3)
    structure.assignment_create(actor=admin, teacher=ion, school_class=school_class, subject=subject)
    structure.assignment_create(actor=admin, teacher=cast.mihai, school_class=school_class, subject=cast.math)
    today = timezone.localdate()
    split = cast.year.starts + (today - cast.year.starts) // 2  # the first module ended before today
    first = modules.module_create(
        actor=admin, school_class=school_class, subject=subject, name="Măsurări electrice", total_hours=50,
        starts=cast.year.starts, ends=split,
    )  # fmt: skip
    second = modules.module_create(
        actor=admin, school_class=school_class, subject=subject, name="Circuite electrice", total_hours=60,
        starts=split + timedelta(days=1), ends=cast.year.ends,
    )  # fmt: skip

    def student(first_name: str, last_name: str, serial: int) -> Student:
        return structure.student_create(
            actor=admin, first_name=first_name, last_name=last_name, cnp=cnp_for(date(2011, 4, 2), serial),
            school_class=school_class, starts=cast.year.starts,
        )  # fmt: skip

    return Vocational(
        school_class, subject, ion, first, second, student("Paul", "Nistor", 301), student("Sorin", "Ilie", 302)
    )


@pytest.fixture
def voc(cast) -> Vocational:
    return vocational(cast)


def grade(voc: Vocational, student: Student, value: int, module: CurricularModule | None, on: date | None = None):
    return grades.grade_add(
        teacher=voc.ion, student=student, school_class=voc.school_class, subject=voc.subject, value=value,
        on=on or (voc.first_day if module is None or module == voc.first else voc.second_day), module=module,
    )  # fmt: skip


def fields(voc: Vocational, **changes) -> dict:
    return {
        "school_class": voc.school_class, "subject": voc.subject, "name": "Aparate de măsură", "total_hours": 30,
        "starts": voc.first.starts, "ends": voc.first.ends,
    } | changes  # fmt: skip


def state() -> tuple:
    """What a refused write must leave as it was."""
    return (
        list(CurricularModule.objects.order_by("pk").values_list("name", "subject", "total_hours", "starts", "ends")),
        AuditEvent.objects.count(),
    )


def close(year) -> None:
    year.closed_at = timezone.now()
    year.save()


# -- creating modules ----------------------------------------------------------------------


def test_the_admin_adds_a_module_and_it_is_audited(cast, voc):
    module = modules.module_create(actor=cast.admin, **fields(voc))
    assert (module.name, module.total_hours, module.school_class, module.subject) == (
        "Aparate de măsură", 30, voc.school_class, voc.subject,
    )  # fmt: skip
    event = AuditEvent.objects.get(action=Action.MODULE_CREATED, object_id=str(module.pk))
    assert event.actor_id == cast.admin.pk
    assert event.new_values["name"] == "Aparate de măsură" and event.new_values["total_hours"] == 30
    assert event.new_values["class"] == str(voc.school_class)


def test_the_director_and_the_deputy_configure_modules_too(cast, voc):
    deputy = make_user(connection.schema_name, "adjunct.scolii", [Role.DEPUTY])
    modules.module_create(actor=cast.director, **fields(voc, name="A"))
    modules.module_create(actor=deputy, **fields(voc, name="B"))
    assert set(modules.modules_of(voc.school_class).values_list("name", flat=True)) >= {"A", "B"}


@pytest.mark.parametrize("who", ["mihai", "elena", "parent", "stats", "ana"])
def test_teachers_parents_students_and_viewers_may_not_configure_modules(cast, voc, who):
    person = getattr(cast, who)
    actor = person.user if isinstance(person, Student) else person
    before = state()
    with pytest.raises(PermissionDenied):
        modules.module_create(actor=actor, **fields(voc))
    with pytest.raises(PermissionDenied):
        modules.module_change(actor=actor, module=voc.first, name="X", total_hours=5, starts=voc.first.starts,
                              ends=voc.first.ends)  # fmt: skip
    with pytest.raises(PermissionDenied):
        modules.module_delete(actor=actor, module=voc.second)
    assert state() == before


def test_a_deactivated_admin_may_not_configure_modules(cast, voc):
    User.objects.filter(pk=cast.admin.pk).update(is_active=False)
    cast.admin.refresh_from_db()
    with pytest.raises(PermissionDenied):
        modules.module_create(actor=cast.admin, **fields(voc))


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 161}, "name"),
        ({"name": "Modul\u202e"}, "name"),
        ({"name": "Modul\x00"}, "name"),
        ({"name": None}, "name"),
        ({"total_hours": 0}, "hours"),
        ({"total_hours": -5}, "hours"),
        ({"total_hours": 2001}, "hours"),
        ({"total_hours": True}, "hours"),
        ({"total_hours": 7.5}, "hours"),
        ({"total_hours": "10"}, "hours"),
        ({"starts": date(2000, 1, 1)}, "dates"),
        ({"ends": date(2100, 1, 1)}, "dates"),
        ({"starts": "2026-10-01"}, "dates"),
        ({"ends": None}, "dates"),
        ({"name": "măsurări ELECTRICE"}, "name_taken"),  # taken, whatever the case
    ],
)  # fmt: skip
def test_a_bad_module_is_refused_with_its_message_and_nothing_changes(cast, voc, changes, code):
    before = state()
    with pytest.raises(ValidationError) as refusal:
        modules.module_create(actor=cast.admin, **fields(voc, **changes))
    assert refusal.value.code == code
    assert state() == before


def test_a_module_ends_after_it_starts(cast, voc):
    with pytest.raises(ValidationError, match="începutul înaintea sfârșitului"):
        modules.module_create(actor=cast.admin, **fields(voc, starts=voc.first.ends, ends=voc.first.starts))
    assert not CurricularModule.objects.filter(name="Aparate de măsură").exists()


def test_a_module_is_of_a_subject_in_the_classs_curriculum(cast, voc):
    before = state()
    with pytest.raises(ValidationError) as refusal:
        modules.module_create(actor=cast.admin, **fields(voc, subject=cast.romanian))
    assert refusal.value.messages == [str(modules.NOT_IN_CURRICULUM)]
    assert state() == before


def test_only_technological_classes_have_modules(cast, voc):
    before = state()
    with pytest.raises(ValidationError) as refusal:
        modules.module_create(actor=cast.admin, **fields(voc, school_class=cast.class_5a, subject=cast.math))
    assert refusal.value.messages == [str(modules.NOT_TECHNOLOGICAL)]
    assert state() == before


def test_names_are_unique_per_class_and_subject_only(cast, voc):
    other = modules.module_create(actor=cast.admin, **fields(voc, subject=cast.math, name="Măsurări electrice"))
    assert other.subject == cast.math


# -- changing and deleting them ------------------------------------------------------------


def change(cast, module, **changes):
    data = {"name": module.name, "total_hours": module.total_hours, "starts": module.starts, "ends": module.ends}
    return modules.module_change(actor=cast.admin, module=module, **(data | changes))


def test_a_module_change_is_audited_with_the_old_and_new_values(cast, voc):
    changed = change(cast, voc.second, name="Circuite de curent alternativ", total_hours=75)
    assert (changed.name, changed.total_hours) == ("Circuite de curent alternativ", 75)
    event = AuditEvent.objects.get(action=Action.MODULE_CHANGED, object_id=str(voc.second.pk))
    assert event.old_values["name"] == "Circuite electrice" and event.new_values["total_hours"] == 75


def test_a_module_may_keep_its_own_name_or_take_a_taken_one_only_elsewhere(cast, voc):
    change(cast, voc.first, total_hours=51)  # its own name is not "taken"
    with pytest.raises(ValidationError) as refusal:
        change(cast, voc.first, name="Circuite Electrice")
    assert refusal.value.code == "name_taken"
    assert CurricularModule.objects.get(pk=voc.first.pk).name == "Măsurări electrice"


def test_a_change_keeps_the_modules_grades_inside_its_dates(cast, voc):
    grade(voc, voc.paul, 8, voc.first, on=voc.first.ends)
    before = state()
    with pytest.raises(ValidationError) as refusal:
        change(cast, voc.first, ends=voc.first.ends - timedelta(days=1))
    assert refusal.value.code == "grades_outside" and f"{voc.first.ends:%d.%m.%Y}" in refusal.value.messages[0]
    assert state() == before
    change(cast, voc.first, starts=voc.first.ends, total_hours=40)  # still holds the grade


def test_a_graded_module_keeps_its_subject(cast, voc):
    change(cast, voc.second, subject=cast.math)  # no grades yet: it may move
    change(cast, voc.second, subject=voc.subject)
    grade(voc, voc.paul, 8, voc.first)
    before = state()
    with pytest.raises(ValidationError) as refusal:
        change(cast, voc.first, subject=cast.math)
    assert refusal.value.code == "subject_locked"
    assert state() == before


def test_a_module_with_a_closed_average_changes_only_its_name(cast, voc):
    grade(voc, voc.paul, 8, voc.first)
    grade(voc, voc.paul, 9, voc.first)
    modules.module_average_close(teacher=voc.ion, student=voc.paul, module=voc.first)
    before = state()
    for changes in ({"total_hours": 100}, {"ends": voc.first.ends + timedelta(days=1)}, {"subject": cast.math}):
        with pytest.raises(ValidationError) as refusal:
            change(cast, voc.first, **changes)
        assert refusal.value.code == "averages_closed"
    assert state() == before
    assert change(cast, voc.first, name="Măsurări electrice și electronice").name.endswith("electronice")


def test_a_module_without_grades_is_deleted_and_audited(cast, voc):
    pk = voc.second.pk
    modules.module_delete(actor=cast.admin, module=voc.second)
    assert not CurricularModule.objects.filter(pk=pk).exists()
    event = AuditEvent.objects.get(action=Action.MODULE_DELETED, object_id=str(pk))
    assert event.old_values["name"] == "Circuite electrice" and event.actor_id == cast.admin.pk


def test_a_module_with_grades_or_averages_is_not_deleted(cast, voc):
    graded = grade(voc, voc.paul, 8, voc.first)
    before = state()
    with pytest.raises(ValidationError) as refusal:
        modules.module_delete(actor=cast.admin, module=voc.first)
    assert refusal.value.messages == [str(modules.HAS_GRADES)]
    assert state() == before and Grade.objects.filter(pk=graded.pk).exists()
    # An average left after its grades were deleted (a reopened one) holds the module too.
    Average.objects.create(
        student=voc.sorin, school_class=voc.school_class, subject=voc.subject, module=voc.second, value=7,
        closed=False, closed_by=voc.ion,
    )  # fmt: skip
    with pytest.raises(ValidationError):
        modules.module_delete(actor=cast.admin, module=voc.second)
    assert CurricularModule.objects.filter(pk=voc.second.pk).exists()


def test_a_closed_year_refuses_every_module_write(cast, voc):
    close(cast.year)
    voc.school_class.year.refresh_from_db()
    before = state()
    message = f"Anul școlar {cast.year.name} este încheiat: nu se mai pot face modificări."
    for write in (
        lambda: modules.module_create(actor=cast.admin, **fields(voc)),
        lambda: change(cast, voc.first, name="Altul"),
        lambda: modules.module_delete(actor=cast.admin, module=voc.second),
    ):
        with pytest.raises(ValidationError) as refusal:
            write()
        assert refusal.value.messages == [message]
    assert state() == before


# -- grades and averages of a module --------------------------------------------------------


def test_the_module_running_on_a_day_is_the_grades_default(voc):
    both = list(modules.modules_of(voc.school_class, voc.subject))
    assert both == [voc.first, voc.second]
    assert modules.module_running(both, voc.first.ends) == voc.first
    assert modules.module_running(both, voc.second.starts) == voc.second
    assert modules.module_running(both, voc.first.starts - timedelta(days=1)) is None


def test_a_grade_goes_to_a_module_of_its_class_and_subject_on_a_day_of_the_module(cast, voc):
    grade(voc, voc.paul, 9, voc.first)
    other_class = vocational_elsewhere(cast, voc)
    for module, on in ((voc.second, voc.first_day), (other_class, voc.first_day)):
        with pytest.raises(ValidationError) as refusal:
            grade(voc, voc.paul, 9, module, on=on)
        assert refusal.value.messages == [str(grades.MODULE_MISMATCH)]
    assert Grade.objects.filter(student=voc.paul).count() == 1


def vocational_elsewhere(cast, voc) -> CurricularModule:
    """A module of the same subject in another technological class (X T)."""
    other = structure.class_create(actor=cast.admin, year=cast.year, level=Level.X, letter="T", technological=True)
    structure.curriculum_set(actor=cast.admin, school_class=other, subject=voc.subject, weekly_hours=4)
    return modules.module_create(
        actor=cast.admin, school_class=other, subject=voc.subject, name="Măsurări electrice", total_hours=50,
        starts=voc.first.starts, ends=voc.first.ends,
    )  # fmt: skip


def test_a_module_average_is_closed_from_its_grades_only_once_the_module_has_ended(cast, voc):
    grade(voc, voc.paul, 10, voc.first)
    grade(voc, voc.paul, 7, voc.first)  # 8.5 -> 9 (rule 3: .50 up)
    grade(voc, voc.paul, 4, None)  # not the module's
    average = modules.module_average_close(teacher=voc.ion, student=voc.paul, module=voc.first)
    assert (average.value, average.module, average.closed, average.warnings) == (9, voc.first, True, [])
    event = AuditEvent.objects.get(action=Action.AVERAGE_CLOSED, object_id=str(average.pk))
    assert event.new_values["module"] == "Măsurări electrice" and event.new_values["grades"] == 2
    with pytest.raises(ValidationError, match="deja încheiată"):
        modules.module_average_close(teacher=voc.ion, student=voc.paul, module=voc.first)


def test_a_module_that_has_not_ended_keeps_its_averages_open(voc):
    if voc.second.starts <= voc.second_day:
        grade(voc, voc.sorin, 8, voc.second)
    with pytest.raises(ValidationError) as refusal:
        modules.module_average_close(teacher=voc.ion, student=voc.sorin, module=voc.second)
    assert refusal.value.code == "module_running" and f"{voc.second.ends:%d.%m.%Y}" in refusal.value.messages[0]
    assert not Average.objects.exists()


@pytest.mark.parametrize("who", ["mihai", "admin", "director", "elena"])
def test_only_the_subjects_teacher_closes_a_module_average(cast, voc, who):
    grade(voc, voc.paul, 8, voc.first)
    grade(voc, voc.paul, 8, voc.first)
    with pytest.raises(PermissionDenied):
        modules.module_average_close(teacher=getattr(cast, who), student=voc.paul, module=voc.second)
    assert not Average.objects.exists()


def test_too_few_module_grades_warn_or_block_by_the_rule_set(cast, voc):
    """Rule 5: a module of 50 hours needs 2 grades; the rule set warns (default) or blocks."""
    grade(voc, voc.paul, 8, voc.first)
    grade(voc, voc.sorin, 6, voc.first)
    average = modules.module_average_close(teacher=voc.ion, student=voc.paul, module=voc.first)
    assert average.value == 8 and average.warnings == [
        "Sunt 1 note; pentru încheierea mediei sunt necesare cel puțin 2."
    ]
    RuleSet.objects.filter(pk=cast.year.rule_set_id).update(min_grades_block=True)
    module = CurricularModule.objects.select_related("school_class__year__rule_set", "subject").get(pk=voc.first.pk)
    with pytest.raises(ValidationError) as refusal:
        modules.module_average_close(teacher=voc.ion, student=voc.sorin, module=module)
    assert refusal.value.code == "too_few"
    assert not Average.objects.filter(student=voc.sorin).exists()


def test_a_closed_module_average_locks_that_modules_grades_only(cast, voc):
    grade(voc, voc.paul, 8, voc.first)
    grade(voc, voc.paul, 9, voc.first)
    modules.module_average_close(teacher=voc.ion, student=voc.paul, module=voc.first)
    with pytest.raises(ValidationError, match="încheiată"):
        grade(voc, voc.paul, 10, voc.first)
    grade(voc, voc.paul, 10, None, on=voc.first_day)  # outside the module: still open
    if voc.second.starts <= voc.second_day:
        grade(voc, voc.paul, 10, voc.second)


def test_the_students_year_shows_each_modules_average(cast, voc):
    grade(voc, voc.paul, 10, voc.first)
    grade(voc, voc.paul, 9, voc.first)
    modules.module_average_close(teacher=voc.ion, student=voc.paul, module=voc.first)
    report = grade_reads.student_year(student=voc.paul, school_class=voc.school_class)
    subject = next(s for s in report.subjects if s.subject == voc.subject)
    assert [(m.module, m.average and m.average.value) for m in subject.modules] == [(voc.first, 10), (voc.second, None)]
    assert subject.average is None  # the module's average is not the subject's annual one
    math = next(s for s in report.subjects if s.subject == cast.math)
    assert math.modules == []


def test_average_close_itself_refuses_a_module_that_has_not_ended(cast, voc):
    """Rule 4 holds for every caller of the grades service, not only for the module page's."""
    grade(voc, voc.paul, 9, voc.second)
    grade(voc, voc.paul, 8, voc.second)
    with pytest.raises(ValidationError, match="Modulul se termină pe"):
        grades.average_close(
            teacher=voc.ion, student=voc.paul, school_class=voc.school_class, subject=voc.subject, module=voc.second
        )
    assert not Average.objects.filter(module=voc.second).exists()
