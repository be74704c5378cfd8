"""Incremental backups: the school's copy in the backup database equals its live data
after every run, and a run copies only the rows that changed."""

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from catalog.grades.models import Grade
from ops.backups import pg
from ops.backups.full import BackupError
from ops.backups.incremental import backup_incremental_run
from ops.models import Backup

pytestmark = pytest.mark.slow


def digests(params: dict, schema: str) -> dict:
    with pg.connect(params) as conn:
        return pg.table_digests(conn, schema)


def test_the_first_run_copies_everything_and_the_copy_equals_the_live_schema(seeded_school, real_db, backup_db):
    with pg.connect(backup_db, autocommit=True) as conn:
        pg.drop_schema(conn, seeded_school.schema_name)
    live = digests(pg.live_params(), seeded_school.schema_name)

    run = backup_incremental_run(school=seeded_school)

    assert run.status == Backup.Status.DONE
    assert run.rows_copied == sum(table["rows"] for table in live.values()) > 10_000
    assert digests(backup_db, seeded_school.schema_name) == live


def test_a_run_copies_only_inserted_updated_and_deleted_rows_and_none_when_nothing_changed(
    seeded_school, real_db, backup_db
):
    backup_incremental_run(school=seeded_school)
    assert backup_incremental_run(school=seeded_school).rows_copied == 0

    with schema_context(seeded_school.schema_name):
        events_before = _count("grades_gradeevent")
        grades = list(Grade.objects.filter(value__isnull=False).order_by("id")[:6])
        for grade in grades[:3]:
            Grade.objects.filter(pk=grade.pk).update(value=10 if grade.value != 10 else 9)
        Grade.objects.filter(pk__in=[grade.pk for grade in grades[3:5]]).delete()
        template = grades[5]
        new = Grade.objects.create(
            student_id=template.student_id, school_class_id=template.school_class_id, subject_id=template.subject_id,
            teacher_id=template.teacher_id, value=7, on=template.on,
        )  # fmt: skip
        history = _count("grades_gradeevent") - events_before
    connection.set_schema_to_public()

    run = backup_incremental_run(school=seeded_school)

    assert run.tables["grades_grade"] == {"inserted": 1, "updated": 3, "deleted": 2}
    assert run.tables["grades_gradeevent"] == {"inserted": history, "updated": 0, "deleted": 0}
    assert set(run.tables) == {"grades_grade", "grades_gradeevent"}
    assert run.rows_copied == 6 + history
    live = digests(pg.live_params(), seeded_school.schema_name)
    assert digests(backup_db, seeded_school.schema_name) == live == run.digests
    # What the run replaced is kept: the five rows it updated or deleted as they were, the new row's key.
    with pg.connect(backup_db) as conn:
        kept = conn.execute(
            "SELECT key::bigint, before IS NOT NULL FROM _history.change WHERE run = %s AND tbl = 'grades_grade'",
            [run.pk],
        ).fetchall()
    replaced = {grade.pk for grade in grades[:5]}
    assert sorted(kept) == sorted([(pk, True) for pk in replaced] + [(new.pk, False)])
    assert backup_incremental_run(school=seeded_school).rows_copied == 0


def test_new_audit_events_are_appended_to_the_copy(seeded_school, real_db, backup_db):
    from audit.actions import Action
    from audit.services import audit_record

    backup_incremental_run(school=seeded_school)
    with schema_context(seeded_school.schema_name):
        for n in range(4):
            audit_record(action=Action.LOGIN, actor="tests", new={"n": n})
    connection.set_schema_to_public()
    run = backup_incremental_run(school=seeded_school)
    assert run.tables == {"audit_auditevent": {"inserted": 4}}
    assert digests(backup_db, seeded_school.schema_name) == digests(pg.live_params(), seeded_school.schema_name)


def test_a_changed_structure_rebuilds_the_copy(seeded_school, real_db, backup_db):
    backup_incremental_run(school=seeded_school)
    with pg.connect(backup_db, autocommit=True) as conn:
        conn.execute(f"ALTER TABLE {seeded_school.schema_name}.grades_grade ADD COLUMN stray integer")
    run = backup_incremental_run(school=seeded_school)
    assert (
        run.tables["grades_grade"]["inserted"]
        == digests(pg.live_params(), seeded_school.schema_name)["grades_grade"]["rows"]
    )
    assert digests(backup_db, seeded_school.schema_name) == digests(pg.live_params(), seeded_school.schema_name)


def test_an_unreachable_backup_database_fails_the_run_and_marks_it_failed(seeded_school, real_db, settings):
    settings.BACKUP_DATABASE_URL = "postgres://nobody@127.0.0.1:1/none"
    with pytest.raises(BackupError, match="failed"):
        backup_incremental_run(school=seeded_school)
    run = Backup.objects.get(school=seeded_school, kind=Backup.Kind.INCREMENTAL)
    assert run.status == Backup.Status.FAILED and run.rows_copied is None and run.error


def _count(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - a fixed name
        return cursor.fetchone()[0]
