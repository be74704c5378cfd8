from django.db.models import QuerySet

from ops.models import Backup
from tenants.models import School


def backups_of(school: School) -> QuerySet[Backup]:
    return Backup.objects.filter(school=school).order_by("-started_at", "-id")


def full_backup_latest(*, school: School, at=None) -> Backup | None:
    """The newest completed full backup of `school` (started no later than `at`)."""
    found = backups_of(school).filter(kind=Backup.Kind.FULL, status=Backup.Status.DONE)
    if at is not None:
        found = found.filter(started_at__lte=at)
    return found.first()


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
