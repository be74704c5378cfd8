"""Changes of who writes or reads a school's records, approved by its management (Order
3896/2023 art. 15, 20(2)).

A change asked for by the secretariat (an assignment, a substitute's temporary grant, a
homeroom, a role that reads personal data) is a *request*: nothing in it takes effect until
the director, or a deputy the director delegated, approves it from a 2FA-verified session
(the page checks the session); a rejection needs a reason. The approver's own changes take
effect at once and are recorded as self-approved. Taking rights away never waits (removing an
assignment, a homeroom or a role applies at once, audited): only giving them does.

Approving applies each change through the structure's and the accounts' own audited writes,
with the request in their audit events, and checks each again (the curriculum may have
changed since it was asked for)."""

from __future__ import annotations

from functools import partial

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.roles import Role
from accounts.services import NotAllowed, RoleApproval, school_has_director, user_roles_grant
from audit.actions import Action
from audit.services import audit_record
from catalog.rights.models import Delegation, RightsChange, RightsRequest, StatsConsent
from catalog.structure import rollover
from catalog.structure.services import (
    CONFIGURERS,
    assignment_check,
    assignment_create,
    homeroom_check,
    homeroom_set,
    require_configurer,
)

# Roles whose granting waits for approval: those that read personal data beyond a teacher's
# own classes, or administer the school. A teacher's role alone gives nothing (its
# assignments do); a parent's and a student's are not rights over others' records.
GATED_ROLES = frozenset({Role.DIRECTOR, Role.DEPUTY, Role.SCHOOL_ADMIN, Role.STATS_VIEWER})

NOT_APPROVER = _("Doar directorul, sau adjunctul căruia i-a delegat aprobarea, aprobă drepturile.")
OWN_REQUEST = _("Nu vă puteți aproba propria cerere.")
NOT_PENDING = _("Cererea a fost deja soluționată.")
REJECT_REASON = _("Scrieți motivul respingerii.")
NOTHING_ASKED = _("Cererea nu conține nicio modificare.")
ONLY_DIRECTOR = _("Doar directorul deleagă aprobarea drepturilor.")
NOT_DEPUTY = _("Aprobarea se poate delega doar unui director adjunct activ.")
NO_CONSENT = _("Contul nu are un acord activ pentru statistici.")
WHY_TOO_LONG = _("Motivul are cel mult 500 de caractere.")


def approves(user: User) -> bool:
    """The director, or a deputy with an open delegation from the director; while the school
    has no active director yet (its onboarding), its configurers (as the structure and the
    accounts let them)."""
    if not user.is_active:
        return False
    if user.has_role(Role.DIRECTOR):
        return True
    if user.has_role(Role.DEPUTY) and Delegation.objects.filter(deputy=user, ended_at__isnull=True).exists():
        return True
    return user.has_role(*CONFIGURERS) and not school_has_director()


def change_check(change: RightsChange) -> None:
    """What each change must satisfy (again at approval)."""
    if change.kind in (RightsChange.Kind.ASSIGNMENT, RightsChange.Kind.GRANT):
        assignment_check(teacher=change.person, school_class=change.school_class, subject=change.subject,
                         starts=change.starts, ends=change.ends)  # fmt: skip
    elif change.kind == RightsChange.Kind.HOMEROOM:
        homeroom_check(school_class=change.school_class, homeroom=change.person)
    elif change.kind != RightsChange.Kind.ROLE or not change.roles or not set(change.roles) <= GATED_ROLES:
        raise ValidationError(NOTHING_ASKED, code="kind")


def rights_ask(
    *, actor: User, changes: list[RightsChange], why: str = "", origin: str = RightsRequest.Origin.PAGE
) -> RightsRequest:
    """Ask for `changes` (unsaved) in one request: pending until approved, or approved at once
    when `actor` approves rights (self-approved). The approvers are told by e-mail."""
    require_configurer(actor)
    why = (why or "").strip()
    if len(why) > 500:
        raise ValidationError(WHY_TOO_LONG, code="why")
    if not changes:
        raise ValidationError(NOTHING_ASKED, code="empty")
    for change in changes:
        change_check(change)
    with transaction.atomic():
        request = RightsRequest.objects.create(requested_by=actor, why=why, origin=origin)
        for change in changes:
            change.request = request
        RightsChange.objects.bulk_create(changes)
        audit_record(
            action=Action.RIGHTS_REQUESTED, actor=actor, obj=request,
            new={"origin": origin, "changes": [change.summary for change in changes]}, reason=why,
        )  # fmt: skip
        if approves(actor):
            _approve(actor=actor, request=request, self_approved=True)
        else:
            transaction.on_commit(partial(_mail, request.pk, "asked"), robust=True)
    return request


