import json
from contextlib import suppress
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.encoding import force_str
from django.utils.formats import time_format
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_decode
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import user_has_device
from django_otp.plugins.otp_email.models import EmailDevice
from django_otp_webauthn.models import WebAuthnCredential

from accounts import services, two_factor
from accounts.models import SmsDevice, User
from accounts.sms import phone_normalize


def _invited_user(uidb64: str, token: str) -> User | None:
    try:
        user = User.objects.get(pk=int(force_str(urlsafe_base64_decode(uidb64))), is_active=True)
    except (ValueError, TypeError, OverflowError, User.DoesNotExist):
        return None
    return user if default_token_generator.check_token(user, token) else None


@never_cache
@sensitive_post_parameters("new_password1", "new_password2")
def invitation_accept(request, uidb64: str, token: str):
    """The link of an invitation e-mail: choose a password, once."""
    user = _invited_user(uidb64, token)
    if user is None:
        return render(request, "accounts/invitation_invalid.html", status=400)
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        # A new password hash: the token stops working.
        services.password_set_from_link(user=user, password=form.cleaned_data["new_password1"])
        return render(request, "accounts/invitation_done.html", {"username": user.username})
    return render(request, "accounts/invitation_accept.html", {"form": form, "username": user.username})


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if safe else "/"


def verified_if_enrolled(view):
    """A door that changes second factors or sessions: once the account has a confirmed
    factor, only a session that verified one may use it (a stolen password alone enrols
    nothing, mints no backup codes, removes nothing); the others go to verification."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if user_has_device(request.user, confirmed=True) and not request.user.is_verified():
            target = reverse("two-factor-verify")
            return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
        return view(request, *args, **kwargs)

    return login_required(wrapped)


def _refusal(result) -> str:
    if result.locked_until:
        return _("Prea multe coduri greșite. Încercați din nou după ora %(time)s.") % {
            "time": time_format(localtime(result.locked_until), "H:i:s")
        }
    return _("Codul nu este corect sau a fost deja folosit.")


# The unconfirmed app secret this session was shown: no other session's is ever offered.
_PENDING_TOTP = "catedra_pending_totp"


@never_cache
@verified_if_enrolled
def two_factor_enrol(request):
    """Enrol an authenticator app: scan the QR code (or type the key), confirm with a code."""
    device = two_factor.totp_enrolment_start(user=request.user, pending_id=request.session.get(_PENDING_TOTP))
    request.session[_PENDING_TOTP] = device.pk
    error = ""
    if request.method == "POST":
        token = request.POST.get("token", "").strip()
        result = two_factor.totp_enrolment_confirm(user=request.user, device_id=device.pk, token=token)
        if result.device is not None:
            request.session.pop(_PENDING_TOTP, None)
            return _enrolled(request, result.device)
        error = _refusal(result)
    context = {
        "qr_svg": two_factor.totp_qr_svg(device),
        "secret": two_factor.totp_secret_for_humans(device),
        "error": error,
        "next": _next_url(request),
        "sms_enabled": settings.CATEDRA_SMS_ENABLED,
    }
    return render(request, "accounts/two_factor_enrol.html", context)


def _enrolled(request, device):
    two_factor.two_factor_login(request, device)
    codes = two_factor.backup_codes_generate(user=request.user)
    return render(request, "accounts/backup_codes.html", {"codes": codes, "next": _next_url(request)})


@never_cache
@verified_if_enrolled
def two_factor_enrol_email(request):
    """The e-mail factor: a code sent to the user's address confirms it."""
    if not request.user.email:
        messages.error(request, _("Contul nu are o adresă de e-mail: folosiți o aplicație de autentificare."))
        return redirect("two-factor-enrol")
    error, notice = "", ""
    if request.method == "POST" and "token" in request.POST:
        result = two_factor.side_channel_enrolment_confirm(
            user=request.user, kind=EmailDevice, token=request.POST["token"]
        )
        if result.device is not None:
            return _enrolled(request, result.device)
        error = _refusal(result)
    else:
        notice = two_factor.email_enrolment_start(user=request.user)
    context = {"error": error, "notice": notice, "next": _next_url(request)}
    return render(request, "accounts/two_factor_enrol_email.html", context)


