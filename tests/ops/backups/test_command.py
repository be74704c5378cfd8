"""`catedra backup ...` in-process: what operators read, and the exit statuses."""

import pytest
from django.core.management import CommandError, call_command

from ops.models import Backup
from tests.backup_fixtures import school_remove

pytestmark = pytest.mark.slow


def backup(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("backup", *args, stdout=out)
    return out.getvalue()


def test_run_list_verify_and_a_dry_run_restore(seeded_school, real_db, local_storage, backup_db):
    slug = seeded_school.slug
    assert "full backup #" in backup("run", "--school", slug, "--kind", "full")
    assert "rows copied" in backup("run", "--school", slug, "--kind", "incremental")
    listed = backup("list", "--school", slug)
    assert "full  done" in listed and "unverified" in listed and "incremental  done" in listed
    assert "matches the source" in backup("verify", "--school", slug)
    assert "unverified" not in backup("list", "--school", slug)
    dry = backup("restore", "--school", slug, "--dry-run")
    assert "matches the source" in dry and "nothing was restored" in dry


def test_restore_into_a_new_school_says_the_audit_chain_verifies(seeded_school, real_db, local_storage):
    backup("run", "--school", seeded_school.slug, "--kind", "full")
    try:
        said = backup("restore", "--school", seeded_school.slug, "--into", "scoala-din-copie")
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
