"""Incremental backups: the school's copy in the backup database equals its live data
after every run, and a run copies only the rows that changed."""

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from catalog.grades.models import Grade
from catedra import database
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
    assert run.tables == {"audit_auditevent": {"inserted": 4, "updated": 0, "deleted": 0}}
    assert digests(backup_db, seeded_school.schema_name) == digests(pg.live_params(), seeded_school.schema_name)


def test_a_row_history_number_below_the_copys_last_is_still_copied(seeded_school, real_db, backup_db):
    """Row-history numbers are taken at insert, not at commit: a row numbered below the
    copy's last one (a transaction that committed late) is found by the comparison."""
    schema = seeded_school.schema_name
    with schema_context(schema):
        early, late = _history_number(), _history_number()
        _history_copy(number=late)
    connection.set_schema_to_public()
    backup_incremental_run(school=seeded_school)

    with schema_context(schema):
        _history_copy(number=early)  # committed after the run, numbered before its last row
    connection.set_schema_to_public()
    run = backup_incremental_run(school=seeded_school)

    assert run.tables == {"grades_gradeevent": {"inserted": 1, "updated": 0, "deleted": 0}}
    assert digests(backup_db, schema) == digests(pg.live_params(), schema) == run.digests


def test_rows_of_non_hashable_types_are_compared_by_their_text(seeded_school, real_db, backup_db):
    schema = seeded_school.schema_name
    with pg.connect(pg.owner_params(), autocommit=True) as conn:
        conn.execute(f"CREATE TABLE {schema}.ops_probe (id integer PRIMARY KEY, reading double precision, note json)")
        conn.execute(f"INSERT INTO {schema}.ops_probe VALUES (1, 0.5, '{{}}'), (2, '-0'::float8, '[]')")  # noqa: S608
        database.runtime_grants_apply(conn, schema)  # as `catedra migrate` does after making a table
    try:
        backup_incremental_run(school=seeded_school)
        with pg.connect(pg.live_params(), autocommit=True) as conn:
            conn.execute(f"UPDATE {schema}.ops_probe SET reading = 0.0 WHERE id = 2")  # noqa: S608 - -0 to 0: equal hashes
        run = backup_incremental_run(school=seeded_school)
        assert run.tables == {"ops_probe": {"inserted": 0, "updated": 1, "deleted": 0}}
        assert not run.digests["ops_probe"]["digest"].startswith(pg.HASHED)
        assert run.digests["grades_grade"]["digest"].startswith(pg.HASHED)
        assert digests(backup_db, schema) == digests(pg.live_params(), schema)
    finally:
        with pg.connect(pg.owner_params(), autocommit=True) as conn:
            conn.execute(f"DROP TABLE {schema}.ops_probe")


@pytest.mark.parametrize(
    ("types", "hashed"),
    [
        (["bigint", "character varying(20)[]", "timestamp with time zone", "numeric(4,2)", "jsonb"], True),
        (["bigint", "numeric"], False),  # 1.0 and 1.00: equal, printed differently
        (["double precision"], False),
        (["json"], False),  # no hash function
        (["point"], False),
    ],
)
def test_which_rows_are_hashed_from_their_values(types, hashed):
    assert pg.hashable(types) is hashed


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


def _history_number() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence('grades_gradeevent', 'pgh_id'))")
        return cursor.fetchone()[0]


def _history_copy(*, number: int) -> None:
    """A row-history row numbered `number` (a copy of the first), as a late transaction's
    trigger would write it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO grades_gradeevent SELECT (jsonb_populate_record(NULL::grades_gradeevent,"
            " to_jsonb(e) || jsonb_build_object('pgh_id', %s))).* FROM grades_gradeevent e ORDER BY pgh_id LIMIT 1",
            [number],
        )


def _count(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - a fixed name
        return cursor.fetchone()[0]
