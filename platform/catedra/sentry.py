"""Error reporting to Sentry without personal data.

The SDK would send local variables, request bodies, cookies and exception messages
that echo values (`Key (email)=(ana@...) already exists`). Catedra sends none of them:
no user, cookies, bodies, query strings or locals are collected, fields with our
personal-data names are scrubbed, and every message gets a last pass. Events are
tagged with the school's schema (not personal data)."""

import re

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.scrubber import DEFAULT_DENYLIST, DEFAULT_PII_DENYLIST, EventScrubber

# Field names whose values are personal data in a school catalog (Romanian and English).
PERSONAL_FIELDS = [
    "cnp", "nume", "prenume", "email", "telefon", "phone", "adresa", "address", "first_name",
    "last_name", "username", "name", "birth_date", "data_nasterii", "numar_matricol", "parola",
    "password", "otp", "token", "code", "cod", "notes", "observatii", "motiv", "reason",
]  # fmt: skip
REDACTED = "[redactat]"
_KEPT_HEADERS = {"host", "user-agent"}
# The SDK skips its own scrubber when data_collection is given; before_send runs ours.
_SCRUBBER = EventScrubber(
    denylist=DEFAULT_DENYLIST + PERSONAL_FIELDS, pii_denylist=DEFAULT_PII_DENYLIST + PERSONAL_FIELDS, recursive=True
)
_VALUE_PATTERNS = [
    re.compile(r"(?<=\)=\().*?(?=\))"),  # PostgreSQL: Key (email)=(value)
    re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"),  # e-mail addresses
    re.compile(r"(?<!\d)[1-9]\d{12}(?!\d)"),  # CNP: 13 digits
    re.compile(r"(?<!\d)(\+?40|0)7\d{8}(?!\d)"),  # Romanian mobile numbers
    re.compile(r"DETAIL:.*", re.DOTALL),  # PostgreSQL details quote row values
]


def sentry_init(*, dsn: str, environment: str, traces_sample_rate: float = 0.0, transport=None) -> None:
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        # What the SDK may collect at all (supersedes send_default_pii): no people, no values.
        data_collection={
            "user_info": False,
            "cookies": {"mode": "off"},
            "http_headers": {"request": {"mode": "allowlist", "terms": sorted(_KEPT_HEADERS)}},
            "http_bodies": [],
            "url_query_params": {"mode": "off"},
            "database_query_data": False,
            "stack_frame_variables": False,
            "gen_ai": {"inputs": False, "outputs": False},
        },
        include_local_variables=False,
        max_request_body_size="never",
        before_send=scrub_event,
        traces_sample_rate=traces_sample_rate,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        transport=transport,
    )


def redact(text: str) -> str:
    for pattern in _VALUE_PATTERNS:
        text = pattern.sub(REDACTED, text)
    return text


def scrub_event(event, hint):
    """Last pass before an event leaves: personal fields scrubbed by name, messages
    redacted, the request reduced to its route."""
    _SCRUBBER.scrub_event(event)
    for exception in (event.get("exception") or {}).get("values", []):
        if isinstance(exception.get("value"), str):
            exception["value"] = redact(exception["value"])
    logentry = event.get("logentry") or {}
    if isinstance(logentry.get("message"), str):
        logentry["message"] = redact(logentry["message"])
    logentry.pop("params", None)
    logentry.pop("formatted", None)
    if isinstance(event.get("message"), str):
        event["message"] = redact(event["message"])
    request = event.get("request") or {}
    for key in ("data", "cookies", "query_string", "env"):
        request.pop(key, None)
    headers = request.get("headers") or {}
    request["headers"] = {name: value for name, value in headers.items() if name.lower() in _KEPT_HEADERS}
    event.pop("user", None)
    for crumb in (event.get("breadcrumbs") or {}).get("values", []):
        if isinstance(crumb.get("message"), str):
            crumb["message"] = redact(crumb["message"])
        crumb.pop("data", None)
    return event


def tag_school(schema_name: str) -> None:
    sentry_sdk.set_tag("school", schema_name)
