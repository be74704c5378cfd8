"""The demo school's catalog: a realistic gimnaziu with primary classes (about 300 students),
its teachers, curriculum and assignments, and the current school year's grades and
absences up to today, so that `make run` shows a living school.

Runs inside the demo school's schema (the caller enters it). Deterministic: the same
names, grades and absences on every machine. The structure goes through the services
(audited one by one); the year's grades and absences are loaded as an import (bulk, with
one audit event per class and subject; row history records every row).
"""

import random
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import ParentLink, User
from accounts.roles import Role
from audit.actions import Action
from audit.services import audit_context, audit_record
from catalog.attendance.models import Absence
from catalog.grades.models import Grade
from catalog.structure import services as structure
from catalog.structure.cnp import cnp_check_digit
from catalog.structure.models import Enrolment, Level, SchoolClass, SchoolYear, Student, Subject, level_cycle

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


@dataclass(frozen=True)
class DemoPeople:
    admin: User
    teacher: User  # profesor.demo: mathematics in the secondary classes
    homeroom: User  # diriginte.demo: homeroom of V A, Romanian in the secondary classes
    student: User  # elev.demo, in V A
    parent: User  # parinte.demo, elev.demo's parent


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
        year = _year(people.admin, today)
        subjects = {
            name: structure.subject_create(actor=people.admin, name=name, kind=kind, position=position)
            for name, kind, position, _hours in SUBJECTS
        }
        teachers = _teachers(people, subjects)
        made = _classes(people, year, subjects, teachers, classes)
        _students(people, year, made, rng)
        _grades_and_absences(year, made, today, rng)
    return True


def _year(admin: User, today: date) -> SchoolYear:
    first = today.year if today.month >= 9 else today.year - 1
    modules = [
        (date(first, 9, 8), date(first, 10, 23)), (date(first, 11, 2), date(first, 12, 18)),
        (date(first + 1, 1, 8), date(first + 1, 2, 12)), (date(first + 1, 2, 22), date(first + 1, 4, 2)),
        (date(first + 1, 4, 13), date(first + 1, 6, 18)),
    ]  # fmt: skip
    return structure.year_create(
        actor=admin, name=f"{first}-{first + 1}", starts=date(first, 9, 1), ends=date(first + 1, 8, 31),
        structure=SchoolYear.Structure.MODULES, periods=[structure.PeriodSpec(s, e) for s, e in modules],
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


def _classes(people, year, subjects, teachers, names: list[tuple[str, str]]) -> list[SchoolClass]:
    rng = random.Random(11)  # noqa: S311 - demo data
    classes = []
    for level, letter in names:
        primary = level in PRIMARY
        homeroom = people.homeroom if (level, letter) == DEMO_CLASS else _staff(rng)
        school_class = structure.class_create(actor=people.admin, year=year, level=level, letter=letter)
        structure.homeroom_set(actor=people.admin, school_class=school_class, homeroom=homeroom)
        for name, _kind, _position, hours in SUBJECTS:
            if level not in hours:
                continue
            subject = subjects[name]
            structure.curriculum_set(
                actor=people.admin, school_class=school_class, subject=subject, weekly_hours=hours[level]
            )
            teaches = homeroom if primary and name not in ("Limba engleză", "Religie") else teachers[name][0]
            structure.assignment_create(actor=people.admin, teacher=teaches, school_class=school_class, subject=subject)
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


def _school_days(year: SchoolYear, today: date) -> list[date]:
    days = []
    for period in year.periods.all():
        day = period.starts
        while day <= min(period.ends, today - timedelta(days=1)):
            if day.weekday() < 5:
                days.append(day)
            day += timedelta(days=1)
    return days


def _grades_and_absences(year: SchoolYear, classes: list[SchoolClass], today: date, rng: random.Random) -> None:
    """About one grade per weekly hour per month, and a few absences, up to yesterday."""
    days = _school_days(year, today)
    if not days:
        return
    weeks = max(1, len(days) // 5)
    for school_class in classes:
        if school_class.scheme == "descriptive":
            continue
        students = [e.student for e in school_class.enrolments.select_related("student")]
        ability = {s.pk: rng.gauss(7.6, 1.3) for s in students}
        for assignment in school_class.assignments.select_related("subject", "teacher"):
            entry = school_class.curriculum.get(subject=assignment.subject)
            count = max(1, round(entry.weekly_hours * weeks / 5))
            grades, absences = [], []
            for student in students:
                for on in sorted(rng.sample(days, min(count, len(days)))):
                    grades.append(_grade(school_class, assignment, student, on, ability[student.pk], rng))
                for on in rng.sample(days, min(len(days), rng.choice([0, 0, 0, 1, 1, 2, 3]))):
                    absences.append(Absence(
                        student=student, school_class=school_class, subject=assignment.subject,
                        teacher=assignment.teacher, on=on, hour=rng.randint(1, 6),
                    ))  # fmt: skip
            Grade.objects.bulk_create(grades)
            Absence.objects.bulk_create(absences, ignore_conflicts=True)
            audit_record(
                action=Action.GRADE_ADDED, actor="job:demo", obj=school_class, reason="Date demonstrative (import)",
                new={"subject": assignment.subject.name, "grades": len(grades), "absences": len(absences)},
            )  # fmt: skip


def _grade(school_class, assignment, student, on, ability, rng) -> Grade:
    value = max(1, min(10, round(rng.gauss(ability, 1.2))))
    fields = {"value": value, "calificativ": ""}
    if school_class.scheme == "calificative":
        fields = {
            "value": None,
            "calificativ": "FB" if value >= 9 else "B" if value >= 7 else "S" if value >= 5 else "I",
        }
    return Grade(
        student=student, school_class=school_class, subject=assignment.subject, teacher=assignment.teacher, on=on,
        kind=rng.choice(["oral", "written", ""]), **fields,
    )  # fmt: skip
