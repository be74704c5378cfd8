"""The demo school's catalog: a realistic gimnaziu with primary classes (about 300 students),
its teachers, curriculum and assignments, and the current school year's grades and
absences up to today, so that `make run` shows a living school. With a director, also
the previous school year, closed: the same students a level lower, with a whole year of
grades, absences, conduct and closed averages, the results closed by the homeroom
teachers, the resits passed and the year closed by the director.

Runs inside the demo school's schema (the caller enters it). Deterministic: the same
names, grades and absences on every machine. The structure goes through the services
(audited one by one); the years' grades and absences, and last year's conduct grades and
averages, are loaded as an import (bulk, with one audit event per class and subject; row
history records every row). Last year's results, resits and closing go through the
end-of-year services, so the rules decide every status.
"""

import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

import pgtrigger
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import ParentLink, User
from accounts.roles import Role
from audit.actions import Action
from audit.services import audit_context, audit_record
from catalog.attendance.models import Absence
from catalog.grades import averages
from catalog.grades.closing import class_results_close, exam_record, year_close
from catalog.grades.models import Average, ConductGrade, Exam, Grade, YearResult
from catalog.grades.services import grade_add
from catalog.grades.transcriptions import (
    TranscribedAbsence,
    TranscribedConduct,
    TranscribedGrade,
    transcription_record,
)
from catalog.rights import services as rights
from catalog.rights.models import RightsChange
from catalog.structure import services as structure
from catalog.structure.cnp import cnp_check_digit
from catalog.structure.models import (
    Enrolment,
    LearningPeriod,
    Level,
    Scheme,
    SchoolClass,
    SchoolYear,
    Student,
    Subject,
    level_cycle,
)
from catalog.structure.selectors import enrolments_active

FIRST_NAMES = [
    "Andrei", "Ana", "Maria", "Ioana", "Alexandru", "Elena", "Mihai", "David", "Sofia", "Ștefan", "Daria",
    "Matei", "Ilinca", "Luca", "Bianca", "Gabriel", "Alexia", "Tudor", "Irina", "Rareș", "Anastasia",
    "Vlad", "Antonia", "Radu", "Teodora", "Cristian", "Denisa", "Bogdan", "Larisa", "Eduard",
]  # fmt: skip
LAST_NAMES = [
    "Popescu", "Ionescu", "Popa", "Pop", "Radu", "Dumitru", "Stan", "Stoica", "Gheorghe", "Matei", "Ciobanu",
    "Ilie", "Rusu", "Mihai", "Munteanu", "Constantin", "Toma", "Dinu", "Lungu", "Moldovan", "Marin", "Tudor",
    "Barbu", "Neagu", "Florea", "Cristea", "Zamfir", "Avram", "Enache", "Sârbu",
]  # fmt: skip
# (name, kind, position, {level: weekly hours}) — a simplified plan-cadru.
PRIMARY = (Level.PREP, Level.I, Level.II, Level.III, Level.IV)
SECONDARY = (Level.V, Level.VI, Level.VII, Level.VIII)
EVERY_SECONDARY_4 = dict.fromkeys(SECONDARY, 4)
SUBJECTS = [
    ("Limba și literatura română", Subject.Kind.REGULAR, 1, {**dict.fromkeys(PRIMARY, 5), **EVERY_SECONDARY_4}),
    ("Matematică", Subject.Kind.REGULAR, 2, {**dict.fromkeys(PRIMARY, 4), **EVERY_SECONDARY_4}),
    ("Limba engleză", Subject.Kind.REGULAR, 3, dict.fromkeys((Level.III, Level.IV, *SECONDARY), 2)),
    ("Limba franceză", Subject.Kind.REGULAR, 4, dict.fromkeys(SECONDARY, 2)),
    ("Științe ale naturii", Subject.Kind.REGULAR, 5, dict.fromkeys((Level.III, Level.IV), 1)),
    ("Istorie", Subject.Kind.REGULAR, 6, dict.fromkeys(SECONDARY, 1)),
    ("Geografie", Subject.Kind.REGULAR, 7, dict.fromkeys(SECONDARY, 1)),
    ("Biologie", Subject.Kind.REGULAR, 8, dict.fromkeys(SECONDARY, 1)),
    ("Fizică", Subject.Kind.REGULAR, 9, dict.fromkeys((Level.VI, Level.VII, Level.VIII), 2)),
    ("Chimie", Subject.Kind.REGULAR, 10, dict.fromkeys((Level.VII, Level.VIII), 2)),
    ("Informatică și TIC", Subject.Kind.REGULAR, 11, dict.fromkeys(SECONDARY, 1)),
    ("Educație fizică", Subject.Kind.PHYSICAL_EDUCATION, 12, dict.fromkeys((*PRIMARY, *SECONDARY), 2)),
    ("Religie", Subject.Kind.RELIGION, 13, dict.fromkeys((*PRIMARY, *SECONDARY), 1)),
]  # fmt: skip
CLASSES = [
    (Level.PREP, "A"), (Level.I, "A"), (Level.II, "A"), (Level.III, "A"), (Level.IV, "A"),
    (Level.V, "A"), (Level.V, "B"), (Level.VI, "A"), (Level.VI, "B"), (Level.VII, "A"), (Level.VII, "B"),
    (Level.VIII, "A"), (Level.VIII, "B"),
]  # fmt: skip
CLASS_SIZE = {**dict.fromkeys(PRIMARY, 20), **dict.fromkeys(SECONDARY, 24)}
DEMO_CLASS = (Level.V, "A")  # the demo teacher, homeroom teacher and student are here
IMPORTED = "Date demonstrative (import)"
# Two students came to V A from another school (see `transfer_day`): the first one's record
# is transcribed (its grades marked T), the second one's waits for the homeroom teacher.
TRANSFERRED = [("Ene", "Mara"), ("Dobre", "Sergiu")]
TRANSFER_ORIGIN = "Școala Gimnazială nr. 3 Pașcani"


