"""Parents' requests to excuse absences (DOMAIN rule 16): a parent (or the homeroom teacher,
for a request on paper) submits it, the director approves or refuses it first, and the
homeroom teacher then excuses the interval's absences with it, within the yearly caps."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import ParentLink, User
from accounts.roles import Role
from accounts.services import NotAllowed
from audit.actions import Action
from audit.services import audit_record
from catalog.attendance.models import Excusal, ParentRequest
from catalog.attendance.services import INTERVAL_INVALID, ExcusalResult, absences_excuse
from catalog.structure.guards import NOT_ENROLLED, require_results_open
from catalog.structure.models import SchoolClass, Student
from catalog.structure.selectors import is_enrolled

NOT_THEIR_CHILD = _("Doar părinții elevului sau dirigintele clasei pot depune cererea.")
ONLY_DIRECTOR_DECIDES = _("Doar directorul aprobă sau respinge cererile părinților.")
NOT_PENDING = _("Cererea a fost deja soluționată.")
NOT_APPROVED = _("Doar o cerere aprobată de director poate motiva absențe.")
REFUSAL_REASON = _("Scrieți motivul respingerii.")
SPECIAL_CASE_AGE = 14  # a pregnant student or a student-parent: asked about from this age only
SPECIAL_CASE_TOO_YOUNG = _("Plafonul mărit (elevă gravidă / elev-părinte) nu se aplică la vârsta elevului.")


def special_case_possible(student: Student, on: date | None = None) -> bool:
    """Whether the request may ask for the raised cap of a pregnant student or a student-parent
    (rule 16): not for a child under SPECIAL_CASE_AGE (an unknown birth date is not refused)."""
    born = student.user.birth_date
    on = on or timezone.localdate()
    return born is None or (on.year - born.year - ((on.month, on.day) < (born.month, born.day))) >= SPECIAL_CASE_AGE


def parent_request_submit(
    *, actor: User, student: Student, school_class: SchoolClass, starts: date, ends: date, note: str = "",
    special_case: bool = False,
) -> ParentRequest:  # fmt: skip
    """A request to excuse the student's absences in [starts, ends] (also ahead of them)."""
    is_parent = ParentLink.objects.filter(parent=actor, student=student.user).exists()
    if not actor.is_active or not (is_parent or school_class.homeroom_id == actor.pk):
        raise NotAllowed(NOT_THEIR_CHILD)
    require_results_open(school_class)
    year = school_class.year
    if not (isinstance(starts, date) and isinstance(ends, date) and year.starts <= starts <= ends <= year.ends):
        raise ValidationError(INTERVAL_INVALID, code="interval")
    if not (is_enrolled(student, school_class, starts) or is_enrolled(student, school_class, ends)):
        raise ValidationError(NOT_ENROLLED, code="enrolment")
    if special_case and not special_case_possible(student, ends):
        raise ValidationError(SPECIAL_CASE_TOO_YOUNG, code="special_case")
    with transaction.atomic():
        request = ParentRequest.objects.create(
            student=student, school_class=school_class, starts=starts, ends=ends, note=(note or "").strip()[:500],
            special_case=bool(special_case), submitted_by=actor,
        )  # fmt: skip
        audit_record(
            action=Action.PARENT_REQUEST_SUBMITTED, actor=actor, obj=request, person=student.user,
            new={"starts": starts, "ends": ends, "special_case": request.special_case},
        )  # fmt: skip
    return request


def parent_request_decide(*, actor: User, request: ParentRequest, approve: bool, note: str = "") -> ParentRequest:
    """The director's prior approval (or refusal, with its reason)."""
    if not (actor.is_active and actor.has_role(Role.DIRECTOR)):
        raise NotAllowed(ONLY_DIRECTOR_DECIDES)
    require_results_open(request.school_class)
    note = (note or "").strip()[:500]
    if not approve and not note:
        raise ValidationError(REFUSAL_REASON, code="reason")
    with transaction.atomic():
        request = ParentRequest.objects.select_for_update().get(pk=request.pk)
        if request.status != ParentRequest.Status.PENDING:
            raise ValidationError(NOT_PENDING, code="decided")
        request.status = ParentRequest.Status.APPROVED if approve else ParentRequest.Status.REFUSED
        request.decided_by, request.decided_at, request.decision_note = actor, timezone.now(), note
        request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        audit_record(
            action=Action.PARENT_REQUEST_DECIDED, actor=actor, obj=request, person=request.student.user,
            new={"status": request.status, "starts": request.starts, "ends": request.ends}, reason=note,
        )  # fmt: skip
    return request


def parent_request_apply(*, homeroom: User, request: ParentRequest) -> ExcusalResult:
    """The homeroom teacher excuses the interval's absences with the approved request; the caps
    of rule 16 apply, and the request counts as delivered on the day it was submitted (rule 15)."""
    with transaction.atomic():
        request = ParentRequest.objects.select_for_update(of=("self",)).select_related("decided_by").get(pk=request.pk)
        if request.status != ParentRequest.Status.APPROVED:
            raise ValidationError(NOT_APPROVED, code="not_approved")
        submitted = timezone.localdate(request.submitted_at)
        result = absences_excuse(
            homeroom=homeroom, student=request.student, school_class=request.school_class, starts=request.starts,
            ends=request.ends, reason=Excusal.Reason.PARENT, document=str(_("cererea nr. {n}")).format(n=request.pk),
            document_date=submitted, approved_by=request.decided_by, special_case=request.special_case,
            today=max(submitted, request.ends),
        )  # fmt: skip
        request.status, request.excusal = ParentRequest.Status.USED, result.excusal
        request.save(update_fields=["status", "excusal"])
    return result
