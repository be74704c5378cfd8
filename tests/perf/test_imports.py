"""Import figures (printed; correctness lives in tests/catalog/structure/test_imports.py).
300 students with 150 parents (pairs of siblings), all checks included: about 25 statements a row
through the per-person services (half of them their savepoints); 12.7 s measured on a busy
development machine. That is why the page only checks the file (every check, nothing written)
and a background job imports it: the check of a full file (2,000 rows) must stay well inside a
request. The bounds are regression guards, not targets."""

import time
from datetime import date, timedelta

import pytest

from catalog.structure.imports import COLUMNS, MAX_ROWS, students_check, students_import
from catalog.structure.models import Student
from tests.catalog.conftest import cnp_for

pytestmark = [pytest.mark.perf, pytest.mark.slow]


def students_file(count: int) -> bytes:
    rows = [",".join(COLUMNS)]
    for n in range(count):
        cnp = cnp_for(date(2010, 1, 1) + timedelta(days=n), n % 999 + 1)
        rows.append(f"Elevescu{n},Ion,{cnp},V A,,,Elevescu{n // 2},Maria,parinte{n // 2}@example.test")
    return "\n".join(rows).encode()


def test_checking_a_full_file_in_the_request(cast):
    data = students_file(MAX_ROWS)
    began = time.perf_counter()
    report = students_check(actor=cast.admin, year=cast.year, data=data)
    seconds = time.perf_counter() - began
    print(f"\ncheck of a full file ({MAX_ROWS} students, {MAX_ROWS // 2} parents), nothing written: {seconds:.2f} s")
    assert report.ok, report.problems[:3]
    assert report.rows == MAX_ROWS and report.parents_new == MAX_ROWS // 2
    assert seconds < 10


def test_importing_300_students_and_their_parents(cast):
    data = students_file(300)
    began = time.perf_counter()
    report = students_import(actor=cast.admin, year=cast.year, data=data)
    seconds = time.perf_counter() - began
    print(f"\nimport of 300 students and 150 parents: {seconds:.2f} s")
    assert report.ok, report.problems[:3]
    assert Student.objects.filter(user__last_name__startswith="Elevescu").count() == 300
    assert len(report.parents_created) == 150 and report.links == 300
    assert seconds < 30


def test_importing_a_full_file_of_history(cast, old):
    """The history of a year before 2022-23 (legacy.MAX_ROWS semester averages, one file): the
    page checks it in the request, and a background job writes it (its rows go in one bulk
    insert, with their history)."""
    from accounts.models import User
    from catalog.grades import legacy
    from catalog.grades.models import LegacyAverage
    from catalog.structure.models import Cycle, Enrolment, Subject

    subjects = [Subject.objects.create(name=f"Disciplina {n}", position=20 + n) for n in range(12)]
    count = legacy.MAX_ROWS // (2 * len(subjects))
    users = User.objects.bulk_create(User(username=f"istoric{n}", roles=["student"]) for n in range(count))
    students = Student.objects.bulk_create(
        Student(user=user, cnp=cnp_for(date(2006, 1, 1) + timedelta(days=n), n % 999 + 1), cycle=Cycle.LOWER_SECONDARY,
                register_number=10_000 + n)
        for n, user in enumerate(users)
    )  # fmt: skip
    Enrolment.objects.bulk_create(
        Enrolment(student=student, school_class=old.viii_a, starts=old.year.starts) for student in students
    )
    rows = ["cnp;disciplina;semestru;note;teza;medie"]
    rows += [
        f"{student.cnp};{subject.name};{semester};9 8 10;;"
        for student in students for subject in subjects for semester in (1, 2)
    ]  # fmt: skip
    data = "\n".join(rows).encode()
    began = time.perf_counter()
    checked = legacy.legacy_check(actor=cast.director, year=old.year, data=data)
    check_seconds = time.perf_counter() - began
    began = time.perf_counter()
    report = legacy.legacy_import(actor=cast.director, year=old.year, data=data)
    seconds = time.perf_counter() - began
    print(
        f"\nhistory of {len(rows) - 1} semester averages ({count} students): check in the request "
        f"{check_seconds:.2f} s, import in the job {seconds:.2f} s"
    )
    assert checked.ok and report.ok, report.problems[:3]
    assert LegacyAverage.objects.filter(school_class=old.viii_a).count() == len(rows) - 1
    assert check_seconds < 15 and seconds < 60