@dataclass(frozen=True)
class DemoPeople:
    admin: User
    teacher: User  # profesor.demo: mathematics in the secondary classes
    homeroom: User  # diriginte.demo: homeroom of V A, Romanian in the secondary classes
    student: User  # elev.demo, in V A
    parent: User  # parinte.demo, elev.demo's parent
    director: User | None = None  # director.demo closes last year; without one there is no last year


def catalog_demo_ensure(
    people: DemoPeople, *, today: date | None = None, classes: list[tuple[str, str]] = CLASSES
) -> bool:
    """The demo catalog, unless the school already has a school year; True when made now.
    `today` picks the school year and how much of it has grades; `classes` (level, letter)
    makes a bigger school for the benchmarks."""
    if SchoolYear.objects.exists():
        return False
    today = today or timezone.localdate()
    rng = random.Random(2026)  # noqa: S311 - demo data, not security
    with transaction.atomic(), audit_context(actor_kind="job", actor_label="job:demo"):
        year = _year(people.admin, year_first(today))
        subjects = {
            name: structure.subject_create(actor=people.admin, name=name, kind=kind, position=position)
            for name, kind, position, _hours in SUBJECTS
        }
        teachers = _teachers(people, subjects)
        made = _classes(people, year, subjects, teachers, _homerooms(people, classes))
        _students(people, year, made, rng)
        _grades_and_absences(year, made, today, rng)
        if people.director is not None:
            _last_year(people, year, subjects, teachers, made)
        demo_class = next((c for c in made if (c.level, c.letter) == DEMO_CLASS), None)
        _transfers(people, year, demo_class, today, rng)
        if people.director is not None and demo_class is not None:
            _rights_waiting(people, demo_class, today)
    return True


def _rights_waiting(people: DemoPeople, demo_class: SchoolClass, today: date) -> None:
    """One request in the director's queue: the secretariat asks for a substitute's grant (the
    mathematics teacher covers Romanian in V A for two weeks), which waits for approval."""
    romanian = demo_class.curriculum.select_related("subject").get(subject__name="Limba și literatura română").subject
    starts = max(today, timezone.localdate())  # a demo made for a past day still asks from today on
    ends = min(starts + timedelta(days=14), demo_class.year.ends)
    if starts > ends:
        return
    change = RightsChange(kind=RightsChange.Kind.GRANT, person=people.teacher, school_class=demo_class,
                          subject=romanian, starts=starts, ends=ends)  # fmt: skip
    rights.rights_ask(actor=people.admin, changes=[change], why="Suplinire pe durata concediului medical al dirigintei")


