"""Full backups: dump, encrypt, store, restore, verify — against the real database, a
local folder and a real S3-compatible server."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django_tenants.utils import schema_context

from audit.selectors import chain_report
from ops.backups import pg
from ops.backups.full import (
    BackupError,
    CorruptBackupError,
    backup_full_run,
    backup_verify,
)
from ops.models import Backup
from provisioning.restore import school_restore_from_backup
from tests.backup_fixtures import KNOWN_PLAINTEXT, school_remove
from tests.helpers import free_port

pytestmark = pytest.mark.slow


def live_digests(schema: str) -> dict:
    with pg.connect(pg.live_params()) as conn:
        return pg.table_digests(conn, schema)


def test_a_full_backup_to_a_local_folder_restores_into_a_new_school_equal_to_the_source(
    seeded_school, real_db, local_storage
):
    backup = backup_full_run(school=seeded_school)
    assert backup.status == Backup.Status.DONE
    assert backup.tables["grades_grade"]["rows"] > 1000
    assert backup.tables == live_digests(seeded_school.schema_name)
    restored, report = school_restore_from_backup(backup=backup, slug="scoala-restaurata", actor="tests")
    try:
        assert report.matches, report.mismatches
        assert live_digests(restored.schema_name) == backup.tables
        with schema_context(restored.schema_name):
            chain = chain_report()
        assert chain.intact and chain.events == backup.tables["audit_auditevent"]["rows"]
        assert restored.status == restored.Status.ACTIVE
        assert restored.domains.get().domain == "scoala-restaurata.localhost"
    finally:
        school_remove(restored)


def test_objects_in_s3_are_encrypted_and_a_verification_restores_them_into_a_scratch_schema(
    seeded_school, real_db, s3, settings
):
    backup = backup_full_run(school=seeded_school)
    school_objects = f"{settings.BACKUP_S3_PREFIX}/{seeded_school.schema_name}/"  # the chain's anchors are apart
    listed = s3.list_objects_v2(Bucket=settings.BACKUP_S3_BUCKET, Prefix=school_objects)["Contents"]
    assert [item["Key"] for item in listed] == [backup.location.removeprefix(f"s3://{settings.BACKUP_S3_BUCKET}/")]
    assert listed[0]["Size"] == backup.size
    body = s3.get_object(Bucket=settings.BACKUP_S3_BUCKET, Key=listed[0]["Key"])["Body"].read()
    assert KNOWN_PLAINTEXT not in body and b"grades_grade" not in body and b"PGDMP" not in body
    assert backup.restore_verified_at is None

    report = backup_verify(backup=backup)

    assert report.matches and report.tables == len(backup.tables)
    backup.refresh_from_db()
    assert backup.restore_verified_at is not None and "all match" in backup.verification
    with pg.connect(pg.live_params()) as conn:
        assert not pg.schema_exists(conn, f"_verify_{backup.pk}")


def test_a_backup_with_one_flipped_byte_in_storage_is_detected_and_never_restored(seeded_school, real_db, s3, settings):
    backup = backup_full_run(school=seeded_school)
    key = backup.location.removeprefix(f"s3://{settings.BACKUP_S3_BUCKET}/")
    body = bytearray(s3.get_object(Bucket=settings.BACKUP_S3_BUCKET, Key=key)["Body"].read())
    body[len(body) // 2] ^= 0x01
    s3.put_object(Bucket=settings.BACKUP_S3_BUCKET, Key=key, Body=bytes(body))

    with pytest.raises(CorruptBackupError, match="corrupt"):
        backup_verify(backup=backup)
    with pytest.raises(CorruptBackupError):
        school_restore_from_backup(backup=backup, slug="scoala-corupta", actor="tests")

    backup.refresh_from_db()
    assert backup.restore_verified_at is None and backup.verification.startswith("failed")
    with pg.connect(pg.live_params()) as conn:
        assert not pg.schema_exists(conn, "scoala_corupta") and not pg.schema_exists(conn, f"_verify_{backup.pk}")
    assert not seeded_school.__class__.objects.filter(slug="scoala-corupta").exists()


def test_an_object_swapped_for_another_backup_of_the_same_size_does_not_decrypt(seeded_school, real_db, s3, settings):
    first, second = backup_full_run(school=seeded_school), backup_full_run(school=seeded_school)
    # Someone with access to the bucket and the database makes the manifest agree with the swap.
    Backup.objects.filter(pk=first.pk).update(location=second.location, size=second.size, sha256=second.sha256)
    first.refresh_from_db()
    with pytest.raises(CorruptBackupError, match="does not decrypt"):
        backup_verify(backup=first)


def test_storage_down_fails_the_backup_cleanly_and_counts_nothing(seeded_school, real_db, settings, s3):
    settings.BACKUP_S3_ENDPOINT = f"http://127.0.0.1:{free_port()}"  # the storage is down: nobody listens
    with pytest.raises(BackupError, match="failed"):
        backup_full_run(school=seeded_school)
    failed = Backup.objects.filter(school=seeded_school).first()
    assert failed.status == Backup.Status.FAILED and failed.finished_at is not None
    assert "EndpointConnectionError" in failed.error
    assert failed.sha256 == "" and failed.location == "" and failed.size is None
    assert not Backup.objects.filter(school=seeded_school, status=Backup.Status.DONE).exists()


def test_restoring_into_an_existing_school_slug_is_refused(seeded_school, real_db, local_storage):
    backup = backup_full_run(school=seeded_school)
    with pytest.raises(ValidationError, match="Există deja o școală"):
        school_restore_from_backup(backup=backup, slug="school-a", actor="tests")
    with pg.connect(pg.live_params()) as conn:
        assert pg.table_digest(conn, "school_a", "grades_grade", hashed=True)["rows"] == 0
    assert connection.schema_name == "public"
