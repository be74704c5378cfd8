"""Curricular modules (DOMAIN rule 4): set up by the secretariat and the leadership in a
technological class, each with its own average, closed from its grades once it has ended (rule 5:
at least 2 grades, one per 25 hours started)."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from audit.actions import Action
from audit.models import AuditEvent
from catalog.attendance import services as attendance
from catalog.grades import closing
from catalog.grades import modules as grade_modules
from catalog.grades import selectors as grade_reads
from catalog.grades import services as grades
from catalog.grades.models import Average, Exam, Grade, YearResult
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
    structure.assignment_create(actor=cast.director, teacher=ion, school_class=school_class, subject=subject)
    structure.assignment_create(actor=cast.director, teacher=cast.mihai, school_class=school_class, subject=cast.math)
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
        grade_modules.module_change(actor=actor, module=voc.first, name="X", total_hours=5, starts=voc.first.starts,
                              ends=voc.first.ends)  # fmt: skip
    with pytest.raises(PermissionDenied):
        grade_modules.module_delete(actor=actor, module=voc.second)
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
    return grade_modules.module_change(actor=cast.admin, module=module, **(data | changes))


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
    grade_modules.module_average_close(teacher=voc.ion, student=voc.paul, module=voc.first)
    before = state()
    for changes in ({"total_hours": 100}, {"ends": voc.first.ends + timedelta(days=1)}, {"subject": cast.math}):
        with pytest.raises(ValidationError) as refusal:
            change(cast, voc.first, **changes)
        assert refusal.value.code == "averages_closed"
    assert state() == before
    assert change(cast, voc.first, name="Măsurări electrice și electronice").name.endswith("electronice")


def test_a_module_without_grades_is_deleted_and_audited(cast, voc):
    pk = voc.second.pk
    grade_modules.module_delete(actor=cast.admin, module=voc.second)
    assert not CurricularModule.objects.filter(pk=pk).exists()
    event = AuditEvent.objects.get(action=Action.MODULE_DELETED, object_id=str(pk))
    assert event.old_values["name"] == "Circuite electrice" and event.actor_id == cast.admin.pk


def test_a_module_with_grades_or_averages_is_not_deleted(cast, voc):
    graded = grade(voc, voc.paul, 8, voc.first)
    before = state()
    with pytest.raises(ValidationError) as refusal:
        grade_modules.module_delete(actor=cast.admin, module=voc.first)
    assert refusal.value.messages == [str(grade_modules.HAS_GRADES)]
    assert state() == before and Grade.objects.filter(pk=graded.pk).exists()
    # An average left after its grades were deleted (a reopened one) holds the module too.
    Average.objects.create(
        student=voc.sorin, school_class=voc.school_class, subject=voc.subject, module=voc.second, value=7,
        closed=False, closed_by=voc.ion,
    )  # fmt: skip
    with pytest.raises(ValidationError):
        grade_modules.module_delete(actor=cast.admin, module=voc.second)
    assert CurricularModule.objects.filter(pk=voc.second.pk).exists()


def test_a_closed_year_refuses_every_module_write(cast, voc):
    close(cast.year)
    voc.school_class.year.refresh_from_db()
    before = state()
    message = f"Anul școlar {cast.year.name} este încheiat: nu se mai pot face modificări."
    for write in (
        lambda: modules.module_create(actor=cast.admin, **fields(voc)),
        lambda: change(cast, voc.first, name="Altul"),
        lambda: grade_modules.module_delete(actor=cast.admin, module=voc.second),
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
    average = grade_modules.module_average_close(teacher=voc.ion, student=voc.paul, module=voc.first)
    assert (average.value, average.module, average.closed, average.warnings) == (9, voc.first, True, [])
    event = AuditEvent.objects.get(action=Action.AVERAGE_CLOSED, object_id=str(average.pk))
    assert event.new_values["module"] == "Măsurări electrice" and event.new_values["grades"] == 2
    with pytest.raises(ValidationError, match="deja încheiată"):
        grade_modules.module_average_close(teacher=voc.ion, student=voc.paul, module=voc.first)


def test_a_module_that_has_not_ended_keeps_its_averages_open(voc):
    if voc.second.starts <= voc.second_day:
        grade(voc, voc.sorin, 8, voc.second)
    with pytest.raises(ValidationError) as refusal:
        grade_modules.module_average_close(teacher=voc.ion, student=voc.sorin, module=voc.second)
    assert refusal.value.code == "module_running" and f"{voc.second.ends:%d.%m.%Y}" in refusal.value.messages[0]
    assert not Average.objects.exists()


@pytest.mark.parametrize("who", ["mihai", "admin", "director", "elena"])
def test_only_the_subjects_teacher_closes_a_module_average(cast, voc, who):
    grade(voc, voc.paul, 8, voc.first)
    grade(voc, voc.paul, 8, voc.first)
    with pytest.raises(PermissionDenied):
        grade_modules.module_average_close(teacher=getattr(cast, who), student=voc.paul, module=voc.second)
    assert not Average.objects.exists()


def test_too_few_module_grades_warn_or_block_by_the_rule_set(cast, voc):
    """Rule 5: a module of 50 hours needs 2 grades; the rule set warns (default) or blocks."""
    grade(voc, voc.paul, 8, voc.first)
    grade(voc, voc.sorin, 6, voc.first)
    average = grade_modules.module_average_close(teacher=voc.ion, student=voc.paul, module=voc.first)
    assert average.value == 8 and average.warnings == [
        "Sunt 1 note; pentru încheierea mediei sunt necesare cel puțin 2."
    ]
    RuleSet.objects.filter(pk=cast.year.rule_set_id).update(min_grades_block=True)
    module = CurricularModule.objects.select_related("school_class__year__rule_set", "subject").get(pk=voc.first.pk)
    with pytest.raises(ValidationError) as refusal:
        grade_modules.module_average_close(teacher=voc.ion, student=voc.sorin, module=module)
    assert refusal.value.code == "too_few"
    assert not Average.objects.filter(student=voc.sorin).exists()


def test_a_closed_module_average_locks_that_modules_grades_only(cast, voc):
    grade(voc, voc.paul, 8, voc.first)
    grade(voc, voc.paul, 9, voc.first)
    grade_modules.module_average_close(teacher=voc.ion, student=voc.paul, module=voc.first)
    with pytest.raises(ValidationError, match="încheiată"):
        grade(voc, voc.paul, 10, voc.first)
    grade(voc, voc.paul, 10, None, on=voc.first_day)  # outside the module: still open
    if voc.second.starts <= voc.second_day:
        grade(voc, voc.paul, 10, voc.second)


def test_the_students_year_shows_each_modules_average(cast, voc):
    grade(voc, voc.paul, 10, voc.first)
    grade(voc, voc.paul, 9, voc.first)
    grade_modules.module_average_close(teacher=voc.ion, student=voc.paul, module=voc.first)
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


# -- the year's end: each module is a discipline (rules 4, 6, 11) ------------------------------


@pytest.fixture
def ended(cast, voc) -> Vocational:
    return vocational_ended(cast, voc)


def vocational_ended(cast, voc: Vocational) -> Vocational:
    """Both modules over by today (the second ended yesterday), Ion homeroom of IX T, every
    period's conduct 10, mathematics closed at 9 for both students."""
    yesterday = timezone.localdate() - timedelta(days=1)
    CurricularModule.objects.filter(pk=voc.second.pk).update(ends=yesterday)
    voc.second.refresh_from_db()
    structure.homeroom_set(actor=cast.director, school_class=voc.school_class, homeroom=voc.ion)
    for student in (voc.paul, voc.sorin):
        for period in cast.year.periods.all():
            grades.conduct_set(
                homeroom=voc.ion, student=student, school_class=voc.school_class, period=period, value=10
            )
        for value in (9, 9, 9):
            grades.grade_add(
                teacher=cast.mihai, student=student, school_class=voc.school_class, subject=cast.math,
                on=voc.first_day, value=value,
            )  # fmt: skip
        grades.average_close(teacher=cast.mihai, student=student, school_class=voc.school_class, subject=cast.math)
    return voc


