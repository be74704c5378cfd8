"""A school restored from a backup as a new school: provisioning's work on ops' restore.

Ops restores the backup into a fresh schema and checks it table by table; provisioning
makes that schema a school (its record, its host, an active status through a recorded
lifecycle transition), as onboarding does. The original school is not touched.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ops.backups.full import RestoreReport, backup_restore_checked, restore_discard, restore_keep
from ops.models import Backup
from provisioning import lifecycle
from tenants.models import Domain, School
from tenants.schemas import schema_name_for, slug_validate


def school_restore_validate(slug: str) -> None:
    """Refuse a bad or taken slug for the new school (ValidationError) before any work."""
    slug_validate(slug)
    if School.objects.filter(slug=slug).exists():
        raise ValidationError(
            _("Există deja o școală cu identificatorul „%(slug)s”.") % {"slug": slug}, code="slug_taken"
        )


def school_restore_from_backup(*, backup: Backup, slug: str, actor: str) -> tuple[School, RestoreReport]:
    """Restore the state of `backup` as a new, active school `slug`.

    Raises ValidationError for a bad or taken slug and BackupError when the restore fails
    or does not match the backup; nothing is kept in either case.
    """
    school_restore_validate(slug)
    schema = schema_name_for(slug)
    report = backup_restore_checked(backup=backup, schema=schema)
    source = backup.school
    try:
        with transaction.atomic():
            school = School.objects.create(
                name=f"{source.name} (restaurată din copia #{backup.pk})"[:200], slug=slug, schema_name=schema,
                county=source.county, locality=source.locality, cui=source.cui,
                contract_start=source.contract_start, contract_end=source.contract_end,
                status=School.Status.PROVISIONING,
            )  # fmt: skip
            Domain.objects.create(domain=f"{slug}.{settings.CATEDRA_BASE_DOMAIN}", tenant=school, is_primary=True)
            lifecycle.school_transition(
                school=school, to=School.Status.ACTIVE, actor=actor, reason=f"restored from {report.label}"
            )
    except Exception:
        restore_discard(schema)
        raise
    restore_keep(report)
    school.refresh_from_db()
    return school, report
