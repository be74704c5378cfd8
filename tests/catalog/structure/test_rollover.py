"""Copying a year's structure into the next: classes one level up, their plan, teachers and students."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.services import NotAllowed
from audit.actions import Action
from audit.models import AuditEvent
from catalog.structure import modules as curricular
from catalog.structure import rollover
from catalog.structure import services as structure
from catalog.structure.models import (
    CurricularModule,
    CurriculumEntry,
    Enrolment,
    Level,
    SchoolClass,
    SchoolYear,
    TeachingAssignment,
)
from catalog.structure.rollover import year_copy, year_copy_plan
from tests.catalog.conftest import cnp_for


@pytest.fixture
def class_4a(cast):
    """IV A (Maria's class too): its students go on to V A, across primary → gymnasium."""
    c4a = structure.class_create(actor=cast.director, year=cast.year, level=Level.IV, letter="A", homeroom=cast.maria)
    structure.curriculum_set(actor=cast.admin, school_class=c4a, subject=cast.math, weekly_hours=4)
    structure.assignment_create(actor=cast.director, teacher=cast.maria, school_class=c4a, subject=cast.math)
    structure.student_create(
        actor=cast.admin, first_name="Luca", last_name="Iordache", cnp=cnp_for(date(2016, 4, 4), 401),
        school_class=c4a, starts=cast.year.starts,
    )  # fmt: skip
    return c4a


@pytest.fixture
def class_8a(cast):
    c8a = structure.class_create(actor=cast.director, year=cast.year, level=Level.VIII, letter="A", homeroom=cast.radu)
    structure.student_create(
        actor=cast.admin, first_name="Olga", last_name="Matei", cnp=cnp_for(date(2011, 6, 6), 402),
        school_class=c8a, starts=cast.year.starts,
    )  # fmt: skip
    return c8a


def new_class(year, level, letter="A") -> SchoolClass:
    return SchoolClass.objects.get(year=year, level=level, letter=letter)


def students_of(school_class) -> list[str]:
    enrolments = Enrolment.objects.filter(school_class=school_class).order_by("student__user__last_name")
    return [e.student.user.get_full_name() for e in enrolments]


def plan_of(school_class) -> dict[str, tuple[int, int]]:
    entries = CurriculumEntry.objects.filter(school_class=school_class).select_related("subject")
    return {e.subject.name: (e.weekly_hours, e.yearly_hours) for e in entries}


def test_classes_move_up_one_level_with_their_letter_homeroom_and_students(cast, next_year):
    plan = year_copy(actor=cast.director, source=cast.year, target=next_year)
    assert sorted(str(c) for c in SchoolClass.objects.filter(year=next_year)) == [
        "Clasa a IV-a A", "Clasa a VI-a A", "Clasa a VII-a B",
    ]  # fmt: skip
    vi_a, iv_a = new_class(next_year, Level.VI), new_class(next_year, Level.IV)
    assert (vi_a.homeroom, iv_a.homeroom, new_class(next_year, Level.VII, "B").homeroom) == (
        cast.elena,
        cast.maria,
        None,
    )
    assert students_of(vi_a) == ["Bogdan Avram", "Ana Marin"]
    assert students_of(iv_a) == ["Ioana Dinu"]
    assert {e.starts for e in Enrolment.objects.filter(school_class__year=next_year)} == {next_year.starts}
    assert plan.students == 4
    # The old year is untouched.
    assert Enrolment.objects.get(student=cast.ana, school_class=cast.class_5a).ends is None


def test_a_promoted_class_takes_its_new_levels_plan_else_its_own_with_a_note(cast, next_year):
    entry = CurriculumEntry.objects.get(school_class=cast.class_6b, subject=cast.math)
    entry.yearly_hours = 130  # an hour count the copy must keep as it is
    entry.save()
    plan = year_copy(actor=cast.director, source=cast.year, target=next_year)
    assert plan_of(new_class(next_year, Level.VI)) == {"Matematică": (4, 130)}  # from last year's VI B
    assert plan_of(new_class(next_year, Level.IV)) == {"Matematică": (4, 136), "Limba și literatura română": (7, 238)}
    assert plan_of(new_class(next_year, Level.VII, "B")) == {"Matematică": (4, 130)}
    assert any("a IV-a A" in str(note) and "verificați planul" in str(note) for note in plan.notes)


def test_teachers_follow_their_classes_for_the_subjects_of_the_new_plan(cast, next_year):
    year_copy(actor=cast.director, source=cast.year, target=next_year)
    taught = {
        (str(a.school_class), a.subject.name, a.teacher.username)
        for a in TeachingAssignment.objects.filter(school_class__year=next_year)
    }
    assert taught == {
        ("Clasa a VI-a A", "Matematică", "mihai.mate"),
        ("Clasa a IV-a A", "Matematică", "maria.invatatoare"),
        ("Clasa a IV-a A", "Limba și literatura română", "maria.invatatoare"),
        ("Clasa a VII-a B", "Matematică", "radu.mate"),
    }


def test_assignments_are_copied_only_when_asked(cast, next_year):
    plan = year_copy(actor=cast.director, source=cast.year, target=next_year, assignments=False)
    assert plan.assignments == 0
    assert not TeachingAssignment.objects.filter(school_class__year=next_year).exists()
    assert CurriculumEntry.objects.filter(school_class__year=next_year).count() == plan.curriculum == 4


def test_from_primary_to_gymnasium_the_class_leaves_its_teacher_and_the_last_level_is_not_carried(
    cast, next_year, class_4a, class_8a
):
    plan = year_copy(actor=cast.director, source=cast.year, target=next_year)
    v_a = new_class(next_year, Level.V)
    assert v_a.homeroom is None and students_of(v_a) == ["Luca Iordache"]
    assert not TeachingAssignment.objects.filter(school_class=v_a).exists()
    assert plan_of(v_a) == {
        "Limba și literatura română": (4, 136),
        "Matematică": (4, 136),
        "Educație fizică": (2, 68),
        "Religie": (1, 34),
    }  # fmt: skip  (last year's V A plan)
    assert not SchoolClass.objects.filter(year=next_year, level__in=[Level.VIII, Level.IX]).exists()
    assert plan.finished == [class_8a]
    assert not Enrolment.objects.filter(school_class__year=next_year, student__user__first_name="Olga").exists()


def test_students_who_stay_behind_stay_at_their_level_or_are_reported(cast, next_year, class_4a):
    plan = year_copy(
        actor=cast.director, source=cast.year, target=next_year, stays_behind={cast.bogdan.pk, cast.ioana.pk}
    )
    assert students_of(new_class(next_year, Level.VI)) == ["Ana Marin"]
    assert students_of(new_class(next_year, Level.V)) == ["Bogdan Avram", "Luca Iordache"]  # V A, from IV A
    assert not Enrolment.objects.filter(school_class__year=next_year, student=cast.ioana).exists()  # no III A now
    assert plan.not_placed == [cast.ioana]
    assert any("Ioana Dinu" in str(note) for note in plan.notes)


def test_students_who_left_during_the_year_are_not_carried(cast, next_year):
    enrolment = Enrolment.objects.get(student=cast.bogdan)
    structure.enrolment_end(
        actor=cast.admin, enrolment=enrolment, ends=cast.day, exit=Enrolment.Exit.TRANSFER_OUT, note="Alt oraș"
    )
    year_copy(actor=cast.director, source=cast.year, target=next_year)
    assert students_of(new_class(next_year, Level.VI)) == ["Ana Marin"]


def test_the_copy_is_audited_once_with_what_it_made(cast, next_year):
    year_copy(actor=cast.director, source=cast.year, target=next_year, stays_behind={cast.ioana.pk})
    event = AuditEvent.objects.get(action=Action.YEAR_COPIED)
    assert event.object_id == str(next_year.pk) and event.actor_id == cast.director.pk
    assert event.new_values["classes"]["Clasa a VI-a A"] == "Clasa a V-a A"
    assert event.new_values["students"] == 3 and event.new_values["not_placed"] == [cast.ioana.pk]


def test_the_plan_shows_the_copy_and_writes_nothing(cast, next_year):
    before = (SchoolClass.objects.count(), Enrolment.objects.count(), AuditEvent.objects.count())
    plan = year_copy_plan(actor=cast.admin, source=cast.year, target=next_year)
    assert [copy.name for copy in plan.classes] == ["Clasa a IV-a A", "Clasa a VI-a A", "Clasa a VII-a B"]
    assert [copy.curriculum_from for copy in plan.classes] == [cast.class_3a, cast.class_6b, cast.class_6b]
    assert (SchoolClass.objects.count(), Enrolment.objects.count(), AuditEvent.objects.count()) == before


def test_a_target_with_classes_is_refused_and_nothing_is_copied_twice(cast, next_year):
    year_copy(actor=cast.director, source=cast.year, target=next_year)
    count = SchoolClass.objects.count()
    with pytest.raises(ValidationError) as refused:
        year_copy(actor=cast.director, source=cast.year, target=next_year)
    assert refused.value.messages == [rollover.TARGET_NOT_EMPTY.format(target=next_year.name)]
    assert SchoolClass.objects.count() == count


def test_a_closed_an_earlier_or_the_same_target_is_refused(cast, next_year):
    with pytest.raises(ValidationError, match="după anul copiat"):
        year_copy(actor=cast.director, source=next_year, target=cast.year)
    with pytest.raises(ValidationError, match="diferiți"):
        year_copy(actor=cast.director, source=cast.year, target=cast.year)
    next_year.closed_at = timezone.now()
    next_year.save()
    with pytest.raises(ValidationError, match="încheiat"):
        year_copy(actor=cast.director, source=cast.year, target=next_year)
    assert not SchoolClass.objects.filter(year=next_year).exists()


def test_only_configurers_copy_a_year(cast, next_year):
    for person in (cast.mihai, cast.elena, cast.parent, cast.stats):
        with pytest.raises(NotAllowed):
            year_copy(actor=person, source=cast.year, target=next_year)
    assert not SchoolClass.objects.filter(year=next_year).exists()
    year_copy(actor=cast.director, source=cast.year, target=next_year)


def test_unknown_students_who_stay_behind_are_refused(cast, next_year):
    with pytest.raises(ValidationError):
        year_copy(actor=cast.director, source=cast.year, target=next_year, stays_behind={999_999})
    assert not SchoolClass.objects.filter(year=next_year).exists()


# -- curricular modules of technological classes (DOMAIN rule 4) ----------------------------


def electro(cast):
    return structure.subject_create(actor=cast.admin, name="Bazele electrotehnicii", position=20)


def technological(cast, level, letter, plan, modules=(), technological=True) -> SchoolClass:
    """A class of `cast.year` with `plan` (subject: weekly hours) and `modules` (subject, name,
    hours, first day, last day); the days are (month, day) of the school year."""
    school_class = structure.class_create(
        actor=cast.admin, year=cast.year, level=level, letter=letter, technological=technological
    )
    for subject, hours in plan.items():
        structure.curriculum_set(actor=cast.admin, school_class=school_class, subject=subject, weekly_hours=hours)
    for subject, name, hours, starts, ends in modules:
        curricular.module_create(
            actor=cast.admin, school_class=school_class, subject=subject, name=name, total_hours=hours,
            starts=day_of(cast.year, *starts), ends=day_of(cast.year, *ends),
        )  # fmt: skip
    return school_class


def day_of(year, month, day) -> date:
    """The (month, day) inside the school year that starts in September."""
    return date(year.starts.year + (month < 9), month, day)


def modules_of(school_class) -> list[tuple]:
    found = CurricularModule.objects.filter(school_class=school_class).select_related("subject")
    return [(m.subject.name, m.name, m.total_hours, m.starts, m.ends) for m in found.order_by("starts", "name")]


IX_MODULES = [
    ("electro", "Măsurări electrice", 50, (9, 1), (1, 31)),
    ("electro", "Circuite electrice", 60, (2, 1), (6, 20)),
    ("math", "Matematică aplicată", 30, (3, 1), (5, 31)),
]


def ix_t(cast, subject, **kwargs) -> SchoolClass:
    """IX T: electrical engineering in two modules, mathematics in one."""
    by_name = {"electro": subject, "math": cast.math}
    rows = [(by_name[s], name, hours, starts, ends) for s, name, hours, starts, ends in IX_MODULES]
    return technological(cast, Level.IX, "T", {subject: 4, cast.math: 3}, rows, **kwargs)


@pytest.fixture
def later_year(cast):
    """A new year that starts a week later (the shift is then whole weeks) and ends on 30 June."""
    starts = cast.year.ends + timedelta(days=8)
    return structure.year_create(
        actor=cast.admin, name=f"{starts.year}-{starts.year + 1}", starts=starts,
        ends=date(starts.year + 1, 6, 30), structure=SchoolYear.Structure.SEMESTERS,
    )  # fmt: skip


def test_a_technological_class_takes_its_modules_with_dates_moved_into_the_new_year(cast, next_year):
    subject = electro(cast)
    ix_t(cast, subject)
    plan = year_copy(actor=cast.director, source=cast.year, target=next_year)
    shift = next_year.starts - cast.year.starts
    x_t = new_class(next_year, Level.X, "T")
    assert x_t.technological
    assert modules_of(x_t) == [
        ("Bazele electrotehnicii", "Măsurări electrice", 50,
         day_of(cast.year, 9, 1) + shift, day_of(cast.year, 1, 31) + shift),
        ("Bazele electrotehnicii", "Circuite electrice", 60,
         day_of(cast.year, 2, 1) + shift, day_of(cast.year, 6, 20) + shift),
        ("Matematică", "Matematică aplicată", 30, day_of(cast.year, 3, 1) + shift, day_of(cast.year, 5, 31) + shift),
    ]  # fmt: skip
    assert modules_of(x_t)[0][3] == next_year.starts
    assert plan.modules == 3
    # Last year's modules are untouched.
    assert len(modules_of(new_class(cast.year, Level.IX, "T"))) == 3


def test_module_dates_are_kept_inside_the_new_year_start_before_end(cast, later_year):
    subject = electro(cast)
    technological(cast, Level.IX, "T", {subject: 4}, [
        (subject, "Măsurări electrice", 50, (9, 1), (1, 31)),
        (subject, "Circuite electrice", 60, (2, 1), (8, 31)),
        (subject, "Practică de vară", 40, (7, 1), (8, 31)),
    ])  # fmt: skip
    year_copy(actor=cast.director, source=cast.year, target=later_year)
    shift = later_year.starts - cast.year.starts
    assert modules_of(new_class(later_year, Level.X, "T")) == [
        ("Bazele electrotehnicii", "Măsurări electrice", 50, later_year.starts, day_of(cast.year, 1, 31) + shift),
        ("Bazele electrotehnicii", "Circuite electrice", 60, day_of(cast.year, 2, 1) + shift, later_year.ends),
        ("Bazele electrotehnicii", "Practică de vară", 40, later_year.ends, later_year.ends),
    ]  # fmt: skip


def test_modules_go_with_the_plan_of_the_new_level(cast, next_year):
    """X T takes last year's X T plan, so its level-X modules too, not IX T's; XI T (no XI last
    year) keeps its own plan and modules."""
    subject = electro(cast)
    ix_t(cast, subject)
    technological(cast, Level.X, "T", {subject: 5}, [(subject, "Aparate electrice", 90, (9, 15), (12, 20))])
    year_copy(actor=cast.director, source=cast.year, target=next_year)
    shift = next_year.starts - cast.year.starts
    expected = [("Bazele electrotehnicii", "Aparate electrice", 90,
                 day_of(cast.year, 9, 15) + shift, day_of(cast.year, 12, 20) + shift)]  # fmt: skip
    assert modules_of(new_class(next_year, Level.X, "T")) == expected
    assert modules_of(new_class(next_year, Level.XI, "T")) == expected


def test_a_subject_the_new_plan_drops_drops_its_modules_with_a_note(cast, next_year):
    """X T takes last year's X A plan (mathematics only): of IX T's modules only mathematics' go on."""
    subject = electro(cast)
    ix_t(cast, subject)
    technological(cast, Level.X, "A", {cast.math: 4}, technological=False)
    plan = year_copy(actor=cast.director, source=cast.year, target=next_year)
    x_t = new_class(next_year, Level.X, "T")
    assert set(plan_of(x_t)) == {"Matematică"}
    assert [m[1] for m in modules_of(x_t)] == ["Matematică aplicată"]
    assert plan.modules == 1
    assert any("a X-a T" in str(note) and "Bazele electrotehnicii" in str(note) for note in plan.notes)


def test_non_technological_classes_take_no_modules_even_from_a_technological_plan(cast, next_year):
    """IX A takes last year's X T plan (the only class X), but modules belong to technological classes."""
    subject = electro(cast)
    technological(cast, Level.IX, "A", {cast.math: 4}, technological=False)
    technological(cast, Level.X, "T", {subject: 5, cast.math: 3}, [
        (subject, "Aparate electrice", 90, (9, 15), (12, 20)),
        (cast.math, "Matematică aplicată", 30, (3, 1), (5, 31)),
    ])  # fmt: skip
    plan = year_copy(actor=cast.director, source=cast.year, target=next_year)
    x_a = new_class(next_year, Level.X, "A")
    assert set(plan_of(x_a)) == {"Bazele electrotehnicii", "Matematică"}  # the plan is copied...
    assert modules_of(x_a) == []  # ...its modules are not
    assert not CurricularModule.objects.filter(school_class__year=next_year, school_class__technological=False)
    assert len(modules_of(new_class(next_year, Level.XI, "T"))) == 2
    assert [len(copy.modules) for copy in plan.classes if copy.level == Level.X] == [0]
    assert plan.modules == 2


def test_the_plan_counts_the_modules_and_writes_none(cast, next_year):
    subject = electro(cast)
    ix_t(cast, subject)
    before = (CurricularModule.objects.count(), AuditEvent.objects.count())
    plan = year_copy_plan(actor=cast.admin, source=cast.year, target=next_year)
    assert plan.modules == 3
    counts = {copy.name: len(copy.modules) for copy in plan.classes}
    assert counts["Clasa a X-a T"] == 3 and counts["Clasa a VI-a A"] == 0
    assert (CurricularModule.objects.count(), AuditEvent.objects.count()) == before


def test_a_module_that_fails_module_creates_checks_is_left_out_with_a_note(cast, next_year):
    subject = electro(cast)
    ix_t(cast, subject)
    # Older rows the checks refuse now: a name differing only in case, too many hours.
    CurricularModule.objects.filter(name="Circuite electrice").update(name="MĂSURĂRI ELECTRICE")
    CurricularModule.objects.filter(name="Matematică aplicată").update(total_hours=3000)
    plan = year_copy(actor=cast.director, source=cast.year, target=next_year)
    assert [m[1] for m in modules_of(new_class(next_year, Level.X, "T"))] == ["Măsurări electrice"]
    assert plan.modules == 1
    left_out = [str(note) for note in plan.notes if "nu se copiază" in str(note)]
    assert len(left_out) == 2
    assert any("MĂSURĂRI ELECTRICE" in note and "are deja un modul" in note for note in left_out)
    assert any("Matematică aplicată" in note and "între 1 și 2000" in note for note in left_out)


def test_the_copied_modules_are_in_the_copys_audit_event(cast, next_year):
    subject = electro(cast)
    ix_t(cast, subject)
    created = AuditEvent.objects.filter(action=Action.MODULE_CREATED).count()
    year_copy(actor=cast.director, source=cast.year, target=next_year)
    event = AuditEvent.objects.get(action=Action.YEAR_COPIED)
    assert event.new_values["curricular_modules"] == 3
    assert event.new_values["classes"]["Clasa a X-a T"] == "Clasa a IX-a T"
    assert AuditEvent.objects.filter(action=Action.MODULE_CREATED).count() == created  # one event for the copy
