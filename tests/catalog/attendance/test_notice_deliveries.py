"""Rule 17's notices reach each parent through a background job once the absence is saved:
retried while a server does not answer, recorded sent or failed, never sent twice; by SMS
to a parent without e-mail where SMS can be sent; the school sends a failed one again."""

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import ParentLink, SmsDevice
from accounts.roles import Role
from accounts.services import NotAllowed
from audit.actions import Action
from audit.models import AuditEvent
from catalog.attendance import notices
from catalog.attendance import services as attendance
from catalog.attendance.models import Notice, NoticeDelivery
from catalog.attendance.tasks import notice_deliver_job
from tests.accounts.conftest import make_user
from tests.catalog.conftest import past_day

Status, Error = NoticeDelivery.Status, NoticeDelivery.Error


def absences(cast, count: int, *, first: int = 0, student=None) -> None:
    """`count` unexcused mathematics absences of Ana (or `student`), eight hours a day."""
    for n in range(first, first + count):
        attendance.absence_record(
            teacher=cast.mihai, student=student or cast.ana, school_class=cast.class_5a, subject=cast.math,
            on=past_day(cast.year, 10 + n // 8), hour=1 + n % 8,
        )  # fmt: skip


def ten_absences(cast, capture) -> NoticeDelivery:
    """Ana reaches 10 unexcused absences, the write commits and the job runs: her mother's copy."""
    with capture(execute=True):
        absences(cast, 10)
    return NoticeDelivery.objects.get()


class _Gateway(BaseHTTPRequestHandler):
    received: list = []
    status = 200

    def do_POST(self):
        _Gateway.received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(_Gateway.status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def sms_gateway(settings):
    """CATEDRA_SMS_GATEWAY=http, answered by a real HTTP server on loopback."""
    server = HTTPServer(("127.0.0.1", 0), _Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Gateway.received, _Gateway.status = [], 200
    settings.CATEDRA_SMS_GATEWAY, settings.CATEDRA_SMS_ENABLED = "http", True
    settings.CATEDRA_SMS_URL, settings.CATEDRA_SMS_TOKEN = f"http://127.0.0.1:{server.server_port}/sms", "t"
    yield _Gateway
    server.shutdown()


@pytest.fixture
def texting_parent(cast):
    """Ana's mother without an e-mail, with the phone she confirmed for sign-in codes."""
    cast.parent.email = ""
    cast.parent.save()
    SmsDevice.objects.create(user=cast.parent, name="SMS", number="+40722123456", confirmed=True)
    return cast.parent


def test_each_active_parent_gets_a_copy_sent_by_the_job_once_the_absence_is_saved(
    cast, school_a, mailoutbox, django_capture_on_commit_callbacks
):
    schema = school_a.schema_name
    father = make_user(schema, "tata.anei", [Role.PARENT], first_name="Ion", email="tata.anei@example.test")
    gone = make_user(schema, "fost.tutore", [Role.PARENT], email="fost@example.test", is_active=False)
    for parent in (father, gone):
        ParentLink.objects.create(parent=parent, student=cast.ana.user)
    with django_capture_on_commit_callbacks() as callbacks:
        absences(cast, 10)
    copies = NoticeDelivery.objects.order_by("parent__username")
    assert [(c.parent, c.status, c.attempts) for c in copies] == [
        (cast.parent, Status.PENDING, 0), (father, Status.PENDING, 0)
    ]  # fmt: skip
    assert mailoutbox == []  # nothing is sent inside the teacher's write
    for callback in callbacks:
        callback()
    assert sorted(message.to[0] for message in mailoutbox) == ["mama.anei@example.test", "tata.anei@example.test"]
    assert all("Ana Marin are 10 absențe nemotivate" in message.body for message in mailoutbox)
    for copy in copies.all():
        assert (copy.status, copy.channel, copy.attempts, copy.error) == (Status.SENT, "email", 1, "")
        assert copy.sent_at is not None and copy.sent_at == copy.attempted_at


def test_a_mail_server_that_is_down_fails_the_copy_after_the_retries_and_it_is_sent_once_back(
    cast, mail_server, django_capture_on_commit_callbacks, caplog
):
    copy = ten_absences(cast, django_capture_on_commit_callbacks)
    assert (notice_deliver_job.max_retries, notice_deliver_job.retry_backoff) == (5, 60)
    assert (copy.status, copy.error, copy.channel, copy.attempts) == (Status.FAILED, Error.MAIL_UNAVAILABLE, "email", 6)
    assert Notice.objects.get().threshold == 10  # the notice itself stands
    assert "mama.anei" not in caplog.text and "Ana" not in caplog.text  # the log names the copy and the kind only

    mail_server.start()
    with django_capture_on_commit_callbacks(execute=True):
        notices.notice_delivery_resend(actor=cast.admin, delivery=copy)
    copy.refresh_from_db()
    assert (copy.status, copy.attempts) == (Status.SENT, 7)
    [message] = mail_server.messages
    assert message.rcpt_tos == ["mama.anei@example.test"] and "Ana Marin are 10 absen" in message.content.decode()
    event = AuditEvent.objects.get(action=Action.ABSENCE_NOTICE_RESENT)
    assert (event.actor_id, event.person_id, event.object_id) == (cast.admin.pk, cast.ana.user.pk, str(copy.pk))
    assert event.old_values["status"] == Status.FAILED and event.new_values["threshold"] == 10
    assert "mama.anei" not in json.dumps([event.old_values, event.new_values])


def test_a_redelivered_task_sends_the_copy_once(cast, mailoutbox, django_capture_on_commit_callbacks):
    copy = ten_absences(cast, django_capture_on_commit_callbacks)
    notice_deliver_job.apply((copy.pk,))  # the broker hands the same message to a worker again
    notice_deliver_job.apply((copy.pk,))
    copy.refresh_from_db()
    assert len(mailoutbox) == 1 and (copy.status, copy.attempts) == (Status.SENT, 1)
    with pytest.raises(ValidationError) as refused:
        notices.notice_delivery_resend(actor=cast.admin, delivery=copy)
    assert refused.value.messages == [str(notices.NOT_RESENDABLE)]


def test_an_address_the_server_refuses_is_failed_at_once(cast, mail_server, django_capture_on_commit_callbacks):
    mail_server.refuses = True
    mail_server.start()
    copy = ten_absences(cast, django_capture_on_commit_callbacks)
    assert (copy.status, copy.error, copy.attempts) == (Status.FAILED, Error.MAIL_REFUSED, 1)


def test_a_parent_without_e_mail_gets_the_notice_by_sms_when_a_gateway_is_configured(
    cast, texting_parent, sms_gateway, mailoutbox, django_capture_on_commit_callbacks
):
    copy = ten_absences(cast, django_capture_on_commit_callbacks)
    assert (copy.status, copy.channel, copy.attempts) == (Status.SENT, "sms", 1)
    [sms] = sms_gateway.received
    assert sms["to"] == "+40722123456" and sms["text"].startswith("Ana Marin are 10 absențe nemotivate")
    assert mailoutbox == []


def test_an_sms_gateway_that_does_not_answer_is_retried_then_the_copy_failed(
    cast, texting_parent, sms_gateway, django_capture_on_commit_callbacks
):
    sms_gateway.status = 503
    copy = ten_absences(cast, django_capture_on_commit_callbacks)
    assert (copy.status, copy.error, copy.channel, copy.attempts) == (Status.FAILED, Error.SMS_UNAVAILABLE, "sms", 6)
    assert len(sms_gateway.received) == 6


def test_without_sms_a_parent_without_e_mail_is_reported_as_not_reached(
    cast, texting_parent, settings, django_capture_on_commit_callbacks
):
    """Production without a gateway (CATEDRA_SMS_ENABLED off) offers no SMS: nothing to retry."""
    settings.CATEDRA_SMS_ENABLED = False
    copy = ten_absences(cast, django_capture_on_commit_callbacks)
    assert (copy.status, copy.error, copy.channel, copy.attempts) == (Status.FAILED, Error.NO_CONTACT, "", 1)


def test_a_parent_deactivated_before_the_job_ran_is_not_sent_the_notice(
    cast, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        absences(cast, 10)
    cast.parent.is_active = False
    cast.parent.save()
    for callback in callbacks:
        callback()
    copy = NoticeDelivery.objects.get()
    assert (copy.status, copy.error) == (Status.FAILED, Error.PARENT_INACTIVE) and mailoutbox == []


def test_a_copy_whose_job_was_lost_may_be_sent_again_after_an_hour(
    cast, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks():  # the broker never took the job
        absences(cast, 10)
    copy = NoticeDelivery.objects.get()
    with pytest.raises(ValidationError):  # it may still be on its way
        notices.notice_delivery_resend(actor=cast.admin, delivery=copy)
    NoticeDelivery.objects.update(queued_at=timezone.now() - notices.STUCK_AFTER - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        notices.notice_delivery_resend(actor=cast.elena, delivery=copy)  # the class's homeroom teacher
    copy.refresh_from_db()
    assert copy.status == Status.SENT and len(mailoutbox) == 1


@pytest.mark.parametrize("who", ["mihai", "maria", "parent", "stats"])
def test_only_the_secretariat_the_management_and_the_homeroom_teacher_send_a_notice_again(
    cast, mail_server, django_capture_on_commit_callbacks, who
):
    copy = ten_absences(cast, django_capture_on_commit_callbacks)
    with pytest.raises(NotAllowed):
        notices.notice_delivery_resend(actor=getattr(cast, who), delivery=copy)
    copy.refresh_from_db()
    assert copy.status == Status.FAILED and not AuditEvent.objects.filter(action=Action.ABSENCE_NOTICE_RESENT).exists()
