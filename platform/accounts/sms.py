"""Sending SMS through a gateway: one small interface, a console gateway for development
and an HTTP gateway for production, chosen by settings (CATEDRA_SMS_GATEWAY)."""

from __future__ import annotations

import json
import logging
import re
import urllib.error
import urllib.request
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)
_PHONE_RE = re.compile(r"\+[1-9]\d{7,14}")


class SmsError(Exception):
    pass


class SmsGateway(Protocol):
    def send(self, *, to: str, text: str) -> None: ...


class ConsoleSmsGateway:
    """Development: the message goes to the log, the number masked. In production nothing is
    logged (the message holds a sign-in code): without a configured gateway, SMS fails."""

    def send(self, *, to: str, text: str) -> None:
        if settings.PRODUCTION:
            raise SmsError("No SMS gateway is configured (CATEDRA_SMS_GATEWAY=http).")
        logger.warning("SMS to %s: %s", phone_masked(to), text)


class HttpSmsGateway:
    """POSTs `{"to": ..., "text": ...}` as JSON with a bearer token to CATEDRA_SMS_URL."""

    def __init__(self, *, url: str, token: str, sender: str = "", timeout: float = 10.0):
        if not url.startswith("https://") and not url.startswith("http://127.0.0.1"):
            raise ImproperlyConfigured("CATEDRA_SMS_URL must be an https:// URL.")
        self.url, self.token, self.sender, self.timeout = url, token, sender, timeout

    def send(self, *, to: str, text: str) -> None:
        body = {"to": to, "text": text, **({"from": self.sender} if self.sender else {})}
        request = urllib.request.Request(  # noqa: S310 - the URL is checked above
            self.url,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                if not 200 <= response.status < 300:
                    raise SmsError(f"SMS gateway answered {response.status}")
        except (urllib.error.URLError, OSError) as exc:
            raise SmsError(f"SMS gateway unreachable: {type(exc).__name__}") from exc


def sms_gateway() -> SmsGateway:
    if settings.CATEDRA_SMS_GATEWAY == "http":
        return HttpSmsGateway(
            url=settings.CATEDRA_SMS_URL, token=settings.CATEDRA_SMS_TOKEN, sender=settings.CATEDRA_SMS_SENDER
        )
    return ConsoleSmsGateway()


def phone_normalize(value: str) -> str:
    """A phone number in E.164 (`+40722123456`); Romanian `07...` numbers get +40."""
    digits = re.sub(r"[\s().-]", "", value or "")
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    elif digits.startswith("0"):
        digits = "+40" + digits[1:]
    if not _PHONE_RE.fullmatch(digits):
        raise ValidationError(_("Numărul de telefon nu este valid (de exemplu 0722 123 456 sau +40722123456)."))
    return digits


def phone_masked(number: str) -> str:
    return number[:4] + "*" * max(0, len(number) - 7) + number[-3:]