def rights_decide(*, actor: User, request: RightsRequest, approve: bool, reason: str = "") -> RightsRequest:
    """The approver's decision on a pending request: approved (all its changes take effect)
    or rejected with a reason (nothing does). The requester is told by e-mail."""
    if not approves(actor):
        raise NotAllowed(NOT_APPROVER)
    reason = (reason or "").strip()[:500]
    if not approve and not reason:
        raise ValidationError(REJECT_REASON, code="reason")
    with transaction.atomic():
        request = RightsRequest.objects.select_for_update().get(pk=request.pk)
        if request.status != RightsRequest.Status.PENDING:
            raise ValidationError(NOT_PENDING, code="decided")
        if request.requested_by_id == actor.pk:
            raise NotAllowed(OWN_REQUEST)
        if approve:
            _approve(actor=actor, request=request, reason=reason)
        else:
            _decided(request, actor, RightsRequest.Status.REJECTED, reason)
        transaction.on_commit(partial(_mail, request.pk, "decided"), robust=True)
    return request


def rights_decide_many(
    *, actor: User, requests: list[RightsRequest], approve: bool, reason: str = ""
) -> tuple[int, list[str]]:
    """The same decision on several requests, each on its own: (how many were decided, the
    refusals' messages, one per request that could not be)."""
    done, refused = 0, []
    for request in requests:
        try:
            rights_decide(actor=actor, request=request, approve=approve, reason=reason)
            done += 1
        except (ValidationError, NotAllowed) as error:
            text = error.messages[0] if isinstance(error, ValidationError) else str(error)
            refused.append(f"#{request.pk}: {text}")
    return done, refused


def _approve(*, actor: User, request: RightsRequest, reason: str = "", self_approved: bool = False) -> None:
    approval = {"request": request.pk, "requested_by": request.requested_by.get_full_name(),
                "approved_by": actor.get_full_name()} | ({"self_approved": True} if self_approved else {})  # fmt: skip
    changes = request.changes.select_related("person", "school_class__year", "subject")
    for change in changes:
        change_check(change)
        if change.kind in (RightsChange.Kind.ASSIGNMENT, RightsChange.Kind.GRANT):
            assignment_create(actor=actor, teacher=change.person, school_class=change.school_class,
                              subject=change.subject, starts=change.starts, ends=change.ends,
                              approval=approval)  # fmt: skip
        elif change.kind == RightsChange.Kind.HOMEROOM:
            homeroom_set(actor=actor, school_class=change.school_class, homeroom=change.person, approval=approval)
        else:
            user_roles_grant(actor=actor, user=change.person, roles=set(change.roles), approval=approval)
            if Role.STATS_VIEWER in change.roles:
                StatsConsent.objects.create(user=change.person, request=request, granted_by=actor)
    request.self_approved = self_approved
    _decided(request, actor, RightsRequest.Status.APPROVED, reason)


def _decided(request: RightsRequest, actor: User, status: str, reason: str) -> None:
    request.status, request.decided_by, request.decided_at = status, actor, timezone.now()
    request.decision_reason = reason
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_reason", "self_approved"])
    audit_record(
        action=Action.RIGHTS_DECIDED, actor=actor, obj=request, new={"status": status,
        "self_approved": request.self_approved, "requested_by": request.requested_by.get_full_name()},
        reason=reason,
    )  # fmt: skip


def _mail(request_id: int, event: str) -> None:
    from catalog.rights.tasks import rights_mail_job  # the task module imports the sending

    rights_mail_job.delay(request_id, event)


# -- the director's delegation and the statistics consent -------------------------------


def delegation_grant(*, actor: User, deputy: User) -> Delegation:
    """The director lets `deputy` approve rights requests (until ended)."""
    if not (actor.is_active and actor.has_role(Role.DIRECTOR)):
        raise NotAllowed(ONLY_DIRECTOR)
    if not (deputy.is_active and deputy.has_role(Role.DEPUTY)):
        raise ValidationError(NOT_DEPUTY, code="deputy")
    with transaction.atomic():
        delegation = Delegation.objects.filter(deputy=deputy, ended_at__isnull=True).first()
        if delegation is None:
            delegation = Delegation.objects.create(deputy=deputy, granted_by=actor)
            audit_record(action=Action.RIGHTS_DELEGATED, actor=actor, obj=delegation, person=deputy)
    return delegation


