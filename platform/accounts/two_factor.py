"""Second factor (django-otp): authenticator-app TOTP, e-mail and SMS codes, passkeys
(WebAuthn) and printable backup codes.

Codes are verified against the user's own devices; django-otp refuses a TOTP code that
was already used (it remembers the last time step) and throttles each device after
failures with growing delays (1, 2, 4, ... s), during which even the right code is
refused, until the delay passes or an administrator lifts it.
"""

from __future__ import annotations

import io
import logging
import time
from dataclasses import dataclass
from datetime import datetime

import django_otp
import qrcode
import qrcode.image.svg
from django.db import transaction
from django.http.request import split_domain_port
from django.utils.translation import gettext
from django_otp.plugins.otp_email.models import EmailDevice
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.exceptions import OTPWebAuthnApiError
from django_otp_webauthn.helpers import WebAuthnHelper
from django_otp_webauthn.models import WebAuthnCredential
from webauthn.helpers.exceptions import WebAuthnException

from accounts.models import SmsDevice, User
from accounts.sms import SmsError, phone_masked
from audit.actions import Action
from audit.services import audit_record

TOTP_NAME = "Aplicație de autentificare"
EMAIL_NAME = "Cod prin e-mail"
SMS_NAME = "Cod prin SMS"
PASSKEY_NAME = "Cheie de acces"
logger = logging.getLogger(__name__)
BACKUP_NAME = "Coduri de rezervă"
BACKUP_CODES = 10


@dataclass(frozen=True)
class Verification:
    device: object | None
    locked_until: datetime | None = None


def totp_enrolment_start(*, user: User, pending_id: int | None = None) -> TOTPDevice:
    """The unconfirmed TOTP device this session started (`pending_id`), else a new one. A
    secret shown to another session is discarded, never offered: whoever saw it (a stolen
    password before the first enrolment) could otherwise read the owner's codes."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False, pk=pending_id).first() if pending_id else None
    if device is None:
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        device = TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)
    return device


def totp_qr_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// URL as an inline SVG QR code (no image request, CSP-safe)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue().decode()


def totp_secret_for_humans(device: TOTPDevice) -> str:
    """The base32 secret in groups of four, for typing into an app by hand."""
    import base64

    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def totp_enrolment_confirm(*, user: User, device_id: int, token: str) -> Verification:
    """Confirm the session's unconfirmed TOTP device with a first code from the app."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False, pk=device_id).first()
    if device is None:
        return Verification(device=None)
    result = _verify(device, token)
    if result.device is not None:
        _confirmed(user, device)
    return result


def _confirmed(user: User, device) -> None:
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        audit_record(action=Action.TWO_FACTOR_ENROLLED, actor=user, obj=user, person=user, new=_described(device))


def _described(device) -> dict[str, str]:
    return {"method": type(device).__name__, "name": device.name}


def email_enrolment_start(*, user: User) -> str:
    """E-mail a code to confirm the e-mail factor; the message for the person."""
    device = EmailDevice.objects.filter(user=user, confirmed=False).first()
    device = device or EmailDevice.objects.create(user=user, name=EMAIL_NAME, confirmed=False)
    return _send(device)


def sms_enrolment_start(*, user: User, number: str) -> str:
    """Text a code to `number` (already normalised) to confirm the SMS factor."""
    device = SmsDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = SmsDevice.objects.create(user=user, name=SMS_NAME, confirmed=False, number=number)
    elif device.number != number:
        device.number = number
        device.save(update_fields=["number"])
    return _send(device)


def side_channel_enrolment_confirm(*, user: User, kind: type, token: str) -> Verification:
    """Confirm the unconfirmed e-mail or SMS factor with the code it delivered."""
    device = kind.objects.filter(user=user, confirmed=False).first()
    if device is None:
        return Verification(device=None)
    result = _verify(device, "".join((token or "").split()))
    if result.device is not None:
        _confirmed(user, device)
    return result


def side_channel_code_send(*, user: User, kind: type) -> str | None:
    """Send a sign-in code by e-mail or SMS to a user who has that factor; the message, or None."""
    device = kind.objects.filter(user=user, confirmed=True).first()
    return _send(device) if device else None


