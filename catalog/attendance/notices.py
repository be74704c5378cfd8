"""Rule 17's notices to the parents: which thresholds are due (`notices_send`, inside the write
that recorded the absences), one copy per parent handed to a background job once that write
commits (`catalog.attendance.tasks`, with retries), and the school sending a copy again."""

from collections import Counter
from datetime import timedelta
from functools import partial

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.roles import Role
from accounts.services import NotAllowed
from audit.actions import Action
from audit.services import audit_record
from catalog.attendance.brought import students_brought
from catalog.attendance.models import Absence, Notice, NoticeDelivery
from catalog.attendance.tasks import notice_deliver_job
from catalog.notify.models import Kind
from catalog.notify.services import families_notify, threshold_text
from catalog.structure.models import CurriculumEntry, SchoolClass, Student

NOT_FOLLOWER = _("Doar secretariatul, conducerea școlii și dirigintele clasei urmăresc înștiințările către părinți.")
NOT_RESENDABLE = _("Înștiințarea a fost trimisă sau este deja în curs de trimitere.")
# Who follows the notices of every class; a homeroom teacher follows their class's.
FOLLOWERS = (Role.DIRECTOR, Role.DEPUTY, Role.SCHOOL_ADMIN)
# A copy still pending this long after it was queued or last tried has lost its job (the
# job's retries are at most 16 minutes apart): the school may send it again.
STUCK_AFTER = timedelta(hours=1)


def notices_send(*, student: Student, school_class: SchoolClass) -> list[Notice]:
    """Rule 17: a notice to the parents (once per threshold) when unexcused absences reach the
    school's thresholds in the year, or a share of a subject's yearly hours. The notice, its
    copies and its audit event are part of the transaction; the copies go out after commit.

    Absences brought from a school the student transferred from count too, but a threshold
    they reached on their own was that school's to notify: only one the absences here help
    reach is sent."""
    rules = school_class.year.rule_set
    # The year's absences and notices, wherever recorded: a student who moved from a parallel
    # class brings both (`record_of`), and a notice already sent is not sent again.
    in_year = {"student": student, "school_class__year": school_class.year_id}
    here = Absence.objects.filter(**in_year, excusal__isnull=True).values_list("subject").annotate(n=Count("id"))
    brought = {
        subject_id: counts.unexcused
        for subject_id, counts in students_brought(school_class.year_id, [student.pk])[student.pk].items()
    }  # fmt: skip
    by_subject = Counter(brought)
    by_subject.update(dict(here))
    total, before = sum(by_subject.values()), sum(brought.values())
    due = [(None, t, total) for t in sorted(rules.notify_at or []) if 0 < t <= total and t > before]
    entries = list(CurriculumEntry.objects.filter(school_class=school_class).select_related("subject"))
    yearly = {entry.subject_id: entry.yearly_hours for entry in entries}
    share = rules.notify_subject_percent
    for subject_id, count in by_subject.items():
        hours = yearly.get(subject_id, 0)
        if hours and count * 100 >= hours * share and brought.get(subject_id, 0) * 100 < hours * share:
            due.append((subject_id, share, count))
    if not due:
        return []
    sent = set(Notice.objects.filter(**in_year).values_list("subject_id", "threshold"))
    notices = []
    for subject_id, threshold, count in due:
        if (subject_id, threshold) in sent:
            continue
        notice = Notice.objects.create(
            student=student, school_class=school_class, subject_id=subject_id, threshold=threshold, unexcused=count
        )
        notices.append(notice)
        subject = next((e.subject for e in entries if e.subject_id == subject_id), None) if subject_id else None
        families_notify(kind=Kind.THRESHOLD, student=student, source=f"notice:{notice.pk}",
                        text=threshold_text(student=student, count=count, subject=subject))  # fmt: skip
        audit_record(
            action=Action.ABSENCE_NOTICE, actor="job:absence_notice", obj=notice, person=student.user,
            new={"threshold": threshold, "subject": subject_id, "unexcused": count},
        )  # fmt: skip
    if notices:
        _deliveries_create(student, notices)
    return notices


def _deliveries_create(student: Student, notices: list[Notice]) -> None:
    """A copy of each notice for each active parent, handed to the job once the write commits."""
    parents = User.objects.filter(child_links__student=student.user, is_active=True).values_list("pk", flat=True)
    created = NoticeDelivery.objects.bulk_create(
        NoticeDelivery(notice=notice, parent_id=parent) for notice in notices for parent in parents
    )
    _queue_on_commit([delivery.pk for delivery in created])


def _queue_on_commit(ids: list[int]) -> None:
    # Robust: a broker that is down must not turn a saved absence into an error page. A copy
    # it could not take stays pending, and the school sees it once STUCK_AFTER has passed.
    if ids:
        transaction.on_commit(partial(_queue, ids), robust=True)


def _queue(ids: list[int]) -> None:
    for delivery_id in ids:
        notice_deliver_job.delay(delivery_id)


def follows_notices(user: User, school_class: SchoolClass) -> bool:
    """The secretariat and the school's management follow every class's notices; a homeroom
    teacher their own class's."""
    return user.is_active and (user.has_role(*FOLLOWERS) or school_class.homeroom_id == user.pk)


def is_stuck(delivery: NoticeDelivery, now=None) -> bool:
    """A pending copy whose job was lost (never taken, or stopped without a word)."""
    cutoff = (now or timezone.now()) - STUCK_AFTER
    last = max(delivery.queued_at, delivery.attempted_at or delivery.queued_at)
    return delivery.status == NoticeDelivery.Status.PENDING and last < cutoff


def notice_delivery_resend(*, actor: User, delivery: NoticeDelivery) -> NoticeDelivery:
    """The school hands a copy that was not sent (failed, or stuck) to the job again; audited."""
    with transaction.atomic():
        delivery = (
            NoticeDelivery.objects.select_for_update(of=("self",))
            .select_related("notice__school_class", "notice__student__user")
            .get(pk=delivery.pk)
        )
        notice = delivery.notice
        if not follows_notices(actor, notice.school_class):
            raise NotAllowed(NOT_FOLLOWER)
        if delivery.status != NoticeDelivery.Status.FAILED and not is_stuck(delivery):
            raise ValidationError(NOT_RESENDABLE, code="not_failed")
        old = {"status": delivery.status, "error": delivery.error, "attempts": delivery.attempts}
        delivery.status, delivery.queued_at = NoticeDelivery.Status.PENDING, timezone.now()
        delivery.save(update_fields=["status", "queued_at"])
        audit_record(
            action=Action.ABSENCE_NOTICE_RESENT, actor=actor, obj=delivery, person=notice.student.user, old=old,
            new={"notice": notice.pk, "threshold": notice.threshold, "subject": notice.subject_id,
                 "parent": delivery.parent_id},
        )  # fmt: skip
        _queue_on_commit([delivery.pk])
    return delivery
