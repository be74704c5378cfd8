"""Mail leaves through the SMTP server EMAIL_URL names (a real one here: aiosmtpd on
127.0.0.1); a bad URL is refused naming the variable, never echoing its password."""

import pytest
from aiosmtpd.controller import Controller

from tests.helpers import clean_env, free_port, run_catedra

# Settings only: the shell never reaches these servers.
SERVERS = {"DATABASE_URL": "postgres://nobody@127.0.0.1:1/none", "REDIS_URL": "redis://127.0.0.1:1/0"}
SEND = (
    "from django.core.mail import send_mail; from django.conf import settings;"
    " print(settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_HOST_USER, settings.EMAIL_USE_TLS);"
    " send_mail('Absențe: Ana Marin', 'Ana are 10 absențe nemotivate.', None, ['parinte@example.ro'])"
)


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd calls it by this name
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server():
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def test_mail_is_sent_through_the_smtp_server_email_url_names(smtp_server):
    inbox, port = smtp_server
    result = run_catedra("shell", "-c", SEND, env=clean_env(EMAIL_URL=f"smtp://127.0.0.1:{port}", **SERVERS))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == f"127.0.0.1 {port}  False"
    [message] = inbox.messages
    assert message.rcpt_tos == ["parinte@example.ro"]
    assert message.mail_from == "no-reply@catedra.ro"
    assert "Ana are 10 absen" in message.content.decode()
    assert "Ana are" not in result.stderr  # not printed to the console as well


def test_credentials_and_tls_come_from_the_url():
    script = "from django.conf import settings as s; print(s.EMAIL_HOST_USER, s.EMAIL_HOST_PASSWORD, s.EMAIL_USE_TLS)"
    url = "smtp+tls://catedra%40scoala.ro:p%2Fa%40ss@smtp.example.ro:587"
    result = run_catedra("shell", "-c", script, env=clean_env(EMAIL_URL=url, **SERVERS))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "catedra@scoala.ro p/a@ss True"


@pytest.mark.parametrize(
    "url", ["bogus://user:hunter2@smtp.example.ro", "hunter2", "smtp://user:hunter2@smtp.example.ro:99999", "smtp://"]
)
def test_a_bad_email_url_is_refused_naming_the_variable_not_the_password(url):
    result = run_catedra("check", env=clean_env(EMAIL_URL=url, **SERVERS))
    assert result.returncode != 0
    assert "EMAIL_URL is not a mail URL" in result.stderr
    assert "hunter2" not in result.stderr and "Traceback" not in result.stderr
