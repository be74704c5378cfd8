"""A school year's structure copied into the next (empty) year: classes promoted one level,
their curriculum, optionally their teaching assignments, and their students.

How levels move on (`NEXT_LEVEL`): pregătitoare → I → … → IV → V → … → VIII and IX → … → XII.
VIII ends the gymnasium and XII the high school: those classes are not carried (their students
finished the cycle here; a high school takes its IX from admissions, created by hand). XIII
exists only for evening or part-time high school, which schools set up by hand, so it is not
carried either; nothing is promoted *into* pregătitoare, V (for a gymnasium without primary
classes) or IX other than from this school's own classes.

What a promoted class gets:
- the same letter, technological flag and homeroom teacher (unless the class moves from
  primary to gymnasium, IV → V: the învățător does not follow it, and a diriginte is chosen
  by hand; also dropped when the teacher is no longer an active teacher);
- the curriculum of its new level: the plan last year's class of that level had (same letter
  first, else the first class of that level), because the plan-cadru is per level; when last
  year had no class of that level, its own plan, to be checked by hand;
- with `assignments`, the teachers who taught it last year, for each subject of the new plan
  (teachers follow their classes), except across IV → V;
- every student still enrolled at the source year's end (an enrolment without an end),
  from the first day of the new year.

`stays_behind` is the hook for repeaters (decided by the end-of-year results): those students
stay at their level, in the new class of the same level and letter if there is one; otherwise
they are reported and not enrolled anywhere.
"""

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.roles import Role
from audit.actions import Action
from audit.services import audit_record
from catalog.structure.models import (
    CurriculumEntry,
    Enrolment,
    Level,
    SchoolClass,
    SchoolYear,
    Student,
    TeachingAssignment,
    level_cycle,
)
from catalog.structure.services import _homeroom_role_grant, require_configurer, require_open

NEXT_LEVEL = {
    Level.PREP: Level.I, Level.I: Level.II, Level.II: Level.III, Level.III: Level.IV, Level.IV: Level.V,
    Level.V: Level.VI, Level.VI: Level.VII, Level.VII: Level.VIII,
    Level.IX: Level.X, Level.X: Level.XI, Level.XI: Level.XII,
}  # fmt: skip

SAME_YEAR = _("Alegeți doi ani școlari diferiți.")
TARGET_NOT_LATER = _("Anul în care se copiază ({target}) trebuie să fie după anul copiat ({source}).")
TARGET_NOT_EMPTY = _("Anul școlar {target} are deja clase: structura se copiază doar într-un an gol.")
UNKNOWN_STUDENTS = _("Elevi necunoscuți printre cei care rămân în aceeași clasă.")
NOTE_HOMEROOM_CYCLE = _("{name}: trece în gimnaziu, alegeți dirigintele.")
NOTE_HOMEROOM_GONE = _("{name}: {teacher} nu mai este profesor activ, alegeți dirigintele.")
NOTE_OWN_PLAN = _("{name}: anul trecut nu a existat o clasă de acest nivel; verificați planul copiat de la {source}.")
NOTE_NOT_PLACED = _("{student} rămâne în {level}, dar nu există o clasă {level} {letter} în anul nou.")
NOTE_NOT_ENROLLED = _("{student} nu mai era înscris într-o clasă la sfârșitul anului {year}.")


@dataclass
class ClassCopy:
    """One class of the new year and what it takes from the old one."""

    source: SchoolClass
    level: str
    letter: str
    homeroom: User | None
    curriculum_from: SchoolClass | None
    curriculum: list[CurriculumEntry] = field(default_factory=list)
    assignments: list[TeachingAssignment] = field(default_factory=list)
    students: list[Student] = field(default_factory=list)  # moving on with the class
    held_back: list[Student] = field(default_factory=list)  # staying at this level (stays_behind)

    @property
    def name(self) -> str:
        return str(SchoolClass(level=self.level, letter=self.letter))

    @property
    def enrolled(self) -> int:
        return len(self.students) + len(self.held_back)