def year_first(today: date) -> int:
    """The calendar year in which the demo's current school year started."""
    return today.year if today.month >= 9 else today.year - 1


def modules(first: int) -> list[structure.PeriodSpec]:
    """The five modules of the school year that starts in September of `first`."""
    return [
        structure.PeriodSpec(date(first, 9, 8), date(first, 10, 23)),
        structure.PeriodSpec(date(first, 11, 2), date(first, 12, 18)),
        structure.PeriodSpec(date(first + 1, 1, 8), date(first + 1, 2, 12)),
        structure.PeriodSpec(date(first + 1, 2, 22), date(first + 1, 4, 2)),
        structure.PeriodSpec(date(first + 1, 4, 13), date(first + 1, 6, 18)),
    ]


def _year(admin: User, first: int) -> SchoolYear:
    """The school year that starts in September of `first`, in five modules."""
    return structure.year_create(
        actor=admin, name=f"{first}-{first + 1}", starts=date(first, 9, 1), ends=date(first + 1, 8, 31),
        structure=SchoolYear.Structure.MODULES, periods=modules(first),
    )  # fmt: skip


def _teachers(people: DemoPeople, subjects: dict[str, Subject]) -> dict[str, list[User]]:
    """Teachers per subject (secondary); primary classes have their învățătoare."""
    teachers = {"Matematică": [people.teacher], "Limba și literatura română": [people.homeroom]}
    rng = random.Random(7)  # noqa: S311 - demo data
    for name in subjects:
        if name not in teachers:
            teachers[name] = [_staff(rng)]
    return teachers


def _staff(rng: random.Random) -> User:
    """A teacher of the demo school (no password: nobody signs in as them)."""
    user = User(
        username=f"prof.{rng.randrange(10**6):06d}", first_name=rng.choice(FIRST_NAMES),
        last_name=rng.choice(LAST_NAMES), roles=[Role.TEACHER],
    )  # fmt: skip
    user.set_unusable_password()
    user.save()
    return user


def _homerooms(people: DemoPeople, names: list[tuple[str, str]]) -> dict[tuple[str, str], User]:
    """This year's homeroom teacher of each class (level, letter)."""
    rng = random.Random(11)  # noqa: S311 - demo data
    return {name: people.homeroom if name == DEMO_CLASS else _staff(rng) for name in names}


def _classes(people, year, subjects, teachers, homerooms: dict[tuple[str, str], User]) -> list[SchoolClass]:
    """The classes (level, letter) of `homerooms`, in its order, with their plan and teachers."""
    classes = []
    for (level, letter), homeroom in homerooms.items():
        primary = level in PRIMARY
        school_class = structure.class_create(actor=people.admin, year=year, level=level, letter=letter)
        # Rights to write are the director's to give (art. 15); a school without one is being set up.
        structure.homeroom_set(actor=people.director or people.admin, school_class=school_class, homeroom=homeroom)
        for name, _kind, _position, hours in SUBJECTS:
            if level not in hours:
                continue
            subject = subjects[name]
            structure.curriculum_set(
                actor=people.admin, school_class=school_class, subject=subject, weekly_hours=hours[level]
            )
            teaches = homeroom if primary and name not in ("Limba engleză", "Religie") else teachers[name][0]
            structure.assignment_create(actor=people.director or people.admin, teacher=teaches,
                                        school_class=school_class, subject=subject)  # fmt: skip
        classes.append(school_class)
    return classes


def _cnp(rng: random.Random, birth: date, serial: int) -> str:
    first12 = f"{rng.choice('56')}{birth:%y%m%d}{rng.choice(['22', '40', '12', '32'])}{(serial - 1) % 999 + 1:03d}"
    return f"{first12}{cnp_check_digit(first12)}"


def _students(people: DemoPeople, year: SchoolYear, classes: list[SchoolClass], rng: random.Random) -> None:
    serial = 0
    for school_class in classes:
        born = year.starts.year - 6 - int(school_class.level)
        for _n in range(CLASS_SIZE[school_class.level]):
            serial += 1
            structure.student_create(
                actor=people.admin, first_name=rng.choice(FIRST_NAMES), last_name=rng.choice(LAST_NAMES),
                cnp=_cnp(rng, date(born, 1, 1) + timedelta(days=rng.randrange(365)), serial),
                school_class=school_class, starts=year.starts,
            )  # fmt: skip
        if (school_class.level, school_class.letter) == DEMO_CLASS:
            _demo_student(people, year, school_class, rng, serial + 1)


