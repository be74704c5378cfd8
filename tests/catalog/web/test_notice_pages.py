"""The notices to parents that were not sent: the teacher's write never waits for the mail, and
the secretariat, the management and the class's homeroom teacher see and resend what failed."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import ParentLink
from accounts.roles import Role
from audit.actions import Action
from audit.models import AuditEvent
from catalog.attendance import notices
from catalog.attendance import services as attendance
from catalog.attendance.models import Notice, NoticeDelivery
from tests.accounts.conftest import make_user
from tests.catalog.conftest import past_day
from tests.catalog.web.conftest import gradebook_url

URL = "/instiintari-netrimise/"
Status, Error = NoticeDelivery.Status, NoticeDelivery.Error


def resend_url(delivery) -> str:
    return f"{URL}{delivery.pk}/retrimite/"


def failed_copy(cast, student, school_class, threshold=10, **fields) -> NoticeDelivery:
    """A copy to the student's parent (Ana's mother by default) that the job gave up on."""
    notice = Notice.objects.create(student=student, school_class=school_class, threshold=threshold, unexcused=threshold)
    fields = {"parent": cast.parent, "status": Status.FAILED, "channel": "email", "attempts": 6,
              "error": Error.MAIL_UNAVAILABLE, "attempted_at": timezone.now()} | fields  # fmt: skip
    return NoticeDelivery.objects.create(notice=notice, **fields)


def test_the_teachers_request_shows_no_error_when_the_mail_server_is_down_and_the_school_resends_it(
    cast, as_user, mail_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for hour in range(1, 10):
            attendance.absence_record(
                teacher=cast.mihai, student=cast.ana, school_class=cast.class_5a, subject=cast.math,
                on=past_day(cast.year, 10), hour=hour,
            )  # fmt: skip
    teacher = as_user(cast.mihai)
    fields = {"on": past_day(cast.year, 11).isoformat(), "hour": "1"}
    with django_capture_on_commit_callbacks(execute=True):  # the tenth: the notice's job runs as the write commits
        row = teacher.post(gradebook_url(cast.class_5a, cast.math, cast.ana, "absenta"), fields, HTTP_HX_REQUEST="true")
    text = row.content.decode()
    assert row.status_code == 200 and "Absență trecută la ora 1." in text and 'class="error"' not in text
    copy = NoticeDelivery.objects.get()
    assert (copy.status, copy.error, copy.attempts) == (Status.FAILED, Error.MAIL_UNAVAILABLE, 6)

    secretary = as_user(cast.admin)
    assert URL in secretary.get("/").content.decode()
    page = secretary.get(URL).content.decode()
    for shown in ("Ana Marin", "Clasa a V-a A", "10 absențe nemotivate în anul școlar", "Ioana Marin", "e-mail",
                  "Serverul de e-mail nu a răspuns.", "6 încercări", resend_url(copy)):  # fmt: skip
        assert shown in page, shown
    mail_server.start()
    with django_capture_on_commit_callbacks(execute=True):
        response = secretary.post(resend_url(copy))
    assert response.status_code == 302 and response["Location"] == URL
    copy.refresh_from_db()
    assert copy.status == Status.SENT and len(mail_server.messages) == 1
    assert AuditEvent.objects.get(action=Action.ABSENCE_NOTICE_RESENT).actor_id == cast.admin.pk
    page = secretary.get(URL).content.decode()
    assert "Înștiințarea a fost pusă din nou la trimis." in page and "Toate înștiințările au fost trimise." in page


def test_each_follower_sees_the_unsent_notices_of_the_classes_they_follow(cast, as_user):
    ana = failed_copy(cast, cast.ana, cast.class_5a)
    ioana = failed_copy(cast, cast.ioana, cast.class_3a)
    failed_copy(cast, cast.bogdan, cast.class_5a, status=Status.SENT, error="")  # sent: not listed
    for who, listed in [("admin", {ana, ioana}), ("director", {ana, ioana}), ("elena", {ana}), ("maria", {ioana})]:
        page = as_user(getattr(cast, who)).get(URL).content.decode()
        assert {c for c in (ana, ioana) if resend_url(c) in page} == listed, who
        assert "Bogdan" not in page


@pytest.mark.parametrize("who", ["mihai", "parent", "stats", "ana"])
def test_everyone_else_gets_a_404_and_cannot_resend(cast, as_user, who):
    copy = failed_copy(cast, cast.ana, cast.class_5a)
    user = cast.ana.user if who == "ana" else getattr(cast, who)
    client = as_user(user)
    assert client.get(URL).status_code == 404
    assert client.post(resend_url(copy)).status_code == 404
    assert URL not in client.get("/").content.decode()
    copy.refresh_from_db()
    assert copy.status == Status.FAILED


def test_another_classs_homeroom_teacher_cannot_resend_and_a_sent_copy_is_not_resent(cast, as_user):
    copy = failed_copy(cast, cast.ana, cast.class_5a)
    assert as_user(cast.maria).post(resend_url(copy)).status_code == 404
    copy.refresh_from_db()
    assert copy.status == Status.FAILED
    sent = failed_copy(cast, cast.ana, cast.class_5a, threshold=20, status=Status.SENT, error="")
    client = as_user(cast.elena)
    assert client.post(resend_url(sent), follow=True).content.decode().count(str(notices.NOT_RESENDABLE)) == 1
    assert not AuditEvent.objects.filter(action=Action.ABSENCE_NOTICE_RESENT).exists()


def test_a_copy_that_waits_for_over_an_hour_is_listed_as_stuck(cast, as_user):
    late = timezone.now() - notices.STUCK_AFTER - timedelta(minutes=5)
    stuck = failed_copy(cast, cast.ana, cast.class_5a, status=Status.PENDING, error="", attempts=0, attempted_at=None)
    NoticeDelivery.objects.filter(pk=stuck.pk).update(queued_at=late)
    on_its_way = failed_copy(cast, cast.ana, cast.class_5a, threshold=20, status=Status.PENDING, error="")
    page = as_user(cast.director).get(URL).content.decode()
    assert resend_url(stuck) in page and "Așteaptă de peste o oră să fie trimisă." in page
    assert resend_url(on_its_way) not in page


def test_the_list_costs_the_same_queries_for_1_or_20_unsent_notices(
    cast, school_a, as_user, django_assert_max_num_queries
):
    client = as_user(cast.admin)
    failed_copy(cast, cast.ana, cast.class_5a)
    with django_assert_max_num_queries(20) as one:
        assert client.get(URL).status_code == 200
    for n in range(19):
        parent = make_user(school_a.schema_name, f"parinte.{n}", [Role.PARENT], first_name=f"P{n}")
        student = (cast.bogdan, cast.ioana, cast.victor)[n % 3]
        ParentLink.objects.create(parent=parent, student=student.user)
        failed_copy(cast, student, {0: cast.class_5a, 1: cast.class_3a, 2: cast.class_6b}[n % 3], 11 + n, parent=parent)
    with django_assert_max_num_queries(len(one)) as many:
        page = client.get(URL)
    assert page.content.decode().count('data-testid="notice-unsent"') == 20
    assert len(many) == len(one)
