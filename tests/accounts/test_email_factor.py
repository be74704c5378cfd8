"""The e-mail code as a second factor: five minutes, single use, throttled."""

import re
from datetime import timedelta

from django.utils import timezone
from django_otp.plugins.otp_email.models import EmailDevice
from django_tenants.utils import schema_context

from tests.accounts.conftest import login


def mailed_code(mailoutbox) -> str:
    return re.search(r"\b(\d{6})\b", mailoutbox[-1].body).group(1)


def enrol_by_email(client, mailoutbox) -> None:
    client.get("/cont/2fa/inrolare/email/")
    response = client.post("/cont/2fa/inrolare/email/", {"token": mailed_code(mailoutbox), "next": "/"})
    assert "Coduri de rezervă" in response.content.decode()


def test_a_teacher_enrols_with_a_code_sent_by_email(teacher_client, teacher, mailoutbox):
    enrol_by_email(teacher_client, mailoutbox)
    assert mailoutbox[0].to == [teacher.email]
    assert teacher_client.get("/").status_code == 200


def test_an_emailed_code_signs_in_once(teacher_client, teacher, client_a, mailoutbox):
    enrol_by_email(teacher_client, mailoutbox)
    teacher_client.post("/cont/logout/")
    login(client_a, teacher.username)
    with schema_context("school_a"):
        EmailDevice.objects.filter(user=teacher).update(last_generated_timestamp=None)  # skip the cooldown
    client_a.post("/cont/2fa/cod/email/", {"next": "/"})
    code = mailed_code(mailoutbox)
    assert client_a.post("/cont/2fa/verificare/", {"token": code}).status_code == 302
    client_a.post("/cont/logout/")
    login(client_a, teacher.username)
    assert client_a.post("/cont/2fa/verificare/", {"token": code}).status_code == 200  # used up


def test_an_emailed_code_expires_after_five_minutes(teacher_client, teacher, mailoutbox):
    teacher_client.get("/cont/2fa/inrolare/email/")
    with schema_context("school_a"):
        EmailDevice.objects.filter(user=teacher).update(valid_until=timezone.now() - timedelta(seconds=1))
    response = teacher_client.post("/cont/2fa/inrolare/email/", {"token": mailed_code(mailoutbox)})
    assert "nu este corect" in response.content.decode()


def test_without_an_address_the_email_factor_is_not_offered(client_a, school_a):
    from accounts.roles import Role
    from tests.accounts.conftest import make_user

    make_user(school_a.schema_name, "fara.email", [Role.TEACHER])
    login(client_a, "fara.email")
    response = client_a.get("/cont/2fa/inrolare/email/")
    assert response.status_code == 302
    assert response["Location"] == "/cont/2fa/inrolare/"