def _demo_student(people: DemoPeople, year: SchoolYear, school_class: SchoolClass, rng, serial: int) -> None:
    """elev.demo gets a register record in V A; parinte.demo is their parent."""
    cycle = level_cycle(school_class.level)
    student = Student.objects.create(
        user=people.student,
        cnp=_cnp(rng, date(year.starts.year - 11, 4, 12), serial),
        cycle=cycle,
        register_number=structure.register_number_next(cycle),
    )
    Enrolment.objects.create(student=student, school_class=school_class, starts=year.starts)
    ParentLink.objects.get_or_create(parent=people.parent, student=people.student)


def transfer_day(periods: list[LearningPeriod], today: date) -> date | None:
    """The day the demo's transferred students came: the second module's first day, or three
    days ago if that is earlier; None in the school year's first days (nothing to transcribe)."""
    first, second = periods[:2]
    day = min(second.starts, today - timedelta(days=3))
    return day if day >= first.starts + timedelta(days=10) else None


def _transfers(people: DemoPeople, year: SchoolYear, school_class: SchoolClass | None, today: date, rng) -> None:
    """TRANSFERRED into the demo class on `transfer_day`, with a grade or two at every subject
    since; the first one's record from the other school (grades, conduct, a few absences)
    transcribed by the homeroom teacher."""
    periods = list(year.periods.order_by("number"))
    day = transfer_day(periods, today)
    if day is None or school_class is None:
        return
    subjects = [
        entry.subject
        for entry in school_class.curriculum.select_related("subject").order_by("subject__position", "subject__name")
    ]
    before = _school_days(year, day)
    since = [d for d in _school_days(year, today) if d >= day]
    for n, (last_name, first_name) in enumerate(TRANSFERRED):
        student = structure.student_create(
            actor=people.admin, first_name=first_name, last_name=last_name,
            cnp=_cnp(rng, date(year.starts.year - 11, 2 + n, 10 + n), 900 + n), school_class=school_class,
            starts=day, entry=Enrolment.Entry.TRANSFER_IN,
        )  # fmt: skip
        for assignment in school_class.assignments.select_related("subject", "teacher").order_by("subject__position"):
            for on in sorted(rng.sample(since, min(len(since), rng.choice([1, 2])))):
                grade_add(
                    teacher=assignment.teacher, student=student, school_class=school_class,
                    subject=assignment.subject, on=on, value=rng.choice([7, 8, 9, 10]),
                )  # fmt: skip
        if n == 0:
            transcription_record(
                homeroom=school_class.homeroom, enrolment=student.enrolments.get(school_class=school_class),
                origin=TRANSFER_ORIGIN, document="1843", document_date=day - timedelta(days=1),
                grades=[
                    TranscribedGrade(subject=subject, on=on, value=rng.choice([6, 7, 8, 9, 10]))
                    for subject in subjects for on in sorted(rng.sample(before, min(len(before), 2)))
                ],
                conduct=[
                    TranscribedConduct(period=period, value=10)
                    for period in periods if period.ends < day
                ],
                absences=[
                    TranscribedAbsence(subject=subjects[0], excused=2, unexcused=1),
                    TranscribedAbsence(subject=subjects[1], unexcused=2),
                ],
            )  # fmt: skip


def _school_days(year: SchoolYear, today: date) -> list[date]:
    days = []
    for period in year.periods.order_by("number"):
        day = period.starts
        while day <= min(period.ends, today - timedelta(days=1)):
            if day.weekday() < 5:
                days.append(day)
            day += timedelta(days=1)
    return days


