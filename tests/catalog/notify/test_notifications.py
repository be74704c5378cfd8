"""Families' notifications: one per parent who wants it, made only if the teacher's write
commits, sent by a job a minute later (never in the request), retried while a server is down
and sent once; by e-mail, by Web Push to a real (local) push endpoint, or in the evening's
digest; a grade undone at once is never told; a notice says no more than needed."""

import base64
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import http_ece
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.db import transaction

from accounts.models import ParentLink
from accounts.roles import Role
from catalog.grades import services as grades
from catalog.notify import sending
from catalog.notify.models import Kind, Notification, Preference, PushSubscription, Rhythm
from catalog.notify.sending import NotSentYet
from catalog.notify.tasks import notifications_sweep
from tests.accounts.conftest import make_user
from tests.catalog.conftest import past_day


def _grade(cast, value: int = 9, student=None):
    return grades.grade_add(teacher=cast.mihai, student=student or cast.ana, school_class=cast.class_5a,
                            subject=cast.math, on=past_day(cast.year), value=value)  # fmt: skip


@pytest.fixture
def second_parent(cast, in_school_a):
    """Ana's father, who asked for absences only."""
    father = make_user(in_school_a.schema_name, "tatal.anei", [Role.PARENT], first_name="Mihai", last_name="Marin",
                       email="tatal.anei@example.test")  # fmt: skip
    ParentLink.objects.create(parent=father, student=cast.ana.user)
    Preference.objects.create(user=father, kinds=[Kind.ABSENCE])
    return father


def test_a_grade_tells_each_parent_who_wants_it_once_after_the_write_commits(
    cast, second_parent, mailoutbox, held_notifications, django_capture_on_commit_callbacks
):
    with transaction.atomic():  # a grade that is rolled back tells no one
        _grade(cast, 3)
        transaction.set_rollback(True)
    assert not Notification.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        _grade(cast, 9)

    [notification] = Notification.objects.all()
    assert notification.recipient == cast.parent and notification.kind == Kind.GRADE
    assert held_notifications == [notification.pk]  # handed to the job only once the write committed
    assert notification.text.startswith("Ana: nota 9 la Matematică (") and "Marin" not in notification.text
    assert not mailoutbox  # nothing is sent inside the teacher's request

    sending.notification_send(notification_id=notification.pk, last=False)
    assert sending.notification_send(notification_id=notification.pk, last=False) is None  # delivered twice: once

    [mail] = mailoutbox
    assert mail.to == ["mama.anei@example.test"] and mail.subject == "Catedra: noutăți despre Ana"
    assert notification.text in mail.body and f"/elevi/{cast.ana.pk}/" in mail.body
    notification.refresh_from_db()
    assert (notification.status, notification.channels, notification.attempts) == ("sent", ["email"], 1)


def test_a_mail_server_that_is_down_is_tried_again_and_the_notice_goes_once(cast, mail_server):
    _grade(cast)
    notification = Notification.objects.get()
    with pytest.raises(NotSentYet):
        sending.notification_send(notification_id=notification.pk, last=False)
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("pending", 1)

    mail_server.start()
    sending.notification_send(notification_id=notification.pk, last=False)
    sending.notification_send(notification_id=notification.pk, last=False)

    assert len(mail_server.messages) == 1
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("sent", 2)


def test_the_last_attempt_with_the_server_still_down_records_it_failed(cast, mail_server):
    _grade(cast)
    notification = Notification.objects.get()
    sending.notification_send(notification_id=notification.pk, last=True)
    notification.refresh_from_db()
    assert (notification.status, notification.channels) == ("failed", [])


