"""Reads of attendance for the pages."""

from django.db.models import Q
from django.db.models.functions import Greatest
from django.utils import timezone

from accounts.models import User
from catalog.attendance.models import NoticeDelivery, ParentRequest
from catalog.attendance.notices import FOLLOWERS, STUCK_AFTER
from catalog.structure.models import SchoolClass

UNSENT_SHOWN = 200


def deliveries_unsent(*, user: User) -> list[NoticeDelivery] | None:
    """The parents' copies of notices that were not sent (failed, or stuck pending) in the
    classes `user` follows, newest first, at most UNSENT_SHOWN (+1, to tell there are more);
    None for someone who follows no class's notices. Two queries at most."""
    if not user.is_active:
        return None
    unsent = NoticeDelivery.objects.annotate(last=Greatest("queued_at", "attempted_at")).filter(
        Q(status=NoticeDelivery.Status.FAILED)
        | Q(status=NoticeDelivery.Status.PENDING, last__lt=timezone.now() - STUCK_AFTER)
    )
    if not user.has_role(*FOLLOWERS):
        if not SchoolClass.objects.filter(homeroom=user).exists():
            return None
        unsent = unsent.filter(notice__school_class__homeroom=user)
    unsent = unsent.select_related(
        "parent", "notice__student__user", "notice__school_class", "notice__subject"
    ).order_by("-last", "-pk")
    return list(unsent[: UNSENT_SHOWN + 1])


def requests_for_homeroom(*, school_class: SchoolClass):
    """What waits for a class's homeroom teacher: parents' requests the director approved and
    medical notes sent by parents, oldest first, with their students."""
    waiting = Q(kind=ParentRequest.Kind.PARENT, status=ParentRequest.Status.APPROVED) | Q(
        kind=ParentRequest.Kind.MEDICAL, status=ParentRequest.Status.PENDING
    )
    return (
        ParentRequest.objects.filter(waiting, school_class=school_class)
        .select_related("student__user")
        .order_by("submitted_at")
    )
