"""Sentry events carry no personal data: not from the request, locals or messages."""

import pytest
import sentry_sdk
from sentry_sdk.transport import Transport

from catedra.sentry import REDACTED, redact, sentry_init
from tests.conftest import SCHOOL_A

PERSONAL = {"email": "ana.popescu@example.ro", "cnp": "6090512123456", "telefon": "0722123456", "nume": "Popescu"}


class CapturingTransport(Transport):
    def __init__(self):
        super().__init__()
        self.envelopes = []

    def capture_envelope(self, envelope):
        self.envelopes.append(envelope)


@pytest.fixture
def sentry_events(settings):
    settings.ROOT_URLCONF = "tests.catedra.sentry_probe_urls"
    transport = CapturingTransport()
    sentry_init(dsn="https://key@sentry.example/1", environment="test", transport=transport)
    yield transport
    sentry_sdk.init(dsn=None)


def test_an_error_in_a_school_request_reaches_sentry_without_personal_data(db, client, sentry_events):
    client.raise_request_exception = False
    client.cookies["sessionid"] = "s3cr3t-session"
    response = client.post(f"/probe/fail?email={PERSONAL['email']}", PERSONAL, HTTP_HOST=f"{SCHOOL_A}.localhost")
    assert response.status_code == 500
    sentry_sdk.flush()

    events = [
        item.payload.json for envelope in sentry_events.envelopes for item in envelope.items if item.type == "event"
    ]
    assert len(events) == 1
    sent = b"".join(envelope.serialize() for envelope in sentry_events.envelopes).decode()
    for value in [*PERSONAL.values(), "s3cr3t-session"]:
        assert value not in sent
    assert events[0]["tags"]["school"] == "school_a"
    assert "accounts_user_email_key" in events[0]["exception"]["values"][0]["value"]


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Key (email)=(ana@example.ro) already exists.", "Key (email)=(" + REDACTED + ")"),
        ("student 6090512123456 not found", "student " + REDACTED),
        ("call +40722123456", "call " + REDACTED),
        ('relation "catalog_grade" does not exist', 'relation "catalog_grade" does not exist'),
    ],
)
def test_messages_lose_the_values_they_echo(text, kept):
    assert kept in redact(text)
