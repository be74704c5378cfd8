"""A school year's structure copied into the next (empty) year: classes promoted one level,
their curriculum and curricular modules, optionally their teaching assignments, and their students.

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
- in a technological class, the curricular modules (DOMAIN rule 4) that go with its new plan: those
  of the class whose plan it takes (last year's X T for a new X T: the modules of level X, which
  usually differ from level IX's), else its own when that class is not technological; only for the
  subjects of the new plan. Their dates move by the difference between the two years' first days
  (whole weeks when both years start on a Monday) and are then kept inside the new year. They are a
  starting point the secretariat edits, like the plan; each goes through `module_create`'s checks,
  and one that fails them is left out with a note rather than stopping the copy;
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
    CurricularModule,
    CurriculumEntry,
    Enrolment,
    Level,
    SchoolClass,
    SchoolYear,
    Student,
    TeachingAssignment,
    level_cycle,
)
from catalog.structure.modules import (
    NAME_TAKEN,
    module_dates_check,
    module_hours_check,
    module_name_check,
    module_name_free_check,
    module_saved,
    module_subject_check,
)
from catalog.structure.services import require_configurer, require_open
from catalog.structure.services.classes import _homeroom_role_grant, require_rights_giver

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
NOTE_MODULES_DROPPED = _("{name}: modulele de {subject} nu se copiază, disciplina nu este în planul clasei.")
NOTE_MODULE_LEFT_OUT = _("{name}: modulul „{module}” ({subject}) nu se copiază: {reason}")


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
    modules: list[CurricularModule] = field(default_factory=list)  # unsaved, dates in the new year
    students: list[Student] = field(default_factory=list)  # moving on with the class
    written: SchoolClass | None = None  # the class made in the new year
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

    @property
    def modules(self) -> int:
        return sum(len(c.modules) for c in self.classes)


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
    modules = _modules(source)
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
        if school_class.technological:
            _modules_choose(copy, plan, modules)
        copy.students = [s for s in enrolled.get(school_class.pk, []) if s.pk not in stays_behind]
        plan.classes.append(copy)
    _held_back_place(plan, set(stays_behind), enrolled)
    return plan


def year_copy(
    *, actor: User, source: SchoolYear, target: SchoolYear, assignments: bool = True,
    stays_behind: Collection[int] = frozenset(), rights_apart: bool = False,
) -> YearCopy:  # fmt: skip
    """Copy `source`'s structure into the empty, open `target` in one transaction (see the module).
    `rights_apart`: the homerooms and assignments are not written (they wait for the
    management's approval: catalog.rights asks for them from the plan's `written` classes)."""
    if not rights_apart:
        require_rights_giver(actor)
    with transaction.atomic():
        target = SchoolYear.objects.select_for_update().get(pk=target.pk)  # one copy into a year at a time
        plan = year_copy_plan(
            actor=actor, source=source, target=target, assignments=assignments, stays_behind=stays_behind
        )
        for copy in plan.classes:
            _class_write(copy, target, rights=not rights_apart)
        audit_record(
            action=Action.YEAR_COPIED, actor=actor, obj=target,
            new={
                "source": source.name, "target": target.name, "assignments": assignments,
                "rights_wait_for_approval": rights_apart,
                "classes": {copy.name: str(copy.source) for copy in plan.classes},
                "curriculum_entries": plan.curriculum, "teaching_assignments": plan.assignments,
                "curricular_modules": plan.modules,
                "students": plan.students, "held_back": sum(len(copy.held_back) for copy in plan.classes),
                "not_placed": [student.pk for student in plan.not_placed],
                "finished": [str(school_class) for school_class in plan.finished],
            },
        )  # fmt: skip
    return plan


def _class_write(copy: ClassCopy, target: SchoolYear, *, rights: bool = True) -> None:
    """The class, its plan, its students and modules; its homeroom and assignments when `rights`."""
    school_class = SchoolClass.objects.create(
        year=target, level=copy.level, letter=copy.letter, technological=copy.source.technological,
        homeroom=copy.homeroom if rights else None,
    )  # fmt: skip
    copy.written = school_class
    CurriculumEntry.objects.bulk_create(
        CurriculumEntry(school_class=school_class, subject_id=e.subject_id, weekly_hours=e.weekly_hours,
                        yearly_hours=e.yearly_hours)
        for e in copy.curriculum
    )  # fmt: skip
    if rights:
        _homeroom_role_grant(copy.homeroom)
        TeachingAssignment.objects.bulk_create(
            TeachingAssignment(school_class=school_class, teacher_id=a.teacher_id, subject_id=a.subject_id)
            for a in copy.assignments
        )
    Enrolment.objects.bulk_create(
        Enrolment(student=student, school_class=school_class, starts=target.starts, entry=Enrolment.Entry.START)
        for student in [*copy.students, *copy.held_back]
    )
    for module in copy.modules:
        _module_write(module, school_class)


def _module_write(module: CurricularModule, school_class: SchoolClass) -> None:
    """`module_create`'s checks again, now against the written class and its plan, then the row."""
    module.school_class = school_class
    module_subject_check(school_class, module.subject)
    _module_check(school_class, module)
    module_name_free_check(school_class, module.subject, module.name)
    module_saved(module)


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


