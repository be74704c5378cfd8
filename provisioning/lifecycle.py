"""A school's lifecycle as a state machine with guarded transitions.

    provisioning → active ⇄ suspended → ended → archived → purged
    provisioning → failed → provisioning (retry);  ended → active (contract renewed)

Every transition goes through `school_transition`, which checks it, records who made
it, when and why (SchoolTransition), and applies its effect, in one transaction.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.actions import Action
from audit.services import audit_record
from ops.backups import retention
from ops.selectors import final_backup_verified
from provisioning.models import SchoolTransition
from tenants.models import School
from tenants.schemas import schema_drop

Status = School.Status

ALLOWED: dict[str, frozenset[str]] = {
    Status.PROVISIONING: frozenset({Status.ACTIVE, Status.FAILED}),
    Status.FAILED: frozenset({Status.PROVISIONING}),
    Status.ACTIVE: frozenset({Status.SUSPENDED, Status.ENDED}),
    Status.SUSPENDED: frozenset({Status.ACTIVE, Status.ENDED}),
    Status.ENDED: frozenset({Status.ACTIVE, Status.ARCHIVED}),
    Status.ARCHIVED: frozenset({Status.PURGED}),
    Status.PURGED: frozenset(),
}
# Transitions a person asks for must say why.
NEEDS_REASON = frozenset({Status.SUSPENDED, Status.ENDED, Status.ARCHIVED, Status.PURGED})
# Order 3896/2023 art. 9: backups stay available at least 24 months after the contract ends
# (BACKUP_RETENTION_MONTHS, never under 24; ops.backups.retention).


class LifecycleError(ValidationError):
    pass


def school_transition(*, school: School, to: str, actor: str, reason: str = "") -> SchoolTransition:
    """Move `school` to state `to`, or raise LifecycleError saying why not."""
    reason = (reason or "").strip()
    with transaction.atomic():
        school = School.objects.select_for_update().get(pk=school.pk)
        _check(school, to, reason)
        if to == Status.ARCHIVED:
            schema_drop(school.schema_name)
        record = SchoolTransition.objects.create(
            school=school, from_status=school.status, to_status=to, actor=actor, reason=reason
        )
        audit_record(
            action=Action.SCHOOL_TRANSITION, actor=actor, obj=school, old={"status": school.status},
            new={"status": to}, reason=reason,
        )  # fmt: skip
        school.status = to
        school.status_changed_at = timezone.now()
        if to == Status.ENDED:
            school.ended_on = timezone.localdate(school.status_changed_at)
        elif to == Status.ACTIVE:
            school.ended_on = None  # a renewal: the retention clock stops
        school.save(update_fields=["status", "status_changed_at", "ended_on"])
    return record


def _check(school: School, to: str, reason: str) -> None:
    if school.schema_name == "public":
        raise LifecycleError(_("Planul de control nu are un ciclu de viață."), code="public")
    if to not in ALLOWED.get(school.status, ()):
        raise LifecycleError(
            _("Școala nu poate trece din starea „%(from)s” în starea „%(to)s”.")
            % {"from": Status(school.status).label, "to": Status(to).label if to in Status.values else to},
            code="illegal_transition",
        )
    if to in NEEDS_REASON and not reason:
        raise LifecycleError(_("Motivul este obligatoriu pentru această schimbare."), code="reason_required")
    if to == Status.ARCHIVED and not final_backup_verified(school):
        raise LifecycleError(
            _("Școala poate fi arhivată doar după o copie de siguranță completă finală, verificată prin restaurare."),
            code="no_verified_backup",
        )
    if to == Status.PURGED:
        ends = retention.retention_ends(school)
        if ends is None or timezone.localdate() < ends:
            raise LifecycleError(
                _(
                    "Datele pot fi șterse definitiv doar după perioada de păstrare "
                    "(%(months)d luni de la sfârșitul contractului)."
                )
                % {"months": retention.retention_months()},
                code="retention",
            )
