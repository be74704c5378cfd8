"""Retention: no backup is deleted while the school is on the platform (active or suspended,
whatever its contract_end says) nor within 24 months of its end; afterwards the purge deletes
them and seals a certificate. Archiving needs a verified final full backup."""

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_exists

from catedra.objectstore import backup_storage, school_area, storage_for_location
from ops.anchors import anchor_prefix
from ops.backups import pg
from ops.backups.full import backup_full_run, backup_verify
from ops.backups.incremental import backup_incremental_run
from ops.backups.retention import (
    RetentionError,
    backup_delete,
    backups_purge,
    certificate_seal,
    retention_ends,
)
from ops.models import Backup, DeletionCertificate
from provisioning.lifecycle import LifecycleError, school_transition
from provisioning.services import school_provision
from tenants.models import School
from tests.backup_fixtures import school_remove

pytestmark = pytest.mark.slow
CONTRACT_END = date(2026, 8, 31)


def moment(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=timezone.get_current_timezone())


@pytest.fixture
def ended_contract(seeded_school, real_db):
    School.objects.filter(pk=seeded_school.pk).update(status=School.Status.ENDED, ended_on=CONTRACT_END)
    seeded_school.refresh_from_db()
    yield seeded_school
    School.objects.filter(pk=seeded_school.pk).update(status=School.Status.ACTIVE, ended_on=None)


@pytest.fixture
def old_contract_end(seeded_school, real_db):
    """A school on the platform whose contract_end, typed at onboarding, is long past (renewed since)."""
    School.objects.filter(pk=seeded_school.pk).update(contract_end=date(2020, 6, 30))
    seeded_school.refresh_from_db()
    yield seeded_school
    School.objects.filter(pk=seeded_school.pk).update(status=School.Status.ACTIVE, contract_end=None)


def ended(day: date) -> School:
    return School(status=School.Status.ENDED, ended_on=day)


def test_the_retention_period_is_never_under_24_months(settings):
    settings.BACKUP_RETENTION_MONTHS = 12
    assert retention_ends(ended(CONTRACT_END)) == date(2028, 8, 31)
    settings.BACKUP_RETENTION_MONTHS = 36
    assert retention_ends(ended(CONTRACT_END)) == date(2029, 8, 31)


@pytest.mark.parametrize("status", ["provisioning", "active", "suspended", "failed"])
def test_a_school_on_the_platform_has_no_retention_end_whatever_its_dates(status):
    school = School(status=status, contract_end=date(2020, 6, 30), ended_on=date(2020, 6, 30))
    assert retention_ends(school) is None


def test_the_clock_runs_from_the_day_the_school_ended_not_from_the_typed_contract_end():
    school = School(status=School.Status.ARCHIVED, contract_end=date(2020, 6, 30), ended_on=CONTRACT_END)
    assert retention_ends(school) == date(2028, 8, 31)
    assert retention_ends(School(status=School.Status.ENDED, contract_end=CONTRACT_END)) is None  # no day: kept


def test_settings_refuse_a_retention_under_24_months():
    from tests.helpers import clean_env, run_catedra

    servers = {"DATABASE_URL": "postgres://nobody@127.0.0.1:1/none", "REDIS_URL": "redis://127.0.0.1:1/0"}
    result = run_catedra("check", env=clean_env(BACKUP_RETENTION_MONTHS="23", **servers))
    assert result.returncode != 0 and "BACKUP_RETENTION_MONTHS cannot be under 24" in result.stderr


def test_deleting_a_backup_within_the_retention_period_is_refused_and_keeps_the_object(ended_contract, local_storage):
    backup = backup_full_run(school=ended_contract)
    for when in (moment(date(2026, 1, 1)), moment(CONTRACT_END), moment(date(2028, 8, 30))):
        with pytest.raises(RetentionError, match="kept until 2028-08-31"):
            backup_delete(backup=backup, actor="tests", now=when)
    assert backups_purge(actor="tests", now=moment(date(2028, 8, 30))) == []
    backup.refresh_from_db()
    assert backup.status == Backup.Status.DONE
    storage, key = storage_for_location(backup.location)
    assert storage.checksum(key) == (backup.size, backup.sha256)
    assert not DeletionCertificate.objects.exists()


def test_a_school_whose_contract_has_no_end_keeps_every_backup(seeded_school, real_db, local_storage):
    backup = backup_full_run(school=seeded_school)
    with pytest.raises(RetentionError, match="while the contract runs"):
        backup_delete(backup=backup, actor="tests", now=moment(date(2099, 1, 1)))
    assert backups_purge(actor="tests", now=moment(date(2099, 1, 1))) == []