def _modules_choose(copy: ClassCopy, plan: YearCopy, modules: dict[int, list[CurricularModule]]) -> None:
    """The modules that go with the new plan (see the module), moved into the new year."""
    origin = copy.curriculum_from or copy.source
    origin = origin if origin.technological else copy.source
    subjects = {entry.subject_id for entry in copy.curriculum}
    new_class = SchoolClass(year=plan.target, level=copy.level, letter=copy.letter, technological=True)
    dropped: set[str] = set()
    taken: set[tuple[int, str]] = set()  # (subject, name) as `name__iexact` compares
    for module in modules.get(origin.pk, []):
        if module.subject_id not in subjects:
            dropped.add(module.subject.name)
            continue
        moved = _module_moved(module, plan.source, plan.target)
        try:
            _module_check(new_class, moved)
            if (moved.subject_id, moved.name.upper()) in taken:
                raise ValidationError(NAME_TAKEN.format(name=moved.name), code="name_taken")
        except ValidationError as error:
            reason = " ".join(error.messages)
            plan.notes.append(
                NOTE_MODULE_LEFT_OUT.format(name=copy.name, module=module.name, subject=module.subject, reason=reason)
            )
            continue
        taken.add((moved.subject_id, moved.name.upper()))
        copy.modules.append(moved)
    plan.notes.extend(NOTE_MODULES_DROPPED.format(name=copy.name, subject=name) for name in sorted(dropped))


def _module_moved(module: CurricularModule, source: SchoolYear, target: SchoolYear) -> CurricularModule:
    """An unsaved copy of `module`, its dates moved by the years' first days and kept inside `target`
    (clamping both ends keeps the start before the end)."""
    shift = target.starts - source.starts
    starts, ends = (min(max(day + shift, target.starts), target.ends) for day in (module.starts, module.ends))
    return CurricularModule(
        subject=module.subject, name=module.name, total_hours=module.total_hours, starts=starts, ends=ends
    )


def _module_check(school_class: SchoolClass, module: CurricularModule) -> None:
    """`module_create`'s checks of the module itself; the name is kept as they clean it."""
    module.name = module_name_check(module.name)
    module_hours_check(module.total_hours)
    module_dates_check(school_class, module.starts, module.ends)


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


def _by_class(rows) -> dict[int, list]:
    """Rows (curriculum entries, assignments, modules) per class id, in the rows' order."""
    grouped = defaultdict(list)
    for row in rows:
        grouped[row.school_class_id].append(row)
    return grouped


def _curricula(year: SchoolYear) -> dict[int, list[CurriculumEntry]]:
    entries = CurriculumEntry.objects.filter(school_class__year=year).select_related("subject")
    return _by_class(entries.order_by("subject__position", "subject__name"))


def _assignments(year: SchoolYear) -> dict[int, list[TeachingAssignment]]:
    assignments = TeachingAssignment.objects.filter(
        school_class__year=year, teacher__is_active=True, teacher__roles__contains=[Role.TEACHER]
    ).select_related("teacher", "subject")
    return _by_class(assignments.order_by("subject__position", "teacher__last_name"))


def _modules(year: SchoolYear) -> dict[int, list[CurricularModule]]:
    modules = CurricularModule.objects.filter(school_class__year=year).select_related("subject")
    return _by_class(modules.order_by("starts", "name"))


def _enrolled_at_end(year: SchoolYear) -> dict[int, list[Student]]:
    """Students still in each class at the end of `year` (they never left it), alphabetically."""
    enrolled = defaultdict(list)
    enrolments = Enrolment.objects.filter(school_class__year=year, ends__isnull=True).select_related("student__user")
    for enrolment in enrolments.order_by("student__user__last_name", "student__user__first_name"):
        enrolled[enrolment.school_class_id].append(enrolment.student)
    return enrolled