@dataclass
class YearCopy:
    source: SchoolYear
    target: SchoolYear
    with_assignments: bool
    classes: list[ClassCopy] = field(default_factory=list)
    finished: list[SchoolClass] = field(default_factory=list)  # their cycle ends: not carried
    not_placed: list[Student] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def students(self) -> int:
        return sum(c.enrolled for c in self.classes)

    @property
    def curriculum(self) -> int:
        return sum(len(c.curriculum) for c in self.classes)

    @property
    def assignments(self) -> int:
        return sum(len(c.assignments) for c in self.classes)


def year_copy_check(*, actor: User, source: SchoolYear, target: SchoolYear) -> None:
    """Refuse a copy that may not happen: not a configurer, a closed or non-empty target, not a later year."""
    require_configurer(actor)
    require_open(target)
    if source.pk == target.pk:
        raise ValidationError(SAME_YEAR, code="same_year")
    if target.starts <= source.starts:
        raise ValidationError(TARGET_NOT_LATER.format(target=target.name, source=source.name), code="order")
    if SchoolClass.objects.filter(year=target).exists():
        raise ValidationError(TARGET_NOT_EMPTY.format(target=target.name), code="target_not_empty")


def year_copy_plan(
    *, actor: User, source: SchoolYear, target: SchoolYear, assignments: bool = True,
    stays_behind: Collection[int] = frozenset(),
) -> YearCopy:  # fmt: skip
    """What `year_copy` would do, without doing it (the page shows it before the confirmation)."""
    year_copy_check(actor=actor, source=source, target=target)
    plan = YearCopy(source=source, target=target, with_assignments=assignments)
    classes = list(SchoolClass.objects.filter(year=source).select_related("homeroom").order_by("level", "letter"))
    plans = _curricula(source)
    taught = _assignments(source) if assignments else {}
    enrolled = _enrolled_at_end(source)
    for school_class in classes:
        level = NEXT_LEVEL.get(Level(school_class.level))
        if level is None:
            plan.finished.append(school_class)
            continue
        copy = ClassCopy(
            source=school_class, level=level, letter=school_class.letter, curriculum_from=None,
            homeroom=_homeroom(school_class, level, plan.notes),
        )  # fmt: skip
        _curriculum_choose(copy, classes, plans, plan.notes)
        subjects = {entry.subject_id for entry in copy.curriculum}
        if level_cycle(level) == level_cycle(school_class.level):
            copy.assignments = [a for a in taught.get(school_class.pk, []) if a.subject_id in subjects]
        copy.students = [s for s in enrolled.get(school_class.pk, []) if s.pk not in stays_behind]
        plan.classes.append(copy)
    _held_back_place(plan, set(stays_behind), enrolled)
    return plan


def year_copy(
    *, actor: User, source: SchoolYear, target: SchoolYear, assignments: bool = True,
    stays_behind: Collection[int] = frozenset(),
) -> YearCopy:  # fmt: skip
    """Copy `source`'s structure into the empty, open `target` in one transaction (see the module)."""
    with transaction.atomic():
        target = SchoolYear.objects.select_for_update().get(pk=target.pk)  # one copy into a year at a time
        plan = year_copy_plan(
            actor=actor, source=source, target=target, assignments=assignments, stays_behind=stays_behind
        )
        for copy in plan.classes:
            _class_write(copy, target)
        audit_record(
            action=Action.YEAR_COPIED, actor=actor, obj=target,
            new={
                "source": source.name, "target": target.name, "assignments": assignments,
                "classes": {copy.name: str(copy.source) for copy in plan.classes},
                "curriculum_entries": plan.curriculum, "teaching_assignments": plan.assignments,
                "students": plan.students, "held_back": sum(len(copy.held_back) for copy in plan.classes),
                "not_placed": [student.pk for student in plan.not_placed],
                "finished": [str(school_class) for school_class in plan.finished],
            },
        )  # fmt: skip
    return plan


def _class_write(copy: ClassCopy, target: SchoolYear) -> None:
    school_class = SchoolClass.objects.create(
        year=target, level=copy.level, letter=copy.letter, technological=copy.source.technological,
        homeroom=copy.homeroom,
    )  # fmt: skip
    _homeroom_role_grant(copy.homeroom)
    CurriculumEntry.objects.bulk_create(
        CurriculumEntry(school_class=school_class, subject_id=e.subject_id, weekly_hours=e.weekly_hours,
                        yearly_hours=e.yearly_hours)
        for e in copy.curriculum
    )  # fmt: skip
    TeachingAssignment.objects.bulk_create(
        TeachingAssignment(school_class=school_class, teacher_id=a.teacher_id, subject_id=a.subject_id)
        for a in copy.assignments
    )
    Enrolment.objects.bulk_create(
        Enrolment(student=student, school_class=school_class, starts=target.starts, entry=Enrolment.Entry.START)
        for student in [*copy.students, *copy.held_back]
    )


