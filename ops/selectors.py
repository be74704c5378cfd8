from datetime import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet
from django_tenants.utils import get_public_schema_name

from ops.models import Backup, IncrementalOptOut
from tenants.models import School

# Lifecycle states whose schools are backed up: those that still have a schema.
BACKED_UP = (School.Status.ACTIVE.value, School.Status.SUSPENDED.value, School.Status.ENDED.value)


def backups_of(school: School) -> QuerySet[Backup]:
    return Backup.objects.filter(school=school).order_by("-started_at", "-id")


def full_backup_latest(*, school: School, at=None) -> Backup | None:
    """The newest completed full backup of `school` (started no later than `at`)."""
    found = backups_of(school).filter(kind=Backup.Kind.FULL, status=Backup.Status.DONE)
    if at is not None:
        found = found.filter(started_at__lte=at)
    return found.first()


def restore_point(*, school: School, at: datetime | None = None) -> Backup | None:
    """The backup whose state a restore as of `at` (default: the latest) gives: the newest
    incremental run after the newest full backup at or before `at`, up to `at`, or else
    that full backup; None without a full backup."""
    full = full_backup_latest(school=school, at=at)
    if full is None:
        return None
    runs = backups_of(school).filter(
        kind=Backup.Kind.INCREMENTAL, status=Backup.Status.DONE, started_at__gt=full.started_at
    )
    if at is not None:
        runs = runs.filter(started_at__lte=at)
    return runs.exclude(digests={}).first() or full


def final_backup_verified(school: School) -> bool:
    """Whether a full backup taken since the school's contract ended has been restored
    successfully (an ended school is read-only, so such a backup holds all its records)."""
    if school.status != School.Status.ENDED or school.status_changed_at is None:
        return False
    verified = backups_of(school).filter(
        kind=Backup.Kind.FULL,
        status=Backup.Status.DONE,
        restore_verified_at__isnull=False,
        started_at__gte=school.status_changed_at,
    )
    return verified.exists()


def drill_candidates(*, since: datetime) -> QuerySet[Backup]:
    """Completed backups taken since `since` that a restore drill can restore: full backups,
    and incremental runs with a full backup before them."""
    full_before = Backup.objects.filter(
        school=OuterRef("school"), kind=Backup.Kind.FULL, status=Backup.Status.DONE,
        started_at__lt=OuterRef("started_at"),
    )  # fmt: skip
    restorable = Q(kind=Backup.Kind.FULL) | (Q(kind=Backup.Kind.INCREMENTAL) & Exists(full_before) & ~Q(digests={}))
    return Backup.objects.filter(restorable, status=Backup.Status.DONE, started_at__gte=since).order_by("pk")


def incremental_opt_out_open(school: School) -> IncrementalOptOut | None:
    """The school's open opt-out of the daily incremental backup, if any."""
    return IncrementalOptOut.objects.filter(school=school, ended_at__isnull=True).first()


def incremental_opted_out_ids() -> set[int]:
    """Schools whose daily incremental is off: an open opt-out, honoured while the school
    is still ended (a renewed contract brings the daily backup back)."""
    opted = IncrementalOptOut.objects.filter(ended_at__isnull=True, school__status=School.Status.ENDED)
    return set(opted.values_list("school_id", flat=True))


def schools_to_back_up(*, kind: str) -> list[int]:
    """Ids of the schools the scheduled `kind` backup covers: every school with a schema,
    except, for the daily incremental, ended schools that opted out."""
    schools = School.objects.filter(status__in=BACKED_UP).exclude(schema_name=get_public_schema_name())
    if kind == Backup.Kind.INCREMENTAL:
        schools = schools.exclude(pk__in=incremental_opted_out_ids())
    return list(schools.order_by("pk").values_list("pk", flat=True))