@never_cache
@verified_if_enrolled
def two_factor_enrol_sms(request):
    """The SMS factor: the user gives a phone number, a texted code confirms it."""
    if not settings.CATEDRA_SMS_ENABLED:
        raise Http404
    error, notice, number = "", "", request.POST.get("number", "")
    if request.method == "POST" and "token" in request.POST:
        result = two_factor.side_channel_enrolment_confirm(
            user=request.user, kind=SmsDevice, token=request.POST["token"]
        )
        if result.device is not None:
            return _enrolled(request, result.device)
        error = _refusal(result)
    elif request.method == "POST":
        try:
            number = phone_normalize(number)
        except ValidationError as exc:
            error = exc.messages[0]
        else:
            notice = two_factor.sms_enrolment_start(user=request.user, number=number)
    awaiting_code = "token" in request.POST or bool(notice)
    context = {
        "error": error,
        "notice": notice,
        "number": number,
        "awaiting": awaiting_code,
        "next": _next_url(request),
    }
    return render(request, "accounts/two_factor_enrol_sms.html", context)


@require_POST
@login_required
def two_factor_send_code(request, channel: str):
    """Send a sign-in code by e-mail or SMS, then back to verification."""
    kind = {"email": EmailDevice, "sms": SmsDevice}.get(channel)
    notice = kind and two_factor.side_channel_code_send(user=request.user, kind=kind)
    if notice:
        messages.info(request, notice)
    return redirect(f"{reverse('two-factor-verify')}?{urlencode({'next': _next_url(request)})}")


@never_cache
@login_required
def two_factor_verify(request):
    """Ask for a code from the app (or a backup code) once per session."""
    if not user_has_device(request.user, confirmed=True):
        return redirect("two-factor-enrol")
    error = ""
    if request.method == "POST":
        result = two_factor.otp_verify(user=request.user, token=request.POST.get("token", ""))
        if result.device is not None:
            two_factor.two_factor_login(request, result.device)
            messages.success(request, _("Autentificare în doi pași reușită."))
            return redirect(_next_url(request))
        error = _refusal(result)
    context = {
        "error": error,
        "next": _next_url(request),
        "has_email_factor": EmailDevice.objects.filter(user=request.user, confirmed=True).exists(),
        "has_sms_factor": SmsDevice.objects.filter(user=request.user, confirmed=True).exists(),
        "has_passkey": WebAuthnCredential.objects.filter(user=request.user, confirmed=True).exists(),
    }
    return render(request, "accounts/two_factor_verify.html", context)


# The state of a passkey ceremony the browser is in, and the backup codes a new passkey brought.
_PASSKEY_REGISTRATION = "catedra_passkey_registration"
_PASSKEY_AUTHENTICATION = "catedra_passkey_authentication"
_NEW_BACKUP_CODES = "catedra_new_backup_codes"


def _json_error(detail: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status)


def passkey_door(*, enrolling: bool):
    """A JSON door of a passkey ceremony: POST only, signed in, answered in JSON even when
    refused. Enrolling, it follows `verified_if_enrolled`: once the account has a confirmed
    factor, a session that has not verified one adds nothing."""

    def decorator(view):
        @wraps(view)
        def wrapped(request):
            if request.method != "POST":
                return _json_error(_("Metodă nepermisă."), status=405)
            if not request.user.is_authenticated:
                return _json_error(_("Autentificați-vă mai întâi."), status=401)
            if enrolling and user_has_device(request.user, confirmed=True) and not request.user.is_verified():
                return _json_error(_("Verificați-vă întâi identitatea cu o metodă pe care o aveți deja."), status=403)
            try:
                return view(request)
            except two_factor.PasskeyRefused as exc:
                return _json_error(str(exc))

        return never_cache(wrapped)

    return decorator


