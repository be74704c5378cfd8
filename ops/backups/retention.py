"""Retention (Order 3896/2023 art. 9): a school's backups are kept while its contract
runs and for BACKUP_RETENTION_MONTHS (never under 24) after it ends. Nothing deletes one
before that; afterwards the purge deletes them and seals a deletion certificate saying
what went, when, and with which checksums. What else the school's area of the object store
holds (its sealed year-end archives, documents waiting for download) goes with the last
backups.

A contract has ended when the school has left the platform (`ended`, then `archived` or
`purged`), never by a date alone: `contract_end` is typed at onboarding and a renewal does
not change it, so a running or suspended school keeps every backup whatever it says."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from catedra.objectstore import backup_storage, school_area, storage_for_location
from ops.backups import history, pg
from ops.backups.full import BackupError
from ops.models import Backup, DeletionCertificate
from tenants.models import School

MINIMUM_MONTHS = 24
# The states of a school whose contract has ended; the clock runs from School.ended_on.
LEFT = (School.Status.ENDED, School.Status.ARCHIVED, School.Status.PURGED)


class RetentionError(BackupError):
    pass


def retention_months() -> int:
    return max(MINIMUM_MONTHS, settings.BACKUP_RETENTION_MONTHS)


def retention_ends(school: School) -> date | None:
    """The first day the school's backups may be deleted; None while its contract runs."""
    if school.status not in LEFT or school.ended_on is None:
        return None
    return school.ended_on + relativedelta(months=retention_months())


def retention_over(school: School, *, now: datetime | None = None) -> bool:
    ends = retention_ends(school)
    return ends is not None and timezone.localdate(now or timezone.now()) >= ends


def backup_delete(*, backup: Backup, actor: str, now: datetime | None = None) -> DeletionCertificate:
    """Delete one backup (object and record's standing), only after the retention period."""
    _refuse_within_retention(backup.school, now)
    return _delete(backup.school, [backup], actor=actor, now=now, backup_schema=False)


def backups_purge(*, actor: str, now: datetime | None = None) -> list[DeletionCertificate]:
    """Delete everything kept for every school whose retention period is over: its backups
    (objects, the school's copies and run history in the backup database), then whatever else
    its area of the object store holds (sealed year-end archives, documents waiting to be
    downloaded); one certificate per school, none when nothing was left to delete."""
    certificates = []
    for school in School.objects.filter(status__in=LEFT, ended_on__isnull=False).order_by("slug"):
        if not retention_over(school, now=now):
            continue
        backups = list(school.backups.exclude(status=Backup.Status.DELETED).order_by("started_at", "id"))
        if backups or backup_storage().keys(school_area(school.schema_name)):
            certificates.append(_delete(school, backups, actor=actor, now=now, backup_schema=True))
    return certificates


def _refuse_within_retention(school: School, now: datetime | None) -> None:
    if retention_over(school, now=now):
        return
    ends = retention_ends(school)
    until = f"until {ends:%Y-%m-%d}" if ends else f"while the contract runs (the school is {school.status})"
    raise RetentionError(
        f"backups of {school.slug} are kept {until}: contract end + {retention_months()} months"
        " (Order 3896/2023 art. 9); nothing was deleted"
    )


def _delete(school, backups, *, actor: str, now: datetime | None, backup_schema: bool) -> DeletionCertificate:
    when = now or timezone.now()
    items = []
    for backup in backups:
        if backup.location:
            storage, key = storage_for_location(backup.location)
            storage.delete(key)
        items.append(_item(backup))
    dropped, others = [], []
    if backup_schema:  # the whole school goes: its copies in the backup database, its area's other objects
        dropped = _drop_backup_schemas(school)
        storage = backup_storage()
        for key in storage.keys(school_area(school.schema_name)):
            storage.delete(key)
            others.append(storage.location(key))
    content = {
        "school": {"slug": school.slug, "name": school.name, "siiir_code": school.siiir_code or ""},
        "contract_end": school.contract_end.isoformat() if school.contract_end else None,
        "ended_on": school.ended_on.isoformat(),
        "retention_months": retention_months(),
        "retention_ended_on": retention_ends(school).isoformat(),
        "deleted_at": when.isoformat(),
        "actor": actor,
        "backups": items,
        "backup_database_schema": school.schema_name if school.schema_name in dropped else None,
        "backup_database_schemas_dropped": dropped,
        "other_objects": others,
    }
    with transaction.atomic():
        Backup.objects.filter(pk__in=[b.pk for b in backups]).update(status=Backup.Status.DELETED, deleted_at=when)
        return DeletionCertificate.objects.create(
            school=school, deleted_at=when, actor=actor, retention_ended_on=retention_ends(school), content=content,
            seal=certificate_seal(content),
        )  # fmt: skip


def certificate_seal(content: dict) -> str:
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _item(backup: Backup) -> dict:
    return {
        "id": backup.pk, "kind": backup.kind, "status": backup.status, "started_at": backup.started_at.isoformat(),
        "finished_at": backup.finished_at.isoformat() if backup.finished_at else None, "size": backup.size,
        "sha256": backup.sha256, "location": backup.location, "tables": backup.tables,
    }  # fmt: skip


def _drop_backup_schemas(school: School) -> list[str]:
    """The school's copy in the backup database, the copies kept from before migrations
    and the history of its incremental runs, dropped; the schemas dropped."""
    if not settings.BACKUP_DATABASE_URL:
        return []
    with pg.connect(pg.backup_params(), create=True) as conn:
        dropped = history.school_forget(conn, school=pg.checked_schema(school.schema_name))
        conn.commit()
    return dropped