def module_grades(voc: Vocational, student: Student, first: list[int], second: list[int]) -> None:
    for value in first:
        grade(voc, student, value, voc.first)
    for value in second:
        grade(voc, student, value, voc.second, on=voc.second.starts)


def close_modules(voc: Vocational, student: Student) -> None:
    for module in (voc.first, voc.second):
        grade_modules.module_average_close(teacher=voc.ion, student=student, module=module)


FIRST, SECOND, MATH = (
    "Bazele electrotehnicii – Măsurări electrice",
    "Bazele electrotehnicii – Circuite electrice",
    "Matematică",
)


def test_each_module_counts_as_a_discipline_at_the_years_end(cast, ended):
    voc = ended
    module_grades(voc, voc.paul, [10, 9], [6, 7])  # 9.5 -> 10 and 6.5 -> 7
    module_grades(voc, voc.sorin, [3, 4], [8, 8])  # the first module failed: 3.5 -> 4
    for student in (voc.paul, voc.sorin):
        close_modules(voc, student)
    standings = {s.student: s for s in grade_reads.class_standings(school_class=voc.school_class)}
    paul, sorin = standings[voc.paul], standings[voc.sorin]
    # The subject's annual average is not asked for; each module's is, in curriculum and teaching order.
    assert list(paul.subject_averages.items()) == [(MATH, 9), (FIRST, 10), (SECOND, 7)]
    assert paul.status.status == "promovat"
    assert paul.general_average == Decimal("9.00")  # rule 6: (9 + 10 + 7 + conduct 10) / 4
    assert (sorin.status.status, sorin.status.failed) == ("corigent", (FIRST,))