def _browser_answer(request) -> dict:
    """The browser's JSON object, or PasskeyRefused."""
    data = None
    if request.content_type == "application/json":  # a form's body is read already (CSRF)
        with suppress(ValueError):
            data = json.loads(request.body)
    if not isinstance(data, dict):
        raise two_factor.PasskeyRefused(_("Cererea nu este un obiect JSON valid."))
    return data


@passkey_door(enrolling=True)
def passkey_register_begin(request):
    options, request.session[_PASSKEY_REGISTRATION] = two_factor.passkey_registration_begin(request=request)
    return JsonResponse(options)


@passkey_door(enrolling=True)
def passkey_register_complete(request):
    state = request.session.pop(_PASSKEY_REGISTRATION, None)  # one answer per challenge, right or wrong
    device = two_factor.passkey_registration_complete(request=request, state=state, data=_browser_answer(request))
    two_factor.two_factor_login(request, device)
    request.session[_NEW_BACKUP_CODES] = two_factor.backup_codes_generate(user=request.user)
    return JsonResponse({"registered": True})


@never_cache
@login_required
def passkey_registered(request):
    """The backup codes issued with a new passkey, shown once."""
    codes = request.session.pop(_NEW_BACKUP_CODES, None)
    if not codes:
        return redirect("account-security")
    return render(request, "accounts/backup_codes.html", {"codes": codes, "next": _next_url(request)})


@passkey_door(enrolling=False)
def passkey_verify_begin(request):
    options, request.session[_PASSKEY_AUTHENTICATION] = two_factor.passkey_authentication_begin(request=request)
    return JsonResponse(options)


@passkey_door(enrolling=False)
def passkey_verify_complete(request):
    state = request.session.pop(_PASSKEY_AUTHENTICATION, None)
    result = two_factor.passkey_verify(request=request, state=state, data=_browser_answer(request))
    if result.device is None:
        return _json_error(_("Cheia de acces nu a putut fi verificată."))
    two_factor.two_factor_login(request, result.device)
    two_factor.fresh_factor_mark(request, result.device)  # a page asking for a fresh factor accepts it
    messages.success(request, _("Autentificare în doi pași reușită."))
    return JsonResponse({"verified": True})


@require_POST
@verified_if_enrolled
def sign_out_everywhere(request):
    """End every session of this user (lost phone, shared computer), this one included."""
    services.sign_out_everywhere(user=request.user)
    logout(request)
    messages.success(request, _("Ați fost deconectat de pe toate dispozitivele."))
    return redirect("account_login")


@never_cache
@login_required
@sensitive_post_parameters("new_password1", "new_password2")
def child_password(request, child_id: int):
    """A parent sets the password of their own minor child."""
    child = next((c for c in services.children_of(parent=request.user) if c.pk == child_id), None)
    if child is None:
        raise Http404
    form = SetPasswordForm(child, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.child_password_set(parent=request.user, child=child, password=form.cleaned_data["new_password1"])
        except ValidationError as exc:
            form.add_error("new_password1", exc)
        else:
            messages.success(request, _("Parola lui %(name)s a fost schimbată.") % {"name": child.get_full_name()})
            return redirect("/")
    return render(request, "accounts/child_password.html", {"form": form, "child": child})


@never_cache
@verified_if_enrolled
def security(request):
    """The user's own security page: second factors, password, sessions."""
    if request.method == "POST":
        try:
            two_factor.device_remove(user=request.user, persistent_id=request.POST.get("device", ""))
        except LookupError:
            raise Http404 from None
        except PermissionError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Metoda a fost eliminată."))
        return redirect("account-security")
    context = {"devices": two_factor.devices_of(user=request.user), "sms_enabled": settings.CATEDRA_SMS_ENABLED}
    return render(request, "accounts/security.html", context)