def _send(device) -> str:
    allowed, _info = device.generate_is_allowed()
    if not allowed:
        return gettext("Un cod a fost trimis de curând. Așteptați puțin înainte de a cere altul.")
    try:
        device.generate_challenge()
    except SmsError:
        logger.warning("SMS gateway failed for user %s", device.user_id)
        return gettext("Mesajul nu a putut fi trimis acum. Încercați din nou sau folosiți altă metodă.")
    if isinstance(device, SmsDevice):
        return gettext("V-am trimis un cod prin SMS la %(number)s. Este valabil 5 minute.") % {
            "number": phone_masked(device.number)
        }
    return gettext("V-am trimis un cod pe e-mail. Este valabil 5 minute.")


def backup_codes_generate(*, user: User) -> list[str]:
    """A new set of single-use backup codes (the old set is discarded)."""
    with transaction.atomic():
        device, _created = StaticDevice.objects.get_or_create(user=user, name=BACKUP_NAME, defaults={"confirmed": True})
        device.token_set.all().delete()
        codes = [StaticToken.random_token() for _n in range(BACKUP_CODES)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
        audit_record(action=Action.BACKUP_CODES_ISSUED, actor=user, obj=user, person=user)
    return codes


def otp_verify(*, user: User, token: str) -> Verification:
    """Check `token` against the user's confirmed devices of its kind: six digits are an
    app code, anything else a backup code (so a backup code never throttles the app)."""
    token = "".join((token or "").split()).lower()
    kinds = (TOTPDevice, EmailDevice, SmsDevice) if token.isdigit() and len(token) == 6 else (StaticDevice,)
    locked_until = None
    for device in (device for kind in kinds for device in kind.objects.filter(user=user, confirmed=True)):
        result = _verify(device, token)
        if result.device is not None:
            audit_record(action=Action.TWO_FACTOR_VERIFIED, actor=user, obj=user, person=user, new=_described(device))
            return result
        locked_until = locked_until or result.locked_until
    refused = {"throttled_until": locked_until} if locked_until else {}
    audit_record(action=Action.TWO_FACTOR_FAILED, actor=user, obj=user, person=user, new=refused)
    return Verification(device=None, locked_until=locked_until)


def otp_lockout_lift(*, user: User) -> None:
    """An administrator lets a throttled user try again at once."""
    for device in django_otp.devices_for_user(user, confirmed=None):
        if hasattr(device, "throttle_reset"):
            device.throttle_reset()


def two_factor_login(request, device) -> None:
    """Mark the session as verified with `device`, under a new session key."""
    request.session.cycle_key()  # a session fixed before verification is worth nothing after
    django_otp.login(request, device)


def _verify(device, token: str) -> Verification:
    allowed, info = device.verify_is_allowed()
    if not allowed:
        return Verification(device=None, locked_until=(info or {}).get("locked_until"))
    if device.verify_token(token):  # counts a failure towards the device's throttle
        return Verification(device=device)
    return Verification(device=None)


def devices_of(*, user: User) -> list:
    """The user's confirmed second factors, every kind."""
    return list(django_otp.devices_for_user(user, confirmed=True))


def device_remove(*, user: User, persistent_id: str) -> None:
    """Remove one of the user's own devices; refused if it is the last one of a user who must
    use 2FA. Backup codes go with the last real device: they never outlive what they back up."""
    devices = devices_of(user=user)
    device = next((d for d in devices if d.persistent_id == persistent_id), None)
    if device is None:
        raise LookupError("no such device")
    others = [d for d in devices if d.persistent_id != persistent_id and not isinstance(d, StaticDevice)]
    if user.must_use_two_factor and not others and not isinstance(device, StaticDevice):
        raise PermissionError(
            gettext("Rolul dumneavoastră cere autentificare în doi pași: adăugați întâi altă metodă.")
        )
    removed = [device] if others else [device, *(d for d in devices if isinstance(d, StaticDevice) and d != device)]
    with transaction.atomic():
        for each in removed:
            audit_record(action=Action.TWO_FACTOR_REMOVED, actor=user, obj=user, person=user, old=_described(each))
            each.delete()


# -- passkeys (WebAuthn, through django-otp-webauthn's device and helper) ------------

# What a browser may send that the WebAuthn parsers reject: all of it is the client's mistake.
_PASSKEY_REFUSALS = (OTPWebAuthnApiError, WebAuthnException, ValueError, TypeError, KeyError, AttributeError)


class PasskeyRefused(Exception):
    """A passkey ceremony the server refuses; the message is for the person."""


def passkey_relying_party_id(request) -> str:
    """The request's own host without the port: a passkey is bound to the host it was made at,
    so one made at a school is worth nothing at another school or at the control plane."""
    domain, _port = split_domain_port(request.get_host())
    return domain


class PasskeyHelper(WebAuthnHelper):
    """django-otp-webauthn's helper with the request's own origin (there is one per school)."""

    def get_allowed_origins(self) -> list[str]:
        return [f"{self.request.scheme}://{self.request.get_host()}"]

    def create_credential(self, user, response, parsed_credential, original_data):
        device = super().create_credential(user, response, parsed_credential, original_data)
        device.name = PASSKEY_NAME
        return device


def passkey_registration_begin(*, request) -> tuple[dict, dict]:
    """The options for the browser to create a passkey for the signed-in user, and the state
    the session keeps until the browser answers."""
    return PasskeyHelper(request).register_begin(user=request.user)


def passkey_registration_complete(*, request, state: dict | None, data: dict) -> WebAuthnCredential:
    """Check the browser's new passkey against the session's `state` and keep it, audited."""
    if not state:
        raise PasskeyRefused(gettext("Începeți din nou adăugarea cheii de acces."))
    try:
        with transaction.atomic():
            device = PasskeyHelper(request).register_complete(user=request.user, state=state, data=data)
            user = request.user
            audit_record(action=Action.TWO_FACTOR_ENROLLED, actor=user, obj=user, person=user, new=_described(device))
    except _PASSKEY_REFUSALS:
        logger.info("Passkey registration refused for user %s", request.user.pk, exc_info=True)
        raise PasskeyRefused(gettext("Cheia de acces nu a putut fi adăugată. Încercați din nou.")) from None
    return device


def passkey_authentication_begin(*, request) -> tuple[dict, dict]:
    """The options for the browser to sign with one of the user's passkeys, and the state."""
    if not WebAuthnCredential.objects.filter(user=request.user, confirmed=True).exists():
        raise PasskeyRefused(gettext("Contul nu are o cheie de acces."))
    return PasskeyHelper(request).authenticate_begin(user=request.user, require_user_verification=False)


def passkey_verify(*, request, state: dict | None, data: dict) -> Verification:
    """Check the browser's signature with one of the user's own confirmed passkeys, audited."""
    user = request.user
    device = None
    if state:
        try:
            device = PasskeyHelper(request).authenticate_complete(user=user, state=state, data=data)
        except _PASSKEY_REFUSALS:
            logger.info("Passkey verification refused for user %s", user.pk, exc_info=True)
    if device is None or not device.confirmed:
        refused = {"method": WebAuthnCredential.__name__}
        audit_record(action=Action.TWO_FACTOR_FAILED, actor=user, obj=user, person=user, new=refused)
        return Verification(device=None)
    audit_record(action=Action.TWO_FACTOR_VERIFIED, actor=user, obj=user, person=user, new=_described(device))
    return Verification(device=device)


# -- a fresh second factor for one grave act (the director's sign-off on a year's archive) --

# A passkey cannot be typed into a form: a page that asks for a fresh second factor lets the
# person sign with their passkey first; the session keeps that for FRESH_SECONDS, for one act.
_FRESH = "catedra_fresh_second_factor"
FRESH_SECONDS = 300


def has_passkey(user: User) -> bool:
    return WebAuthnCredential.objects.filter(user=user, confirmed=True).exists()


def fresh_factor_mark(request, device) -> None:
    """The session's user has just confirmed `device` (a passkey ceremony done now)."""
    request.session[_FRESH] = {"device": type(device).__name__, "at": time.time(), "user": request.user.pk}


def fresh_factor_take(request) -> str | None:
    """The kind of device the session's user confirmed in the last FRESH_SECONDS, once; else None."""
    fresh = _fresh(request)
    request.session.pop(_FRESH, None)
    return fresh["device"] if fresh else None


def fresh_factor_pending(request) -> bool:
    """Whether the session holds a fresh confirmation still unused (for the page to say so)."""
    return _fresh(request) is not None


def _fresh(request) -> dict | None:
    fresh = request.session.get(_FRESH)
    if not isinstance(fresh, dict) or fresh.get("user") != request.user.pk:
        return None
    return fresh if 0 <= time.time() - fresh.get("at", 0) <= FRESH_SECONDS else None