def test_a_module_without_its_average_keeps_the_class_from_closing(cast, ended):
    voc = ended
    for student in (voc.paul, voc.sorin):
        module_grades(voc, student, [8, 9], [8, 9])
        grade_modules.module_average_close(teacher=voc.ion, student=student, module=voc.first)
    with pytest.raises(ValidationError, match="La Bazele electrotehnicii mediile se încheie pe module") as refused:
        grades.average_close(teacher=voc.ion, student=voc.paul, school_class=voc.school_class, subject=voc.subject)
    assert refused.value.code == "in_modules" and not Average.objects.filter(module__isnull=True, subject=voc.subject)
    with pytest.raises(ValidationError) as refused:
        closing.class_results_close(actor=voc.ion, school_class=voc.school_class)
    assert refused.value.messages == [
        f"Sorin Ilie: media la {SECOND} nu este încheiată.",
        f"Paul Nistor: media la {SECOND} nu este încheiată.",
    ]
    assert not YearResult.objects.exists()


def test_a_resit_at_a_failed_module_replaces_that_modules_average(cast, ended):
    voc = ended
    module_grades(voc, voc.paul, [10, 9], [8, 8])
    module_grades(voc, voc.sorin, [3, 4], [8, 8])
    for student in (voc.paul, voc.sorin):
        close_modules(voc, student)
    closing.class_results_close(actor=voc.ion, school_class=voc.school_class)
    result = YearResult.objects.get(student=voc.sorin)
    assert (result.status, result.failed, result.averages[FIRST]) == ("corigent", [FIRST], 4)
    exam = {
        "actor": cast.director, "student": voc.sorin, "school_class": voc.school_class, "subject": voc.subject,
        "kind": Exam.Kind.RESIT, "on": timezone.localdate(), "grade": "7",
    }  # fmt: skip
    with pytest.raises(ValidationError, match=f"nu este corigent la {SECOND}"):
        closing.exam_record(**exam, module=voc.second)
    with pytest.raises(ValidationError, match="nu este corigent la Bazele electrotehnicii:"):
        closing.exam_record(**exam)  # the subject as a whole has no average to resit
    with pytest.raises(ValidationError, match="Modulul nu este al acestei discipline"):
        closing.exam_record(**{**exam, "subject": cast.math}, module=voc.first)
    result = closing.exam_record(**exam, module=voc.first)
    assert (result.status, result.averages[FIRST], result.failed) == ("promovat", 7, [])
    assert Exam.objects.get(student=voc.sorin).module == voc.first
    event = AuditEvent.objects.filter(action=Action.EXAM_RECORDED).get()
    assert event.new_values["subject"] == FIRST
    with pytest.raises(ValidationError, match="deja înregistrat"):
        closing.exam_record(**exam, module=voc.first)


