"""Switching an ended school's daily incremental backup off and on again. Only a school
whose contract has ended may go without it (its data no longer changes, and archiving
needs a verified full backup taken after the end); for any other state the service
refuses. The monthly full backups are not affected. Both switches are on the control
plane's audit trail."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.actions import Action
from audit.services import audit_record
from ops.models import IncrementalOptOut
from tenants.models import School

OPT_OUT_NOT_ENDED = _(
    "Copia de siguranță incrementală zilnică poate fi oprită doar pentru o școală cu contractul încheiat;"
    " școala „%(school)s” este în starea „%(status)s”."
)
OPT_OUT_REASON_REQUIRED = _("Motivul opririi copiei de siguranță zilnice este obligatoriu.")
OPT_OUT_ALREADY = _("Copia de siguranță incrementală zilnică este deja oprită pentru școala „%(school)s”.")
OPT_IN_NOTHING = _("Copia de siguranță incrementală zilnică nu este oprită pentru școala „%(school)s”.")


def backup_incremental_opt_out(*, school: School, actor: str, reason: str) -> IncrementalOptOut:
    """Switch the daily incremental backup of an ended school off (ValidationError with a
    Romanian message otherwise)."""
    reason = (reason or "").strip()
    with transaction.atomic():
        school = School.objects.select_for_update().get(pk=school.pk)
        if school.status != School.Status.ENDED:
            raise ValidationError(
                OPT_OUT_NOT_ENDED % {"school": school.name, "status": School.Status(school.status).label},
                code="not_ended",
            )
        if not reason:
            raise ValidationError(OPT_OUT_REASON_REQUIRED, code="reason_required")
        if IncrementalOptOut.objects.filter(school=school, ended_at__isnull=True).exists():
            raise ValidationError(OPT_OUT_ALREADY % {"school": school.name}, code="already")
        opt_out = IncrementalOptOut.objects.create(
            school=school, started_at=timezone.now(), started_by=actor[:200], reason=reason
        )
        audit_record(action=Action.BACKUP_OPTED_OUT, actor=actor, obj=school, reason=reason)
        return opt_out


def backup_incremental_opt_in(*, school: School, actor: str) -> IncrementalOptOut:
    """Switch the daily incremental backup back on; the closed opt-out."""
    with transaction.atomic():
        opt_out = IncrementalOptOut.objects.select_for_update().filter(school=school, ended_at__isnull=True).first()
        if opt_out is None:
            raise ValidationError(OPT_IN_NOTHING % {"school": school.name}, code="not_opted_out")
        opt_out.ended_at, opt_out.ended_by = timezone.now(), actor[:200]
        opt_out.save(update_fields=["ended_at", "ended_by"])
        audit_record(action=Action.BACKUP_OPTED_IN, actor=actor, obj=school, old={"reason": opt_out.reason})
    return opt_out
