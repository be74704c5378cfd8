"""Backup figures (printed; pass/fail lives in tests/ops/backups), on a school of about
1,000 students (the demo's catalog with five or six classes per level) with a whole year
of grades and absences, their audit events and row history.
Targets: incremental with 1% changes < 2 s, full < 15 s, restore < 30 s."""

import time

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from catalog.attendance.models import Absence
from catalog.grades.models import Grade
from catalog.structure.models import Student
from ops.backups.full import backup_full_run, backup_verify
from ops.backups.incremental import backup_incremental_run
from provisioning.restore import school_restore_from_backup
from tests.backup_fixtures import school_remove
from tests.perf.budget import within
from tests.perf.schools import LARGE, demo_school

pytestmark = [pytest.mark.perf, pytest.mark.slow]


def timed(work):
    started = time.perf_counter()
    result = work()
    return result, time.perf_counter() - started


@pytest.fixture(scope="module")
def large_school(django_db_setup, django_db_blocker):
    """The school, committed, with a whole year of grades and absences."""
    with (
        django_db_blocker.unblock(),
        demo_school(
            slug="scoala-mare",
            name="Școala Gimnazială „Cea Mare”",
            siiir_code="1661100012",
            classes=LARGE,
            people="mare",
        ) as school,
    ):
        yield school


def test_full_incremental_and_restore_times_and_sizes(large_school, real_db, local_storage, backup_db, capsys):
    seeded_school = large_school
    with schema_context(seeded_school.schema_name):
        students, grades, absences = Student.objects.count(), Grade.objects.count(), Absence.objects.count()
    connection.set_schema_to_public()
    full, full_s = timed(lambda: backup_full_run(school=seeded_school))
    first, first_s = timed(lambda: backup_incremental_run(school=seeded_school))
    none, none_s = timed(lambda: backup_incremental_run(school=seeded_school))
    with schema_context(seeded_school.schema_name):
        changed = list(Grade.objects.filter(value__isnull=False, value__lt=10).values_list("pk", flat=True))
        changed = changed[: max(1, grades // 100)]
        Grade.objects.filter(pk__in=changed).update(value=10)
    connection.set_schema_to_public()
    one_percent, one_percent_s = timed(lambda: backup_incremental_run(school=seeded_school))
    report, verify_s = timed(lambda: backup_verify(backup=full))
    (restored, _report), restore_s = timed(
        lambda: school_restore_from_backup(backup=full, slug="scoala-bench-restaurata", actor="bench")
    )
    school_remove(restored)
    rows = sum(table["rows"] for table in full.tables.values())
    with capsys.disabled():
        print(
            f"\nbackups, {students} students, {grades} grades, {absences} absences (a whole year), "
            f"{rows} rows in {len(full.tables)} tables:"
            f"\n  full backup      {full_s:6.2f} s  {full.size / 1e6:6.2f} MB encrypted (target < 15 s)"
            f"\n  incremental #1   {first_s:6.2f} s  {first.rows_copied} rows copied (everything)"
            f"\n  incremental, no changes {none_s:6.2f} s  {none.rows_copied} rows"
            f"\n  incremental, 1% of grades changed ({len(changed)}) {one_percent_s:6.2f} s"
            f"  {one_percent.rows_copied} rows copied (target < 2 s)"
            f"\n  verify (trial restore + compare) {verify_s:6.2f} s"
            f"\n  restore into a new school {restore_s:6.2f} s (target < 30 s)"
        )
    assert report.matches and none.rows_copied == 0 and one_percent.rows_copied >= len(changed)
    slow = [f"{what} {seconds:.2f} s (target < {target} s)" for what, seconds, target in (
        ("full backup", full_s, 15), ("incremental with 1% changed", one_percent_s, 2), ("restore", restore_s, 30),
    ) if not within(seconds, target)]  # fmt: skip
    assert not slow, slow