def test_a_module_missed_by_half_with_too_few_grades_is_deferred_and_its_exam_closes_it(cast, ended):
    """Rule 11 by the module's own hours: the first module has 50 h, so 25 absences during its
    dates with one grade (of the 2 needed) leave it open; absences at the subject outside its
    dates do not count towards it."""
    voc = ended
    module_grades(voc, voc.paul, [8, 9], [8, 9])
    close_modules(voc, voc.paul)
    module_grades(voc, voc.sorin, [8], [8, 9])
    grade_modules.module_average_close(teacher=voc.ion, student=voc.sorin, module=voc.second)
    day = voc.first.starts
    for hour in range(25):
        attendance.absence_record(
            teacher=voc.ion, student=voc.sorin, school_class=voc.school_class, subject=voc.subject,
            on=day + timedelta(days=hour // 5), hour=hour % 5 + 1,
        )  # fmt: skip
    closing.class_results_close(actor=voc.ion, school_class=voc.school_class)
    result = YearResult.objects.get(student=voc.sorin)
    assert (result.status, result.deferred) == ("amanat", [FIRST])
    result = closing.exam_record(
        actor=cast.director, student=voc.sorin, school_class=voc.school_class, subject=voc.subject,
        kind=Exam.Kind.DEFERRED, on=timezone.localdate(), grade="8", module=voc.first,
    )  # fmt: skip
    assert (result.status, result.averages[FIRST]) == ("promovat", 8)
    assert Average.objects.get(student=voc.sorin, module=voc.first).value == 8


def test_absences_outside_a_modules_dates_do_not_defer_it(cast, ended):
    voc = ended
    for student in (voc.paul, voc.sorin):
        module_grades(voc, student, [8], [8, 9])
        grade_modules.module_average_close(teacher=voc.ion, student=student, module=voc.second)
    for hour in range(25):  # all in the second module's dates
        attendance.absence_record(
            teacher=voc.ion, student=voc.sorin, school_class=voc.school_class, subject=voc.subject,
            on=voc.second.starts + timedelta(days=hour // 5), hour=hour % 5 + 1,
        )  # fmt: skip
    with pytest.raises(ValidationError) as refused:
        closing.class_results_close(actor=voc.ion, school_class=voc.school_class)
    assert f"Sorin Ilie: media la {FIRST} nu este încheiată." in refused.value.messages


def test_a_transferred_students_record_is_not_transcribed_into_a_subject_taught_in_modules(cast, voc):
    """A module's grades and hours belong to its dates at this school: the school of origin's
    grades and absences at such a subject are not transcribed (the other subjects are)."""
    from catalog.grades import transcriptions
    from catalog.grades.transcriptions import TranscribedAbsence, TranscribedGrade
    from catalog.structure.models import Enrolment

    structure.homeroom_set(actor=cast.director, school_class=voc.school_class, homeroom=cast.elena)
    came = voc.first.starts + timedelta(days=14)
    dan = structure.student_create(
        actor=cast.admin, first_name="Dan", last_name="Mutu", cnp=cnp_for(date(2011, 5, 3), 303),
        school_class=voc.school_class, starts=came, entry=Enrolment.Entry.TRANSFER_IN,
    )  # fmt: skip
    fields = {
        "homeroom": cast.elena, "enrolment": Enrolment.objects.get(student=dan), "origin": "Liceul Tehnologic nr. 2",
        "document": "45", "document_date": came,
    }  # fmt: skip
    day = voc.first.starts
    for wrong in (
        {"grades": [TranscribedGrade(voc.subject, day, 8)]},
        {"grades": [], "absences": [TranscribedAbsence(voc.subject, excused=2)]},
    ):
        with pytest.raises(ValidationError, match="se încheie pe module"):
            transcriptions.transcription_record(**fields, **wrong)
    assert not Grade.objects.filter(student=dan).exists()

    transcriptions.transcription_record(
        **fields, grades=[TranscribedGrade(cast.math, day, 8)], absences=[TranscribedAbsence(cast.math, unexcused=1)]
    )
    assert grade_reads.class_unexcused(school_class=voc.school_class) == {dan.pk: (0, 1)}
