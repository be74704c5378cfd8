"""Sending one parent's copy of a notice (rule 17), the background job's work: by e-mail, or
by SMS to a parent without one when SMS can be sent; what became of it is kept on the row."""

import logging
import smtplib

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import SmsDevice, User
from accounts.sms import SmsError, sms_gateway
from catalog.attendance.models import Notice, NoticeDelivery

logger = logging.getLogger(__name__)

NOTICE_SUBJECT = _("Catedra: absențe nemotivate ale elevului {name}")
NOTICE_TOTAL = _("{name} are {count} absențe nemotivate în anul școlar {year} (clasa {school_class}).")
NOTICE_AT_SUBJECT = _("{name} are {count} absențe nemotivate la {subject}, cel puțin {percent}% din orele anului.")

Error = NoticeDelivery.Error
# A server that did not answer may answer later: the job tries again. The rest would fail the same way.
PASSING = frozenset({Error.MAIL_UNAVAILABLE, Error.SMS_UNAVAILABLE})


class NoticeNotSent(Exception):
    """A parent's copy could not be sent this time and will be tried again (the error's kind only)."""


def delivery_attempt(*, delivery_id: int, last: bool) -> NoticeDelivery | None:
    """One attempt at sending a parent's copy; the delivery, or None when there was nothing to do.

    The row stays locked while the copy is sent, and only a pending copy is sent: a task
    delivered twice (or running beside its twin) sends it once. A server that did not answer
    raises NoticeNotSent after the attempt is recorded, so the job retries; on the `last`
    attempt, or for a failure that would repeat, the copy is recorded failed."""
    with transaction.atomic():
        delivery = (
            NoticeDelivery.objects.select_for_update(skip_locked=True)
            .filter(pk=delivery_id, status=NoticeDelivery.Status.PENDING)
            .first()
        )
        if delivery is None:
            return None
        error = _send(delivery)
        now = timezone.now()
        delivery.attempts += 1
        delivery.attempted_at, delivery.error = now, error or ""
        if error is None:
            delivery.status, delivery.sent_at = NoticeDelivery.Status.SENT, now
        elif last or error not in PASSING:
            delivery.status = NoticeDelivery.Status.FAILED
        delivery.save(update_fields=["status", "channel", "attempts", "error", "attempted_at", "sent_at"])
    if error is not None:
        logger.warning("Notice delivery %s not sent (%s), attempt %s", delivery.pk, error, delivery.attempts)
    if delivery.status == NoticeDelivery.Status.PENDING:
        raise NoticeNotSent(error)
    return delivery


def _send(delivery: NoticeDelivery) -> str | None:
    """Send the copy by the parent's channel (set on the delivery); the error's kind, or None if sent."""
    parent = User.objects.get(pk=delivery.parent_id)
    if not parent.is_active:
        return Error.PARENT_INACTIVE
    notice = Notice.objects.select_related("student__user", "school_class__year", "subject").get(pk=delivery.notice_id)
    text = notice_text(notice)
    if parent.email:
        delivery.channel = NoticeDelivery.Channel.EMAIL
        name = notice.student.user.get_full_name()
        try:
            send_mail(str(NOTICE_SUBJECT).format(name=name), text, settings.DEFAULT_FROM_EMAIL, [parent.email])
        except smtplib.SMTPRecipientsRefused:
            return Error.MAIL_REFUSED
        except (smtplib.SMTPException, OSError):
            return Error.MAIL_UNAVAILABLE
        return None
    number = SmsDevice.number_for(parent)
    if number is None:
        delivery.channel = ""
        return Error.NO_CONTACT
    delivery.channel = NoticeDelivery.Channel.SMS
    try:
        sms_gateway().send(to=number, text=text)
    except SmsError:
        return Error.SMS_UNAVAILABLE
    return None


def notice_text(notice: Notice) -> str:
    """What the parents are told: the student's unexcused absences in the year or at a subject."""
    name, count = notice.student.user.get_full_name(), notice.unexcused or notice.threshold
    if notice.subject_id is None:
        school_class = notice.school_class
        return str(NOTICE_TOTAL).format(name=name, count=count, year=school_class.year.name, school_class=school_class)
    return str(NOTICE_AT_SUBJECT).format(name=name, count=count, subject=notice.subject.name, percent=notice.threshold)
