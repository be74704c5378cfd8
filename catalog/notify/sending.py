"""Sending notifications, the background jobs' work: each by the parent's channels (e-mail,
Web Push to every phone that subscribed, SMS where the school can send it), at once or in
the evening's digest. A channel that went out is not used again when the job retries the
others; a server that does not answer is tried again; a push subscription the browser
dropped (404/410) is forgotten."""

import json
import logging
import smtplib
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from pywebpush import WebPushException, webpush

from accounts.models import SmsDevice, User
from accounts.sms import SmsError, sms_gateway
from catalog.notify.models import Notification, PushSubscription, Rhythm
from catalog.notify.services import preference_of

logger = logging.getLogger(__name__)
EMAIL, PUSH, SMS = "email", "push", "sms"
PUSH_GONE = (404, 410)


class NotSentYet(Exception):
    """A channel's server did not answer: the job tries again (the channel's name only)."""


@dataclass
class Message:
    subject: str
    text: str
    url: str


def notification_send(*, notification_id: int, last: bool) -> Notification | None:
    """Send one instant notification (locked while sent: a job delivered twice sends it once)."""
    _restricted_dropped(pk=notification_id)
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True)
            .filter(pk=notification_id, status=Notification.Status.PENDING).select_related("student__user")
            .first()
        )  # fmt: skip
        if notification is None:
            return None
        message = Message(subject=_subject([notification]), text=notification.text, url=school_url(notification.link))
        retry = _attempt([notification], message, last=last)
    _again(retry, notification)
    return notification


def digest_send(*, recipient_id: int, last: bool) -> list[Notification]:
    """Send a parent's evening digest: every daily notification still pending, in one message."""
    _restricted_dropped(recipient_id=recipient_id)
    with transaction.atomic():
        pending = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(recipient_id=recipient_id, rhythm=Rhythm.DAILY, status=Notification.Status.PENDING)
            .select_related("student__user").order_by("student_id", "created_at", "pk")
        )  # fmt: skip
        if not pending:
            return []
        lines = "\n".join(f"• {n.text}" for n in pending)
        message = Message(subject=_subject(pending), text=lines, url=school_url(pending[0].link))
        retry = _attempt(pending, message, last=last)
    _again(retry, pending[0])
    return pending


def _restricted_dropped(**scope) -> None:
    """Notifications not sent yet about a student whose data was restricted since (GDPR
    art. 18) are never sent: deleted."""
    Notification.objects.filter(status=Notification.Status.PENDING, student__restricted_at__isnull=False,
                                **scope).delete()  # fmt: skip


def digest_recipients() -> list[int]:
    """The parents with daily notifications waiting (the evening's sweep sends them)."""
    waiting = Notification.objects.filter(rhythm=Rhythm.DAILY, status=Notification.Status.PENDING)
    return sorted(set(waiting.values_list("recipient_id", flat=True)))


def instant_stragglers(*, older_than_seconds: int = 3600) -> list[int]:
    """Instant notifications still pending long after their job should have run (a broker
    that was down): the sweep hands them to the job again."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    waiting = Notification.objects.filter(rhythm=Rhythm.INSTANT, status=Notification.Status.PENDING,
                                          created_at__lt=cutoff)  # fmt: skip
    return list(waiting.values_list("pk", flat=True))


def _attempt(notifications: list[Notification], message: Message, *, last: bool) -> list[str]:
    """Send `message` by every channel the recipient wants and that has not gone out yet;
    record it on the notifications; the channels whose server did not answer (not `last`)."""
    first = notifications[0]
    recipient = User.objects.get(pk=first.recipient_id)
    preference = preference_of(recipient)
    wanted = [c for c, on in ((EMAIL, preference.email), (PUSH, preference.push), (SMS, preference.sms)) if on]
    done, retry = set(first.channels), []
    for channel in wanted:
        if channel in done:
            continue
        outcome = _SENDERS[channel](recipient, message)
        if outcome is True:
            done.add(channel)
        elif outcome is None:
            retry.append(channel)
    now = timezone.now()
    status = Notification.Status.PENDING if retry and not last else (
        Notification.Status.SENT if done else Notification.Status.FAILED)  # fmt: skip
    for notification in notifications:
        notification.channels, notification.status = sorted(done), status
        notification.attempts += 1
        notification.sent_at = now if status == Notification.Status.SENT else None
    Notification.objects.bulk_update(notifications, ["channels", "status", "attempts", "sent_at"])
    return retry if status == Notification.Status.PENDING else []


def _again(retry: list[str], notification: Notification) -> None:
    """After the attempt is recorded (committed): NotSentYet, for the job to try again."""
    if retry:
        logger.warning("Notification %s: %s did not answer, attempt %s", notification.pk, ",".join(retry),
                       notification.attempts)  # fmt: skip
        raise NotSentYet(",".join(retry))


# Each sender: True sent, None not now (try again), False not possible (nothing to retry).


def _email(recipient: User, message: Message) -> bool | None:
    if not recipient.email:
        return False
    body = f"{message.text}\n\n{_('Vedeți în catalog:')} {message.url}\n"
    try:
        send_mail(message.subject, body, settings.DEFAULT_FROM_EMAIL, [recipient.email])
    except smtplib.SMTPRecipientsRefused:
        return False
    except (smtplib.SMTPException, OSError):
        return None
    return True


def _push(recipient: User, message: Message) -> bool | None:
    subscriptions = list(PushSubscription.objects.filter(user=recipient))
    if not subscriptions or not settings.CATEDRA_VAPID_PRIVATE_KEY:
        return False
    payload = json.dumps({"title": message.subject, "body": message.text, "url": message.url})
    sent, later = False, False
    for subscription in subscriptions:
        info = {"endpoint": subscription.endpoint, "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth}}
        try:
            webpush(subscription_info=info, data=payload, vapid_private_key=settings.CATEDRA_VAPID_PRIVATE_KEY,
                    vapid_claims={"sub": settings.CATEDRA_VAPID_SUBJECT}, timeout=10, ttl=86400)  # fmt: skip
        except WebPushException as error:
            status = getattr(error.response, "status_code", None)
            if status in PUSH_GONE:  # the browser dropped it: forget it
                subscription.delete()
            else:
                later = True
            continue
        except OSError:
            later = True
            continue
        sent = True
        PushSubscription.objects.filter(pk=subscription.pk).update(last_sent_at=timezone.now())
    return True if sent else (None if later else False)


def _sms(recipient: User, message: Message) -> bool | None:
    number = SmsDevice.number_for(recipient)
    if number is None:
        return False
    try:
        sms_gateway().send(to=number, text=f"Catedra: {message.text}"[:320])
    except SmsError:
        return None
    return True


_SENDERS = {EMAIL: _email, PUSH: _push, SMS: _sms}


def _subject(notifications: list[Notification]) -> str:
    names = sorted({n.student.user.first_name for n in notifications})
    if len(notifications) == 1:
        return _("Catedra: noutăți despre %(name)s") % {"name": names[0]}
    return ngettext("Catedra: %(n)s noutate despre %(names)s", "Catedra: %(n)s noutăți despre %(names)s",
                    len(notifications)) % {"n": len(notifications), "names": ", ".join(names)}  # fmt: skip


def school_url(path: str) -> str:
    """The path on the school's own host (the job runs in the school: its tenant is known)."""
    base = getattr(getattr(connection, "tenant", None), "public_url", "") or "/"
    return base.rstrip("/") + path
