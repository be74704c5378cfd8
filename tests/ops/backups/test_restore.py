"""Restore from the full backup plus the incremental runs after it, as of a chosen time:
into a new school, in place (the old schema kept), and across a migration. Every check
compares the restored tables with digests read from the live school at the time."""

import re

import pytest
from django.core.management.base import CommandError
from django.db import connection
from django_tenants.utils import schema_context

from audit.selectors import chain_report
from catalog.grades.models import Grade
from ops.backups import pg
from ops.backups.full import BackupError, backup_full_run, backup_restore_schema
from ops.backups.incremental import backup_incremental_run
from ops.models import Backup
from tenants.models import School
from tests.backup_fixtures import backup_command as backup
from tests.backup_fixtures import grades_change, live_digests, school_remove
from tests.backup_fixtures import restore_school_command as restore_school

pytestmark = pytest.mark.slow


def chain_of(schema: str):
    with schema_context(schema):
        report = chain_report()
    connection.set_schema_to_public()
    return report


def test_a_full_backup_and_an_incremental_restore_into_a_new_school_equal_to_the_source_as_of_the_run(
    seeded_school, real_db, local_storage, backup_db
):
    full = backup_full_run(school=seeded_school)
    grades_change(seeded_school, label="after the full backup")
    run = backup_incremental_run(school=seeded_school)
    source = live_digests(seeded_school.schema_name)
    assert source["grades_grade"] != full.tables["grades_grade"]
    assert source["audit_auditevent"]["rows"] == full.tables["audit_auditevent"]["rows"] + 5

    said = restore_school("--school", seeded_school.slug, "--into", "scoala-la-zi")

    restored = School.objects.get(slug="scoala-la-zi")
    try:
        assert f"full backup #{full.pk} + incremental run #{run.pk}" in said and "audit chain intact" in said
        assert live_digests(restored.schema_name) == source
        chain = chain_of(restored.schema_name)
        assert chain.intact and chain.events == source["audit_auditevent"]["rows"]
        full.refresh_from_db()
        run.refresh_from_db()
        assert full.restore_verified_at and run.restore_verified_at  # restored: no longer unverified
    finally:
        school_remove(restored)


def test_backups_recorded_with_text_digests_by_earlier_versions_still_restore_and_compare(
    seeded_school, real_db, local_storage, backup_db
):
    full = backup_full_run(school=seeded_school)
    Backup.objects.filter(pk=full.pk).update(tables=text_digests(seeded_school.schema_name))
    grades_change(seeded_school, label="after the full backup")
    run = backup_incremental_run(school=seeded_school)
    # A full backup of an earlier version under a run of this one: every table is compared
    # row by row (none is taken for unchanged), and the restore equals the run.
    try:
        assert backup_restore_schema(backup=run, schema="_tests_mixed_digests").matches
    finally:
        with pg.connect(pg.owner_params(), autocommit=True) as conn:
            pg.drop_schema(conn, "_tests_mixed_digests")
    as_of_run = text_digests(seeded_school.schema_name)
    as_of_run["grades_grade"]["digest"] = as_of_run["grades_grade"]["digest"][::-1]  # not what the run held
    Backup.objects.filter(pk=run.pk).update(digests=as_of_run)

    with pytest.raises(CommandError, match=r"grades_grade: .* their content differs"):
        restore_school("--school", seeded_school.slug, "--into", "scoala-veche")
    Backup.objects.filter(pk=run.pk).update(digests=text_digests(seeded_school.schema_name))
    said = restore_school("--school", seeded_school.slug, "--into", "scoala-veche")

    restored = School.objects.get(slug="scoala-veche")
    try:
        assert f"full backup #{full.pk} + incremental run #{run.pk}" in said
        assert live_digests(restored.schema_name) == live_digests(seeded_school.schema_name)
    finally:
        school_remove(restored)


def text_digests(schema: str) -> dict:
    """The digests an earlier version recorded: md5s of the rows' text."""
    with pg.connect(pg.live_params()) as conn:
        return {table: pg.table_digest(conn, schema, table, hashed=False) for table in pg.column_types(conn, schema)}