class _PushService(BaseHTTPRequestHandler):
    """A push service on loopback: keeps what it is sent; answers `status`."""

    received: list = []
    status = 201

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _PushService.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(_PushService.status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def push_service():
    server = HTTPServer(("127.0.0.1", 0), _PushService)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _PushService.received, _PushService.status = [], 201
    yield f"http://127.0.0.1:{server.server_port}/push/abc"
    server.shutdown()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_a_phone_subscribed_to_web_push_receives_the_notice_encrypted(cast, push_service, mailoutbox):
    browser_key, auth = ec.generate_private_key(ec.SECP256R1()), os.urandom(16)
    public = browser_key.public_key().public_bytes(serialization.Encoding.X962,
                                                   serialization.PublicFormat.UncompressedPoint)  # fmt: skip
    PushSubscription.objects.create(user=cast.parent, endpoint=push_service, p256dh=_b64(public), auth=_b64(auth))
    Preference.objects.create(user=cast.parent, email=False, push=True, kinds=[Kind.GRADE])
    _grade(cast, 10)

    sending.notification_send(notification_id=Notification.objects.get().pk, last=False)

    [(headers, body)] = _PushService.received
    assert headers["authorization"].startswith("vapid t=") and headers["content-encoding"] == "aes128gcm"
    message = json.loads(http_ece.decrypt(body, private_key=browser_key, auth_secret=auth, version="aes128gcm"))
    assert message["body"].startswith("Ana: nota 10 la Matematică") and message["url"].endswith(
        f"/elevi/{cast.ana.pk}/"
    )
    assert not mailoutbox
    assert Notification.objects.get().channels == ["push"]

    _PushService.status = 410  # the browser dropped the subscription: it is forgotten
    _grade(cast, 8)
    sending.notification_send(notification_id=Notification.objects.latest("pk").pk, last=False)
    assert not PushSubscription.objects.exists()
    assert Notification.objects.latest("pk").status == "failed"  # no channel left that could carry it


def test_the_daily_digest_sends_the_days_notices_in_one_message(cast, mailoutbox, held_notifications, settings):
    from catedra.celery_app import app

    Preference.objects.create(user=cast.parent, rhythm=Rhythm.DAILY, kinds=list(Kind.values))
    _grade(cast, 9)
    _grade(cast, 7)
    assert not held_notifications  # nothing at once
    app.conf.task_always_eager = True
    try:
        assert notifications_sweep() == 1
    finally:
        app.conf.task_always_eager = False
    [mail] = mailoutbox
    assert mail.subject == "Catedra: 2 noutăți despre Ana"
    assert "• Ana: nota 9" in mail.body and "• Ana: nota 7" in mail.body
    assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}


def test_a_grade_deleted_before_its_notice_went_is_never_told(cast):
    grade = _grade(cast)
    assert Notification.objects.filter(status="pending").count() == 1
    grades.grade_delete(teacher=cast.mihai, grade=grade, reason="greșeală")
    assert not Notification.objects.exists()


def test_a_corrected_grade_is_told_as_it_now_is(cast, mailoutbox):
    grade = _grade(cast, 4)
    grades.grade_change(teacher=cast.mihai, grade=grade, value=7, reason="greșeală de tastare")
    [waiting] = Notification.objects.all()  # not sent yet: it says the corrected grade, once
    assert waiting.text.startswith("Ana: nota 7 la Matematică") and "4" not in waiting.text.split("(")[0]
    sending.notification_send(notification_id=waiting.pk, last=False)

    grades.grade_change(teacher=cast.mihai, grade=grade, value=8, reason="recorectare")
    told, correction = Notification.objects.order_by("pk")
    assert told.text.startswith("Ana: nota 7") and told.status == "sent"  # what was sent stays as sent
    assert correction.recipient == cast.parent and correction.status == "pending"
    assert correction.text.startswith("Ana: nota la Matematică (") and correction.text.endswith("corectată: 8.")
    grades.grade_change(teacher=cast.mihai, grade=grade, value=9, reason="încă o dată")
    assert Notification.objects.count() == 2  # the correction not sent yet says the latest value
    correction.refresh_from_db()
    assert correction.text.endswith("corectată: 9.")


def test_absences_their_excusal_and_a_threshold_tell_the_family(cast):
    from catalog.attendance import services as attendance

    for hour in range(1, 11):  # the rule set's first threshold is 10 unexcused absences
        attendance.absence_record(
            teacher=cast.mihai, student=cast.ana, school_class=cast.class_5a, subject=cast.math,
            on=past_day(cast.year, 10 + hour // 7), hour=1 + hour % 7,
        )  # fmt: skip
    kinds = list(Notification.objects.values_list("kind", flat=True))
    assert kinds.count(Kind.ABSENCE) == 10 and kinds.count(Kind.THRESHOLD) == 1
    threshold = Notification.objects.get(kind=Kind.THRESHOLD)
    assert threshold.text == "Ana a ajuns la 10 absențe nemotivate în acest an școlar."
    attendance.absences_excuse(homeroom=cast.elena, student=cast.ana, school_class=cast.class_5a,
                               starts=cast.year.starts, ends=past_day(cast.year, 30), reason="medical",
                               document="123", document_date=past_day(cast.year, 12))  # fmt: skip
    assert Notification.objects.get(kind=Kind.EXCUSED).text == "Ana: 10 absențe au fost motivate."


def test_a_parent_who_chose_sms_gets_it_on_the_number_they_confirmed(cast, sms_gateway):
    from accounts.models import SmsDevice

    SmsDevice.objects.create(user=cast.parent, name="SMS", number="+40722123456", confirmed=True)
    Preference.objects.create(user=cast.parent, email=False, push=False, sms=True, kinds=[Kind.GRADE])
    _grade(cast, 9)
    sending.notification_send(notification_id=Notification.objects.get().pk, last=False)
    [sent] = sms_gateway.received
    assert sent["to"] == "+40722123456" and sent["text"].startswith("Catedra: Ana: nota 9 la Matematică")
    assert Notification.objects.get().channels == ["sms"]
