"""`catedra backup ...` in-process: what operators read, and the exit statuses."""

from datetime import date
from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command

from catedra.objectstore import storage_for_location
from ops.anchors import anchor_prefix
from ops.backups import pg
from ops.backups.full import backup_full_run
from ops.backups.incremental import backup_incremental_run
from ops.models import Backup, DeletionCertificate
from tenants.models import School
from tests.backup_fixtures import backup_command as backup
from tests.backup_fixtures import restore_school_command as restore_school
from tests.backup_fixtures import school_remove

pytestmark = pytest.mark.slow


def test_run_list_verify_and_a_dry_run_restore(seeded_school, real_db, local_storage, backup_db):
    slug = seeded_school.slug
    assert "full backup #" in backup("run", "--school", slug, "--kind", "full")
    assert "rows copied" in backup("run", "--school", slug, "--kind", "incremental")
    listed = backup("list", "--school", slug).splitlines()
    [full_line] = [line for line in listed if "  full  done" in line]
    [incremental_line] = [line for line in listed if "  incremental  done" in line]
    assert "unverified" in full_line and "unverified" in incremental_line
    verified = backup("verify", "--school", slug)
    assert "+ incremental run #" in verified and "matches the source" in verified
    assert "unverified" not in backup("list", "--school", slug)
    dry = backup("restore", "--school", slug, "--dry-run")
    assert "matches the source" in dry and "nothing was restored" in dry


def test_restore_into_a_new_school_says_the_audit_chain_verifies(seeded_school, real_db, local_storage):
    backup("run", "--school", seeded_school.slug, "--kind", "full")
    try:
        said = restore_school("--school", seeded_school.slug, "--into", "scoala-din-copie")
        assert "new school scoala-din-copie" in said and "audit chain intact" in said
    finally:
        from tenants.models import School

        for school in School.objects.filter(slug="scoala-din-copie"):
            school_remove(school)


def test_a_restore_at_a_time_before_any_backup_fails(seeded_school, real_db, local_storage):
    backup("run", "--school", seeded_school.slug, "--kind", "full")
    with pytest.raises(CommandError, match="no completed full backup taken by 2020-01-01") as failed:
        backup("restore", "--school", seeded_school.slug, "--at", "2020-01-01", "--dry-run")
    assert failed.value.returncode == 1


def test_a_delete_within_retention_is_refused_with_exit_status_1(seeded_school, real_db, local_storage):
    backup("run", "--school", seeded_school.slug, "--kind", "full")
    made = Backup.objects.get(school=seeded_school)
    with pytest.raises(CommandError, match=r"delete refused: .*kept while the contract runs") as refused:
        backup("delete", "--backup", str(made.pk))
    assert refused.value.returncode == 1
    assert Backup.objects.get(pk=made.pk).status == Backup.Status.DONE


def test_a_failed_run_exits_1_and_names_the_school(seeded_school, real_db, settings, s3):
    from tests.helpers import free_port

    settings.BACKUP_S3_ENDPOINT = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(CommandError, match="1 of 1 backups failed") as failed:
        backup("run", "--school", seeded_school.slug, "--kind", "full")
    assert failed.value.returncode == 1


def test_an_unknown_school_exits_2(db):
    with pytest.raises(CommandError, match="No school has the slug") as failed:
        backup("list", "--school", "nu-exista")
    assert failed.value.returncode == 2


def test_the_purge_command_deletes_what_retention_allows_and_prints_the_certificates(
    seeded_school, real_db, local_storage, backup_db
):
    full = backup_full_run(school=seeded_school)
    incremental = backup_incremental_run(school=seeded_school)
    School.objects.filter(pk=seeded_school.pk).update(contract_end=date(2020, 6, 30))
    assert "nothing to purge" in backup("purge")  # an active school: everything is kept
    School.objects.filter(pk=seeded_school.pk).update(status=School.Status.ENDED, ended_on=date(2020, 6, 30))
    try:
        said = backup("purge")
    finally:
        School.objects.filter(pk=seeded_school.pk).update(status=School.Status.ACTIVE, contract_end=None, ended_on=None)

    [certificate] = DeletionCertificate.objects.filter(school=seeded_school)
    assert f"{seeded_school.slug}: 2 backups deleted; certificate #{certificate.pk} seal {certificate.seal}" in said
    assert set(Backup.objects.filter(pk__in=[full.pk, incremental.pk]).values_list("status", flat=True)) == {
        Backup.Status.DELETED
    }
    storage, _key = storage_for_location(full.location)
    # Only the audit chain's anchors stay: they belong to the trail, which outlives its backups.
    assert storage.keys("") == storage.keys(anchor_prefix(seeded_school.schema_name)) != []
    with pg.connect(backup_db) as conn:
        assert not pg.schema_exists(conn, seeded_school.schema_name)
        left = conn.execute("SELECT count(*) FROM _history.run WHERE school = %s", [seeded_school.schema_name])
        assert left.fetchone()[0] == 0
    assert "nothing to purge" in backup("purge")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--at", "ieri"], "--at: not a date or time: 'ieri'"),
        (["--at", "2026-13-45"], "--at: not a date or time"),
        (["--backup", "999999999"], "has no backup #999999999"),
    ],
)
def test_bad_restore_arguments_exit_2_and_change_nothing(db, arguments, message):
    schools = School.objects.count()
    with pytest.raises(CommandError, match=message) as refused:
        backup("restore", "--school", "school-a", *arguments)
    assert refused.value.returncode == 2
    assert School.objects.count() == schools


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--into", "Școala Nouă"], "--into: Identificatorul are 3–40 de caractere"),
        (["--into", "school-b"], "--into: Există deja o școală cu identificatorul „school-b”"),
        (["--into", "scoala-noua", "--at", "ieri"], "--at: not a date or time: 'ieri'"),
        (["--into", "scoala-noua", "--backup", "999999999"], "has no backup #999999999"),
    ],
)
def test_bad_restore_school_arguments_exit_2_and_change_nothing(db, arguments, message):
    schools = School.objects.count()
    with pytest.raises(CommandError, match=message) as refused:
        restore_school("--school", "school-a", *arguments)
    assert refused.value.returncode == 2
    assert School.objects.count() == schools


def test_a_time_and_a_backup_together_are_refused(db):
    with pytest.raises(CommandError, match="not allowed with argument"):
        backup("restore", "--school", "school-a", "--at", "2026-11-01", "--backup", "1")


def test_a_school_without_a_full_backup_has_nothing_to_restore(db):
    with pytest.raises(CommandError, match="school-a: no completed full backup") as refused:
        restore_school("--school", "school-a", "--into", "scoala-noua")
    assert refused.value.returncode == 1


def test_a_restore_whose_audit_chain_does_not_verify_says_where_it_went_then_exits_1(
    seeded_school, real_db, local_storage, monkeypatch
):
    """The restore is done whatever the chain says: the operator must learn where it went."""
    from io import StringIO

    backup("run", "--school", seeded_school.slug, "--kind", "full")
    monkeypatch.setattr("ops.management.commands.backup.chain_report", lambda: SimpleNamespace(intact=False, events=3))
    out = StringIO()
    try:
        with pytest.raises(CommandError, match="the restored audit chain does not verify") as failed:
            call_command("restore_school", "--school", seeded_school.slug, "--into", "scoala-lant", stdout=out)
        assert failed.value.returncode == 1
        assert "into new school scoala-lant" in out.getvalue() and "audit chain BROKEN (3 events)" in out.getvalue()
    finally:
        for school in School.objects.filter(slug="scoala-lant"):
            school_remove(school)