def _grades_and_absences(
    year: SchoolYear, classes: list[SchoolClass], today: date, rng: random.Random, *, closed: bool = False
) -> None:
    """About one grade per weekly hour per month, and a few absences, up to yesterday. A
    `closed` year has the minimum number of grades plus one at every subject (DOMAIN rule 5)
    and no student weak enough to fail it (they all moved up)."""
    days = _school_days(year, today)
    if not days:
        return
    weeks = max(1, len(days) // 5)
    for school_class in classes:
        if school_class.scheme == Scheme.DESCRIPTIVE:
            continue
        # Every query that feeds the random choices is ordered: the same demo on every machine.
        students = [e.student for e in school_class.enrolments.select_related("student").order_by("pk")]
        ability = {s.pk: max(rng.gauss(7.6, 1.3), 5.5 if closed else 0) for s in students}
        taken = set()
        for assignment in school_class.assignments.select_related("subject", "teacher").order_by("subject__position"):
            entry = school_class.curriculum.get(subject=assignment.subject)
            count = max(1, round(entry.weekly_hours * weeks / 5))
            if closed:
                count = averages.minimum_grades(weekly_hours=entry.weekly_hours) + 1
            grades, absences = [], []
            for student in students:
                for on in sorted(rng.sample(days, min(count, len(days)))):
                    grades.append(_grade(school_class, assignment, student, on, ability[student.pk], rng))
                for on in rng.sample(days, min(len(days), rng.choice([0, 0, 0, 1, 1, 2, 3]))):
                    hour = rng.randint(1, 6)
                    if (student.pk, on, hour) not in taken:  # one absence per student and hour
                        taken.add((student.pk, on, hour))
                        absences.append(Absence(
                            student=student, school_class=school_class, subject=assignment.subject,
                            teacher=assignment.teacher, on=on, hour=hour,
                        ))  # fmt: skip
            _imported(Grade, grades)
            _imported(Absence, absences)
            audit_record(
                action=Action.GRADE_ADDED, actor="job:demo", obj=school_class, reason=IMPORTED,
                new={"subject": assignment.subject.name, "grades": len(grades), "absences": len(absences)},
            )  # fmt: skip


def _imported(model, rows: list) -> None:
    """Insert `rows` of a model with row history, and their history in one statement: the rows
    its per-row insert trigger would write (same columns, context and label), about ten times
    faster on a year's grades."""
    with pgtrigger.ignore(f"{model._meta.label}:insert_insert"):
        made = model.objects.bulk_create(rows)
    event = model._meta.get_field("history").related_model
    columns = ", ".join(
        connection.ops.quote_name(field.column)
        for field in event._meta.concrete_fields
        if not field.name.startswith("pgh_")
    )
    context = "NULLIF(CURRENT_SETTING('pghistory.context_{}', TRUE), '')"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {event._meta.db_table} ({columns}, pgh_obj_id, pgh_label, pgh_created_at, pgh_context, "  # noqa: S608 - names from the models
            f"pgh_context_id) SELECT {columns}, id, 'insert', NOW(), {context.format('metadata')}::JSONB, "
            f"{context.format('id')}::UUID FROM {model._meta.db_table} WHERE id = ANY(%s)",
            [[row.pk for row in made]],
        )


def _grade(school_class, assignment, student, on, ability, rng) -> Grade:
    value = max(1, min(10, round(rng.gauss(ability, 1.2))))
    return Grade(
        student=student, school_class=school_class, subject=assignment.subject, teacher=assignment.teacher, on=on,
        kind=rng.choice(["oral", "written", ""]), **_marked(school_class, value),
    )  # fmt: skip


def _marked(school_class: SchoolClass, value: int) -> dict:
    """A grade's fields in the class's scheme: the grade, or the calificativ it stands for (I–IV)."""
    if school_class.scheme == Scheme.CALIFICATIVE:
        return {"value": None, "calificativ": "FB" if value >= 9 else "B" if value >= 7 else "S" if value >= 5 else "I"}
    return {"value": value, "calificativ": ""}


def _last_year(people: DemoPeople, current: SchoolYear, subjects, teachers, classes: list[SchoolClass]) -> SchoolYear:
    """Last school year, closed. Today's classes were a level lower (today's pregătitoare is
    new; last year's VIII classes have left the school), with the same students."""
    rng = random.Random(2025)  # noqa: S311 - demo data
    year = _year(people.admin, current.starts.year - 1)
    moved_up = [school_class for school_class in classes if school_class.level != Level.PREP]
    made = _classes(people, year, subjects, teachers, _last_homerooms(classes))
    for last, now in zip(made, moved_up, strict=True):
        for enrolment in sorted(enrolments_active(now), key=lambda e: e.pk):
            structure.enrolment_add(
                actor=people.admin, student=enrolment.student, school_class=last, starts=year.starts
            )
    _grades_and_absences(year, made, year.ends + timedelta(days=1), rng, closed=True)
    for school_class in made:
        _conduct_import(school_class, rng)
        _averages_import(school_class)
        class_results_close(actor=school_class.homeroom, school_class=school_class)
    _resits(people.director, year, made, subjects, rng)
    year_close(actor=people.director, year=year)
    return year


def _last_homerooms(classes: list[SchoolClass]) -> dict[tuple[str, str], User]:
    """Last year's homeroom teacher of each class a level lower than today's: the teacher
    follows the class, except that a IV class's învățătoare took today's pregătitoare."""
    now = {(school_class.level, school_class.letter): school_class.homeroom for school_class in classes}
    rng = random.Random(13)  # noqa: S311 - demo data
    homerooms = {}
    for level, letter in now:
        if level == Level.PREP:
            continue
        below = Level(f"{int(level) - 1:02d}")
        follows = now.get((Level.PREP, letter)) if below == Level.IV else now[level, letter]
        homerooms[below, letter] = follows or _staff(rng)
    return homerooms


def _conduct_import(school_class: SchoolClass, rng: random.Random) -> None:
    """Every period's conduct grade (mostly 10), set by the homeroom teacher, as an import."""
    if school_class.scheme == Scheme.DESCRIPTIVE:
        return
    periods = list(school_class.year.periods.order_by("number"))
    grades = [
        ConductGrade(
            student_id=student_id, school_class=school_class, period=period, set_by=school_class.homeroom,
            **_marked(school_class, rng.choice([10, 10, 10, 10, 10, 10, 10, 9, 9, 8])),
        )
        for student_id in school_class.enrolments.order_by("pk").values_list("student_id", flat=True)
        for period in periods
    ]  # fmt: skip
    _imported(ConductGrade, grades)
    audit_record(
        action=Action.CONDUCT_SET, actor="job:demo", obj=school_class, reason=IMPORTED,
        new={"class": str(school_class), "conduct_grades": len(grades)},
    )  # fmt: skip


def _averages_import(school_class: SchoolClass) -> None:
    """Every annual average closed by the subject's teacher as the rules compute it (DOMAIN
    rules 3 and 9; in a tie of calificative the teacher takes the first one given), as an import."""
    if school_class.scheme == Scheme.DESCRIPTIVE:
        return
    marks = defaultdict(list)
    grades = Grade.objects.filter(school_class=school_class).order_by("on", "id")
    for student_id, subject_id, value, calificativ in grades.values_list(
        "student_id", "subject_id", "value", "calificativ"
    ):
        marks[subject_id, student_id].append(value if value is not None else calificativ)
    for assignment in school_class.assignments.select_related("subject", "teacher").order_by("subject__position"):
        closed = [
            Average(
                student_id=student_id, school_class=school_class, subject=assignment.subject,
                closed_by=assignment.teacher, **_average_of(values),
            )
            for (subject_id, student_id), values in marks.items() if subject_id == assignment.subject_id
        ]  # fmt: skip
        _imported(Average, closed)
        audit_record(
            action=Action.AVERAGE_CLOSED, actor="job:demo", obj=school_class, reason=IMPORTED,
            new={"subject": assignment.subject.name, "averages": len(closed)},
        )  # fmt: skip


def _average_of(values: list[int | str]) -> dict:
    if isinstance(values[0], int):
        return {"value": averages.annual_average(values), "calificativ": ""}
    return {"value": None, "calificativ": averages.suggest_calificativ(values) or Counter(values).most_common(1)[0][0]}


def _resits(director: User, year: SchoolYear, classes: list[SchoolClass], subjects, rng: random.Random) -> None:
    """The corigenți pass their resits at the end of August (DOMAIN rule 11)."""
    on = year.ends - timedelta(days=6)
    for school_class in classes:
        corigenti = YearResult.objects.filter(school_class=school_class, status=YearResult.Status.CORIGENT)
        for result in corigenti.select_related("student").order_by("pk"):
            for name in result.failed:
                grade = "S" if school_class.scheme == Scheme.CALIFICATIVE else str(rng.choice([5, 6, 7]))
                exam_record(
                    actor=director, student=result.student, school_class=school_class, subject=subjects[name],
                    kind=Exam.Kind.RESIT, on=on, grade=grade,
                )  # fmt: skip