def _homeroom(school_class: SchoolClass, level: str, notes: list[str]) -> User | None:
    teacher = school_class.homeroom
    name = str(SchoolClass(level=level, letter=school_class.letter))
    if teacher is None:
        return None
    if level_cycle(level) != level_cycle(school_class.level):
        notes.append(NOTE_HOMEROOM_CYCLE.format(name=name))
        return None
    if not (teacher.is_active and teacher.has_role(Role.TEACHER)):
        notes.append(NOTE_HOMEROOM_GONE.format(name=name, teacher=teacher.get_full_name()))
        return None
    return teacher


def _curriculum_choose(copy: ClassCopy, classes: list[SchoolClass], plans: dict, notes: list[str]) -> None:
    """The plan of last year's class of the new level (same letter first), else the class's own."""
    same_level = [c for c in classes if c.level == copy.level and plans.get(c.pk)]
    same_level.sort(key=lambda c: c.letter != copy.letter)
    copy.curriculum_from = same_level[0] if same_level else copy.source
    copy.curriculum = plans.get(copy.curriculum_from.pk, [])
    if not same_level and copy.curriculum:
        notes.append(NOTE_OWN_PLAN.format(name=copy.name, source=copy.source))


def _held_back_place(plan: YearCopy, stays_behind: set[int], enrolled: dict[int, list[Student]]) -> None:
    if not stays_behind:
        return
    students = {s.pk: s for s in Student.objects.filter(pk__in=stays_behind).select_related("user")}
    if len(students) != len(stays_behind):
        raise ValidationError(UNKNOWN_STUDENTS, code="unknown_students")
    class_of = {s.pk: class_id for class_id, members in enrolled.items() for s in members if s.pk in stays_behind}
    sources = {c.pk: c for c in [*(copy.source for copy in plan.classes), *plan.finished]}
    new_classes = {(copy.level, copy.letter): copy for copy in plan.classes}
    for pk in sorted(stays_behind, key=lambda pk: students[pk].user.get_full_name()):
        student, source = students[pk], sources.get(class_of.get(pk))
        if source is None:
            plan.not_placed.append(student)
            plan.notes.append(NOTE_NOT_ENROLLED.format(student=student, year=plan.source.name))
        elif (copy := new_classes.get((source.level, source.letter))) is not None:
            copy.held_back.append(student)
        else:
            plan.not_placed.append(student)
            level = Level(source.level).label
            plan.notes.append(NOTE_NOT_PLACED.format(student=student, level=level, letter=source.letter))


def _curricula(year: SchoolYear) -> dict[int, list[CurriculumEntry]]:
    plans = defaultdict(list)
    entries = CurriculumEntry.objects.filter(school_class__year=year).select_related("subject")
    for entry in entries.order_by("subject__position", "subject__name"):
        plans[entry.school_class_id].append(entry)
    return plans


def _assignments(year: SchoolYear) -> dict[int, list[TeachingAssignment]]:
    taught = defaultdict(list)
    assignments = TeachingAssignment.objects.filter(
        school_class__year=year, teacher__is_active=True, teacher__roles__contains=[Role.TEACHER]
    ).select_related("teacher", "subject")
    for assignment in assignments.order_by("subject__position", "teacher__last_name"):
        taught[assignment.school_class_id].append(assignment)
    return taught


def _enrolled_at_end(year: SchoolYear) -> dict[int, list[Student]]:
    """Students still in each class at the end of `year` (they never left it), alphabetically."""
    enrolled = defaultdict(list)
    enrolments = Enrolment.objects.filter(school_class__year=year, ends__isnull=True).select_related("student__user")
    for enrolment in enrolments.order_by("student__user__last_name", "student__user__first_name"):
        enrolled[enrolment.school_class_id].append(enrolment.student)
    return enrolled