def delegation_end(*, actor: User, delegation: Delegation) -> None:
    if not (actor.is_active and actor.has_role(Role.DIRECTOR)):
        raise NotAllowed(ONLY_DIRECTOR)
    with transaction.atomic():
        ended = Delegation.objects.filter(pk=delegation.pk, ended_at__isnull=True).update(
            ended_at=timezone.now(), ended_by=actor
        )
        if ended:
            audit_record(action=Action.RIGHTS_DELEGATION_ENDED, actor=actor, obj=delegation, person=delegation.deputy)


def consent_active(user: User) -> StatsConsent | None:
    return StatsConsent.objects.filter(user=user, withdrawn_at__isnull=True).first()


def consent_withdrawn(user: User) -> bool:
    """The statistics viewer's latest consent was withdrawn: every page refuses them (403).
    An account from before consents were recorded has none, and keeps its access."""
    latest = StatsConsent.objects.filter(user=user).only("withdrawn_at").first()
    return latest is not None and latest.withdrawn_at is not None


def consent_withdraw(*, actor: User, user: User, reason: str) -> None:
    """The management withdraws its consent: the account is shut out at once."""
    if not approves(actor):
        raise NotAllowed(NOT_APPROVER)
    reason = (reason or "").strip()[:500]
    if not reason:
        raise ValidationError(REJECT_REASON, code="reason")
    with transaction.atomic():
        consent = StatsConsent.objects.select_for_update().filter(user=user, withdrawn_at__isnull=True).first()
        if consent is None:
            raise ValidationError(NO_CONSENT, code="no_consent")
        consent.withdrawn_by, consent.withdrawn_at, consent.withdrawn_reason = actor, timezone.now(), reason
        consent.save(update_fields=["withdrawn_by", "withdrawn_at", "withdrawn_reason"])
        audit_record(action=Action.STATS_CONSENT_WITHDRAWN, actor=actor, obj=consent, person=user, reason=reason)


class SchoolRoleApproval(RoleApproval):
    """Accounts' role changes in a school (registered by the app's `ready`): the gated roles go
    through a request, which an approver's own change approves at once (so that a statistics
    viewer's consent is recorded whoever gives the role)."""

    def held(self, *, actor: User, roles: set[str]) -> set[str]:
        return roles & GATED_ROLES

    def ask(self, *, actor: User, user: User, roles: set[str]) -> set[str]:
        change = RightsChange(kind=RightsChange.Kind.ROLE, person=user, roles=sorted(roles))
        request = rights_ask(actor=actor, changes=[change], origin=RightsRequest.Origin.ACCOUNTS)
        return set() if request.status == RightsRequest.Status.APPROVED else roles


# -- the start of the year in bulk --------------------------------------------------------


def year_copy_ask(
    *, actor: User, source, target, assignments: bool = True, stays_behind=frozenset()
) -> tuple[rollover.YearCopy, RightsRequest | None]:
    """The year copy with its homerooms and assignments in one request, which the director
    approves in one step (or approved at once when the director copies); nothing in it
    writes before. The classes, plans, students and modules are copied now."""
    with transaction.atomic():
        plan = rollover.year_copy(actor=actor, source=source, target=target, assignments=assignments,
                                  stays_behind=stays_behind, rights_apart=True)  # fmt: skip
        changes = []
        for copy in plan.classes:
            if copy.homeroom is not None:
                changes.append(RightsChange(kind=RightsChange.Kind.HOMEROOM, person=copy.homeroom,
                                            school_class=copy.written))  # fmt: skip
            changes.extend(
                RightsChange(kind=RightsChange.Kind.ASSIGNMENT, person=a.teacher, school_class=copy.written,
                             subject=a.subject)
                for a in copy.assignments
            )  # fmt: skip
        why = str(_("Copierea anului școlar {source} în {target}")).format(source=source.name, target=target.name)
        request = (
            rights_ask(actor=actor, changes=changes, why=why, origin=RightsRequest.Origin.YEAR_COPY)
            if changes
            else None
        )
    return plan, request