@pytest.mark.parametrize("status", [School.Status.ACTIVE, School.Status.SUSPENDED])
def test_a_running_school_with_an_old_contract_end_keeps_every_backup(
    status, old_contract_end, local_storage, backup_db
):
    School.objects.filter(pk=old_contract_end.pk).update(status=status)
    full = backup_full_run(school=old_contract_end)
    incremental = backup_incremental_run(school=old_contract_end)

    assert backups_purge(actor="job:purge", now=moment(date(2099, 1, 1))) == []
    with pytest.raises(RetentionError, match=f"while the contract runs \\(the school is {status}\\)"):
        backup_delete(backup=full, actor="tests", now=moment(date(2099, 1, 1)))

    assert set(Backup.objects.filter(pk__in=[full.pk, incremental.pk]).values_list("status", flat=True)) == {"done"}
    storage, key = storage_for_location(full.location)
    assert storage.checksum(key) == (full.size, full.sha256)
    with pg.connect(backup_db) as conn:
        assert pg.schema_exists(conn, old_contract_end.schema_name)
    assert not DeletionCertificate.objects.exists()


def test_the_purge_after_the_retention_period_deletes_everything_and_seals_a_certificate(
    ended_contract, local_storage, backup_db
):
    full = backup_full_run(school=ended_contract)
    incremental = backup_incremental_run(school=ended_contract)
    storage = backup_storage()
    area = school_area(ended_contract.schema_name)
    sealed = f"{area}archive/2025-2026/v1/manifest.json"  # the year-end archive lives beside the backups
    storage.put_new(sealed, b"{}")
    neighbour = f"{school_area(ended_contract.schema_name + '_2')}archive/2025-2026/v1/manifest.json"
    storage.put_new(neighbour, b"{}")

    [certificate] = backups_purge(actor="job:purge", now=moment(date(2028, 8, 31)))

    # Only the audit chain's anchors stay (they belong to the trail, which outlives its backups),
    # and another school's area whose name starts with this one's.
    assert storage.get(neighbour) == b"{}"
    storage.delete(neighbour)
    assert storage.keys("") == storage.keys(anchor_prefix(ended_contract.schema_name)) != []
    with pg.connect(backup_db) as conn:
        assert not pg.schema_exists(conn, ended_contract.schema_name)
    assert set(Backup.objects.filter(school=ended_contract).values_list("status", flat=True)) == {"deleted"}
    content = certificate.content
    assert content["retention_ended_on"] == "2028-08-31" and content["actor"] == "job:purge"
    assert [(item["id"], item["sha256"]) for item in content["backups"]] == [
        (full.pk, full.sha256), (incremental.pk, ""),
    ]  # fmt: skip
    assert content["backup_database_schema"] == ended_contract.schema_name
    assert content["other_objects"] == [storage.location(sealed)]
    assert certificate.seal == certificate_seal(content) and len(certificate.seal) == 64
    assert backups_purge(actor="job:purge", now=moment(date(2028, 9, 1))) == []


def test_an_ended_school_without_backups_still_has_its_archives_purged(ended_contract, local_storage):
    storage = backup_storage()
    sealed = f"{school_area(ended_contract.schema_name)}archive/2025-2026/v1/catalog-5A.pdf"
    storage.put_new(sealed, b"%PDF-")
    assert backups_purge(actor="job:purge", now=moment(date(2028, 8, 30))) == []  # one day early: kept
    assert storage.get(sealed) == b"%PDF-"

    [certificate] = backups_purge(actor="job:purge", now=moment(date(2028, 8, 31)))

    assert certificate.content["backups"] == [] and certificate.content["other_objects"] == [storage.location(sealed)]
    assert storage.keys(school_area(ended_contract.schema_name)) == []
    assert backups_purge(actor="job:purge", now=moment(date(2028, 9, 1))) == []


def test_one_backup_may_be_deleted_after_the_retention_period(ended_contract, local_storage):
    backup = backup_full_run(school=ended_contract)
    certificate = backup_delete(backup=backup, actor="tests", now=moment(date(2028, 8, 31)))
    assert certificate.content["backups"][0]["sha256"] == backup.sha256
    assert Backup.objects.get(pk=backup.pk).status == Backup.Status.DELETED


def test_archiving_needs_a_verified_full_backup_taken_after_the_contract_ended(real_db, local_storage):
    school = school_provision(
        requested_by="tests", name="Școala de Arhivat", slug="scoala-arhivata", siiir_code="1661100012",
        cui="4267117", county="DJ", locality="Craiova", admin_name="Ana Pop", admin_email="ana@arhiva.test",
    )  # fmt: skip
    try:
        before_end = backup_full_run(school=school)
        backup_verify(backup=before_end)
        school_transition(school=school, to=School.Status.ENDED, actor="tests", reason="contract încheiat")
        school.refresh_from_db()
        with pytest.raises(LifecycleError, match="copie de siguranță"):
            school_transition(school=school, to=School.Status.ARCHIVED, actor="tests", reason="arhivare")
        final = backup_full_run(school=school)
        with pytest.raises(LifecycleError, match="copie de siguranță"):  # not verified yet
            school_transition(school=school, to=School.Status.ARCHIVED, actor="tests", reason="arhivare")
        backup_verify(backup=final)
        school_transition(school=school, to=School.Status.ARCHIVED, actor="tests", reason="arhivare")
        school.refresh_from_db()
        assert school.status == School.Status.ARCHIVED and not schema_exists(school.schema_name)
        assert final.started_at >= school.transitions.get(to_status="ended").at - timedelta(seconds=1)
    finally:
        school_remove(school)
