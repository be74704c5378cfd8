"""Telling families: `families_notify` is called inside the write that recorded a grade, an
absence, an excusal, a threshold or a document; its notifications exist only if that write
commits, and a background job sends them after it (never inside the teacher's request).
A notice carries no more than needed: the child's first name, the subject, the grade or the
date. The parent chooses channels, rhythm and kinds (`preference_of`)."""

from datetime import date
from functools import partial

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from catalog.notify.models import Kind, Notification, Preference, Rhythm
from catalog.structure.models import Student, Subject

# An instant notice waits this long, so that a grade or absence undone at once is never told.
HOLD_SECONDS = 60


def preference_of(user: User) -> Preference:
    """The parent's choice, or what a parent who never chose gets: every kind, at once, by
    e-mail and on the phones that subscribed."""
    return Preference.objects.filter(user=user).first() or _default(user)


def _default(user: User) -> Preference:
    return Preference(user=user, kinds=list(Kind.values))


def families_notify(
    *, kind: str, student: Student, text: str, source: str = "", recipients: set[int] | None = None
) -> list[Notification]:
    """One notification per active parent of `student` (among `recipients`, if given) who
    wants this kind, by at least one channel; the instant ones are handed to the job once the
    write commits. `source` names the record it is about ("grade:12"), so that undoing or
    correcting it reaches what is not sent yet. A student whose data is restricted (GDPR
    art. 18) makes none."""
    if student.restricted:
        return []
    parents = User.objects.filter(child_links__student_id=student.user_id, is_active=True)
    if recipients is not None:
        parents = parents.filter(pk__in=recipients)
    parents = list(parents)
    if not parents:
        return []
    chosen = {p.user_id: p for p in Preference.objects.filter(user__in=parents)}
    link = reverse("student-year", args=[student.pk])
    made = []
    for parent in parents:
        preference = chosen.get(parent.pk) or _default(parent)
        if preference.wants(kind) and (preference.email or preference.push or preference.sms):
            made.append(Notification(recipient=parent, student=student, kind=kind, text=text[:300], link=link,
                                     rhythm=preference.rhythm, source=source))  # fmt: skip
    created = Notification.objects.bulk_create(made)
    instant = [n.pk for n in created if n.rhythm == Rhythm.INSTANT]
    if instant:
        # Robust: a broker that is down must not turn a saved grade into an error page; a
        # notification it could not take stays pending and goes with the evening's sweep.
        transaction.on_commit(partial(_queue, instant), robust=True)
    return created


def notifications_cancel(*, source: str) -> int:
    """Take back the notifications not sent yet about a record that was deleted (a grade
    undone at once is never told); those sent stay."""
    return Notification.objects.filter(source=source, status=Notification.Status.PENDING).delete()[0]


def notifications_retell(*, kind: str, student: Student, source: str, text: str, correction: str) -> None:
    """The record was corrected (a grade's value or date): what is not sent yet says `text`
    instead, and the parents already told are told the `correction` (once more per correction)."""
    pending = Notification.objects.filter(source=source, status=Notification.Status.PENDING)
    told = set(
        Notification.objects.filter(source=source, status=Notification.Status.SENT).values_list("recipient", flat=True)
    )
    pending.exclude(recipient__in=told).update(text=text[:300])
    waiting = set(pending.filter(recipient__in=told).values_list("recipient", flat=True))
    pending.filter(recipient__in=waiting).update(text=correction[:300])
    if told - waiting:
        families_notify(kind=kind, student=student, source=source, text=correction, recipients=told - waiting)


def _queue(ids: list[int]) -> None:
    from catalog.notify.tasks import notification_send_job  # the task module imports the sending

    for notification_id in ids:
        notification_send_job.apply_async((notification_id,), countdown=HOLD_SECONDS)


# -- what a notice says (no more than needed) ---------------------------------------------


def _day(on: date) -> str:
    return f"{on:%d.%m}"


def grade_text(*, student: Student, subject: Subject, shown: str, on: date) -> str:
    return _("%(name)s: nota %(grade)s la %(subject)s (%(day)s).") % {
        "name": student.user.first_name, "grade": shown, "subject": subject.name, "day": _day(on)}  # fmt: skip


def grade_corrected_text(*, student: Student, subject: Subject, shown: str, on: date) -> str:
    return _("%(name)s: nota la %(subject)s (%(day)s) a fost corectată: %(grade)s.") % {
        "name": student.user.first_name, "grade": shown, "subject": subject.name, "day": _day(on)}  # fmt: skip


def absence_text(*, student: Student, subject: Subject, on: date, hour: int) -> str:
    return _("%(name)s: absență la %(subject)s (%(day)s, ora %(hour)s).") % {
        "name": student.user.first_name, "subject": subject.name, "day": _day(on), "hour": hour}  # fmt: skip


def excused_text(*, student: Student, count: int) -> str:
    return ngettext("%(name)s: %(n)s absență a fost motivată.", "%(name)s: %(n)s absențe au fost motivate.", count) % {
        "name": student.user.first_name, "n": count}  # fmt: skip


def threshold_text(*, student: Student, count: int, subject: Subject | None = None) -> str:
    if subject is None:
        return _("%(name)s a ajuns la %(n)s absențe nemotivate în acest an școlar.") % {
            "name": student.user.first_name, "n": count}  # fmt: skip
    return _("%(name)s a ajuns la %(n)s absențe nemotivate la %(subject)s.") % {
        "name": student.user.first_name, "n": count, "subject": subject.name}  # fmt: skip


def document_text(*, student: Student, number: int) -> str:
    return _("%(name)s: adeverința de elev nr. %(number)s a fost eliberată.") % {
        "name": student.user.first_name, "number": number}  # fmt: skip
