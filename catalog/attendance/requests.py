"""Requests to excuse absences from the family's side. A parent's own request (DOMAIN rule 16):
a parent (or the homeroom teacher, for a request on paper) submits it, the director approves
or refuses it first, and the homeroom teacher then excuses the interval's absences with it,
within the yearly caps. A medical note (rule 15): the parent sends its photo, and the homeroom
teacher excuses with it (typing the document's number and date from the photo) or refuses it
with a reason; the director is not involved and no cap applies."""

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
from catalog.attendance import evidence
from catalog.attendance.models import Excusal, ParentRequest
from catalog.attendance.services import INTERVAL_INVALID, ExcusalResult, absences_excuse
from catalog.structure.guards import NOT_ENROLLED, require_homeroom, require_results_open
from catalog.structure.models import SchoolClass, Student
from catalog.structure.selectors import is_enrolled

NOT_THEIR_CHILD = _("Doar părinții elevului sau dirigintele clasei pot depune cererea.")
ONLY_DIRECTOR_DECIDES = _("Doar directorul aprobă sau respinge cererile părinților.")
NOT_PENDING = _("Cererea a fost deja soluționată.")
NOT_APPROVED = _("Doar o cerere aprobată de director poate motiva absențe.")
REFUSAL_REASON = _("Scrieți motivul respingerii.")
KIND_INVALID = _("Alegeți felul cererii: cererea părintelui sau document medical.")
MEDICAL_BY_HOMEROOM = _("Documentul medical îl verifică dirigintele clasei, nu directorul.")
NOT_MEDICAL = _("Doar un document medical trimis de părinte se verifică astfel.")
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
    special_case: bool = False, kind: str = ParentRequest.Kind.PARENT, photo=None,
) -> ParentRequest:  # fmt: skip
    """A request to excuse the student's absences in [starts, ends] (a parent's request also
    ahead of them); a medical note comes with `photo`, the uploaded file of its picture."""
    is_parent = ParentLink.objects.filter(parent=actor, student=student.user).exists()
    if not actor.is_active or not (is_parent or school_class.homeroom_id == actor.pk):
        raise NotAllowed(NOT_THEIR_CHILD)
    require_results_open(school_class)
    year = school_class.year
    if not (isinstance(starts, date) and isinstance(ends, date) and year.starts <= starts <= ends <= year.ends):
        raise ValidationError(INTERVAL_INVALID, code="interval")
    if not (is_enrolled(student, school_class, starts) or is_enrolled(student, school_class, ends)):
        raise ValidationError(NOT_ENROLLED, code="enrolment")
    if kind not in ParentRequest.Kind.values:
        raise ValidationError(KIND_INVALID, code="kind")
    medical = kind == ParentRequest.Kind.MEDICAL
    if special_case and not medical and not special_case_possible(student, ends):
        raise ValidationError(SPECIAL_CASE_TOO_YOUNG, code="special_case")
    picture = evidence.photo_clean(photo) if medical else None
    with transaction.atomic():
        request = ParentRequest.objects.create(
            student=student, school_class=school_class, kind=kind, starts=starts, ends=ends,
            note=(note or "").strip()[:500], special_case=bool(special_case) and not medical, submitted_by=actor,
        )  # fmt: skip
        if picture is not None:
            evidence.photo_store(request, picture)
        audit_record(
            action=Action.PARENT_REQUEST_SUBMITTED, actor=actor, obj=request, person=student.user,
            new={"kind": kind, "starts": starts, "ends": ends, "special_case": request.special_case,
                 "photo": bool(request.photo)},
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
        if request.kind != ParentRequest.Kind.PARENT:
            raise ValidationError(MEDICAL_BY_HOMEROOM, code="medical")
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


def parent_request_apply(
    *, homeroom: User, request: ParentRequest, document: str = "", document_date: date | None = None
) -> ExcusalResult:
    """The homeroom teacher excuses the interval's absences with the request: a parent's request
    once the director approved it (the caps of rule 16 apply), a medical note with the
    `document` number and `document_date` read from its photo. Either counts as delivered on
    the day it was submitted (rule 15)."""
    with transaction.atomic():
        request = ParentRequest.objects.select_for_update(of=("self",)).select_related("decided_by").get(pk=request.pk)
        submitted = timezone.localdate(request.submitted_at)
        if request.kind == ParentRequest.Kind.MEDICAL:
            if request.status != ParentRequest.Status.PENDING:
                raise ValidationError(NOT_PENDING, code="decided")
            excused = {"reason": Excusal.Reason.MEDICAL, "document": document, "document_date": document_date}
        else:
            if request.status != ParentRequest.Status.APPROVED:
                raise ValidationError(NOT_APPROVED, code="not_approved")
            excused = {
                "reason": Excusal.Reason.PARENT, "document": str(_("cererea nr. {n}")).format(n=request.pk),
                "document_date": submitted, "approved_by": request.decided_by, "special_case": request.special_case,
            }  # fmt: skip
        result = absences_excuse(
            homeroom=homeroom, student=request.student, school_class=request.school_class, starts=request.starts,
            ends=request.ends, today=max(submitted, request.ends), **excused,
        )  # fmt: skip
        request.status, request.excusal = ParentRequest.Status.USED, result.excusal
        if request.kind == ParentRequest.Kind.MEDICAL:
            request.decided_by, request.decided_at = homeroom, timezone.now()
        request.save(update_fields=["status", "excusal", "decided_by", "decided_at"])
    return result


def medical_note_refuse(*, homeroom: User, request: ParentRequest, note: str) -> ParentRequest:
    """The homeroom teacher refuses a medical note (unreadable, not for these days...), with the
    reason the family reads beside the request."""
    require_homeroom(homeroom, request.school_class)
    require_results_open(request.school_class)
    note = (note or "").strip()[:500]
    with transaction.atomic():
        request = ParentRequest.objects.select_for_update().get(pk=request.pk)
        if request.kind != ParentRequest.Kind.MEDICAL:
            raise ValidationError(NOT_MEDICAL, code="not_medical")
        if request.status != ParentRequest.Status.PENDING:
            raise ValidationError(NOT_PENDING, code="decided")
        if not note:
            raise ValidationError(REFUSAL_REASON, code="reason")
        request.status, request.decided_by, request.decided_at = ParentRequest.Status.REFUSED, homeroom, timezone.now()
        request.decision_note = note
        request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        audit_record(
            action=Action.PARENT_REQUEST_DECIDED, actor=homeroom, obj=request, person=request.student.user,
            new={"kind": request.kind, "status": request.status, "starts": request.starts, "ends": request.ends},
            reason=note,
        )  # fmt: skip
    return request
