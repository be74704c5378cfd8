"""Import figures (printed; correctness lives in tests/catalog/structure/test_imports.py).
300 students with 150 parents (pairs of siblings), all checks included: about 25 statements a row
through the per-person services (half of them their savepoints); 12.7 s measured on a busy
development machine. The bound is a regression guard, not the target."""

import time
from datetime import date, timedelta

import pytest

from catalog.structure.imports import COLUMNS, students_import
from catalog.structure.models import Student
from tests.catalog.conftest import cnp_for

pytestmark = [pytest.mark.perf, pytest.mark.slow]


def test_importing_300_students_and_their_parents(cast):
    rows = [",".join(COLUMNS)]
    for n in range(300):
        cnp = cnp_for(date(2014, 1, 1) + timedelta(days=n), n % 999 + 1)
        rows.append(f"Elevescu{n},Ion,{cnp},V A,,,Elevescu{n // 2},Maria,parinte{n // 2}@example.test")
    data = "\n".join(rows).encode()
    began = time.perf_counter()
    report = students_import(actor=cast.admin, year=cast.year, data=data)
    seconds = time.perf_counter() - began
    print(f"\nimport of 300 students and 150 parents: {seconds:.2f} s")
    assert report.ok, report.problems[:3]
    assert Student.objects.filter(user__last_name__startswith="Elevescu").count() == 300
    assert len(report.parents_created) == 150 and report.links == 300
    assert seconds < 30