def test_a_restore_at_a_time_between_two_incrementals_gives_the_state_of_the_earlier_one(
    seeded_school, real_db, local_storage, backup_db
):
    backup_full_run(school=seeded_school)
    first_changes = grades_change(seeded_school, label="first day")
    first = backup_incremental_run(school=seeded_school)
    as_of_first = live_digests(seeded_school.schema_name)
    # The second day touches the first day's rows again: updates its new grade, deletes one
    # it updated, and updates one it left alone.
    with schema_context(seeded_school.schema_name):
        untouched = Grade.objects.filter(value__isnull=False).order_by("id").values_list("pk", flat=True)[3]
    grades_change(
        seeded_school, update=[first_changes["inserted"][0], untouched], delete=[first_changes["updated"][0]],
        label="second day",
    )  # fmt: skip
    second = backup_incremental_run(school=seeded_school)
    as_of_second = live_digests(seeded_school.schema_name)
    assert as_of_first["grades_grade"] != as_of_second["grades_grade"]
    assert first.finished_at < second.started_at

    said = restore_school("--school", seeded_school.slug, "--at", first.finished_at.isoformat(), "--into",
                  "scoala-de-ieri")  # fmt: skip

    restored = School.objects.get(slug="scoala-de-ieri")
    try:
        assert f"incremental run #{first.pk}" in said
        assert live_digests(restored.schema_name) == as_of_first
        assert chain_of(restored.schema_name).intact
    finally:
        school_remove(restored)


def test_an_in_place_restore_brings_back_a_run_keeps_the_replaced_schema_and_the_next_run_follows_it(
    seeded_school, real_db, local_storage, backup_db
):
    schema = seeded_school.schema_name
    backup_full_run(school=seeded_school)
    grades_change(seeded_school, label="kept by the run")
    run = backup_incremental_run(school=seeded_school)
    as_of_run = live_digests(schema)
    grades_change(seeded_school, label="lost by the restore")
    backup_incremental_run(school=seeded_school)
    before_restore = live_digests(schema)

    said = backup("restore", "--school", seeded_school.slug, "--backup", str(run.pk))

    kept = re.search(r"the previous schema is kept as (\w+):", said).group(1)
    try:
        assert kept.startswith(f"{schema}_replaced_")
        assert live_digests(schema) == as_of_run
        assert live_digests(kept) == before_restore
        assert chain_of(schema).intact
        # The copy is a run ahead of the school now (five audit events more): the next run
        # takes it back to what the school holds.
        after = backup_incremental_run(school=seeded_school)
        assert after.tables["audit_auditevent"] == {"inserted": 0, "updated": 0, "deleted": 5}
        with pg.connect(backup_db) as conn:
            assert pg.table_digests(conn, schema) == as_of_run
    finally:
        with pg.connect(pg.owner_params(), autocommit=True) as conn:
            pg.drop_schema(conn, kept)


def test_runs_before_a_migration_stay_restorable_and_a_run_after_it_is_refused_on_an_older_full_backup(
    seeded_school, real_db, local_storage, backup_db
):
    schema = seeded_school.schema_name
    backup_full_run(school=seeded_school)
    grades_change(seeded_school, label="before the migration")
    before = backup_incremental_run(school=seeded_school)
    as_of_before = live_digests(schema)
    try:
        with pg.connect(pg.owner_params(), autocommit=True) as conn:
            conn.execute(f"ALTER TABLE {schema}.grades_grade ADD COLUMN tests_migration integer")
        after = backup_incremental_run(school=seeded_school)  # the copy is rebuilt, the old one kept
        with pg.connect(backup_db) as conn:
            assert pg.schema_exists(conn, f"_h{after.pk}_{schema}")

        report = backup_restore_schema(backup=before, schema="_tests_before_migration")
        assert report.matches, report.mismatches
        assert live_digests("_tests_before_migration") == as_of_before

        with pytest.raises(BackupError, match="structure of the school changed"):
            backup_restore_schema(backup=after, schema="_tests_after_migration")
    finally:
        with pg.connect(pg.owner_params(), autocommit=True) as conn:
            conn.execute(f"ALTER TABLE {schema}.grades_grade DROP COLUMN IF EXISTS tests_migration")
            pg.drop_schema(conn, "_tests_before_migration")
            assert not pg.schema_exists(conn, "_tests_after_migration")
