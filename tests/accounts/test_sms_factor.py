"""SMS codes through the gateway adapter: the console gateway in development, and the
HTTP gateway against a real HTTP server on loopback."""

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import schema_context

from accounts.models import SmsDevice
from accounts.sms import ConsoleSmsGateway, HttpSmsGateway, SmsError, phone_masked, phone_normalize
from tests.accounts.conftest import login


@pytest.mark.parametrize(
    ("typed", "number"),
    [("0722 123 456", "+40722123456"), ("+40 (722) 123-456", "+40722123456"), ("0040722123456", "+40722123456"),
     ("+33612345678", "+33612345678")],
)  # fmt: skip
def test_phone_numbers_are_kept_in_e164(typed, number):
    assert phone_normalize(typed) == number


@pytest.mark.parametrize("typed", ["", "123", "07221234567890123", "+40abc", "0722;DROP"])
def test_bad_phone_numbers_are_refused(typed):
    with pytest.raises(ValidationError):
        phone_normalize(typed)


def test_numbers_are_masked_in_logs():
    assert phone_masked("+40722123456") == "+407*****456"


def test_in_production_the_console_gateway_sends_nothing_and_logs_no_code(settings, caplog):
    settings.PRODUCTION = True
    with pytest.raises(SmsError):
        ConsoleSmsGateway().send(to="+40722123456", text="Codul Catedra: 123456")
    assert "123456" not in caplog.text
    settings.PRODUCTION = False
    ConsoleSmsGateway().send(to="+40722123456", text="Codul Catedra: 123456")
    assert "Codul Catedra: 123456" in caplog.text  # development: the code is in the log, the number masked


@pytest.mark.parametrize(
    ("variables", "problem"),
    [
        ({"CATEDRA_SMS_GATEWAY": "htpp"}, "CATEDRA_SMS_GATEWAY must be 'console' or 'http'"),
        ({"CATEDRA_SMS_GATEWAY": "http"}, "CATEDRA_SMS_GATEWAY=http needs CATEDRA_SMS_URL, an https:// URL"),
        (
            {"CATEDRA_SMS_GATEWAY": "http", "CATEDRA_SMS_URL": "http://sms.example.test/"},
            "CATEDRA_SMS_GATEWAY=http needs CATEDRA_SMS_URL, an https:// URL",
        ),
    ],
)
def test_a_bad_sms_gateway_is_refused_at_start(variables, problem):
    from tests.helpers import clean_env, run_catedra

    servers = {"DATABASE_URL": "postgres://nobody@127.0.0.1:1/none", "REDIS_URL": "redis://127.0.0.1:1/0"}
    result = run_catedra("check", env=clean_env(**variables, **servers))
    assert result.returncode != 0 and problem in result.stderr


def test_without_a_gateway_sms_is_not_offered(teacher_client, settings):
    """Production without CATEDRA_SMS_GATEWAY=http (settings.CATEDRA_SMS_ENABLED off): no SMS factor."""
    assert "/cont/2fa/inrolare/sms/" in teacher_client.get("/cont/2fa/inrolare/").content.decode()
    settings.CATEDRA_SMS_ENABLED = False
    assert "/cont/2fa/inrolare/sms/" not in teacher_client.get("/cont/2fa/inrolare/").content.decode()
    assert teacher_client.post("/cont/2fa/inrolare/sms/", {"number": "0722 123 456"}).status_code == 404
    with schema_context("school_a"):
        assert not SmsDevice.objects.exists()


def texted_code(caplog) -> str:
    return re.findall(r"Codul Catedra: (\d{6})", caplog.text)[-1]


def test_a_teacher_enrols_by_sms_and_signs_in_with_a_texted_code(teacher_client, teacher, client_a, caplog):
    teacher_client.post("/cont/2fa/inrolare/sms/", {"number": "0722 123 456"})
    assert "+40722123456" not in caplog.text  # the log shows the number masked
    response = teacher_client.post("/cont/2fa/inrolare/sms/", {"token": texted_code(caplog), "number": "+40722123456"})
    assert "Coduri de rezervă" in response.content.decode()

    teacher_client.post("/cont/logout/")
    login(client_a, teacher.username)
    with schema_context("school_a"):
        SmsDevice.objects.filter(user=teacher).update(last_generated_timestamp=None)  # skip the cooldown
    client_a.post("/cont/2fa/cod/sms/", {"next": "/"})
    assert client_a.post("/cont/2fa/verificare/", {"token": texted_code(caplog)}).status_code == 302


class _Gateway(BaseHTTPRequestHandler):
    received: list = []
    status = 200

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        _Gateway.received.append((self.headers["Authorization"], json.loads(self.rfile.read(length))))
        self.send_response(_Gateway.status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway_url():
    server = HTTPServer(("127.0.0.1", 0), _Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Gateway.received, _Gateway.status = [], 200
    yield f"http://127.0.0.1:{server.server_port}/sms"
    server.shutdown()


def test_the_http_gateway_posts_json_with_the_token(gateway_url):
    HttpSmsGateway(url=gateway_url, token="gw-secret", sender="Catedra").send(to="+40722123456", text="Codul: 1")
    assert _Gateway.received == [("Bearer gw-secret", {"to": "+40722123456", "text": "Codul: 1", "from": "Catedra"})]


def test_a_gateway_error_is_an_sms_error(gateway_url):
    _Gateway.status = 500
    with pytest.raises(SmsError):
        HttpSmsGateway(url=gateway_url, token="t").send(to="+40722123456", text="x")
    with pytest.raises(SmsError):
        HttpSmsGateway(url="http://127.0.0.1:1/none", token="t").send(to="+40722123456", text="x")


def test_a_failing_gateway_gives_the_person_a_message_not_a_500(teacher_client, settings, gateway_url):
    settings.CATEDRA_SMS_GATEWAY, settings.CATEDRA_SMS_URL = "http", gateway_url
    _Gateway.status = 503
    response = teacher_client.post("/cont/2fa/inrolare/sms/", {"number": "0722123456"})
    assert response.status_code == 200
    assert "nu a putut fi trimis" in response.content.decode()


def test_plain_http_gateways_are_refused_outside_loopback():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        HttpSmsGateway(url="http://sms.example/send", token="t")
