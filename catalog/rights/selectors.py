"""Reads of the rights requests for the pages."""

from django.db.models import Prefetch, QuerySet

from accounts.models import User
from catalog.rights.models import Delegation, RightsChange, RightsRequest, StatsConsent
from catalog.structure.models import SchoolClass, TeachingAssignment

QUEUE_SHOWN = 200
DECIDED_SHOWN = 30

_CHANGES = Prefetch("changes", RightsChange.objects.select_related("person", "school_class", "subject"))


def requests_with_changes() -> QuerySet[RightsRequest]:
    return RightsRequest.objects.select_related("requested_by", "decided_by").prefetch_related(_CHANGES)


def queue() -> list[RightsRequest]:
    """The pending requests, oldest first (at most QUEUE_SHOWN)."""
    return list(
        requests_with_changes().filter(status=RightsRequest.Status.PENDING).order_by("created_at", "pk")[:QUEUE_SHOWN]
    )


def decided_recently() -> list[RightsRequest]:
    return list(
        requests_with_changes().exclude(status=RightsRequest.Status.PENDING).order_by("-decided_at")[:DECIDED_SHOWN]
    )


def requests_of(user: User) -> list[RightsRequest]:
    """A requester's own requests, newest first."""
    return list(requests_with_changes().filter(requested_by=user)[:QUEUE_SHOWN])


def pending_in_class(school_class: SchoolClass, *kinds: str) -> list[RightsChange]:
    """The changes waiting for approval in a class (its configuration pages show them)."""
    return list(
        RightsChange.objects.filter(
            request__status=RightsRequest.Status.PENDING, school_class=school_class, kind__in=kinds
        ).select_related("person", "school_class", "subject", "request__requested_by")
    )


def rights_of(teacher: User) -> dict:
    """A teacher's rights now: assignments and grants in force, grants still to come, the
    classes they lead, and what waits for approval for them."""
    current = TeachingAssignment.objects.filter(teacher=teacher, school_class__year__closed_at__isnull=True)
    current = current.select_related("school_class", "subject").order_by(
        "school_class__level", "school_class__letter", "subject__position"
    )
    in_force = set(current.in_force().values_list("pk", flat=True))
    return {
        "assignments": [a for a in current if a.pk in in_force],
        "coming": [a for a in current if a.pk not in in_force and a.is_grant],
        "homerooms": list(SchoolClass.objects.filter(homeroom=teacher, year__closed_at__isnull=True)),
        "waiting": list(
            RightsChange.objects.filter(person=teacher, request__status=RightsRequest.Status.PENDING).select_related(
                "person", "school_class", "subject"
            )
        ),
    }


def delegations_open() -> list[Delegation]:
    return list(Delegation.objects.filter(ended_at__isnull=True).select_related("deputy", "granted_by"))


def consents_active() -> list[StatsConsent]:
    return list(StatsConsent.objects.filter(withdrawn_at__isnull=True).select_related("user", "granted_by"))
